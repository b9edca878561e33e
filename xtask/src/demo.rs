//! `cargo xtask demo`: build and serve the web app with the demo trust list, and print sample
//! codes to paste or open.

use anyhow::{bail, Context, Result};
use tracecode_core::vectors;

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
        bail!("TRACECODE_ROOT_KEYS is set: the demo serves the demo trust list, unset it first");
    }
    shell::step("web app release build", "trunk", &["build", "--release"])?;

    let base = format!("http://127.0.0.1:{port}");
    println!("\ntracecode demo\n==============");
    println!("Verification page: {base}/");
    println!("It trusts the demo root key of docs/PAYLOAD.md and serves its trust list.\n");
    println!("Sample codes (paste one into the page, or open the link: a code URL opens the page");
    println!("and verifies itself, as from a phone's camera):");
    for v in vectors::vectors() {
        let local = v
            .text
            .replacen(&format!("https://{}", vectors::HOST), &base, 1);
        println!("\n  {:<15} expected {:?}\n  {}", v.name, v.expected, local);
    }
    println!("\nStop with Ctrl-C.\n");
    let port = port.to_string();
    shell::run(
        "trunk",
        &[
            "serve",
            "--release",
            "--address",
            "127.0.0.1",
            "--port",
            &port,
            "--no-autoreload",
        ],
    )
}
