//! Claim and header validation with strict defaults, built once and shared.

use std::sync::Arc;
use std::time::Duration;

use crate::alg::Algorithm;
use crate::b64;
use crate::clock::{Clock, SystemClock};
use crate::error::{ClaimReason, Error, Malformed, Part};
use crate::jwk::KeyResolver;
use crate::jws::{Header, compact};
use crate::jwt::{Claims, Token, TokenView};

/// The default clock-skew allowance, in seconds.
pub const DEFAULT_LEEWAY_SECS: i64 = 60;

/// An immutable set of checks for JWTs. Build one with [`Validator::builder`].
///
/// Defaults: `exp` required, 60 s leeway for `exp`/`nbf`/`iat`, tokens capped at 16 KiB.
/// Configuring an issuer, audience, subject or `typ` makes it required.
#[derive(Clone, Debug)]
pub struct Validator {
    issuers: Vec<String>,
    audiences: Vec<String>,
    subject: Option<String>,
    typ: Option<String>,
    algorithms: Vec<Algorithm>,
    required: Vec<String>,
    exp_required: bool,
    leeway: i64,
    max_len: usize,
    clock: Arc<dyn Clock>,
}

/// Builds a [`Validator`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ValidatorBuilder(Validator);

impl Default for ValidatorBuilder {
    fn default() -> Self {
        Self(Validator {
            issuers: Vec::new(),
            audiences: Vec::new(),
            subject: None,
            typ: None,
            algorithms: Vec::new(),
            required: Vec::new(),
            exp_required: true,
            leeway: DEFAULT_LEEWAY_SECS,
            max_len: compact::DEFAULT_MAX_LEN,
            clock: Arc::new(SystemClock),
        })
    }
}

impl ValidatorBuilder {
    /// Accepts tokens whose `iss` is `issuer` (call again to accept several).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.0.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens whose `aud` contains `audience` (call again to accept several).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.0.audiences.push(audience.into());
        self
    }

    /// Requires `sub` to equal `subject`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.0.subject = Some(subject.into());
        self
    }

    /// Requires the header `typ` (for example `at+jwt` for RFC 9068 access tokens).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.0.typ = Some(typ.into());
        self
    }

    /// Accepts only these algorithms, on top of each key's own binding.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.0.algorithms.extend(algorithms);
        self
    }

    /// Requires a claim to be present (for example `jti` or `sub`).
    pub fn require(mut self, claim: impl Into<String>) -> Self {
        self.0.required.push(claim.into());
        self
    }

    /// Accepts tokens without `exp`. Tokens that never expire are a risk; use with care.
    pub fn allow_missing_exp(mut self) -> Self {
        self.0.exp_required = false;
        self
    }

    /// Sets the clock-skew allowance (default 60 s, at most 1 day).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.0.leeway = i64::try_from(leeway.as_secs())
            .unwrap_or(i64::MAX)
            .min(86_400);
        self
    }

    /// Sets the length cap in bytes (default 16 KiB).
    pub fn max_token_len(mut self, max_len: usize) -> Self {
        self.0.max_len = max_len;
        self
    }

    /// Replaces the clock (for tests, or to check a token as of another time).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.0.clock = clock;
        self
    }

    /// Finishes the validator.
    pub fn build(self) -> Validator {
        self.0
    }
}

impl Default for Validator {
    fn default() -> Self {
        ValidatorBuilder::default().build()
    }
}

impl Validator {
    /// Starts a builder with the strict defaults.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// Verifies a JWT's signature with `keys`, then its header and claims.
    ///
    /// # Errors
    /// The first failed check, as a typed [`Error`] with a stable code.
    pub fn verify(&self, token: &str, keys: &impl KeyResolver) -> Result<Token, Error> {
        let (header, payload) = compact::verify_signature(token, keys, self.max_len, |header| {
            self.validate_header(header)
        })?;
        let claims = b64::decode_with(payload.as_bytes(), Claims::from_json)
            .ok_or(Error::Malformed(Malformed::Base64(Part::Payload)))??;
        self.validate_claims(&claims)?;
        Ok(Token {
            header: compact::owned_header(header),
            claims,
        })
    }

