//! `cargo xtask bench web` (after `trunk build --release`): the web app's budgets.
//!
//! - `bundle-brotli-bytes`: what a first visit downloads (the page's wasm, JS, CSS and
//!   loader), brotli quality 11; `scan-worker-brotli-bytes`: the scanner, fetched when the
//!   camera opens.
//! - `nav-to-verdict-ms`: a code URL opened as from a phone's camera, from navigation start to
//!   the verdict on screen (the app's `tracecode-verdict` performance mark), in a fresh
//!   Chromium profile (cold) and with the service worker installed (warm); `nav-to-online-ms`
//!   to the registry's answer on screen (`tracecode-online`).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tracecode_e2e::fixtures::{self, LOT};
use tracecode_e2e::world::{Page, World};

const RUNS: u64 = 7;

fn brotli_size(path: &Path) -> Result<usize> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(&bytes)?;
    }
    Ok(out.len())
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
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist");
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

    let units: Vec<(u64, &str)> = (0..2 * RUNS).map(|i| (3000 + i, LOT)).collect();
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

    println!("\nweb benchmark figures ({RUNS} runs each, median):");
    println!("bundle-brotli-bytes {first}");
    println!("scan-worker-brotli-bytes {worker}");
    println!("nav-to-verdict-ms cold {:.0}", median(&mut cold));
    println!("nav-to-verdict-ms warm-sw {:.0}", median(&mut warm));
    println!("nav-to-online-ms cold {:.0}", median(&mut cold_online));
    println!("nav-to-online-ms warm-sw {:.0}", median(&mut warm_online));
    Ok(())
}
