//! Typed errors with stable codes for logs, metrics and HTTP error bodies.

use std::fmt;

/// Everything that can go wrong in this crate. Each variant has a stable [`Error::code`].
///
/// Messages never contain key material or the token itself; they may contain short,
/// truncated header values (an `alg` or `typ` name) to help whoever debugs the token.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the configured cap; nothing else was looked at.
    TooLarge {
        /// Bytes received.
        len: usize,
        /// The cap in bytes.
        max: usize,
    },
    /// The input is not well-formed compact JWS/JWT, base64url or JSON.
    Malformed(Malformed),
    /// The `alg` is `none`, unknown, outside the allow-list, or not the key's algorithm.
    AlgNotAllowed(String),
    /// The header lists a `crit` extension this library does not implement.
    CritUnsupported(String),
    /// The header embeds a key or a key URL (`jwk`, `jku`, `x5u`, `x5c`), never trusted.
    HeaderKeyForbidden(&'static str),
    /// The `typ` header is missing or not the expected media type.
    TypInvalid(Option<String>),
    /// No key in the set matches the token's `kid` and algorithm.
    KeyNotFound,
    /// The signature does not verify with the selected key.
    Signature,
    /// A claim is missing, of the wrong JSON type, or fails validation.
    Claim {
        /// The claim's name (`exp`, `aud`, …).
        claim: String,
        /// What is wrong with it.
        reason: ClaimReason,
    },
    /// A key could not be loaded or used.
    Key(KeyError),
    /// The crypto backend failed where it should not (random source, signing).
    Crypto,
    /// A JWE could not be decrypted: the key unwrap, the tag, the padding or a length was
    /// wrong. One error for all of them, so that no failure tells an attacker which step it
    /// reached (no padding or MAC oracle).
    Decryption,
    /// The algorithm is known and refused as unsafe (`RSA1_5`, RFC 8725 §3.2).
    AlgInsecure(String),
    /// The JWE content encryption (`enc`) is unknown, or not the one the key allows.
    EncNotAllowed(String),
    /// The JWE header asks for compression (`zip`), which is refused (no decompression bombs).
    ZipUnsupported,
    /// The JWE ephemeral public key (`epk`) is missing, malformed, or not on the recipient
    /// key's curve.
    EpkInvalid(String),
    /// A JWE meant to hold a signed JWT (`cty: JWT`) does not.
    NotNested(String),
    /// A DPoP proof (RFC 9449) was refused.
    Dpop(DpopError),
}

/// Why a DPoP proof was refused (RFC 9449 §4.3). Each has a stable [`DpopError::code`];
/// [`DpopError::oauth_error`] gives the OAuth error an endpoint answers with.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum DpopError {
    /// The request carries no `DPoP` header.
    Missing,
    /// The request carries more than one `DPoP` header (or a list in one header).
    Multiple,
    /// The proof is not one well-formed compact JWS with JSON header and claims.
    Malformed(String),
    /// The header `typ` is not `dpop+jwt`.
    Typ,
    /// The `alg` is missing, symmetric, `none`, or not in the allow-list.
    Alg(String),
    /// The header `jwk` is missing, not a public asymmetric key, or does not fit `alg`.
    Jwk(String),
    /// The signature does not verify with the header's `jwk`.
    Signature,
    /// `htm` is missing or not the request's method.
    Htm,
    /// `htu` is missing or not the endpoint's URI.
    Htu,
    /// `iat` is missing, too old or in the future.
    Iat,
    /// `jti` is missing or empty.
    Jti,
    /// `ath` is missing or not the hash of the presented access token.
    Ath,
    /// The server expects a `nonce` and the proof has none, or another one.
    Nonce,
    /// The proof's key is not the one the access token is bound to (`cnf.jkt`).
    KeyMismatch,
}

/// Which part of a token or document a structural error is in.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Part {
    /// The protected header.
    Header,
    /// The payload (the claims of a JWT).
    Payload,
    /// The signature.
    Signature,
    /// A key document (JWK, JWKS, PEM).
    Key,
    /// The encrypted key of a JWE.
    EncryptedKey,
    /// The initialization vector of a JWE.
    Iv,
    /// The ciphertext of a JWE.
    Ciphertext,
    /// The authentication tag of a JWE.
    Tag,
}

