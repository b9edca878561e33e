//! `cargo xtask`: the one entry point for set-up and chores (the matklad pattern).
//!
//! * `cargo xtask demo`: install what is missing, build, serve the app, print sample codes.
//! * `cargo xtask test`: install what is missing, then every check CI runs.
//! * `cargo xtask bench <area>`: run a benchmark and print its figure lines.
//! * `cargo xtask setup`: only install the tools.

mod bench;
mod browser;
mod demo;
mod postgres;
mod precompress;
mod setup;
mod shell;

use std::process::ExitCode;

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask <demo | test | bench <area> | setup | with-postgres <command…>>
  demo [--port N] [--lan [ADDRESS]]
                install, build and serve the web app locally; prints its URL and sample codes.
                --lan: over HTTPS on this machine's LAN address (found, or given) with a
                certificate of a demo authority made here, and codes printed for it, so that
                a phone on the same network can scan them
  test          install what is missing, then fmt, clippy, all tests, wasm32 build, the web
                app's browser tests (headless Chromium, fake camera), trunk build, and the
                end-to-end tests (the built app on a real registry, in Chromium)
  test browser  the wasm-bindgen browser tests alone
  test e2e      build the app and run the end-to-end tests alone (screenshots in target/e2e)
  bench core    Criterion benchmarks of parse, verify and sign; prints `core-* ns/code` lines
  bench issue   issuing rates (URLs, SVG), the signing limit and peak memory
  bench registry
                scans/s and p99 against a trivial route, the kill -9 crash test, and the
                recall scope over 10 000 000 units (docs/BENCHMARKS.md)
  bench scan [--corpus DIR]
                decode rates on a photographed corpus (default ../shared/qr-corpus): ours,
                plain rqrr, zxing-cpp, ZBar, OpenCV
  bench web     the web app's transfer size (brotli) and navigation-to-verdict times in
                headless Chromium, cold and with the service worker
  setup         install the tools only (wasm32 target, trunk, wasm-bindgen, wasm-opt)
  precompress [DIR]
                write .br and .gz beside the built app's files (default dist/), which the
                registry sends to browsers; every app build made by xtask does it
  with-postgres <command…>
                run a command with a throwaway PostgreSQL on loopback, its URL in
                TRACECODE_TEST_POSTGRES (e.g. `cargo xtask with-postgres cargo test -p tracecode-registry`)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[&str]) -> Result<()> {
    shell::enter_workspace_root()?;
    setup::use_npm_tools()?;
    match args {
        ["demo", rest @ ..] => demo::run(rest),
        ["test"] => test(),
        ["test", "browser"] => browser::run_tests(),
        ["test", "e2e"] => {
            setup::ensure_web_tools()?;
            shell::trunk_release_build()?;
            browser::run_end_to_end()
        }
        ["bench", area, rest @ ..] => bench::run(area, rest),
        ["setup"] => setup::ensure_web_tools(),
        ["precompress", rest @ ..] => precompress::run(rest),
        ["with-postgres", program, args @ ..] => with_postgres(program, args),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command {:?}\n{USAGE}", args.join(" ")),
    }
}

/// Runs one command beside a fresh PostgreSQL server, then stops the server.
fn with_postgres(program: &str, args: &[&str]) -> Result<()> {
    let postgres = postgres::TestPostgres::start()?;
    let result = shell::run_with(
        std::process::Command::new(program)
            .args(args)
            .env(POSTGRES_ENV, &postgres.url)
            .env(POSTGRES_CA_ENV, &postgres.ca),
    );
    drop(postgres);
    result
}

/// Where the registry's tests find their PostgreSQL server.
const POSTGRES_ENV: &str = "TRACECODE_TEST_POSTGRES";
/// The certificate authority of that server's TLS certificate.
const POSTGRES_CA_ENV: &str = "TRACECODE_TEST_POSTGRES_CA";

/// Everything CI checks, in the order that fails fastest.
fn test() -> Result<()> {
    // Trunk and the wasm-bindgen CLI (if missing) build while ours compile; the browser steps
    // wait for them.
    let installs = setup::start_web_tools()?;
    shell::step("format", "cargo", &["fmt", "--all", "--check"])?;
    shell::step(
        "clippy (native)",
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    shell::step(
        "clippy (web app, wasm32)",
        "cargo",
        &[
            "clippy",
            "--package",
            "tracecode-web",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    shell::step(
        "compile the tests",
        "cargo",
        &["test", "--workspace", "--locked", "--no-run"],
    )?;
    // Tests run with both cores to themselves: some of them count time.
    if installs.pending() {
        // Trunk would build these itself; meanwhile the tools are still compiling.
        shell::prebuild_web_wasm()?;
        shell::timed("wait for the tools", "cargo install", || installs.finish())?;
    }
    // The registry's suite runs on SQLite and on this real PostgreSQL server.
    let postgres = postgres::TestPostgres::start()?;
    std::env::set_var(POSTGRES_ENV, &postgres.url);
    std::env::set_var(POSTGRES_CA_ENV, &postgres.ca);
    shell::test_step(
        "tests",
        std::process::Command::new("cargo").args([
            "test",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ]),
    )?;
    drop(postgres);
    shell::step(
        "core and scanner build for wasm32",
        "cargo",
        &[
            "build",
            "--package",
            "tracecode-core",
            "--package",
            "tracecode-scan",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
        ],
    )?;
    browser::run_tests()?;
    shell::trunk_release_build()?;
    browser::run_end_to_end()?;
    println!("xtask test: all checks passed");
    Ok(())
}
