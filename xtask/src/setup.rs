//! Installs the web toolchain, idempotently: each tool is checked first and installed only when
//! missing or at the wrong version. Versions and reasons: ../shared/TOOLCHAIN.md.

use anyhow::{bail, Context, Result};

use crate::shell;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.21.14";
/// Debian's binaryen (108) breaks current wasm-bindgen output; the wasm-opt crate builds 116.
const WASM_OPT_CRATE_VERSION: &str = "0.116.1";
const WASM_OPT_REPORTED: &str = "version 116";

/// wasm32 target, Trunk, the wasm-bindgen CLI matching Cargo.lock, and wasm-opt.
pub(crate) fn ensure_web_tools() -> Result<()> {
    ensure_wasm_target()?;
    ensure_tool(
        "trunk",
        &["--version"],
        TRUNK_VERSION,
        "trunk",
        TRUNK_VERSION,
        true,
    )?;
    let bindgen = locked_version("wasm-bindgen")?;
    // No --locked: wasm-bindgen-cli's own lock file names a crate version crates.io lacks.
    ensure_tool(
        "wasm-bindgen",
        &["--version"],
        &bindgen,
        "wasm-bindgen-cli",
        &bindgen,
        false,
    )?;
    ensure_tool(
        "wasm-opt",
        &["--version"],
        WASM_OPT_REPORTED,
        "wasm-opt",
        WASM_OPT_CRATE_VERSION,
        true,
    )?;
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = shell::output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    shell::step(
        "install the wasm32 target",
        "rustup",
        &["target", "add", WASM_TARGET],
    )
}

/// Installs `krate@version` unless `program version_args` already prints `expect`.
fn ensure_tool(
    program: &str,
    version_args: &[&str],
    expect: &str,
    krate: &str,
    version: &str,
    locked: bool,
) -> Result<()> {
    let reported = shell::output(program, version_args).unwrap_or_default();
    if reported.contains(expect) {
        return Ok(());
    }
    let mut args = vec!["install", krate, "--version", version, "--force"];
    if locked {
        args.push("--locked");
    }
    shell::step(&format!("install {krate} {version}"), "cargo", &args)?;
    let reported = shell::output(program, version_args).unwrap_or_default();
    if !reported.contains(expect) {
        bail!("{program} reports {reported:?} after installing {krate} {version}");
    }
    Ok(())
}

/// The version of `package` in Cargo.lock.
fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock").context("cannot read Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..]
        .find('"')
        .with_context(|| format!("Cargo.lock's {package} entry is cut short"))?;
    Ok(lock[start..start + end].to_owned())
}
