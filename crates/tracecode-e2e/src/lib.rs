//! End-to-end tests of tracecode's web app (`tests/web.rs`): the app as built by Trunk, served
//! by a real registry on loopback with embedded SQLite, driven through WebDriver in Debian's
//! headless Chromium, whose fake camera shows generated videos of codes.
//!
//! `cargo xtask test` builds the app and runs them; `cargo xtask test e2e` runs them alone.

pub mod video;
pub mod world;

/// The demo world (its own crate, so that `cargo xtask demo` compiles no browser machinery),
/// which the journey tests run.
pub use tracecode_demo as demo;
pub use tracecode_demo::{fixtures, lan};

/// Set by xtask: the tests run for real. Without it they say they were skipped, so a plain
/// `cargo test --workspace` without Chromium or a built app does not fail.
pub const ENABLE_ENV: &str = "TRACECODE_E2E";

/// Whether to run; prints why not.
pub fn enabled(test: &str) -> bool {
    let on = std::env::var_os(ENABLE_ENV).is_some();
    if !on {
        eprintln!("{test}: skipped, set {ENABLE_ENV}=1 or run `cargo xtask test e2e`");
    }
    on
}
