//! Sign-then-verify for every algorithm, through every key format.

use std::sync::Arc;
use tessera_jose::{Algorithm, Claims, FixedClock, SigningKey, Validator, VerifyingKey, jwt};

const NOW: i64 = 1_800_000_000;

fn claims() -> Claims {
    Claims::new()
        .with_issuer("https://issuer.test")
        .with_subject("user-1")
        .with_audience("api")
        .with_issued_at(NOW)
        .with_expiry(NOW + 900)
}

fn validator() -> Validator {
    Validator::builder()
        .issuer("https://issuer.test")
        .audience("api")
        .clock(Arc::new(FixedClock(NOW)))
        .build()
}

#[test]
fn every_algorithm_round_trips_through_jwk_and_pem() {
    for alg in Algorithm::ALL {
        let key = SigningKey::generate(alg).expect("generate");
        let token = jwt::sign(&claims(), &key).expect("sign");
        let verifying = key.verifying_key().expect("public half");
        let token_data = validator().verify(&token, &verifying).expect("verify");
        assert_eq!(token_data.claims, claims(), "{alg}");

        let from_jwk = VerifyingKey::from_jwk(&verifying.to_jwk(), None).expect("jwk");
        validator()
            .verify(&token, &from_jwk)
            .expect("verify via jwk");
        let private_again = SigningKey::from_jwk(&key.to_jwk(), None).expect("private jwk");
        assert_eq!(private_again.kid(), key.kid());

        if !alg.is_symmetric() {
            let pem = verifying.to_pem().expect("spki");
            let from_pem = VerifyingKey::from_pem(&pem, Some(alg)).expect("pem");
            validator()
                .verify(&token, &from_pem)
                .expect("verify via pem");
            let private_pem = key.to_pem().expect("pkcs8");
            let reloaded = SigningKey::from_pem(&private_pem, Some(alg)).expect("pkcs8 back");
            assert_eq!(
                reloaded.kid(),
                key.kid(),
                "{alg}: thumbprint kid survives PEM"
            );
        }
    }
}
