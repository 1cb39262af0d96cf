//! A verified JWT whose claims are read in place (see [`Validator::verify_view`]).
//!
//! [`Validator::verify`] copies every registered string claim and the header's strings into
//! owned fields. A resource server usually reads two or three claims per request, so the view
//! keeps the decoded payload as one string and records where the registered claims are in it:
//! one allocation per token instead of eight. Claims of the usual shape (see [`crate::flat`])
//! are located in one pass; any other payload is read by the full parser into a [`Claims`],
//! which the view then holds, so both shapes answer alike.
//!
//! [`Validator::verify_view`]: super::Validator::verify_view
//! [`Validator::verify`]: super::Validator::verify

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;

use super::claims::registered_index;
use super::validator::{ClaimSet, Times};
use super::{Claims, Token};
use crate::alg::Algorithm;
use crate::b64;
use crate::error::{Error, Malformed, Part};
use crate::flat::{self, Kind};
use crate::json::{self, SeenNames};
use crate::jws::Header;

/// A verified and validated JWT that reads its claims from the decoded payload.
///
/// Returned by [`Validator::verify_view`](super::Validator::verify_view), which runs every
/// check [`Validator::verify`](super::Validator::verify) runs.
#[derive(Clone, Debug)]
pub struct TokenView {
    /// The decoded payload (the claims JSON), then the header's `typ`, `cty` and `kid`.
    text: String,
    payload_len: usize,
    header: HeaderFields,
    claims: ClaimFields,
}

/// The header: where its strings are in the view's text, or, when it has other members, the
/// whole header.
#[derive(Clone, Debug)]
enum HeaderFields {
    Spans {
        alg: Algorithm,
        typ: Option<Range<usize>>,
        cty: Option<Range<usize>>,
        kid: Option<Range<usize>>,
    },
    Full(Box<Header>),
}

/// The registered claims: where they are in the payload, or the full parser's result.
#[derive(Clone, Debug)]
enum ClaimFields {
    Spans(Spans),
    Full(Box<Claims>),
}

/// Where the registered claims of a flat payload are (string contents, without quotes).
#[derive(Clone, Debug, Default)]
struct Spans {
    iss: Option<Range<usize>>,
    sub: Option<Range<usize>>,
    jti: Option<Range<usize>>,
    aud: Option<Audience>,
    times: Times,
}

/// `aud` as a single string's content, or as an array's whole text.
#[derive(Clone, Debug)]
enum Audience {
    One(Range<usize>),
    Many(Range<usize>),
}

impl TokenView {
    /// Decodes the payload once and locates the claims; the header is kept as given.
    pub(super) fn read(header: Cow<'_, Header>, payload_b64: &str) -> Result<Self, Error> {
        let base64_error = || Error::Malformed(Malformed::Base64(Part::Payload));
        let payload_len = b64::decoded_len(payload_b64.as_bytes()).ok_or_else(base64_error)?;
        let header_strings = [&header.typ, &header.cty, &header.kid]
            .into_iter()
            .flatten()
            .map(String::len)
            .sum::<usize>();
        let mut bytes = Vec::with_capacity(payload_len + header_strings);
        bytes.resize(payload_len, 0);
        b64::decode_into(payload_b64.as_bytes(), &mut bytes).ok_or_else(base64_error)?;
        // One UTF-8 check of the whole payload; the header's strings are already text.
        let mut text = String::from_utf8(bytes).map_err(|_| json::not_utf8(Part::Payload))?;
        let claims = match Spans::read(&text) {
            Some(spans) => ClaimFields::Spans(spans),
            None => ClaimFields::Full(Box::new(Claims::from_json(text.as_bytes())?)),
        };
        let header = HeaderFields::keep(header, &mut text);
        Ok(Self {
            text,
            payload_len,
            header,
            claims,
        })
    }

    /// The algorithm the token was signed with.
    pub fn alg(&self) -> Algorithm {
        match &self.header {
            HeaderFields::Spans { alg, .. } => *alg,
            HeaderFields::Full(header) => header.alg,
        }
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        match &self.header {
            HeaderFields::Spans { kid, .. } => self.span(kid),
            HeaderFields::Full(header) => header.kid.as_deref(),
        }
    }

