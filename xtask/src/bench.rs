//! `cargo xtask bench <area>`: run a benchmark and print the figure lines its issue names.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::shell;

pub(crate) fn run(area: &str, args: &[&str]) -> Result<()> {
    match (area, args) {
        ("core", []) => core(),
        ("issue", []) => issue(),
        ("registry", []) => registry(),
        ("scan", []) => scan("../shared/qr-corpus"),
        ("scan", ["--corpus", dir]) => scan(dir),
        ("web", []) => web(),
        _ => bail!(
            "unknown benchmark {area:?} {args:?} (known: core, issue, registry, scan [--corpus DIR], web)"
        ),
    }
}

/// The web app's budgets: the release build's transfer size and navigation-to-verdict times
/// in headless Chromium against a real registry (crates/tracecode-e2e/src/bin/web_bench.rs).
fn web() -> Result<()> {
    crate::setup::ensure_web_tools()?;
    crate::browser::ensure_chromium()?;
    ensure_zxing_wasm()?;
    shell::trunk_release_build()?;
    shell::step(
        "web benchmark",
        "cargo",
        &[
            "run",
            "--release",
            "--locked",
            "--package",
            "tracecode-e2e",
            "--bin",
            "web-bench",
        ],
    )
}

/// The npm package the in-browser decode time is compared with, pinned; installed where
/// web_bench.rs looks for it, with Lighthouse (the last release that runs on Node 20).
const ZXING_WASM_VERSION: &str = "3.1.4";
const LIGHTHOUSE_VERSION: &str = "12.8.2";
const ZXING_WASM_PREFIX: &str = "target/bench-web";

fn ensure_zxing_wasm() -> Result<()> {
    let installed = |package: &str, version: &str| {
        let manifest = Path::new(ZXING_WASM_PREFIX)
            .join("node_modules")
            .join(package)
            .join("package.json");
        std::fs::read_to_string(&manifest)
            .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")))
    };
    if installed("zxing-wasm", ZXING_WASM_VERSION) && installed("lighthouse", LIGHTHOUSE_VERSION) {
        return Ok(());
    }
    std::fs::create_dir_all(ZXING_WASM_PREFIX)?;
    shell::step(
        "install zxing-wasm and Lighthouse from npm",
        "npm",
        &[
            "install",
            "--prefix",
            ZXING_WASM_PREFIX,
            "--no-audit",
            "--no-fund",
            &format!("zxing-wasm@{ZXING_WASM_VERSION}"),
            &format!("lighthouse@{LIGHTHOUSE_VERSION}"),
        ],
    )
}

/// Criterion benchmarks of the core, reported per code from Criterion's median estimates.
fn core() -> Result<()> {
    shell::step(
        "core benchmarks",
        "cargo",
        &[
            "bench",
            "--package",
            "tracecode-core",
            "--bench",
            "core",
            "--locked",
            "--",
            "--noplot",
        ],
    )?;
    println!("\ncore benchmark figures (median of Criterion's samples, one core):");
    let mut figures = Vec::new();
    for (label, id) in [
        ("core-parse", "parse"),
        ("core-verify", "verify"),
        ("core-verify-text", "verify_text"),
        ("core-sign", "sign"),
        ("core-build-url", "build_url"),
        ("core-trust-list-verify", "trust_list_verify"),
    ] {
        let ns = median_ns(&Path::new("target/criterion/core").join(id))?;
        figures.push((label, ns));
        println!("{label} ns/code {ns:.0}");
    }
    let get = |name| {
        figures
            .iter()
            .find(|f| f.0 == name)
            .map_or(f64::NAN, |f| f.1)
    };
    println!("core-verify per-second {:.0}", 1e9 / get("core-verify"));
    println!("core-sign per-second {:.0}", 1e9 / get("core-sign"));
    println!(
        "core-parse-share-of-verify-text {:.3}",
        get("core-parse") / get("core-verify-text")
    );
    Ok(())
}

