//! Claim and header validation with strict defaults, built once and shared.

use std::sync::Arc;
use std::time::Duration;

use crate::alg::Algorithm;
use crate::b64;
use crate::clock::{Clock, SystemClock};
use crate::error::{ClaimReason, Error, Malformed, Part};
use crate::jwk::KeyResolver;
use crate::jws::{Header, compact};
use crate::jwt::{Claims, Token};

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
        Ok(Token { header, claims })
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
        self.validate_times(claims, self.clock.now())?;
        for name in &self.required {
            if !claims.contains(name) {
                return Err(Error::claim(name, ClaimReason::Missing));
            }
        }
        if !self.issuers.is_empty() {
            let iss = claims
                .iss
                .as_ref()
                .ok_or_else(|| Error::claim("iss", ClaimReason::Missing))?;
            if !self.issuers.contains(iss) {
                return Err(Error::claim("iss", ClaimReason::Mismatch));
            }
        }
        if !self.audiences.is_empty() {
            if claims.aud.is_empty() {
                return Err(Error::claim("aud", ClaimReason::Missing));
            }
            if !claims.aud.iter().any(|aud| self.audiences.contains(aud)) {
                return Err(Error::claim("aud", ClaimReason::Mismatch));
            }
        }
        if let Some(expected) = &self.subject {
            match &claims.sub {
                None => return Err(Error::claim("sub", ClaimReason::Missing)),
                Some(sub) if sub != expected => {
                    return Err(Error::claim("sub", ClaimReason::Mismatch));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn validate_times(&self, claims: &Claims, now: i64) -> Result<(), Error> {
        match claims.exp {
            // RFC 7519 §4.1.4: the current time must be before `exp`.
            Some(exp) if now >= exp.saturating_add(self.leeway) => {
                return Err(Error::claim("exp", ClaimReason::Expired));
            }
            None if self.exp_required => return Err(Error::claim("exp", ClaimReason::Missing)),
            _ => {}
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return Err(Error::claim("nbf", ClaimReason::NotYetValid));
        }
        if claims
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
