//! Fixtures shared by `benches/jwe.rs` and `examples/jwe_paired.rs`: one JWE per case and
//! the same work done by tessera-jose and by the bare aws-lc-rs floor.
//!
//! The JWE floor is the work no decrypter can skip, on bytes decoded before the loop: the
//! RSA-OAEP private operation (or, for ECDH-ES+A256KW, parsing the ephemeral point, ECDH, the
//! Concat KDF and AES key unwrap) and the AES-256-GCM open. tessera-jose also splits and
//! decodes the five parts, parses the header strictly and checks the `epk`. The DPoP floor is
//! one ES256 signature verification with a key parsed once; tessera-jose's check also parses
//! the proof, the header's key (a point check) and the claims, and takes the thumbprint.

#![allow(dead_code, clippy::new_without_default)]

use std::hint::black_box;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, UnparsedPublicKey};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::key_wrap::{AES_256, KeyEncryptionKey, KeyWrap};
use aws_lc_rs::rsa::{
    KeyPairComponents, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey,
    PublicKeyComponents,
};
use aws_lc_rs::signature::{self as lc, ParsedPublicKey, RsaKeyPair};
use tessera_jose::jwe::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, KeyAlgorithm};
use tessera_jose::{Algorithm, SigningKey, b64, dpop};

/// A typical ID-token-sized payload: a signed JWT of about 480 bytes.
const PLAINTEXT: &[u8] = &[b'x'; 480];

/// The parts of a compact JWE, decoded (what the floor starts from).
struct Parts {
    aad: Vec<u8>,
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

impl Parts {
    fn of(token: &str) -> Self {
        let part = |index: usize| {
            let text = token.split('.').nth(index).expect("five parts");
            b64::decode(text.as_bytes()).expect("base64url")
        };
        Self {
            aad: token.split('.').next().expect("header").as_bytes().to_vec(),
            encrypted_key: part(1),
            iv: part(2),
            ciphertext: part(3),
            tag: part(4),
        }
    }

    /// The AES-256-GCM open that every decrypter does last.
    fn open(&self, cek: &[u8]) -> usize {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).expect("key"));
        let nonce = Nonce::try_assume_unique_for_key(&self.iv).expect("iv");
        let mut buffer = self.ciphertext.clone();
        key.open_in_place_separate_tag(nonce, Aad::from(&self.aad), &self.tag, &mut buffer)
            .expect("opens")
            .len()
    }
}

fn member(value: &Option<String>) -> Vec<u8> {
    b64::decode(value.as_deref().expect("member").as_bytes()).expect("base64url")
}

fn encrypted(key: &DecryptionKey) -> String {
    let public = key.encryption_key().expect("public");
    compact::encrypt(&public.header(ContentEncryption::A256Gcm), PLAINTEXT, &public)
        .expect("encrypt")
}

/// RSA-OAEP-256 + A256GCM.
pub struct Rsa {
    key: DecryptionKey,
    token: String,
    floor_key: OaepPrivateDecryptingKey,
    parts: Parts,
}

impl Rsa {
    pub fn new() -> Self {
        let key = DecryptionKey::generate(KeyAlgorithm::RsaOaep256, None, None).expect("key");
        let token = encrypted(&key);
        let jwk = key.to_jwk();
        let numbers: Vec<Vec<u8>> =
            [&jwk.n, &jwk.e, &jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi]
                .into_iter()
                .map(member)
                .collect();
        let pair = RsaKeyPair::from_components(&KeyPairComponents {
            public_key: PublicKeyComponents {
                n: &numbers[0][..],
                e: &numbers[1][..],
            },
            d: &numbers[2][..],
            p: &numbers[3][..],
            q: &numbers[4][..],
            dP: &numbers[5][..],
            dQ: &numbers[6][..],
            qInv: &numbers[7][..],
        })
        .expect("pair");
        let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&pair).expect("pkcs8");
        let floor_key = OaepPrivateDecryptingKey::new(
            PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).expect("private"),
        )
        .expect("oaep");
        let parts = Parts::of(&token);
        let fixture = Self {
            key,
            token,
            floor_key,
            parts,
        };
        assert_eq!(fixture.tessera(), PLAINTEXT.len());
        assert_eq!(fixture.floor(), PLAINTEXT.len());
        fixture
    }

    pub fn tessera(&self) -> usize {
        compact::decrypt(black_box(&self.token), &self.key, DEFAULT_MAX_LEN)
            .expect("decrypt")
            .plaintext
            .len()
    }

    pub fn floor(&self) -> usize {
        let mut cek = [0u8; 256];
        let cek = self
            .floor_key
            .decrypt(
                &OAEP_SHA256_MGF1SHA256,
                black_box(&self.parts.encrypted_key),
                &mut cek,
                None,
            )
            .expect("unwrap");
        self.parts.open(cek)
    }
}