    /// The header's `typ`.
    pub fn typ(&self) -> Option<&str> {
        match &self.header {
            HeaderFields::Spans { typ, .. } => self.span(typ),
            HeaderFields::Full(header) => header.typ.as_deref(),
        }
    }

    /// The whole protected header, as an owned value.
    pub fn header(&self) -> Header {
        match &self.header {
            HeaderFields::Spans { alg, typ, cty, kid } => {
                let owned = |range: &Option<Range<usize>>| self.span(range).map(str::to_owned);
                let mut header = Header::new(*alg);
                header.typ = owned(typ);
                header.cty = owned(cty);
                header.kid = owned(kid);
                header
            }
            HeaderFields::Full(header) => (**header).clone(),
        }
    }

    /// `iss`, the issuer.
    pub fn iss(&self) -> Option<&str> {
        match &self.claims {
            ClaimFields::Spans(spans) => self.span(&spans.iss),
            ClaimFields::Full(claims) => claims.iss.as_deref(),
        }
    }

    /// `sub`, the subject.
    pub fn sub(&self) -> Option<&str> {
        match &self.claims {
            ClaimFields::Spans(spans) => self.span(&spans.sub),
            ClaimFields::Full(claims) => claims.sub.as_deref(),
        }
    }

    /// `jti`, the token's id.
    pub fn jti(&self) -> Option<&str> {
        match &self.claims {
            ClaimFields::Spans(spans) => self.span(&spans.jti),
            ClaimFields::Full(claims) => claims.jti.as_deref(),
        }
    }

    /// The audiences (`aud` as a string or an array on the wire); empty when there is none.
    pub fn aud(&self) -> impl Iterator<Item = &str> {
        let (one, many, full): (Option<&str>, Option<&str>, &[String]) = match &self.claims {
            ClaimFields::Spans(spans) => match &spans.aud {
                Some(Audience::One(range)) => (self.text.get(range.clone()), None, &[]),
                Some(Audience::Many(range)) => (None, self.text.get(range.clone()), &[]),
                None => (None, None, &[]),
            },
            ClaimFields::Full(claims) => (None, None, &claims.aud),
        };
        one.into_iter()
            .chain(many.into_iter().flat_map(flat::str_items))
            .chain(full.iter().map(String::as_str))
    }

    /// `exp`, the expiry (seconds since the Unix epoch).
    pub fn exp(&self) -> Option<i64> {
        ClaimSet::times(self).exp
    }

    /// `nbf`, the start of validity.
    pub fn nbf(&self) -> Option<i64> {
        ClaimSet::times(self).nbf
    }

    /// `iat`, the time of issue.
    pub fn iat(&self) -> Option<i64> {
        ClaimSet::times(self).iat
    }

    /// True when the claim is present (an empty `aud` array counts as absent, as in
    /// [`Claims::contains`]).
    pub fn contains(&self, name: &str) -> bool {
        ClaimSet::contains(self, name)
    }

    /// The claims set as the JSON text it was signed as.
    pub fn payload(&self) -> &str {
        self.text.get(..self.payload_len).unwrap_or_default()
    }

    /// Every claim, as an owned [`Claims`] (what [`Validator::verify`] returns).
    ///
    /// [`Validator::verify`]: super::Validator::verify
    pub fn claims(&self) -> Claims {
        match &self.claims {
            // The payload was read by this very parser when the token was verified, and
            // parsing is a function of the bytes: it cannot fail now.
            ClaimFields::Spans(_) => {
                Claims::from_json(self.payload().as_bytes()).unwrap_or_default()
            }
            ClaimFields::Full(claims) => (**claims).clone(),
        }
    }

    /// Deserializes the whole claims set (registered claims included) into an application
    /// type, which may borrow strings from the view.
    ///
    /// # Errors
    /// `token_malformed` when the claims do not fit `T`.
    pub fn deserialize<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        serde_json::from_str(self.payload()).map_err(|err| Error::json(Part::Payload, &err))
    }

    /// The owned [`Token`] that [`Validator::verify`] would have returned.
    ///
    /// [`Validator::verify`]: super::Validator::verify
    pub fn into_token(self) -> Token {
        Token {
            header: self.header(),
            claims: self.claims(),
        }
    }

    fn span(&self, range: &Option<Range<usize>>) -> Option<&str> {
        range
            .as_ref()
            .and_then(|range| self.text.get(range.clone()))
    }
}

