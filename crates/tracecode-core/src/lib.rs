//! tracecode's core: the signed code format, strict verification against a signed trust list,
//! and the online risk assessment. Pure Rust with no I/O, no clock and no randomness: callers
//! pass the time and the keys, so the same code runs natively, in the registry and in the
//! browser (wasm32), and every result is reproducible.
//!
//! ```
//! use tracecode_core::{verify_text, Verdict};
//! # let (trust, url, now) = tracecode_core::vectors::genuine_example();
//! let verified = verify_text(&url, &trust, now).expect("a genuine code");
//! assert_eq!(verified.code().data.gtin.as_str(), "06901234567892");
//! ```
//!
//! The byte layouts, the trust-list format and test vectors are specified in `docs/PAYLOAD.md`.

#![deny(missing_docs)]

pub mod assess;
pub mod code;
pub mod fields;
#[cfg(feature = "openapi")]
mod openapi;
pub mod signature;
pub mod tagged;
pub mod trust;
#[cfg(feature = "test-vectors")]
pub mod vectors;
pub mod verify;

pub use code::{Code, CodeData, CodeError, Host};
pub use fields::{Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial};
pub use trust::{PublicKey, SignedTrustList, TrustList, TrustListError};
pub use verify::{verdict_of, verify, verify_text, Rejection, Verdict, VerifiedCode};

/// The Ed25519 types callers need, so that they use the same version this crate does.
pub use ed25519_dalek;
