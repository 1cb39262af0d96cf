//! JWE decryption and DPoP proof checks with tessera-jose against the bare aws-lc-rs floor
//! (what the floor does: `jwe_fixtures.rs`).
//!
//! Groups: `RSA-OAEP-256+A256GCM-decrypt` and `ECDH-ES+A256KW+A256GCM-decrypt` (functions
//! `tessera` and `floor`), and `DPoP-ES256-check` (`tessera`: `dpop::Checker::check`;
//! `floor`: one ES256 signature verification). jwt-simple (0.15) and jsonwebtoken (12) have
//! no JWE and no DPoP, so they have no rows here. `examples/jwe_paired.rs` measures the same
//! pairs interleaved, which holds up better on a busy machine.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "jwe_fixtures.rs"]
mod jwe_fixtures;

use jwe_fixtures::{Dpop, Ecdh, Rsa};

fn bench(c: &mut Criterion) {
    let rsa = Rsa::new();
    let mut group = c.benchmark_group("RSA-OAEP-256+A256GCM-decrypt");
    group.bench_function("tessera", |b| b.iter(|| rsa.tessera()));
    group.bench_function("floor", |b| b.iter(|| rsa.floor()));
    group.finish();

    let ecdh = Ecdh::new();
    let mut group = c.benchmark_group("ECDH-ES+A256KW+A256GCM-decrypt");
    group.bench_function("tessera", |b| b.iter(|| ecdh.tessera()));
    group.bench_function("floor", |b| b.iter(|| ecdh.floor()));
    group.finish();

    let dpop = Dpop::new();
    let mut group = c.benchmark_group("DPoP-ES256-check");
    group.bench_function("tessera", |b| b.iter(|| dpop.tessera()));
    group.bench_function("floor", |b| b.iter(|| dpop.floor()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
