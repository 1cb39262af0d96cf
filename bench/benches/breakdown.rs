//! Where tessera-jose spends its time above the floor, step by step, through its public API.
//!
//! Groups are `breakdown-<ALG>-<op>`. The JSON and base64 steps do not depend on the algorithm
//! (the header differs only in its `alg` string), so they are measured in the HS256 groups
//! only; the ES256 and EdDSA groups measure the layers around the signature primitive.
//!
//! verify = split + header (base64, strict JSON) + signature base64 + key check + payload
//!          base64, then `Claims::from_json`, `validate_claims`, and dropping the token.
//! sign   = `Claims::to_json` + base64 + key sign + base64 (`jwt::sign` uses the header each
//!          key encodes once; `jws::compact::sign` with an explicit header serializes it too).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value};
use tessera_bench::{AccessClaims, Fixture};
use tessera_jose::jws::{self, Header};
use tessera_jose::{Algorithm, Claims, Clock, SystemClock, b64, jwt};

fn verify_steps(c: &mut Criterion, f: &Fixture, detailed: bool) {
    let token = f.token.as_str();
    let mut parts = token.split('.');
    let (header_b64, payload_b64, signature_b64) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    let header_json = b64::decode(header_b64.as_bytes()).expect("header");
    let payload_json = b64::decode(payload_b64.as_bytes()).expect("payload");
    let claims = Claims::from_json(&payload_json).expect("claims");
    let key = &f.tessera_verifying;

    let mut g = c.benchmark_group(format!("breakdown-{}-verify", f.alg));
    g.bench_function("full: Validator::verify", |b| {
        b.iter(|| {
            f.tessera_validator
                .verify(black_box(token), key)
                .expect("verify")
        })
    });
    g.bench_function("full: Validator::verify_view", |b| {
        b.iter(|| {
            f.tessera_validator
                .verify_view(black_box(token), key)
                .expect("verify")
        })
    });
    g.bench_function("full: verify_view + deserialize (borrowed struct)", |b| {
        b.iter(|| f.tessera_verify(tessera_bench::TesseraVerify::Typed))
    });
    g.bench_function("jws::compact::verify (no claims)", |b| {
        b.iter(|| {
            jws::compact::verify(black_box(token), key, jws::compact::DEFAULT_MAX_LEN)
                .expect("verify")
        })
    });
    g.bench_function("VerifyingKey::verify", |b| {
        b.iter(|| {
            key.verify(black_box(&f.signing_input), black_box(&f.signature))
                .expect("verify")
        })
    });
    g.bench_function("floor", |b| {
        b.iter(|| {
            assert!(
                f.floor
                    .verify(black_box(&f.signing_input), black_box(&f.signature))
            )
        })
    });
    if detailed {
        g.bench_function("b64::decode header", |b| {
            b.iter(|| b64::decode(black_box(header_b64.as_bytes())))
        });
        g.bench_function("b64::decode payload", |b| {
            b.iter(|| b64::decode(black_box(payload_b64.as_bytes())))
        });
        g.bench_function("b64::decode signature", |b| {
            b.iter(|| b64::decode(black_box(signature_b64.as_bytes())))
        });
        g.bench_function("reference: base64-simd decode payload", |b| {
            b.iter(|| {
                base64_simd::URL_SAFE_NO_PAD
                    .decode_to_vec(black_box(payload_b64.as_bytes()))
                    .expect("base64")
            })
        });
        g.bench_function("serde_json header to Map (approx. Header::parse)", |b| {
            b.iter(|| serde_json::from_slice::<Map<String, Value>>(black_box(&header_json)))
        });
        g.bench_function("Claims::from_json", |b| {
            b.iter(|| Claims::from_json(black_box(&payload_json)).expect("claims"))
        });
        g.bench_function("reference: serde_json::from_slice to struct", |b| {
            b.iter(|| {
                serde_json::from_slice::<AccessClaims>(black_box(&payload_json)).expect("claims")
            })
        });
        g.bench_function(
            "reference: from_utf8 + serde_json::from_str to struct",
            |b| {
                b.iter(|| {
                    let text = std::str::from_utf8(black_box(&payload_json)).expect("utf-8");
                    serde_json::from_str::<AccessClaims>(text).expect("claims")
                })
            },
        );
        g.bench_function("Validator::validate_claims", |b| {
            b.iter(|| {
                f.tessera_validator
                    .validate_claims(black_box(&claims))
                    .expect("valid")
            })
        });
        g.bench_function("SystemClock::now", |b| b.iter(|| SystemClock.now()));
        g.bench_function("Claims clone+drop", |b| {
            b.iter(|| drop(black_box(claims.clone())))
        });
    }
    g.finish();
}

fn sign_steps(c: &mut Criterion, f: &Fixture, detailed: bool) {
    let payload = f.tessera_claims.to_json();
    let key = &f.tessera_signing;
    let header = Header::new(key.algorithm())
        .with_typ("JWT")
        .with_kid(key.kid());

    let mut g = c.benchmark_group(format!("breakdown-{}-sign", f.alg));
    g.bench_function("full: jwt::sign", |b| {
        b.iter(|| jwt::sign(black_box(&f.tessera_claims), key).expect("sign"))
    });
    g.bench_function("jws::compact::sign (explicit header, payload ready)", |b| {
        b.iter(|| jws::compact::sign(&header, black_box(payload.as_bytes()), key).expect("sign"))
    });
    g.bench_function("SigningKey::sign", |b| {
        b.iter(|| key.sign(black_box(&f.signing_input)).expect("sign"))
    });
    g.bench_function("floor", |b| {
        b.iter(|| f.floor.sign(black_box(&f.signing_input)))
    });
    if detailed {
        g.bench_function("Claims::to_json", |b| {
            b.iter(|| black_box(&f.tessera_claims).to_json())
        });
        g.bench_function("reference: serde_json struct to string", |b| {
            b.iter(|| serde_json::to_string(black_box(&f.jwt_claims)).expect("json"))
        });
        g.bench_function("reference: base64-simd encode payload", |b| {
            b.iter(|| base64_simd::URL_SAFE_NO_PAD.encode_to_string(black_box(payload.as_bytes())))
        });
        g.bench_function("Header::new+typ+kid", |b| {
            b.iter(|| {
                Header::new(black_box(key.algorithm()))
                    .with_typ("JWT")
                    .with_kid(key.kid())
            })
        });
        g.bench_function("b64::encode payload", |b| {
            b.iter(|| b64::encode(black_box(payload.as_bytes())))
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    for alg in [Algorithm::HS256, Algorithm::ES256, Algorithm::EdDSA] {
        let f = Fixture::new(alg);
        let detailed = alg == Algorithm::HS256;
        verify_steps(c, &f, detailed);
        sign_steps(c, &f, detailed);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