impl HeaderFields {
    /// Appends the header's strings to `text` and records where they are; a header with
    /// other members is kept whole.
    fn keep(header: Cow<'_, Header>, text: &mut String) -> Self {
        if !header.extra.is_empty() {
            return Self::Full(Box::new(header.into_owned()));
        }
        let mut append = |value: &Option<String>| {
            value.as_deref().map(|value| {
                let start = text.len();
                text.push_str(value);
                start..text.len()
            })
        };
        Self::Spans {
            alg: header.alg,
            typ: append(&header.typ),
            cty: append(&header.cty),
            kid: append(&header.kid),
        }
    }
}

impl Spans {
    /// Locates the registered claims of a flat payload in one pass, refusing what
    /// [`Claims`]'s own fast path refuses (a repeated name, a registered claim of another
    /// type, an integer beyond i64): `None` hands the payload to the full parser, which also
    /// produces every error.
    fn read(text: &str) -> Option<Self> {
        let mut spans = Self::default();
        let mut registered = 0u8;
        let mut others = SeenNames::default();
        flat::members(text, |member| match registered_index(member.name) {
            Some(index) => {
                let bit = 1u8 << index;
                let fresh = registered & bit == 0;
                registered |= bit;
                fresh && spans.set(member).is_some()
            }
            None => others.insert(Cow::Borrowed(member.name)),
        })?;
        Some(spans)
    }

    fn set(&mut self, member: flat::Member<'_>) -> Option<()> {
        let whole = member.value_at..member.value_at + member.value.len();
        let content = (member.kind == Kind::Str).then(|| whole.start + 1..whole.end - 1);
        let integer = || match member.kind {
            Kind::Int => member.value.parse::<i64>().ok(),
            _ => None,
        };
        match member.name {
            "iss" => self.iss = Some(content?),
            "sub" => self.sub = Some(content?),
            "jti" => self.jti = Some(content?),
            "aud" => {
                self.aud = Some(match member.kind {
                    Kind::StrArray => Audience::Many(whole),
                    _ => Audience::One(content?),
                });
            }
            "exp" => self.times.exp = Some(integer()?),
            "nbf" => self.times.nbf = Some(integer()?),
            "iat" => self.times.iat = Some(integer()?),
            _ => return None,
        }
        Some(())
    }
}

impl ClaimSet for TokenView {
    fn iss(&self) -> Option<&str> {
        TokenView::iss(self)
    }

    fn sub(&self) -> Option<&str> {
        TokenView::sub(self)
    }

    fn any_audience(&self, mut accepted: impl FnMut(&str) -> bool) -> Option<bool> {
        let mut any_present = false;
        for aud in self.aud() {
            any_present = true;
            if accepted(aud) {
                return Some(true);
            }
        }
        any_present.then_some(false)
    }

    fn times(&self) -> Times {
        match &self.claims {
            ClaimFields::Spans(spans) => spans.times,
            ClaimFields::Full(claims) => claims.times(),
        }
    }

    fn contains(&self, name: &str) -> bool {
        let spans = match &self.claims {
            ClaimFields::Spans(spans) => spans,
            ClaimFields::Full(claims) => return claims.contains(name),
        };
        match name {
            "iss" => spans.iss.is_some(),
            "sub" => spans.sub.is_some(),
            "jti" => spans.jti.is_some(),
            "aud" => self.aud().next().is_some(),
            "exp" => spans.times.exp.is_some(),
            "nbf" => spans.times.nbf.is_some(),
            "iat" => spans.times.iat.is_some(),
            _ => {
                // The payload was accepted as flat, so its names are their own text.
                let mut found = false;
                let _ = flat::members(self.payload(), |member| {
                    found = member.name == name;
                    !found
                });
                found
            }
        }
    }
}
