//! JSON Web Keys (RFC 7517), key sets, and the verification key set built from them.

mod set;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::alg::{Algorithm, Curve};
use crate::error::{Error, KeyError, Part};
use crate::json;
use crate::key::material::{Material, RsaPrivate};

pub use set::{Candidates, KeyResolver, KeySet};

/// A JSON Web Key as it appears on the wire. Byte values are base64url text.
///
/// `Debug` never prints private members; they are wiped from memory on drop.
#[derive(Clone, Default, Deserialize, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `RSA`, `EC`, `OKP` or `oct`.
    pub kty: String,
    /// Intended use: `sig` or `enc`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations (`sign`, `verify`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// The algorithm the key is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Curve of an EC or OKP key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, or the OKP public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Private: EC/OKP scalar or RSA private exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Private: RSA first prime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// Private: RSA second prime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Private: RSA first CRT exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    /// Private: RSA second CRT exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    /// Private: RSA CRT coefficient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
    /// Private: the secret of an `oct` key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    /// Members this library does not interpret (`x5c`, `x5t`, `oth`, …), kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A JWK Set (`{"keys": [...]}`).
#[derive(Clone, Debug, Default, Deserialize, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JwkSet {
    /// The keys, in document order.
    pub keys: Vec<Jwk>,
}