    /// Verifies and validates a JWT exactly as [`Self::verify`] does, and returns a view that
    /// reads the claims in place: the decoded payload is kept as one string, and `iss`, `sub`,
    /// `aud` and `jti` are borrowed from it rather than copied into a [`Claims`]. Use it where
    /// a request needs a few claims of every token; [`TokenView::claims`] and
    /// [`TokenView::deserialize`] give the rest on demand.
    ///
    /// ```
    /// use tessera_jose::{Algorithm, Claims, SigningKey, Validator, jwt};
    ///
    /// # fn main() -> Result<(), tessera_jose::Error> {
    /// let key = SigningKey::generate(Algorithm::EdDSA)?;
    /// let claims = Claims::new()
    ///     .with_issuer("https://auth.example.com")
    ///     .with_audience("orders")
    ///     .with_subject("u-42")
    ///     .with_expiry(4_102_444_800)
    ///     .with("scope", "orders:read")?;
    /// let token = jwt::sign(&claims, &key)?;
    ///
    /// let validator = Validator::builder()
    ///     .issuer("https://auth.example.com")
    ///     .audience("orders")
    ///     .build();
    /// let view = validator.verify_view(&token, &key.verifying_key()?)?;
    /// assert_eq!(view.sub(), Some("u-42"));
    /// assert_eq!(view.aud().collect::<Vec<_>>(), ["orders"]);
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Scope<'a> {
    ///     scope: &'a str,
    /// }
    /// let Scope { scope } = view.deserialize()?;
    /// assert_eq!(scope, "orders:read");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The first failed check, as a typed [`Error`] with a stable code: the same as
    /// [`Self::verify`] for the same token.
    pub fn verify_view(&self, token: &str, keys: &impl KeyResolver) -> Result<TokenView, Error> {
        let (header, payload) = compact::verify_signature(token, keys, self.max_len, |header| {
            self.validate_header(header)
        })?;
        let view = TokenView::read(header, payload)?;
        self.check_claims(&view)?;
        Ok(view)
    }

    /// Decrypts a nested JWT (a JWE with `cty: JWT` around a signed JWT) with
    /// `decryption_key`, then verifies the inner token with `keys` exactly as [`Self::verify`]
    /// does. The length cap applies to the JWE. See [`crate::jwt::sign_and_encrypt`].
    ///
    /// # Errors
    /// The JWE's errors ([`Error::Decryption`] and the header errors of
    /// [`crate::jwe::compact::decrypt`]); [`Error::NotNested`] when `cty` is not `JWT` or the
    /// content is not a compact JWS (an unsigned token is never accepted); then the errors of
    /// [`Self::verify`] for the inner token (`alg: none` gives [`Error::AlgNotAllowed`]).
    pub fn decrypt_and_verify(
        &self,
        token: &str,
        decryption_key: &crate::jwe::DecryptionKey,
        keys: &impl KeyResolver,
    ) -> Result<Token, Error> {
        let decrypted = crate::jwe::compact::decrypt(token, decryption_key, self.max_len)?;
        if !decrypted.header.cty_is("JWT") {
            return Err(Error::NotNested("the JWE header has no cty JWT".into()));
        }
        let inner = std::str::from_utf8(&decrypted.plaintext)
            .map_err(|_| Error::NotNested("the content is not text".into()))?;
        if inner.bytes().filter(|b| *b == b'.').count() != 2 {
            return Err(Error::NotNested("the content is not a compact JWS".into()));
        }
        self.verify(inner, keys)
    }

