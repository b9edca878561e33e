//! `cargo xtask bench web` (after `trunk build --release`): the web app's budgets.
//!
//! - `bundle-brotli-bytes`: what a first visit downloads (the page's wasm, JS, CSS and
//!   loader) as the registry sends them: their `.br` (`cargo xtask precompress`, brotli quality
//!   11); `scan-worker-brotli-bytes`: the scanner, fetched when the
//!   camera opens.
//! - `nav-to-verdict-ms`: a code URL opened as from a phone's camera, from navigation start to
//!   the verdict on screen (the app's `tracecode-verdict` performance mark), in a fresh
//!   Chromium profile (cold) and with the service worker installed (warm); `nav-to-online-ms`
//!   to the registry's answer on screen (`tracecode-online`).
//! - `nav-to-verdict-ms cold-4g`, `nav-to-online-ms cold-4g`: the same cold, over an emulated
//!   4G network (ChromeDriver's network conditions: 9 Mbit/s down, 1.5 Mbit/s up, 60 ms added
//!   to each round trip).
//! - `decode-ms-per-frame`: the photographs of a corpus set (`boofcv-v3` of
//!   `../shared/qr-corpus`) scaled into 1280×720 frames, each decoded in the browser by the app's
//!   scan worker (the live scanner, within its per-frame budget) and by the npm package
//!   zxing-wasm, in the same page (`bench/decode.js`); median and 95th percentile per frame,
//!   and how many photos each read on the first frame (and ours within five frames, since the
//!   live scanner spreads its passes over consecutive frames).
//! - `lighthouse`: Lighthouse (npm `lighthouse`, its default mobile profile: simulated slow 4G
//!   and a 4× CPU slowdown) on a demo code URL, cold: its performance, accessibility and
//!   best-practices scores, and the largest contentful paint it estimates.

use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tracecode_e2e::fixtures::{self, LOT};
use tracecode_e2e::world::{Page, World};

#[path = "../../../tracecode-scan/tests/corpus/mod.rs"]
mod corpus;

const RUNS: u64 = 7;
/// The 4G of `nav-to-verdict-ms cold-4g`: round trip added, download and upload bits per second.
const FOUR_G: (u32, u64, u64) = (60, 9_000_000, 1_500_000);
/// The corpus set whose photographs become frames: real photos, every category of trouble.
const FRAME_SET: &str = "boofcv-v3";
/// Where `cargo xtask bench web` installs the npm package zxing-wasm.
const ZXING_DEFAULT: &str = "target/bench-web/node_modules/zxing-wasm";
/// Installed beside zxing-wasm by `cargo xtask bench web`.
const LIGHTHOUSE_DEFAULT: &str = "target/bench-web/node_modules/.bin/lighthouse";

/// The bytes the registry sends for `path` to a browser that takes brotli: its precompressed
/// `.br` (`cargo xtask precompress`), checked to decode to the file itself.
fn brotli_size(path: &Path) -> Result<usize> {
    let file = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut name = path.as_os_str().to_owned();
    name.push(".br");
    let compressed = std::fs::read(&name).with_context(|| {
        format!(
            "cannot read {} (`cargo xtask precompress` writes it)",
            Path::new(&name).display()
        )
    })?;
    let mut decoded = Vec::new();
    brotli::Decompressor::new(compressed.as_slice(), 4096).read_to_end(&mut decoded)?;
    if decoded != file {
        bail!(
            "{} does not decode to {}: run `cargo xtask precompress` again",
            Path::new(&name).display(),
            path.display()
        );
    }
    Ok(compressed.len())
}