/// A structural defect in the input.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Malformed {
    /// Compact serialization needs exactly three dot-separated parts.
    Parts,
    /// A part is not strict unpadded base64url.
    Base64(Part),
    /// A part is not valid JSON (the parser's message).
    Json(Part, String),
    /// A JSON object names the same member twice (RFC 7515 §4, RFC 7519 §4).
    DuplicateMember(Part, String),
    /// A JSON document is not an object where one is required.
    NotObject(Part),
    /// Compact JWE serialization needs exactly five dot-separated parts.
    JweParts,
}

/// Why a claim was rejected.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum ClaimReason {
    /// A required claim is absent.
    Missing,
    /// The claim has the wrong JSON type (`"exp": "123"`).
    WrongType,
    /// `exp` is in the past beyond the leeway.
    Expired,
    /// `nbf` is in the future beyond the leeway.
    NotYetValid,
    /// `iat` is in the future beyond the leeway.
    IssuedInFuture,
    /// The value is not one the validator accepts (`iss`, `aud`, `sub`).
    Mismatch,
}

/// Why a key was refused.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is not well-formed for its type (bad point, inconsistent RSA numbers…).
    Invalid(String),
    /// The key is too weak: RSA under 2048 bits, `e` = 1, ROCA-weak, short HMAC secret.
    TooWeak(String),
    /// The key type, curve or format is not supported.
    Unsupported(String),
    /// The key is bound to one algorithm and another was asked for.
    AlgMismatch {
        /// The key's algorithm (or family).
        key: String,
        /// The algorithm requested.
        requested: String,
    },
    /// The key's `use` or `key_ops` forbids this operation.
    UseNotPermitted(String),
    /// A key set is inconsistent (duplicate `kid`, public and private keys mixed…).
    SetInvalid(String),
    /// The PEM armour or its DER content could not be read.
    Pem(String),
}

impl Error {
    /// A stable snake_case code naming what failed, for logs, metrics and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "token_too_large",
            Self::Malformed(Malformed::DuplicateMember(..)) => "json_duplicate_member",
            Self::Malformed(_) => "token_malformed",
            Self::AlgNotAllowed(_) => "alg_not_allowed",
            Self::CritUnsupported(_) => "crit_unsupported",
            Self::HeaderKeyForbidden(_) => "header_key_forbidden",
            Self::TypInvalid(_) => "typ_invalid",
            Self::KeyNotFound => "kid_unknown",
            Self::Signature => "signature_invalid",
            Self::Claim { claim, reason } => claim_code(claim, *reason),
            Self::Key(err) => err.code(),
            Self::Crypto => "crypto_failure",
            Self::Decryption => "decryption_failed",
            Self::AlgInsecure(_) => "alg_insecure",
            Self::EncNotAllowed(_) => "enc_not_allowed",
            Self::ZipUnsupported => "zip_unsupported",
            Self::EpkInvalid(_) => "epk_invalid",
            Self::NotNested(_) => "jwe_not_nested",
            Self::Dpop(err) => err.code(),
        }
    }

    /// A claim error.
    pub(crate) fn claim(claim: &str, reason: ClaimReason) -> Self {
        Self::Claim {
            claim: claim.to_owned(),
            reason,
        }
    }

    /// A JSON syntax error in `part`.
    pub(crate) fn json(part: Part, err: &serde_json::Error) -> Self {
        let message = err.to_string();
        // serde_json appends the position; keep it out of the member name.
        let without_position = match message.rfind(" at line ") {
            Some(at) => &message[..at],
            None => &message,
        };
        if let Some(name) = without_position.strip_prefix(crate::json::DUPLICATE_PREFIX) {
            return Self::Malformed(Malformed::DuplicateMember(part, cut(name, 64)));
        }
        Self::Malformed(Malformed::Json(part, message))
    }
}

