//! Fixtures shared by `benches/jwe.rs` and `examples/jwe_paired.rs`: one JWE per case and
//! the same work done by tessera-jose and by the bare aws-lc-rs floor, or by tessera-jose and
//! jwt-simple.
//!
//! The JWE floor is the work no decrypter can skip, on bytes decoded before the loop: the
//! RSA-OAEP private operation (or, for ECDH-ES+A256KW, parsing the ephemeral point, ECDH, the
//! Concat KDF and AES key unwrap) and the AES-256-GCM open. tessera-jose also splits and
//! decodes the five parts, parses the header strictly and checks the `epk`. The DPoP floor is
//! one ES256 signature verification with a key parsed once; tessera-jose's check also parses
//! the proof, the header's key (a point check) and the claims, and takes the thumbprint.
//!
//! [`Peer`] is one token per pair that both tessera-jose and jwt-simple (0.15, `jwe` feature)
//! decrypt; see its documentation for what each side does.

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
use jwt_simple::prelude as js;
use serde::Deserialize;
use tessera_jose::jwe::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, KeyAlgorithm};
use tessera_jose::{Algorithm, Jwk, SigningKey, b64, dpop};

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
    compact::encrypt(
        &public.header(ContentEncryption::A256Gcm),
        PLAINTEXT,
        &public,
    )
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
        let numbers: Vec<Vec<u8>> = [
            &jwk.n, &jwk.e, &jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi,
        ]
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
            b64::decode(header["epk"][name].as_str().expect("coordinate").as_bytes()).expect("b64")
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

/// jwt-simple's decryption key for one pair.
enum PeerKey {
    RsaOaep(js::RsaOaepDecryptionKey),
    A256Kw(js::A256KWKey),
    A128Kw(js::A128KWKey),
    EcdhEsA256Kw(js::EcdhEsA256KWDecryptionKey),
    EcdhEsA128Kw(js::EcdhEsA128KWDecryptionKey),
    X25519EcdhEsA256Kw(js::X25519EcdhEsA256KWDecryptionKey),
}

/// The claims as tessera's side reads them: the registered claims jwt-simple's
/// `JWTClaims<NoCustomClaims>` has, with `aud` the single string the fixtures carry (jwt-simple
/// reads a string `aud` into a `String` too).
#[derive(Deserialize)]
struct PeerClaims {
    iat: Option<u64>,
    exp: Option<u64>,
    nbf: Option<u64>,
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<String>,
    jti: Option<String>,
    nonce: Option<String>,
}

/// jwt-simple's default clock tolerance, applied the same way on tessera's side.
const TOLERANCE: u64 = 900;

impl PeerClaims {
    /// jwt-simple's default time checks: `iat` and `nbf` not in the future, `exp` not past.
    fn check_times(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        self.iat.is_none_or(|iat| iat <= now + TOLERANCE)
            && self.nbf.is_none_or(|nbf| now + TOLERANCE >= nbf)
            && self
                .exp
                .is_none_or(|exp| now >= TOLERANCE && now - TOLERANCE <= exp)
    }
}

/// One pair that both tessera-jose and jwt-simple decrypt: ONE token, made by jwt-simple, with
/// a realistic claims set (`iss`, `sub`, `aud`, `jti`, `nonce`, and `iat`, `nbf` and `exp` one
/// hour ahead; no custom claims; about 250 bytes of JSON), so both sides decrypt exactly the
/// same bytes. The key is generated by one library and imported into the other: the RSA and
/// ECDH keys by jwt-simple, exported as a private JWK and read by tessera-jose's
/// `DecryptionKey::from_jwk`; the AES key wrap secrets by tessera-jose, whose JWK's `k` goes to
/// jwt-simple's `from_bytes` (jwt-simple has no `oct` JWK).
///
/// The same work on both sides. jwt-simple: `decrypt_token::<NoCustomClaims>(token, None)`,
/// which decrypts, deserializes the claims and checks `iat`, `nbf` and `exp` against the
/// current time (its defaults). tessera-jose: `jwe::compact::decrypt`, then `serde_json` into
/// [`PeerClaims`] (the same registered claims) and the same three time checks. Both return the
/// `sub`.
pub struct Peer {
    /// The pair's label, e.g. `RSA-OAEP+A256GCM`.
    pub name: &'static str,
    token: String,
    key: DecryptionKey,
    peer: PeerKey,
}

