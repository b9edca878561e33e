//! `cargo xtask demo`: the demo world (`tracecode_e2e::demo`) served on loopback until Ctrl-C.
//!
//! Usage: `demo [--port N] [--dir DIR]` with `TRACECODE_CLI_BIN` and `TRACECODE_REGISTRY_BIN`
//! naming the built binaries and the app built in `dist/` (xtask does all three).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tracecode_e2e::demo::{self, Registry, Tools};
use tracecode_e2e::world::{copy_files, World};

const DEFAULT_PORT: u16 = 8080;

/// A fresh copy of the built app, so that the sheet beside it never lands in `dist/`.
fn copy_app(dist: &Path, site: &Path) -> Result<()> {
    if site.exists() {
        std::fs::remove_dir_all(site)?;
    }
    copy_files(dist, site)
}

/// Ctrl-C, or a polite request to stop (SIGTERM, as from `timeout` or a service manager).
async fn stopped() -> Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut port = DEFAULT_PORT;
    let mut dir = PathBuf::from("target/demo");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match (arg.as_str(), rest.next()) {
            ("--port", Some(value)) => {
                port = value
                    .parse()
                    .with_context(|| format!("--port {value:?} is not a port number"))?
            }
            ("--dir", Some(value)) => dir = PathBuf::from(value),
            _ => bail!("usage: demo [--port N] [--dir DIR]"),
        }
    }
    let tools = Tools::from_env()?;
    let dist = World::built_app();
    if !dist.join("index.html").is_file() {
        bail!(
            "no built app in {}: run `trunk build --release`",
            dist.display()
        );
    }

    println!("==> demo keys, trust list and batches in {}", dir.display());
    let world = demo::prepare(&dir, &tools)?;
    let site = world.dir.join("site");
    copy_app(&dist, &site)?;
    demo::write_sheet(&world, &site)?;
    let tokens = demo::tokens(&world, &tools)?;
    println!(
        "==> registry on 127.0.0.1:{port} (SQLite {})",
        world.db().display()
    );
    let registry = Registry::start(&world, &tools, port, &site).await?;
    demo::load(&world, &registry.base, &tokens).await?;

    let base = &registry.base;
    println!("\ntracecode demo\n==============");
    println!("Verification page:  {base}/");
    println!(
        "Printable sheet:    {base}/demo-sheet.html  (scan it from a phone or a second screen)"
    );
    println!(
        "Registry API:       {base}/v1/openapi.json  (each brand's token in {} and {})",
        world.dir.join("token-dairy").display(),
        world.dir.join("token-tea").display()
    );
    println!(
        "Issued: {} units of 2 brands, 4 lots; provenance from {}; keys in {}",
        world.units.len(),
        world.events().display(),
        world.dir.join("keys").display()
    );
    println!(
        "\nSample codes (open a link: it is what a phone's camera does with the printed code):"
    );
    for case in &world.cases {
        println!(
            "\n  {:<10} {}\n  {base}{}\n  expect: {}",
            case.name,
            case.title,
            tracecode_e2e::fixtures::path_of(&case.code),
            case.expect
        );
    }
    println!("\nThe page pins the published demo root key and says so. Stop with Ctrl-C.");
    stopped().await?;
    println!("\nstopping the registry…");
    registry.stop().await?;
    println!(
        "stopped; `cargo xtask demo` again reuses {}",
        world.dir.display()
    );
    Ok(())
}
