//! `cargo xtask bench scan [--corpus DIR]`: decode rates and times on a photographed corpus,
//! for tracecode-scan and, on the same images, plain rqrr.
//!
//! Prints, per set: `decode-rate SET OK/TOTAL`, `decode-ms SET median X p95 Y`, and
//! `peer-decode-rate rqrr SET OK/TOTAL`; then `decode-rate overall OK/TOTAL` and the same for
//! rqrr; then live mode (each image letterboxed into a 1280 × 720 frame and shown to a
//! [`LiveScanner`] for up to five frames of a 10 ms budget each): `live-decode-rate overall
//! OK/TOTAL` (read within five frames), `live-first-frame-rate overall OK/TOTAL` and
//! `live-ms 1280x720 median X p95 Y` (per frame); and the panics. With `--per-image FILE` it also writes one TSV line per image (set, file, category,
//! expected, ours, rqrr, ms), for finding what fails.
//!
//! Usage: `corpus [DIR] [--per-image FILE]`.

#[path = "../tests/corpus/mod.rs"]
mod corpus;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use tracecode_scan::{scan, Frame, LiveScanner};

/// Frames of one view a live scan gets (a sixth of a second at 30 frames a second).
const LIVE_FRAMES: usize = 5;

/// The per-frame budget given to the live scanner, in milliseconds.
const LIVE_BUDGET_MS: f64 = 10.0;

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
    let (mut live_found, mut live_first, mut live_times) = (0, 0, Vec::new());
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
            // Live mode: the image letterboxed into a 1280 × 720 camera frame, shown for up to
            // LIVE_FRAMES frames to one scanner (as a camera held still would), each frame
            // with the live budget; what any of them reads counts.
            let live = letterbox(w, h, &pixels);
            let live_frame = Frame::luma(&live, 1280, 720, 1280).map_err(|e| e.to_string())?;
            let mut scanner = LiveScanner::new();
            let mut live_codes: Vec<Vec<u8>> = Vec::new();
            for index in 0..LIVE_FRAMES {
                let clock_start = Instant::now();
                let clock = || clock_start.elapsed().as_secs_f64() * 1e3;
                let codes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    scanner.scan(&live_frame, clock, LIVE_BUDGET_MS)
                }))
                .unwrap_or_else(|_| {
                    panics += 1;
                    Vec::new()
                });
                live_times.push(clock_start.elapsed().as_secs_f64() * 1e3);
                for code in codes {
                    if !live_codes.contains(&code.bytes) {
                        live_codes.push(code.bytes);
                    }
                }
                let matched = corpus::matched(&sample.expected, &live_codes);
                if index == 0 {
                    live_first += matched;
                }
                if matched == sample.expected.len() {
                    break;
                }
            }
            live_found += corpus::matched(&sample.expected, &live_codes);
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
    live_times.sort_by(f64::total_cmp);
    println!("live-decode-rate overall {live_found}/{codes_total}");
    println!("live-first-frame-rate overall {live_first}/{codes_total}");
    println!(
        "live-ms 1280x720 median {:.1} p95 {:.1}",
        live_times[live_times.len() / 2],
        live_times[(live_times.len() * 95 / 100).min(live_times.len() - 1)]
    );
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

/// The image scaled to fit 1280 × 720 (nearest pixel, as a camera preview would hold it),
/// centred on white.
fn letterbox(w: usize, h: usize, pixels: &[u8]) -> Vec<u8> {
    let scale = (1280.0 / w as f64).min(720.0 / h as f64);
    let (sw, sh) = (
        ((w as f64 * scale) as usize).clamp(1, 1280),
        ((h as f64 * scale) as usize).clamp(1, 720),
    );
    let (ox, oy) = ((1280 - sw) / 2, (720 - sh) / 2);
    let mut out = vec![255u8; 1280 * 720];
    for y in 0..sh {
        let sy = ((y as f64 / scale) as usize).min(h - 1);
        for x in 0..sw {
            let sx = ((x as f64 / scale) as usize).min(w - 1);
            out[(oy + y) * 1280 + ox + x] = pixels[sy * w + sx];
        }
    }
    out
}
