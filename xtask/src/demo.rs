//! `cargo xtask demo`: build the app, the issuer CLI and the registry, then run the demo world
//! (`crates/tracecode-e2e/src/bin/demo.rs`): demo keys, a signed trust list, a few hundred
//! issued units of two brands with their provenance, a recall and a cloned label, served with
//! the app on loopback until Ctrl-C. State is kept in `target/demo/` and reused.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{setup, shell};

const DEFAULT_PORT: u16 = 8080;

pub(crate) fn run(args: &[&str]) -> Result<()> {
    let port = match args {
        [] => DEFAULT_PORT,
        ["--port", port] => port
            .parse()
            .with_context(|| format!("--port {port:?} is not a port number"))?,
        _ => bail!("usage: cargo xtask demo [--port N]"),
    };
    setup::ensure_web_tools()?;
    if std::env::var_os("TRACECODE_ROOT_KEYS").is_some() {
        bail!("TRACECODE_ROOT_KEYS is set: the demo's trust list is signed by the demo root, unset it first");
    }
    shell::trunk_release_build()?;
    shell::step(
        "issuer CLI, registry and demo (release build)",
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "--package",
            "tracecode-cli",
            "--package",
            "tracecode-registry",
            "--package",
            "tracecode-e2e",
            "--bins",
        ],
    )?;
    let release = shell::workspace_root().join("target/release");
    shell::run_with(
        Command::new(release.join("demo"))
            .args(["--port", &port.to_string(), "--dir", "target/demo"])
            .env("TRACECODE_CLI_BIN", release.join("tracecode"))
            .env("TRACECODE_REGISTRY_BIN", release.join("tracecode-registry")),
    )
}
