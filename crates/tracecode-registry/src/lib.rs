//! tracecode's registry: which units were issued, and how often and where each was scanned.
//!
//! `app(state)` is the whole HTTP surface; `main.rs` only parses arguments and serves it, and
//! tests call it with `oneshot`.

pub mod api;
pub mod auth;
pub mod epcis;
pub mod error;
pub mod limit;
pub mod metrics;
pub mod serve;
pub mod store;
pub mod vocabulary;

pub use api::{app, AppState, Clock};