fn median_ns(dir: &Path) -> Result<f64> {
    let path = dir.join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    json["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("{} has no median", path.display()))
}

/// Issuing throughput against the raw signing ceiling, and memory for a million-code batch.
fn issue() -> Result<()> {
    shell::step(
        "build the CLI (release)",
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "--package",
            "tracecode-cli",
            "--bin",
            "tracecode",
            "--example",
            "sign_limit",
        ],
    )?;
    let work = Path::new("target/bench-issue");
    // ext4 slows inode allocation for minutes after mass deletions, which would halve the SVG
    // figure: an earlier run's files are moved aside now and deleted after measuring.
    let stale = Path::new("target/bench-issue.stale");
    if work.exists() {
        let _ = std::fs::remove_dir_all(stale);
        std::fs::rename(work, stale)?;
    }
    std::fs::create_dir_all(work)?;
    let cli = std::fs::canonicalize("target/release/tracecode")?;
    let tracecode = |args: &[&str]| -> Result<String> {
        let out = std::process::Command::new(&cli)
            .current_dir(work)
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "tracecode {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    tracecode(&["keygen", "--name", "issuer"])?;
    let batch = |name: &str, count: u64| -> Result<()> {
        let text = format!("gtin,lot,production_day,region,count\n06901234567892,L2611A,2026-11-02,310000,{count}\n");
        Ok(std::fs::write(work.join(name), text)?)
    };
    let issue = |name: &str, out: &str, extra: &[&str]| -> Result<(f64, u64)> {
        let mut args = vec![
            "issue",
            name,
            "--key",
            "issuer.key",
            "--key-id",
            "1",
            "--host",
            "t.example.cn",
            "--out",
            out,
            "--stats",
        ];
        args.extend_from_slice(extra);
        let printed = tracecode(&args)?;
        let rate = figure(&printed, "codes in", "(", " codes/s")?;
        let rss = printed
            .lines()
            .find_map(|l| l.strip_prefix("peak-rss-kib "))
            .and_then(|v| v.trim().parse().ok())
            .context("no peak-rss-kib line")?;
        Ok((rate, rss))
    };

    let sign_limit =
        shell::output("target/release/examples/sign_limit", &[]).context("sign_limit failed")?;
    let sign_rate: f64 = sign_limit
        .trim()
        .strip_prefix("sign-limit sigs/s ")
        .and_then(|v| v.parse().ok())
        .context("unexpected sign_limit output")?;
    batch("urls.csv", 300_000)?;
    let (url_rate, _) = issue("urls.csv", "urls", &[])?;
    batch("svg.csv", 60_000)?;
    let (svg_rate, _) = issue("svg.csv", "svg", &["--svg"])?;
    // The same in memory, where it is available: what the CPU side costs without the disk.
    let memory = Path::new("/dev/shm");
    let svg_memory_rate = if memory.is_dir() {
        let out = memory.join(format!("tracecode-bench-{}", std::process::id()));
        let rate = issue("svg.csv", out.to_str().context("path")?, &["--svg"]);
        let _ = std::fs::remove_dir_all(&out);
        Some(rate?.0)
    } else {
        None
    };
    batch("small.csv", 100_000)?;
    let (_, small_rss) = issue("small.csv", "small", &["--registry"])?;
    batch("million.csv", 1_000_000)?;
    let (million_rate, million_rss) = issue("million.csv", "million", &["--registry"])?;

    println!("\nissue benchmark figures (2 cores; same run):");
    println!("issue-rate urls/s {url_rate:.0}");
    println!("sign-limit sigs/s {sign_rate:.0}");
    println!("issue-rate svg/s {svg_rate:.0}");
    if let Some(rate) = svg_memory_rate {
        println!("issue-rate svg-in-memory/s {rate:.0}");
    }
    println!("issue-urls-share-of-sign-limit {:.3}", url_rate / sign_rate);
    println!("issue-million urls/s {million_rate:.0}");
    println!("issue-peak-rss-kib 100000 {small_rss}");
    println!("issue-peak-rss-kib 1000000 {million_rss}");
    let _ = std::fs::remove_dir_all(work);
    let _ = std::fs::remove_dir_all(stale);
    Ok(())
}

/// Loopback load on the registry against a trivial axum route, the kill -9 crash test
/// (`crates/tracecode-registry/examples/load.rs`), and the recall scope of a raw-material lot
/// feeding 10 000 000 units (`examples/scope.rs`, database kept in `target/bench-registry`).
fn registry() -> Result<()> {
    shell::step(
        "build the registry (release)",
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "--package",
            "tracecode-registry",
            "--bin",
            "tracecode-registry",
            "--example",
            "load",
            "--example",
            "scope",
        ],
    )?;
    shell::step(
        "registry load and crash test",
        "target/release/examples/load",
        &["target/release/tracecode-registry"],
    )?;
    shell::step(
        "recall scope over 10 000 000 units",
        "target/release/examples/scope",
        &["target/bench-registry"],
    )
}

