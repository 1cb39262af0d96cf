//! `tessera token decode`: a token taken apart for a person to read, UNVERIFIED.

use serde_json::{Map, Value, json};
use tessera_jose::{Claims, Clock, Error, Malformed, Part, SystemClock, b64, danger};

use super::warnings::{self, Warning};
use crate::cli::DecodeArgs;
use crate::error::{CliError, Exit};
use crate::{commands, input, timefmt};

/// The banner above every report: nothing in it has been checked.
const UNVERIFIED: &str = "UNVERIFIED: nothing below has been checked; anyone can write any \
     header and claims.\nUse `tessera token verify` with the issuer's keys before trusting it.";

/// Decodes the token and prints the report (or JSON with `--json`).
///
/// # Errors
/// Exit 1 when the input is not a compact JWS; exit 2 when no input was given.
pub(crate) fn run(args: &DecodeArgs) -> Result<(), CliError> {
    let token = input::token(args.token.as_deref())?;
    if token.matches('.').count() == 4 {
        return commands::print(&encrypted(&token, args.json)?);
    }
    let parts = split(&token)?;
    let report = Report::new(parts, SystemClock.now());
    let text = if args.json {
        report.to_json()
    } else {
        report.render()
    };
    commands::print(&text)
}

/// The report on a JWE: its protected header (the only readable part) and the fact that the
/// payload is encrypted.
fn encrypted(token: &str, json: bool) -> Result<String, CliError> {
    let not_a_jwe = || {
        CliError::rejected("not a token: the JWE's protected header is not base64url JSON")
            .with_code("token_malformed")
            .with_hint("a compact JWE is five base64url parts separated by dots; copy all of it")
    };
    let part = token.split('.').next().unwrap_or_default();
    let bytes = b64::decode(part.as_bytes()).ok_or_else(not_a_jwe)?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| not_a_jwe())?;
    let warnings = jwe_warnings(&header);
    if json {
        let doc = json!({
            "verified": false,
            "encrypted": true,
            "header": header,
            "warnings": warnings,
        });
        return Ok(pretty(&doc));
    }
    let text = |name: &str| {
        header
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let mut out = format!(
        "{UNVERIFIED}\n\nHeader (JWE, RFC 7516):\n{}\n\nPayload: encrypted ({} with {}); only the \
         recipient's key reads it: tessera jwe decrypt --jwk KEY, or for a nested JWT (cty JWT) \
         tessera token verify --jwe-key KEY\n",
        pretty(&header),
        text("alg"),
        text("enc"),
    );
    let report = Report {
        header,
        payload: Payload::Binary(Vec::new()),
        signature_len: 0,
        now: 0,
        warnings,
    };
    out.push_str(&report.render_warnings());
    Ok(out)
}

/// Warnings about a JWE header: algorithms that verifiers refuse.
fn jwe_warnings(header: &Map<String, Value>) -> Vec<Warning> {
    let mut found = Vec::new();
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg == "RSA1_5" {
        found.push(Warning {
            code: "jwe_alg_insecure",
            message: "alg RSA1_5 allows padding-oracle attacks; Tessera refuses to decrypt it"
                .into(),
        });
    }
    if header.contains_key("zip") {
        found.push(Warning {
            code: "jwe_compressed",
            message: "the payload is compressed (zip); Tessera refuses compressed JWEs".into(),
        });
    }
    found
}

/// A token's three parts, decoded but not checked.
struct Parts {
    header: Map<String, Value>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    /// What the strict header parser refused, when the lenient one had to step in.
    header_defect: Option<Error>,
}

/// Decodes the token. A header that names a member twice is refused by every verifier but
/// still shown (the last value wins, as in most JSON parsers), since that is a token
/// someone will want to look at.
fn split(token: &str) -> Result<Parts, CliError> {
    match danger::decode_unverified(token, input::MAX_TOKEN_INPUT) {
        Ok(parts) => Ok(Parts {
            header: parts.header,
            payload: parts.payload,
            signature: parts.signature,
            header_defect: None,
        }),
        Err(err @ Error::Malformed(Malformed::DuplicateMember(Part::Header, _))) => {
            lenient(token, err.clone()).ok_or_else(|| not_a_token(token, &err))
        }
        Err(err) => Err(not_a_token(token, &err)),
    }
}

fn lenient(token: &str, defect: Error) -> Option<Parts> {
    let mut pieces = token.split('.').map(|part| b64::decode(part.as_bytes()));
    let (Some(header), Some(payload), Some(signature)) = (
        pieces.next().flatten(),
        pieces.next().flatten(),
        pieces.next().flatten(),
    ) else {
        return None;
    };
    Some(Parts {
        header: serde_json::from_slice(&header).ok()?,
        payload,
        signature,
        header_defect: Some(defect),
    })
}

fn not_a_token(token: &str, err: &Error) -> CliError {
    CliError::jose(Exit::Rejected, err)
        .context("not a token")
        .with_hint(input::malformed_hint(token))
}

/// What the payload turned out to be.
enum Payload {
    /// A JSON object: the claims of a JWT.
    Claims(Map<String, Value>),
    /// UTF-8 text that is not a JSON object.
    Text(String),
    /// Bytes that are not UTF-8.
    Binary(Vec<u8>),
}

/// Everything shown about one token.
struct Report {
    header: Map<String, Value>,
    payload: Payload,
    signature_len: usize,
    now: i64,
    warnings: Vec<Warning>,
}

impl Report {
    fn new(parts: Parts, now: i64) -> Self {
        let strict = Claims::from_json(&parts.payload).err();
        let mut warnings = header_warnings(&parts);
        let payload = classify(parts.payload);
        warnings.extend(payload_warnings(&payload, strict.as_ref(), now));
        Self {
            header: parts.header,
            payload,
            signature_len: parts.signature.len(),
            now,
            warnings,
        }
    }