impl Jwk {
    /// Parses one JWK strictly (duplicate members are refused).
    ///
    /// # Errors
    /// [`crate::Malformed`] errors for bad JSON.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        json::parse_strict(json, Part::Key)
    }

    /// The JWK as compact JSON.
    pub fn to_json(&self) -> String {
        // Serializing a struct of strings and a JSON map cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// True when the JWK holds private numbers of an RSA, EC or OKP key.
    pub fn is_private_asymmetric(&self) -> bool {
        self.kty != "oct" && (self.d.is_some() || self.p.is_some())
    }

    /// The RFC 7638 SHA-256 thumbprint.
    ///
    /// # Errors
    /// A key error when the required members are missing or malformed.
    pub fn thumbprint(&self) -> Result<String, Error> {
        Ok(self.material()?.thumbprint())
    }

    pub(crate) fn declared_alg(&self) -> Result<Option<Algorithm>, Error> {
        self.alg
            .as_deref()
            .map(|name| {
                Algorithm::from_str(name).map_err(|_| {
                    KeyError::Unsupported(format!(
                        "alg {:?} is not a JWS algorithm",
                        crate::error::cut(name, 32)
                    ))
                    .into()
                })
            })
            .transpose()
    }

    /// Refuses the key when `use` or `key_ops` forbid `op` (`sign` or `verify`).
    pub(crate) fn check_use(&self, op: &str) -> Result<(), Error> {
        if let Some(use_) = self.use_.as_deref().filter(|u| *u != "sig") {
            return Err(
                KeyError::UseNotPermitted(format!("key has use {use_:?}, not \"sig\"")).into(),
            );
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == op)
        {
            return Err(
                KeyError::UseNotPermitted(format!("key_ops does not include {op:?}")).into(),
            );
        }
        Ok(())
    }

    /// Decodes the key numbers, checking that the members fit the key type.
    pub(crate) fn material(&self) -> Result<Material, Error> {
        if self.extra.contains_key("oth") {
            return Err(KeyError::Unsupported("multi-prime RSA keys".into()).into());
        }
        match self.kty.as_str() {
            "oct" => Ok(Material::Oct(Zeroizing::new(required(&self.k, "k")?))),
            "RSA" => self.rsa_material(),
            "EC" => {
                let curve = Curve::from_name(self.crv.as_deref().unwrap_or_default())?;
                Ok(Material::Ec {
                    curve,
                    x: required(&self.x, "x")?,
                    y: required(&self.y, "y")?,
                    d: optional(&self.d, "d")?,
                })
            }
            "OKP" => match self.crv.as_deref() {
                Some("Ed25519") => Ok(Material::Ed25519 {
                    x: required(&self.x, "x")?,
                    d: optional(&self.d, "d")?,
                }),
                other => {
                    Err(KeyError::Unsupported(format!("OKP curve {other:?} for signatures")).into())
                }
            },
            other => {
                Err(KeyError::Unsupported(format!("kty {:?}", crate::error::cut(other, 16))).into())
            }
        }
    }

    fn rsa_material(&self) -> Result<Material, Error> {
        let n = required(&self.n, "n")?;
        let e = required(&self.e, "e")?;
        let private = match &self.d {
            None => None,
            Some(_) => Some(Box::new(RsaPrivate {
                d: Zeroizing::new(required(&self.d, "d")?),
                p: Zeroizing::new(required(&self.p, "p")?),
                q: Zeroizing::new(required(&self.q, "q")?),
                dp: Zeroizing::new(required(&self.dp, "dp")?),
                dq: Zeroizing::new(required(&self.dq, "dq")?),
                qi: Zeroizing::new(required(&self.qi, "qi")?),
            })),
        };
        Ok(Material::Rsa { n, e, private })
    }

    /// The JWK of a key, with `kid`, `alg` and `use: sig`.
    pub(crate) fn from_material(material: &Material, alg: Algorithm, kid: &str) -> Self {
        use crate::b64::encode;
        let secret = |bytes: &[u8]| Some(encode(bytes));
        let mut jwk = Self::default();
        jwk.use_ = Some("sig".into());
        jwk.alg = Some(alg.as_str().into());
        jwk.kid = Some(kid.into());
        match material {
            Material::Oct(k) => {
                jwk.kty = "oct".into();
                jwk.k = secret(k);
            }
            Material::Rsa { n, e, private } => {
                jwk.kty = "RSA".into();
                jwk.n = Some(encode(n));
                jwk.e = Some(encode(e));
                if let Some(p) = private {
                    (jwk.d, jwk.p, jwk.q) = (secret(&p.d), secret(&p.p), secret(&p.q));
                    (jwk.dp, jwk.dq, jwk.qi) = (secret(&p.dp), secret(&p.dq), secret(&p.qi));
                }
            }
            Material::Ec { curve, x, y, d } => {
                jwk.kty = "EC".into();
                jwk.crv = Some(curve.name().into());
                (jwk.x, jwk.y) = (Some(encode(x)), Some(encode(y)));
                jwk.d = d.as_deref().map(|d| encode(d));
            }
            Material::Ed25519 { x, d } => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(encode(x));
                jwk.d = d.as_deref().map(|d| encode(d));
            }
        }
        jwk
    }
}

impl JwkSet {
    /// Parses a JWK Set strictly.
    ///
    /// # Errors
    /// [`crate::Malformed`] errors for bad JSON.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        json::parse_strict(json, Part::Key)
    }

    /// The set as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn required(member: &Option<String>, name: &str) -> Result<Vec<u8>, Error> {
    optional(member, name)?
        .map(|z| z.to_vec())
        .ok_or_else(|| KeyError::Invalid(format!("JWK member {name:?} is missing")).into())
}

fn optional(member: &Option<String>, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    member
        .as_deref()
        .map(|text| {
            crate::b64::decode(text.as_bytes())
                .map(Zeroizing::new)
                .ok_or_else(|| {
                    KeyError::Invalid(format!("JWK member {name:?} is not base64url")).into()
                })
        })
        .transpose()
}

impl Drop for Jwk {
    fn drop(&mut self) {
        for secret in [
            &mut self.d,
            &mut self.p,
            &mut self.q,
            &mut self.dp,
            &mut self.dq,
            &mut self.qi,
            &mut self.k,
        ] {
            secret.zeroize();
        }
    }
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("crv", &self.crv)
            .field("private", &(self.d.is_some() || self.k.is_some()))
            .finish_non_exhaustive()
    }
}
