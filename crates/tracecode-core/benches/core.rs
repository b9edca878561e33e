//! Per-code costs of the core: parse, verify, sign. Run with `cargo xtask bench core`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::vectors::{self, ISSUER_1_SEED, NOW};
use tracecode_core::{verify, verify_text, Code};

fn core(c: &mut Criterion) {
    let url = vectors::vectors()[0].text.clone();
    let code = Code::parse(&url).expect("the genuine vector parses");
    let trust = vectors::trust_list();
    let signed_list = vectors::signed_trust_list();
    let roots = [vectors::root_public_key()];
    let key = SigningKey::from_bytes(&ISSUER_1_SEED);

    let mut group = c.benchmark_group("core");
    group.bench_function("parse", |b| b.iter(|| Code::parse(black_box(&url))));
    group.bench_function("verify", |b| {
        b.iter(|| verify(black_box(&code), &trust, NOW))
    });
    group.bench_function("verify_text", |b| {
        b.iter(|| verify_text(black_box(&url), &trust, NOW))
    });
    group.bench_function("sign", |b| {
        b.iter(|| black_box(code.data.clone()).sign(code.host.clone(), &key))
    });
    group.bench_function("build_url", |b| b.iter(|| black_box(&code).url()));
    group.bench_function("trust_list_verify", |b| {
        b.iter(|| black_box(&signed_list).verify(&roots))
    });
    group.finish();
}

criterion_group!(benches, core);
criterion_main!(benches);
