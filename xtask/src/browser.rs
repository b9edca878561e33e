//! The web app's browser tests: Debian's Chromium and its WebDriver (installed with apt when
//! missing), a fake camera playing a generated video of a code, wasm-bindgen-test's runner for
//! components, and the end-to-end tests of `crates/tracecode-e2e` for the built app.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::shell;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What the fake camera shows in the browser tests; `tests/camera.rs` expects this text.
pub(crate) const CAMERA_CODE: &str = "https://t.example.cn/01/06901234567892/21/ABC123?s=test";

/// Chromium and chromedriver, from Debian, when either is missing.
pub(crate) fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        return Ok(());
    }
    println!(
        "==> installing Chromium and its WebDriver (Debian packages chromium, chromium-driver)"
    );
    shell::apt_install(&["chromium", "chromium-driver"])
}

/// Runs the web app's wasm-bindgen tests in headless Chromium with the fake camera.
pub(crate) fn run_tests() -> Result<()> {
    ensure_chromium()?;
    let root = shell::workspace_root();
    let dir = root.join("target").join("browser-tests");
    std::fs::create_dir_all(&dir).context("cannot create target/browser-tests")?;
    let video = dir.join("camera.y4m");
    // The binary `cargo test --workspace` built (same features, no rebuild), else built now.
    let built = root.join("target/debug/fake-camera-video");
    let video_arg = video.to_string_lossy().into_owned();
    if built.is_file() {
        shell::step(
            "fake camera video",
            &built.to_string_lossy(),
            &[CAMERA_CODE, &video_arg],
        )?;
    } else {
        shell::step(
            "fake camera video",
            "cargo",
            &[
                "run",
                "--quiet",
                "--locked",
                "--package",
                "tracecode-e2e",
                "--bin",
                "fake-camera-video",
                "--",
                CAMERA_CODE,
                &video_arg,
            ],
        )?;
    }
    // The runner reads Chromium's options from webdriver.json beside the crate's manifest;
    // the video's path must be absolute, so the file is written for this checkout.
    let options = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                format!("--use-file-for-fake-video-capture={}", video.display()),
            ]
        }
    });
    std::fs::write(
        root.join("webdriver.json"),
        serde_json::to_string_pretty(&options)?,
    )
    .context("cannot write webdriver.json")?;
    shell::test_step(
        "browser tests",
        Command::new("cargo")
            .args([
                "test",
                "--package",
                "tracecode-web",
                "--target",
                "wasm32-unknown-unknown",
                "--locked",
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", CHROMEDRIVER),
    )
}

/// Runs the end-to-end tests against the app in `dist/` (build it first): the journeys of
/// `web` on an in-process registry, and `journey` with the real CLI and registry binaries.
pub(crate) fn run_end_to_end() -> Result<()> {
    ensure_chromium()?;
    // The binaries as the CLI's and registry's own tests build them (same features, so a
    // no-op after the workspace tests; a plain `cargo build -p …` would rebuild half the tree).
    shell::step(
        "issuer CLI and registry binaries",
        "cargo",
        &["test", "--workspace", "--no-run", "--locked"],
    )?;
    let debug = shell::workspace_root().join("target/debug");
    // `--workspace` (only tracecode-e2e has these tests) resolves features as the workspace
    // tests did, so nothing is rebuilt.
    shell::test_step(
        "end-to-end tests",
        Command::new("cargo")
            .args([
                "test",
                "--workspace",
                "--test",
                "web",
                "--test",
                "journey",
                "--locked",
            ])
            .env("TRACECODE_E2E", "1")
            .env("TRACECODE_CLI_BIN", debug.join("tracecode"))
            .env("TRACECODE_REGISTRY_BIN", debug.join("tracecode-registry"))
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("CHROMIUM", CHROMIUM),
    )?;
    println!(
        "screenshots: {}",
        shell::workspace_root()
            .join("target/e2e/screenshots")
            .display()
    );
    Ok(())
}
