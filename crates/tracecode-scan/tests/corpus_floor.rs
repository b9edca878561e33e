//! The photographed corpus in `../shared/qr-corpus`: the decode rate of every set may not fall
//! below what was measured when this floor was last raised (`cargo xtask bench scan` prints the
//! figures, with the peers'). No image may panic. Skips, saying so, when the corpus is absent.

mod corpus;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tracecode_scan::{scan, Frame};

/// Codes found per set, measured 2026-11-22 (`cargo xtask bench scan`).
const FLOORS: [(&str, usize); 5] = [
    ("boofcv-decoding", 26),
    ("boofcv-v3", 321),
    ("rqrr-tests", 13),
    ("zxing-blackbox", 162),
    ("zxingcpp-extra", 14),
];

#[test]
fn every_set_decodes_at_least_its_floor() {
    let dir = corpus::default_dir();
    if !dir.is_dir() {
        eprintln!(
            "skipped: no corpus at {} (the shared folder beside the repository)",
            dir.display()
        );
        return;
    }
    let sets = corpus::load(&dir).expect("the corpus manifests");
    let jobs: Vec<(usize, &corpus::Sample)> = sets
        .iter()
        .enumerate()
        .flat_map(|(i, set)| set.samples.iter().map(move |s| (i, s)))
        .collect();
    let next = AtomicUsize::new(0);
    let found = Mutex::new(vec![0usize; sets.len()]);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(&(set, sample)) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let (w, h, pixels) = corpus::luma(&sample.path).expect("a readable image");
                    let frame = Frame::luma(&pixels, w, h, w).expect("a valid frame");
                    let decoded: Vec<Vec<u8>> = scan(&frame).into_iter().map(|d| d.bytes).collect();
                    let matched = corpus::matched(&sample.expected, &decoded);
                    found.lock().expect("not poisoned")[set] += matched;
                }
            });
        }
    });
    let found = found.into_inner().expect("not poisoned");
    let mut failures = Vec::new();
    for (set, count) in sets.iter().zip(&found) {
        eprintln!("decode-rate {} {count}/{}", set.name, set.codes());
        if let Some((_, floor)) = FLOORS.iter().find(|(name, _)| *name == set.name) {
            if count < floor {
                failures.push(format!("{}: {count} < floor {floor}", set.name));
            }
        }
    }
    assert!(failures.is_empty(), "below the floor: {failures:?}");
}