/// The files a first visit loads: what index.html names, and the loader.
fn first_visit_files(dist: &Path) -> Result<Vec<String>> {
    let html = std::fs::read_to_string(dist.join("index.html"))?;
    let mut files = Vec::new();
    for attribute in ["href=\"/", "src=\"/", "data-js=\"/", "data-wasm=\"/"] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let name = &rest[..rest.find('"').unwrap_or(0)];
            if name.ends_with(".js") || name.ends_with(".wasm") || name.ends_with(".css") {
                files.push(name.to_owned());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Milliseconds from navigation start to a performance mark, waiting for it.
async fn mark(page: &Page, name: &str) -> Result<f64> {
    for _ in 0..300 {
        let value = page
            .client
            .execute(
                "const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null;",
                vec![Value::from(name)],
            )
            .await?;
        if let Some(ms) = value.as_f64() {
            return Ok(ms);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("no {name} mark within 6 s")
}

fn median(values: &mut [f64]) -> f64 {
    percentile(values, 50)
}

fn percentile(values: &mut [f64], p: usize) -> f64 {
    values.sort_by(f64::total_cmp);
    values[(values.len() * p / 100).min(values.len() - 1)]
}

/// A copy of the built app with the decode benchmark beside it: its page and script, zxing-wasm,
/// and the frames' photographs with what each holds (`frames/list.json`).
fn decode_bench_app(dist: &Path, corpus_dir: &Path, zxing: &Path) -> Result<tempfile::TempDir> {
    let app = tempfile::tempdir()?;
    tracecode_e2e::world::copy_files(dist, app.path())?;
    std::fs::write(
        app.path().join("bench-decode.html"),
        include_str!("../../bench/decode.html"),
    )?;
    std::fs::write(
        app.path().join("bench-decode.js"),
        include_str!("../../bench/decode.js"),
    )?;
    let zxing_dir = app.path().join("zxing");
    std::fs::create_dir(&zxing_dir)?;
    for (from, to) in [
        ("dist/iife/reader/index.js", "reader.js"),
        ("dist/reader/zxing_reader.wasm", "zxing_reader.wasm"),
    ] {
        std::fs::copy(zxing.join(from), zxing_dir.join(to)).with_context(|| {
            format!(
                "no zxing-wasm at {} (`cargo xtask bench web` installs it)",
                zxing.display()
            )
        })?;
    }
    let sets = corpus::load(corpus_dir).map_err(anyhow::Error::msg)?;
    let set = sets
        .iter()
        .find(|s| s.name == FRAME_SET)
        .with_context(|| format!("no set {FRAME_SET} in {}", corpus_dir.display()))?;
    let frames_dir = app.path().join("frames");
    std::fs::create_dir(&frames_dir)?;
    let mut list = Vec::new();
    for (i, sample) in set.samples.iter().enumerate() {
        let extension = sample
            .path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("img");
        let name = format!("{i}.{extension}");
        std::fs::copy(&sample.path, frames_dir.join(&name))?;
        let expected: Vec<String> = sample
            .expected
            .iter()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .collect();
        list.push(serde_json::json!({"file": format!("/frames/{name}"), "expected": expected}));
    }
    std::fs::write(frames_dir.join("list.json"), Value::from(list).to_string())?;
    Ok(app)
}

/// Decode times per frame, ours and zxing-wasm's: runs `bench/decode.js` and reads its result.
async fn decode_times(app: &Path) -> Result<Value> {
    let world = World::start_serving(&[], 0, app.to_path_buf()).await?;
    let page = world.browser("bench-decode", None, "en-US").await?;
    page.open("/bench-decode.html").await?;
    // Two passes over a hundred frames, twice: minutes at most on a slow machine.
    for _ in 0..6000 {
        let result = page
            .client
            .execute("return window.benchResult ?? null;", vec![])
            .await?;
        if !result.is_null() {
            page.close().await?;
            if let Some(error) = result.get("error") {
                bail!("the decode benchmark failed in the browser: {error}");
            }
            return Ok(result);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the decode benchmark did not finish within 10 minutes")
}

/// One decoder's line: median and 95th percentile ms per frame, frames read.
fn decode_line(name: &str, result: &Value, frames: u64, frames_per_photo: u64) -> Result<f64> {
    let mut ms: Vec<f64> = result["ms"]
        .as_array()
        .context("no times")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if ms.is_empty() {
        bail!("{name}: no frame times");
    }
    let median = median(&mut ms);
    let within = match result["decodedWithin"].as_u64() {
        Some(n) => format!(" read-within-{frames_per_photo}-frames {n}/{frames}"),
        None => String::new(),
    };
    println!(
        "decode-ms-per-frame {name} median {median:.1} p95 {:.1} read-first-frame {}/{frames}{within}",
        percentile(&mut ms, 95),
        result["decoded"].as_u64().unwrap_or(0)
    );
    Ok(median)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let dist = World::built_app();
    let mut first = 0;
    for file in first_visit_files(&dist)? {
        let size = brotli_size(&dist.join(&file))?;
        println!("  first visit: {file} {size} bytes brotli");
        first += size;
    }
    let mut worker = 0;
    for file in [
        "scan-worker_loader.js",
        "scan-worker.js",
        "scan-worker_bg.wasm",
    ] {
        worker += brotli_size(&dist.join(file))?;
    }

    // Units for the cold, warm and 4G runs, and one more for Lighthouse.
    let units: Vec<(u64, &str)> = (0..=3 * RUNS).map(|i| (3000 + i, LOT)).collect();
    let world = World::start(&units, 3000).await?;
    let (mut cold, mut cold_online) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let page = world.browser("bench-cold", None, "en-US").await?;
        page.open(fixtures::path_of(&fixtures::code(3000 + i, LOT)))
            .await?;
        cold.push(mark(&page, "tracecode-verdict").await?);
        cold_online.push(mark(&page, "tracecode-online").await?);
        page.close().await?;
    }
    let (mut warm, mut warm_online) = (Vec::new(), Vec::new());
    let page = world.browser("bench-warm", None, "en-US").await?;
    page.open("/").await?;
    page.wait_for_offline_ready().await?;
    for i in RUNS..2 * RUNS {
        page.open(fixtures::path_of(&fixtures::code(3000 + i, LOT)))
            .await?;
        warm.push(mark(&page, "tracecode-verdict").await?);
        warm_online.push(mark(&page, "tracecode-online").await?);
    }
    page.close().await?;
    let (mut cold_4g, mut cold_4g_online) = (Vec::new(), Vec::new());
    for i in 2 * RUNS..3 * RUNS {
        let page = world.browser("bench-cold-4g", None, "en-US").await?;
        let (latency, down, up) = FOUR_G;
        page.emulate_network(latency, down, up).await?;
        page.open(fixtures::path_of(&fixtures::code(3000 + i, LOT)))
            .await?;
        cold_4g.push(mark(&page, "tracecode-verdict").await?);
        cold_4g_online.push(mark(&page, "tracecode-online").await?);
        page.close().await?;
    }
    let lighthouse_url = format!(
        "{}{}",
        world.base,
        fixtures::path_of(&fixtures::code(3000 + 3 * RUNS, LOT))
    );
    let lighthouse = lighthouse(&lighthouse_url).await?;
    drop(world);

    let corpus_dir = std::env::var_os("TRACECODE_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(corpus::default_dir);
    let zxing = std::env::var_os("ZXING_WASM_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(ZXING_DEFAULT)
        });
    let app = decode_bench_app(&dist, &corpus_dir, &zxing)?;
    let decode = decode_times(app.path()).await?;
    let frames = decode["frames"].as_u64().unwrap_or(0);

    println!("\nweb benchmark figures ({RUNS} runs each, median):");
    println!("bundle-brotli-bytes {first}");
    println!("scan-worker-brotli-bytes {worker}");
    println!("nav-to-verdict-ms cold {:.0}", median(&mut cold));
    println!("nav-to-verdict-ms warm-sw {:.0}", median(&mut warm));
    println!("nav-to-online-ms cold {:.0}", median(&mut cold_online));
    println!("nav-to-online-ms warm-sw {:.0}", median(&mut warm_online));
    println!("nav-to-verdict-ms cold-4g {:.0}", median(&mut cold_4g));
    println!(
        "nav-to-online-ms cold-4g {:.0}",
        median(&mut cold_4g_online)
    );
    let per_photo = decode["framesPerPhoto"].as_u64().unwrap_or(1);
    println!(
        "decode photos {frames} from {FRAME_SET} as 1280x720 frames: tracecode {per_photo} frames each, zxing-wasm 2 passes"
    );
    let ours = decode_line("tracecode", &decode["ours"], frames, per_photo)?;
    let theirs = decode_line("zxing-wasm", &decode["zxing"], frames, per_photo)?;
    println!("decode-ms-ratio tracecode/zxing-wasm {:.2}", ours / theirs);
    let score = |category: &str| -> Result<u64> {
        let score = lighthouse["categories"][category]["score"]
            .as_f64()
            .with_context(|| format!("Lighthouse gave no {category} score"))?;
        Ok((score * 100.0).round() as u64)
    };
    println!(
        "lighthouse performance {} accessibility {} best-practices {}",
        score("performance")?,
        score("accessibility")?,
        score("best-practices")?
    );
    let lcp = lighthouse["audits"]["largest-contentful-paint"]["numericValue"]
        .as_f64()
        .context("Lighthouse gave no largest contentful paint")?;
    println!("lighthouse-lcp-ms {lcp:.0}");
    Ok(())
}

/// Lighthouse's report (JSON) of `url`, with its default mobile settings, in its own headless
/// Chromium (a fresh profile: a first visit).
async fn lighthouse(url: &str) -> Result<Value> {
    let program = std::env::var_os("LIGHTHOUSE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(LIGHTHOUSE_DEFAULT)
        });
    let report = tempfile::NamedTempFile::new()?;
    let output = tokio::process::Command::new(&program)
        .arg(url)
        .args([
            "--output=json",
            "--quiet",
            "--only-categories=performance,accessibility,best-practices",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ])
        .arg(format!("--output-path={}", report.path().display()))
        .env(
            "CHROME_PATH",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .output()
        .await
        .with_context(|| {
            format!(
                "cannot run {} (cargo xtask bench web installs it)",
                program.display()
            )
        })?;
    if !output.status.success() {
        bail!(
            "Lighthouse failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = std::fs::read_to_string(report.path())?;
    let report: Value = serde_json::from_str(&text).context("Lighthouse's report is not JSON")?;
    if let Some(error) = report["runtimeError"]["message"].as_str() {
        bail!("Lighthouse could not load {url}: {error}");
    }
    Ok(report)
}
