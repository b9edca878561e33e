//! `cargo xtask demo`: the demo world (`tracecode_demo`) served on loopback until Ctrl-C.
//!
//! Usage: `demo [--port N] [--dir DIR] [--lan auto|ADDRESS]` with `TRACECODE_CLI_BIN` and
//! `TRACECODE_REGISTRY_BIN` naming the built binaries and the app built in `dist/` (xtask does
//! all three). With `--lan` the registry serves HTTPS on this machine's LAN address, with a
//! certificate of the demo's own authority (`tracecode_demo::lan`), and the codes are printed
//! for that address, so that a phone on the same network can scan and open them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tracecode_demo::{self as demo, copy_tree, lan, Listen, Registry, Tools};

const DEFAULT_PORT: u16 = 8080;

/// A fresh copy of the built app, so that the sheet beside it never lands in `dist/`.
fn copy_app(dist: &Path, site: &Path) -> Result<()> {
    if site.exists() {
        std::fs::remove_dir_all(site)?;
    }
    copy_tree(dist, site)
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
    let mut dir = None;
    let mut lan_address = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match (arg.as_str(), rest.next()) {
            ("--port", Some(value)) => {
                port = value
                    .parse()
                    .with_context(|| format!("--port {value:?} is not a port number"))?
            }
            ("--dir", Some(value)) => dir = Some(PathBuf::from(value)),
            ("--lan", Some(value)) => {
                lan_address = Some(if value == "auto" {
                    lan::lan_address()?
                } else {
                    value.parse().with_context(|| {
                        format!("--lan {value:?} is not an IP address (or `auto`)")
                    })?
                })
            }
            _ => bail!("usage: demo [--port N] [--dir DIR] [--lan auto|ADDRESS]"),
        }
    }
    // The LAN demo's codes carry another host: it keeps a world of its own.
    let dir = dir.unwrap_or_else(|| {
        PathBuf::from(if lan_address.is_some() {
            "target/demo-lan"
        } else {
            "target/demo"
        })
    });
    let tools = Tools::from_env()?;
    let dist = demo::built_app();
    if !dist.join("index.html").is_file() {
        bail!(
            "no built app in {}: run `trunk build --release`",
            dist.display()
        );
    }

    println!("==> demo keys, trust list and batches in {}", dir.display());
    let listen = match lan_address {
        None => Listen::loopback(port),
        Some(ip) => {
            std::fs::create_dir_all(&dir)?;
            let tls = lan::certificate(&dir.join("tls"), ip)?;
            Listen {
                ip,
                port,
                tls: Some(tls),
            }
        }
    };
    let base = listen.base();
    let host = match &listen.tls {
        Some(_) => base.trim_start_matches("https://").to_owned(),
        None => demo::HOST.to_owned(),
    };
    let world = demo::prepare_for_host(&dir, &tools, &host)?;
    let site = world.dir.join("site");
    copy_app(&dist, &site)?;
    demo::write_sheet(&world, &site)?;
    if let Some(tls) = &listen.tls {
        // For the phone to download and install, if its owner prefers that to a warning.
        std::fs::copy(&tls.authority, site.join("demo-authority.crt"))?;
    }
    let tokens = demo::tokens(&world, &tools)?;
    println!("==> registry on {} (SQLite {})", base, world.db().display());
    let registry = Registry::start_on(&world, &tools, &listen, &site).await?;
    println!("==> answering: {base}/  (loading the demo data…)");
    demo::load(&world, &registry.base, &tokens).await?;

    println!("\ntracecode demo\n==============");
    println!("Verification page:  {base}/");
    if let Some(tls) = &listen.tls {
        println!("\nOn a phone on the same network, scan this (or type the address):\n");
        println!("{}", lan::terminal_qr(&format!("{base}/"))?);
        println!(
            "The page is HTTPS, its certificate from this demo's own authority, which\n\
             phones do not know. Either accept the warning once (Chrome: Advanced →\n\
             Proceed; Safari: Show Details → visit this website), or install the\n\
             authority: open {base}/demo-authority.crt on the phone, then\n\
             - Android: Settings → Security → Install a certificate → CA certificate;\n\
             - iPhone: Settings → Profile Downloaded → Install, then General → About →\n\
             \x20 Certificate Trust Settings → turn it on.\n\
             It may vouch only for private addresses (name constraints), never for a site\n\
             on the internet. Its certificate: {}; its key stays beside it.\n",
            tls.authority.display(),
        );
    }
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
            demo::fixtures::path_of(&case.code),
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
