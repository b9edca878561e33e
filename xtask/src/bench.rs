//! `cargo xtask bench <area>`: run a benchmark and print the figure lines its issue names.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::shell;

pub(crate) fn run(area: &str, args: &[&str]) -> Result<()> {
    match (area, args) {
        ("core", []) => core(),
        _ => bail!("unknown benchmark {area:?} (known: core)"),
    }
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
