//! JWE decryption and DPoP proof checks: tessera-jose against the bare aws-lc-rs floor, and
//! tessera-jose's JWE decryption against jwt-simple's on every pair both support (what each
//! side does: `jwe_fixtures.rs`).
//!
//! Floor groups: `RSA-OAEP-256+A256GCM-decrypt` and `ECDH-ES+A256KW+A256GCM-decrypt`
//! (functions `tessera` and `floor`), and `DPoP-ES256-check` (`tessera`:
//! `dpop::Checker::check`; `floor`: one ES256 signature verification).
//!
//! jwt-simple groups, `<pair> decrypt+claims` (functions `tessera` and `jwt-simple`), one
//! token per pair made by jwt-simple, decrypted, its claims deserialized and its times
//! checked on both sides: `RSA-OAEP+A256GCM`, `A256KW+A256GCM`, `A128KW+A128GCM`,
//! `ECDH-ES+A256KW(P-256)+A256GCM`, `ECDH-ES+A128KW(P-256)+A128GCM` and
//! `ECDH-ES+A256KW(X25519)+A256GCM`. jwt-simple has no RSA-OAEP-256 and no DPoP; jsonwebtoken
//! (12) has neither JWE nor DPoP, so it has no rows here. `examples/jwe_paired.rs` measures the
//! same pairs interleaved, which holds up better on a busy machine.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "jwe_fixtures.rs"]
mod jwe_fixtures;

use jwe_fixtures::{Dpop, Ecdh, Peer, Rsa};

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

    for pair in Peer::all() {
        let mut group = c.benchmark_group(format!("{} decrypt+claims", pair.name));
        group.bench_function("tessera", |b| b.iter(|| pair.tessera()));
        group.bench_function("jwt-simple", |b| b.iter(|| pair.jwt_simple()));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
