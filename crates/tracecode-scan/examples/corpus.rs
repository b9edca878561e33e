//! `cargo xtask bench scan [--corpus DIR]`: decode rates and times on a photographed corpus,
//! for tracecode-scan and, on the same images, plain rqrr.
//!
//! Prints, per set: `decode-rate SET OK/TOTAL`, `decode-ms SET median X p95 Y`, and
//! `peer-decode-rate rqrr SET OK/TOTAL`; then `decode-rate overall OK/TOTAL` and the same for
//! rqrr. With `--per-image FILE` it also writes one TSV line per image (set, file, category,
//! expected, ours, rqrr, ms), for finding what fails.
//!
//! Usage: `corpus [DIR] [--per-image FILE]`.

#[path = "../tests/corpus/mod.rs"]
mod corpus;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use tracecode_scan::{scan, Frame};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut dir = corpus::default_dir();
    let mut per_image = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--per-image" => {
                per_image = Some(PathBuf::from(args.next().ok_or("--per-image FILE")?))
            }
            other => dir = PathBuf::from(other),
        }
    }
    let sets = corpus::load(&dir)?;
    if sets.is_empty() {
        return Err(format!(
            "no sets (folders with manifest.tsv) in {}",
            dir.display()
        ));
    }
    let mut log = match &per_image {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let (mut ours_total, mut rqrr_total, mut codes_total) = (0, 0, 0);
    let (mut panics, mut peer_panics) = (0, 0);
    // The panics counted above print their own line; the default hook's would be noise.
    std::panic::set_hook(Box::new(|_| {}));
    let mut lines = Vec::new();
    for set in &sets {
        let (mut ours, mut plain) = (0, 0);
        let mut times = Vec::new();
        for sample in &set.samples {
            let (w, h, pixels) = corpus::luma(&sample.path)?;
            let frame = Frame::luma(&pixels, w, h, w).map_err(|e| e.to_string())?;
            let started = Instant::now();
            // Panics are counted, not hidden: the library must have none (on wasm a panic
            // aborts the page); the peer's are its own.
            let found: Vec<Vec<u8>> = std::panic::catch_unwind(|| scan(&frame))
                .unwrap_or_else(|_| {
                    panics += 1;
                    eprintln!("tracecode-scan panicked on {}", sample.path.display());
                    Vec::new()
                })
                .into_iter()
                .map(|d| d.bytes)
                .collect();
            let ms = started.elapsed().as_secs_f64() * 1e3;
            times.push(ms);
            let ours_here = corpus::matched(&sample.expected, &found);
            let plain_found = std::panic::catch_unwind(|| plain_rqrr(w, h, &pixels))
                .unwrap_or_else(|_| {
                    peer_panics += 1;
                    Vec::new()
                });
            let rqrr_here = corpus::matched(&sample.expected, &plain_found);
            ours += ours_here;
            plain += rqrr_here;
            if let Some(log) = &mut log {
                let _ = writeln!(
                    log,
                    "{}\t{}\t{}\t{}\t{ours_here}\t{rqrr_here}\t{ms:.1}",
                    set.name,
                    sample
                        .path
                        .strip_prefix(&dir)
                        .unwrap_or(&sample.path)
                        .display(),
                    sample.category,
                    sample.expected.len()
                );
            }
        }
        times.sort_by(f64::total_cmp);
        let codes = set.codes();
        lines.push(format!("decode-rate {} {ours}/{codes}", set.name));
        lines.push(format!(
            "decode-ms {} median {:.1} p95 {:.1}",
            set.name,
            times[times.len() / 2],
            times[(times.len() * 95 / 100).min(times.len() - 1)]
        ));
        lines.push(format!(
            "peer-decode-rate rqrr {} {plain}/{codes}",
            set.name
        ));
        ours_total += ours;
        rqrr_total += plain;
        codes_total += codes;
        eprintln!("{}: {ours}/{codes} (rqrr {plain})", set.name);
    }
    println!("\nscan benchmark figures ({}):", dir.display());
    for line in lines {
        println!("{line}");
    }
    println!("decode-rate overall {ours_total}/{codes_total}");
    println!("peer-decode-rate rqrr overall {rqrr_total}/{codes_total}");
    println!("scan-panics {panics}");
    println!("peer-panics rqrr {peer_panics}");
    Ok(())
}

/// rqrr as its README shows it: its own preparation, every grid decoded.
fn plain_rqrr(w: usize, h: usize, pixels: &[u8]) -> Vec<Vec<u8>> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let mut bytes = Vec::new();
            grid.decode_to(&mut bytes).ok().map(|_| bytes)
        })
        .collect()
}
