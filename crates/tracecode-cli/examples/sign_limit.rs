//! The raw Ed25519 signing ceiling on all cores: what `tracecode issue` is measured against.
//! Prints `sign-limit sigs/s N`. Run by `cargo xtask bench issue`.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use tracecode_core::ed25519_dalek::{Signer, SigningKey};

fn main() {
    let key = SigningKey::from_bytes(&[0x11; 32]);
    // Messages the size of a code's signed bytes (46 + a 6-character lot).
    let message = [0x5au8; 52];
    let budget = Duration::from_secs(3);
    let started = Instant::now();
    let mut signed = 0u64;
    while started.elapsed() < budget {
        signed += (0..20_000u64)
            .into_par_iter()
            .map(|i| {
                let mut m = message;
                m[..8].copy_from_slice(&i.to_be_bytes());
                std::hint::black_box(key.sign(&m));
                1
            })
            .sum::<u64>();
    }
    let rate = signed as f64 / started.elapsed().as_secs_f64();
    println!("sign-limit sigs/s {rate:.0}");
}