impl DpopError {
    /// The stable code of this refusal (`dpop_htu_mismatch`, `dpop_nonce_invalid`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "dpop_missing",
            Self::Multiple => "dpop_multiple",
            Self::Malformed(_) => "dpop_malformed",
            Self::Typ => "dpop_typ_invalid",
            Self::Alg(_) => "dpop_alg_not_allowed",
            Self::Jwk(_) => "dpop_jwk_invalid",
            Self::Signature => "dpop_signature_invalid",
            Self::Htm => "dpop_htm_mismatch",
            Self::Htu => "dpop_htu_mismatch",
            Self::Iat => "dpop_iat_invalid",
            Self::Jti => "dpop_jti_missing",
            Self::Ath => "dpop_ath_mismatch",
            Self::Nonce => "dpop_nonce_invalid",
            Self::KeyMismatch => "dpop_key_mismatch",
        }
    }

    /// The OAuth error code for the response (RFC 9449 §7.1, §8, §9): `use_dpop_nonce` when
    /// the nonce is missing or stale, `invalid_dpop_proof` otherwise.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            Self::Nonce => "use_dpop_nonce",
            _ => "invalid_dpop_proof",
        }
    }
}

impl fmt::Display for DpopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => write!(f, "the request has no DPoP proof"),
            Self::Multiple => write!(f, "the request has more than one DPoP proof"),
            Self::Malformed(why) => write!(f, "the DPoP proof is malformed: {why}"),
            Self::Typ => write!(f, "the DPoP proof's typ is not dpop+jwt"),
            Self::Alg(alg) => write!(
                f,
                "the DPoP proof's alg {alg:?} is not an allowed asymmetric algorithm"
            ),
            Self::Jwk(why) => write!(f, "the DPoP proof's jwk is unusable: {why}"),
            Self::Signature => write!(f, "the DPoP proof's signature does not verify"),
            Self::Htm => write!(f, "the DPoP proof's htm is not the request's method"),
            Self::Htu => write!(f, "the DPoP proof's htu is not this endpoint's URI"),
            Self::Iat => write!(f, "the DPoP proof's iat is missing or outside the window"),
            Self::Jti => write!(f, "the DPoP proof has no jti"),
            Self::Ath => write!(
                f,
                "the DPoP proof's ath is missing or not the hash of the access token"
            ),
            Self::Nonce => write!(f, "the DPoP proof lacks the nonce the server expects"),
            Self::KeyMismatch => write!(
                f,
                "the DPoP proof is signed by another key than the token is bound to"
            ),
        }
    }
}

impl From<DpopError> for Error {
    fn from(err: DpopError) -> Self {
        Self::Dpop(err)
    }
}

impl KeyError {
    /// The stable code of this key error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "key_invalid",
            Self::TooWeak(_) => "key_too_weak",
            Self::Unsupported(_) => "key_unsupported",
            Self::AlgMismatch { .. } => "key_alg_mismatch",
            Self::UseNotPermitted(_) => "key_use_not_permitted",
            Self::SetInvalid(_) => "key_set_invalid",
            Self::Pem(_) => "pem_invalid",
        }
    }
}

fn claim_code(claim: &str, reason: ClaimReason) -> &'static str {
    match (reason, claim) {
        (ClaimReason::Missing, _) => "claim_missing",
        (ClaimReason::WrongType, _) => "claim_invalid",
        (ClaimReason::Expired, _) => "jwt_expired",
        (ClaimReason::NotYetValid, _) => "jwt_not_yet_valid",
        (ClaimReason::IssuedInFuture, _) => "jwt_issued_in_future",
        (ClaimReason::Mismatch, "iss") => "iss_invalid",
        (ClaimReason::Mismatch, "aud") => "aud_invalid",
        (ClaimReason::Mismatch, "sub") => "sub_invalid",
        (ClaimReason::Mismatch, _) => "claim_mismatch",
    }
}

/// Truncates untrusted text before it goes into a message.
pub(crate) fn cut(text: &str, max_chars: usize) -> String {
    text.chars()
        .take(max_chars)
        .filter(|c| !c.is_control())
        .collect()
}