    fn render(&self) -> String {
        let mut out = format!("{UNVERIFIED}\n\nHeader:\n{}\n", pretty(&self.header));
        out.push_str(&self.render_payload());
        out.push_str(&format!(
            "\nSignature: {} bytes (not checked)\n",
            self.signature_len
        ));
        out.push_str(&self.render_warnings());
        out
    }

    fn render_payload(&self) -> String {
        match &self.payload {
            Payload::Claims(claims) => {
                let mut out = format!("\nClaims:\n{}\n", pretty(claims));
                let times = self.times(claims);
                if !times.is_empty() {
                    out.push_str("\nTimes:\n");
                    for (name, utc, relative) in times {
                        out.push_str(&format!("  {name:<8} {utc}  ({relative})\n"));
                    }
                }
                out
            }
            // As a JSON string, so control characters cannot reach the terminal.
            Payload::Text(text) => format!(
                "\nPayload (text, not JSON claims):\n{}\n",
                Value::String(text.clone())
            ),
            Payload::Binary(bytes) => format!(
                "\nPayload ({} bytes, not text; base64url):\n{}\n",
                bytes.len(),
                b64::encode(bytes)
            ),
        }
    }

    fn render_warnings(&self) -> String {
        if self.warnings.is_empty() {
            return "\nWarnings: none found (which says nothing about whether it is genuine)\n"
                .into();
        }
        let mut out = String::from("\nWarnings:\n");
        for warning in &self.warnings {
            out.push_str(&format!("  ! {} [{}]\n", warning.message, warning.code));
        }
        out
    }

    /// The readable times: (label, UTC date, relative text), plus the lifetime.
    fn times(&self, claims: &Map<String, Value>) -> Vec<(&'static str, String, String)> {
        let now = self.now;
        let get = |name| claims.get(name).and_then(warnings::numeric);
        let mut lines = Vec::new();
        let describe = [
            ("iat", "issued {} ago", "issued {} in the FUTURE"),
            ("nbf", "valid since {} ago", "NOT VALID YET: starts in {}"),
            ("exp", "EXPIRED {} ago", "expires in {}"),
        ];
        for (name, past, future) in describe {
            if let Some(at) = get(name) {
                let relative = timefmt::relative(at, now, past, future);
                lines.push((name, timefmt::utc(at), relative));
            }
        }
        if let (Some(iat), Some(exp)) = (get("iat"), get("exp")) {
            let span = timefmt::span(exp.abs_diff(iat));
            let sign = if exp < iat { "-" } else { "" };
            lines.push(("lifetime", format!("{sign}{span}"), "exp - iat".into()));
        }
        lines
    }

    fn to_json(&self) -> String {
        let mut doc = json!({ "verified": false, "header": self.header });
        match &self.payload {
            Payload::Claims(claims) => {
                doc["claims"] = Value::Object(claims.clone());
                let times: Map<String, Value> = self
                    .times(claims)
                    .into_iter()
                    .filter(|(name, ..)| *name != "lifetime")
                    .map(|(name, utc, relative)| {
                        (name.to_owned(), json!({"utc": utc, "relative": relative}))
                    })
                    .collect();
                doc["times"] = Value::Object(times);
            }
            Payload::Text(text) => doc["payload_text"] = Value::String(text.clone()),
            Payload::Binary(bytes) => doc["payload_base64url"] = Value::String(b64::encode(bytes)),
        }
        doc["signature_bytes"] = self.signature_len.into();
        doc["warnings"] = serde_json::to_value(&self.warnings).unwrap_or_default();
        pretty(&doc)
    }
}

/// Warnings about the header, and a signature missing where the header promises one.
fn header_warnings(parts: &Parts) -> Vec<Warning> {
    let mut found: Vec<Warning> = parts
        .header_defect
        .as_ref()
        .map(|err| strict_parse_warning("header_invalid", err))
        .into_iter()
        .collect();
    found.extend(warnings::header(&parts.header));
    if let Some(alg) = parts.header.get("alg").and_then(Value::as_str)
        && parts.signature.is_empty()
        && !alg.eq_ignore_ascii_case("none")
    {
        let alg: String = alg.chars().take(32).collect();
        found.push(Warning {
            code: "signature_missing",
            message: format!("alg is {alg:?} but the signature part is empty"),
        });
    }
    found
}

fn classify(payload: Vec<u8>) -> Payload {
    match serde_json::from_slice::<Value>(&payload) {
        Ok(Value::Object(map)) => Payload::Claims(map),
        _ => match String::from_utf8(payload) {
            Ok(text) => Payload::Text(text),
            Err(err) => Payload::Binary(err.into_bytes()),
        },
    }
}

/// Warnings about the payload; `strict` is what the verifier's strict parser said of it
/// (duplicate claim names and wrongly typed registered claims, which the lenient parse used
/// for display forgives).
fn payload_warnings(payload: &Payload, strict: Option<&Error>, now: i64) -> Vec<Warning> {
    let Payload::Claims(claims) = payload else {
        return vec![Warning {
            code: "payload_not_json",
            message: "the payload is not a JSON object, so this is a JWS but not a JWT".into(),
        }];
    };
    let mut found: Vec<Warning> = strict
        .map(|err| strict_parse_warning("claims_invalid", err))
        .into_iter()
        .collect();
    found.extend(warnings::claims(claims, now));
    found
}

fn strict_parse_warning(code: &'static str, err: &Error) -> Warning {
    Warning {
        code,
        message: format!("{err}; verifiers refuse this token ({})", err.code()),
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    // Serializing JSON values to a string cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_default()
}