/// The claims in every pair's token.
fn peer_claims() -> js::JWTClaims<js::NoCustomClaims> {
    js::Claims::create(js::Duration::from_hours(1))
        .with_issuer("https://auth.example.com")
        .with_subject("user-2f6c9a1e-8d4b-4c3a-9e7f-1b5d0a6c4e28")
        .with_audience("https://api.example.com/orders")
        .with_jwt_id("c3a0f1d2-5b7e-4e19-8a4c-6d2f9b0e7a13")
        .with_nonce("n-0S6_WzA2Mj")
}

fn peer_options(enc: js::ContentEncryption) -> js::EncryptionOptions {
    js::EncryptionOptions {
        content_encryption: enc,
        ..Default::default()
    }
}

/// tessera-jose's key from jwt-simple's private JWK.
fn from_peer_jwk(jwk: &str, alg: KeyAlgorithm) -> DecryptionKey {
    let jwk: Jwk = serde_json::from_str(jwk).expect("jwk");
    DecryptionKey::from_jwk(&jwk, Some(alg)).expect("tessera imports the JWK")
}

/// A tessera-jose AES key wrap key and its secret's bytes (from its JWK's `k`).
fn kw_key(alg: KeyAlgorithm) -> (DecryptionKey, Vec<u8>) {
    let key = DecryptionKey::generate(alg, None, None).expect("key");
    let secret = member(&key.to_jwk().k);
    (key, secret)
}

impl Peer {
    /// Every pair, in a stable order.
    pub fn all() -> Vec<Self> {
        vec![
            Self::rsa_oaep(),
            Self::a256kw(),
            Self::a128kw(),
            Self::ecdh_es_a256kw_p256(),
            Self::ecdh_es_a128kw_p256(),
            Self::ecdh_es_a256kw_x25519(),
        ]
    }

    /// RSA-OAEP (SHA-1; jwt-simple has no RSA-OAEP-256) + A256GCM, a 2048-bit key.
    pub fn rsa_oaep() -> Self {
        let peer = js::RsaOaepDecryptionKey::generate(2048).expect("key");
        let key = from_peer_jwk(&peer.to_jwk(), KeyAlgorithm::RsaOaep);
        let token = peer
            .encryption_key()
            .encrypt_with_options(peer_claims(), &peer_options(js::ContentEncryption::A256GCM))
            .expect("encrypt");
        Self::checked("RSA-OAEP+A256GCM", token, key, PeerKey::RsaOaep(peer))
    }

    /// A256KW + A256GCM.
    pub fn a256kw() -> Self {
        let (key, secret) = kw_key(KeyAlgorithm::A256Kw);
        let peer = js::A256KWKey::from_bytes(&secret).expect("key");
        let token = peer
            .encrypt_with_options(peer_claims(), &peer_options(js::ContentEncryption::A256GCM))
            .expect("encrypt");
        Self::checked("A256KW+A256GCM", token, key, PeerKey::A256Kw(peer))
    }

    /// A128KW + A128GCM.
    pub fn a128kw() -> Self {
        let (key, secret) = kw_key(KeyAlgorithm::A128Kw);
        let peer = js::A128KWKey::from_bytes(&secret).expect("key");
        let token = peer
            .encrypt_with_options(peer_claims(), &peer_options(js::ContentEncryption::A128GCM))
            .expect("encrypt");
        Self::checked("A128KW+A128GCM", token, key, PeerKey::A128Kw(peer))
    }

    /// ECDH-ES+A256KW on P-256 + A256GCM.
    pub fn ecdh_es_a256kw_p256() -> Self {
        let peer = js::EcdhEsA256KWDecryptionKey::generate();
        let key = from_peer_jwk(&peer.to_jwk(), KeyAlgorithm::EcdhEsA256Kw);
        let token = peer
            .encryption_key()
            .encrypt_with_options(peer_claims(), &peer_options(js::ContentEncryption::A256GCM))
            .expect("encrypt");
        Self::checked(
            "ECDH-ES+A256KW(P-256)+A256GCM",
            token,
            key,
            PeerKey::EcdhEsA256Kw(peer),
        )
    }