impl From<KeyError> for Error {
    fn from(err: KeyError) -> Self {
        Self::Key(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => {
                write!(f, "token is {len} bytes, over the {max}-byte limit")
            }
            Self::Malformed(m) => m.fmt(f),
            Self::AlgNotAllowed(alg) => write!(
                f,
                "algorithm {alg:?} is not allowed here (the key decides the algorithm; `none` is never accepted)"
            ),
            Self::CritUnsupported(name) => {
                write!(f, "header lists unsupported critical extension {name:?}")
            }
            Self::HeaderKeyForbidden(name) => write!(
                f,
                "header carries `{name}`; keys named in a token are never trusted, configure the issuer's keys instead"
            ),
            Self::TypInvalid(Some(typ)) => write!(f, "header typ {typ:?} is not the expected type"),
            Self::TypInvalid(None) => write!(f, "header has no typ, but one is required"),
            Self::KeyNotFound => write!(f, "no key matches the token's kid and algorithm"),
            Self::Signature => write!(f, "signature does not verify"),
            Self::Claim { claim, reason } => write_claim(f, claim, *reason),
            Self::Key(err) => err.fmt(f),
            Self::Crypto => write!(f, "the crypto backend failed"),
            Self::Decryption => write!(f, "the JWE cannot be decrypted with this key"),
            Self::AlgInsecure(alg) => write!(
                f,
                "algorithm {alg:?} is refused as unsafe (RSAES-PKCS1-v1_5 allows padding-oracle \
                 attacks, RFC 8725 §3.2); use RSA-OAEP-256"
            ),
            Self::EncNotAllowed(enc) => write!(
                f,
                "content encryption {enc:?} is not allowed (A128GCM, A256GCM, A128CBC-HS256 and \
                 A256CBC-HS512 are; a dir key decides its own)"
            ),
            Self::ZipUnsupported => write!(
                f,
                "the JWE is compressed (zip); compressed JWEs are refused"
            ),
            Self::EpkInvalid(why) => write!(f, "invalid ephemeral public key (epk): {why}"),
            Self::NotNested(why) => write!(f, "the JWE does not hold a signed JWT: {why}"),
            Self::Dpop(err) => err.fmt(f),
        }
    }
}

fn write_claim(f: &mut fmt::Formatter<'_>, claim: &str, reason: ClaimReason) -> fmt::Result {
    match reason {
        ClaimReason::Missing => write!(f, "required claim `{claim}` is missing"),
        ClaimReason::WrongType => write!(f, "claim `{claim}` has the wrong JSON type"),
        ClaimReason::Expired => write!(f, "token has expired (`exp` is in the past)"),
        ClaimReason::NotYetValid => write!(f, "token is not valid yet (`nbf` is in the future)"),
        ClaimReason::IssuedInFuture => {
            write!(f, "token was issued in the future (`iat`); check clocks")
        }
        ClaimReason::Mismatch => write!(f, "claim `{claim}` does not have an accepted value"),
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parts => write!(
                f,
                "not a compact JWS: expected three base64url parts separated by dots"
            ),
            Self::Base64(part) => write!(f, "{part} is not unpadded base64url"),
            Self::Json(part, msg) => write!(f, "{part} is not valid JSON: {msg}"),
            Self::DuplicateMember(part, name) => write!(f, "{part} names member {name} twice"),
            Self::NotObject(part) => write!(f, "{part} is not a JSON object"),
            Self::JweParts => write!(
                f,
                "not a compact JWE: expected five base64url parts separated by dots"
            ),
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
            Self::Key => "key",
            Self::EncryptedKey => "encrypted key",
            Self::Iv => "initialization vector",
            Self::Ciphertext => "ciphertext",
            Self::Tag => "authentication tag",
        })
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(why) => write!(f, "invalid key: {why}"),
            Self::TooWeak(why) => write!(f, "key too weak: {why}"),
            Self::Unsupported(what) => write!(f, "unsupported key: {what}"),
            Self::AlgMismatch { key, requested } => {
                write!(f, "key is for {key}, not {requested}")
            }
            Self::UseNotPermitted(why) => write!(f, "key may not be used for this: {why}"),
            Self::SetInvalid(why) => write!(f, "invalid key set: {why}"),
            Self::Pem(why) => write!(f, "invalid PEM: {why}"),
        }
    }
}

impl std::error::Error for Error {}