/// The number between `after` and `unit` on the line containing `marker`.
fn figure(text: &str, marker: &str, after: &str, unit: &str) -> Result<f64> {
    let line = text
        .lines()
        .find(|l| l.contains(marker))
        .with_context(|| format!("no {marker:?} line in {text:?}"))?;
    let start = line.rfind(after).context("figure start")? + after.len();
    let end = line[start..].find(unit).context("figure end")? + start;
    line[start..end]
        .trim()
        .parse()
        .with_context(|| format!("not a number in {line:?}"))
}

/// Decode rates on a photographed corpus: tracecode-scan and plain rqrr
/// (`crates/tracecode-scan/examples/corpus.rs`), then the peers on the same images
/// (`crates/tracecode-scan/bench/peers.py`: zxing-cpp, ZBar, OpenCV) from a Python
/// virtual environment in `target/scan-peers`.
fn scan(corpus: &str) -> Result<()> {
    if !Path::new(corpus).join(".").is_dir() {
        bail!("no corpus at {corpus} (expected set folders with manifest.tsv)");
    }
    shell::step(
        "build the corpus benchmark (release)",
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "--package",
            "tracecode-scan",
            "--example",
            "corpus",
        ],
    )?;
    shell::step(
        "tracecode-scan and plain rqrr",
        "target/release/examples/corpus",
        &[corpus, "--per-image", "target/scan-per-image.tsv"],
    )?;
    let python = ensure_peers()?;
    shell::step(
        "peers: zxing-cpp, ZBar, OpenCV",
        &python,
        &["crates/tracecode-scan/bench/peers.py", corpus],
    )
}

/// The peers' virtual environment (PyPI zxing-cpp, opencv-python-headless, pyzbar) and
/// ZBar's library (Debian libzbar0), installed when missing.
fn ensure_peers() -> Result<String> {
    let venv = Path::new("target/scan-peers");
    let python = venv.join("bin/python");
    let python_str = python.to_string_lossy().into_owned();
    let ready = std::process::Command::new(&python)
        .args(["-c", "import zxingcpp, cv2, pyzbar.pyzbar, PIL"])
        .output()
        .is_ok_and(|out| out.status.success());
    if ready {
        return Ok(python_str);
    }
    if !Path::new("/usr/lib/x86_64-linux-gnu/libzbar.so.0").exists()
        && !Path::new("/usr/lib/aarch64-linux-gnu/libzbar.so.0").exists()
    {
        shell::step(
            "ZBar (Debian libzbar0)",
            "apt-get",
            &["install", "-y", "-q", "libzbar0"],
        )?;
    }
    shell::step(
        "Python environment",
        "python3",
        &["-m", "venv", "target/scan-peers"],
    )?;
    shell::step(
        "peer decoders from PyPI",
        &venv.join("bin/pip").to_string_lossy(),
        &[
            "install",
            "-q",
            "zxing-cpp==3.1.*",
            "opencv-python-headless",
            "pyzbar",
            "pillow",
            "numpy",
        ],
    )?;
    Ok(python_str)
}