    /// ECDH-ES+A128KW on P-256 + A128GCM.
    pub fn ecdh_es_a128kw_p256() -> Self {
        let peer = js::EcdhEsA128KWDecryptionKey::generate();
        let key = from_peer_jwk(&peer.to_jwk(), KeyAlgorithm::EcdhEsA128Kw);
        let token = peer
            .encryption_key()
            .encrypt_with_options(peer_claims(), &peer_options(js::ContentEncryption::A128GCM))
            .expect("encrypt");
        Self::checked(
            "ECDH-ES+A128KW(P-256)+A128GCM",
            token,
            key,
            PeerKey::EcdhEsA128Kw(peer),
        )
    }

    /// ECDH-ES+A256KW on X25519 + A256GCM.
    pub fn ecdh_es_a256kw_x25519() -> Self {
        let peer = js::X25519EcdhEsA256KWDecryptionKey::generate();
        let key = from_peer_jwk(&peer.to_jwk(), KeyAlgorithm::EcdhEsA256Kw);
        let token = peer
            .encryption_key()
            .encrypt_with_options(peer_claims(), &peer_options(js::ContentEncryption::A256GCM))
            .expect("encrypt");
        Self::checked(
            "ECDH-ES+A256KW(X25519)+A256GCM",
            token,
            key,
            PeerKey::X25519EcdhEsA256Kw(peer),
        )
    }

    /// Asserts that both sides decrypt the token to the same `sub`, and that the claims are
    /// of the intended size.
    fn checked(name: &'static str, token: String, key: DecryptionKey, peer: PeerKey) -> Self {
        let fixture = Self {
            name,
            token,
            key,
            peer,
        };
        let plaintext = compact::decrypt(&fixture.token, &fixture.key, DEFAULT_MAX_LEN)
            .unwrap_or_else(|error| {
                panic!(
                    "{name}: tessera-jose refuses jwt-simple's token ({error}); header {}",
                    fixture.header()
                )
            })
            .plaintext;
        assert!(
            (200..=500).contains(&plaintext.len()),
            "{name}: {} bytes of claims",
            plaintext.len()
        );
        let tessera = fixture.tessera();
        assert_eq!(tessera, fixture.jwt_simple(), "{name}: the same sub");
        assert_eq!(tessera, "user-2f6c9a1e-8d4b-4c3a-9e7f-1b5d0a6c4e28");
        fixture
    }

    /// The token's protected header, decoded (for messages).
    pub fn header(&self) -> String {
        let header = self.token.split('.').next().expect("header");
        String::from_utf8(b64::decode(header.as_bytes()).expect("base64url")).expect("UTF-8")
    }

    /// `jwe::compact::decrypt`, the claims deserialized, the time checks; the `sub`.
    pub fn tessera(&self) -> String {
        let decrypted =
            compact::decrypt(black_box(&self.token), &self.key, DEFAULT_MAX_LEN).expect("decrypt");
        let claims: PeerClaims = serde_json::from_slice(&decrypted.plaintext).expect("claims");
        assert!(claims.check_times(), "in its validity period");
        claims.sub.expect("sub")
    }

    /// jwt-simple's `decrypt_token::<NoCustomClaims>(token, None)`; the `sub`.
    pub fn jwt_simple(&self) -> String {
        let token = black_box(self.token.as_str());
        let claims = match &self.peer {
            PeerKey::RsaOaep(key) => key.decrypt_token::<js::NoCustomClaims>(token, None),
            PeerKey::A256Kw(key) => key.decrypt_token::<js::NoCustomClaims>(token, None),
            PeerKey::A128Kw(key) => key.decrypt_token::<js::NoCustomClaims>(token, None),
            PeerKey::EcdhEsA256Kw(key) => key.decrypt_token::<js::NoCustomClaims>(token, None),
            PeerKey::EcdhEsA128Kw(key) => key.decrypt_token::<js::NoCustomClaims>(token, None),
            PeerKey::X25519EcdhEsA256Kw(key) => {
                key.decrypt_token::<js::NoCustomClaims>(token, None)
            }
        }
        .expect("decrypt");
        claims.subject.expect("sub")
    }
}