fn concat_kdf(z: &[u8], alg: &str) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(&1u32.to_be_bytes());
    context.update(z);
    context.update(&(alg.len() as u32).to_be_bytes());
    context.update(alg.as_bytes());
    context.update(&0u32.to_be_bytes());
    context.update(&0u32.to_be_bytes());
    context.update(&256u32.to_be_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

/// ECDH-ES+A256KW (P-256) + A256GCM.
pub struct Ecdh {
    key: DecryptionKey,
    token: String,
    floor_key: agreement::PrivateKey,
    epk: Vec<u8>,
    parts: Parts,
}

impl Ecdh {
    pub fn new() -> Self {
        let key = DecryptionKey::generate(KeyAlgorithm::EcdhEsA256Kw, None, None).expect("key");
        let token = encrypted(&key);
        let jwk = key.to_jwk();
        let floor_key =
            agreement::PrivateKey::from_private_key(&ECDH_P256, &member(&jwk.d)).expect("key");
        let header: serde_json::Value = serde_json::from_slice(
            &b64::decode(token.split('.').next().expect("header").as_bytes()).expect("b64"),
        )
        .expect("header");
        let coordinate = |name: &str| {
            b64::decode(header["epk"][name].as_str().expect("coordinate").as_bytes())
                .expect("b64")
        };
        let epk = [vec![4u8], coordinate("x"), coordinate("y")].concat();
        let parts = Parts::of(&token);
        let fixture = Self {
            key,
            token,
            floor_key,
            epk,
            parts,
        };
        assert_eq!(fixture.tessera(), PLAINTEXT.len());
        assert_eq!(fixture.floor(), PLAINTEXT.len());
        fixture
    }

    pub fn tessera(&self) -> usize {
        compact::decrypt(black_box(&self.token), &self.key, DEFAULT_MAX_LEN)
            .expect("decrypt")
            .plaintext
            .len()
    }

    pub fn floor(&self) -> usize {
        let kek = agreement::agree(
            &self.floor_key,
            UnparsedPublicKey::new(&ECDH_P256, black_box(&self.epk)),
            (),
            |z| Ok(concat_kdf(z, "ECDH-ES+A256KW")),
        )
        .expect("agree");
        let mut cek = [0u8; 32];
        KeyEncryptionKey::new(&AES_256, &kek)
            .expect("kek")
            .unwrap(&self.parts.encrypted_key, &mut cek)
            .expect("unwrap");
        self.parts.open(&cek)
    }
}

/// A DPoP proof (ES256) at a token endpoint.
pub struct Dpop {
    checker: dpop::Checker,
    proof: String,
    floor_key: ParsedPublicKey,
    signed_len: usize,
    signature: Vec<u8>,
}

const URI: &str = "https://auth.example.com/oauth/token";

impl Dpop {
    pub fn new() -> Self {
        let key = SigningKey::generate(Algorithm::ES256).expect("key");
        let checker = dpop::Checker::builder()
            .algorithms([Algorithm::ES256])
            .max_age(std::time::Duration::from_secs(86_400))
            .build();
        let proof = dpop::proof(&key, "POST", URI).sign().expect("proof");
        let (signed, signature) = proof.rsplit_once('.').expect("three parts");
        let signature = b64::decode(signature.as_bytes()).expect("b64");
        let signed_len = signed.len();
        let jwk = key.verifying_key().expect("public").to_jwk();
        let point = [vec![4u8], member(&jwk.x), member(&jwk.y)].concat();
        let floor_key =
            ParsedPublicKey::new(&lc::ECDSA_P256_SHA256_FIXED, &point).expect("public key");
        let fixture = Self {
            checker,
            proof,
            floor_key,
            signed_len,
            signature,
        };
        assert_eq!(fixture.tessera(), 22);
        assert!(fixture.floor());
        fixture
    }

    /// The length of the checked proof's `jti` (22 characters: 128 bits, base64url).
    pub fn tessera(&self) -> usize {
        self.checker
            .check(
                &[black_box(self.proof.as_str())],
                &dpop::Expected::new("POST", URI),
            )
            .expect("valid")
            .jti
            .len()
    }

    pub fn floor(&self) -> bool {
        self.floor_key
            .verify_sig(
                black_box(&self.proof.as_bytes()[..self.signed_len]),
                &self.signature,
            )
            .is_ok()
    }
}