    /// The header checks: the algorithm allow-list and `typ`.
    ///
    /// # Errors
    /// [`Error::AlgNotAllowed`] or [`Error::TypInvalid`].
    pub fn validate_header(&self, header: &Header) -> Result<(), Error> {
        if !self.algorithms.is_empty() && !self.algorithms.contains(&header.alg) {
            return Err(Error::AlgNotAllowed(header.alg.to_string()));
        }
        match &self.typ {
            Some(expected) if !header.typ_is(expected) => {
                Err(Error::TypInvalid(header.typ.clone()))
            }
            _ => Ok(()),
        }
    }

    /// The claim checks, at the clock's current time.
    ///
    /// # Errors
    /// The first failed claim check.
    pub fn validate_claims(&self, claims: &Claims) -> Result<(), Error> {
        self.check_claims(claims)
    }

    /// The claim checks on anything that reads registered claims: [`Claims`] and
    /// [`TokenView`] go through the same code.
    pub(super) fn check_claims(&self, claims: &impl ClaimSet) -> Result<(), Error> {
        self.validate_times(claims.times(), self.clock.now())?;
        for name in &self.required {
            if !claims.contains(name) {
                return Err(Error::claim(name, ClaimReason::Missing));
            }
        }
        if !self.issuers.is_empty() {
            let iss = claims
                .iss()
                .ok_or_else(|| Error::claim("iss", ClaimReason::Missing))?;
            if !self.issuers.iter().any(|issuer| issuer == iss) {
                return Err(Error::claim("iss", ClaimReason::Mismatch));
            }
        }
        if !self.audiences.is_empty() {
            let accepted = |aud: &str| self.audiences.iter().any(|expected| expected == aud);
            match claims.any_audience(accepted) {
                None => return Err(Error::claim("aud", ClaimReason::Missing)),
                Some(false) => return Err(Error::claim("aud", ClaimReason::Mismatch)),
                Some(true) => {}
            }
        }
        if let Some(expected) = &self.subject {
            match claims.sub() {
                None => return Err(Error::claim("sub", ClaimReason::Missing)),
                Some(sub) if sub != expected => {
                    return Err(Error::claim("sub", ClaimReason::Mismatch));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn validate_times(&self, times: Times, now: i64) -> Result<(), Error> {
        match times.exp {
            // RFC 7519 §4.1.4: the current time must be before `exp`.
            Some(exp) if now >= exp.saturating_add(self.leeway) => {
                return Err(Error::claim("exp", ClaimReason::Expired));
            }
            None if self.exp_required => return Err(Error::claim("exp", ClaimReason::Missing)),
            _ => {}
        }
        if times
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return Err(Error::claim("nbf", ClaimReason::NotYetValid));
        }
        if times
            .iat
            .is_some_and(|iat| iat > now.saturating_add(self.leeway))
        {
            return Err(Error::claim("iat", ClaimReason::IssuedInFuture));
        }
        Ok(())
    }

    /// The length cap in bytes.
    pub fn max_token_len(&self) -> usize {
        self.max_len
    }

    /// The clock-skew allowance in seconds.
    pub fn leeway_secs(&self) -> i64 {
        self.leeway
    }
}

/// The time claims, as the checks read them.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Times {
    pub(super) exp: Option<i64>,
    pub(super) nbf: Option<i64>,
    pub(super) iat: Option<i64>,
}

/// What the claim checks read from a claims set.
pub(super) trait ClaimSet {
    fn iss(&self) -> Option<&str>;
    fn sub(&self) -> Option<&str>;
    /// `None` when there is no audience; else whether `accepted` holds for one of them.
    fn any_audience(&self, accepted: impl FnMut(&str) -> bool) -> Option<bool>;
    fn times(&self) -> Times;
    fn contains(&self, name: &str) -> bool;
}

impl ClaimSet for Claims {
    fn iss(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    fn any_audience(&self, accepted: impl FnMut(&str) -> bool) -> Option<bool> {
        (!self.aud.is_empty()).then(|| self.aud.iter().map(String::as_str).any(accepted))
    }

    fn times(&self) -> Times {
        Times {
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
        }
    }

    fn contains(&self, name: &str) -> bool {
        Claims::contains(self, name)
    }
}
