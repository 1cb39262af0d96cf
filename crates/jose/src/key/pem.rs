//! PEM import and export: PKCS#8, SPKI, PKCS#1 (RSA) and SEC1 (EC) documents.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use pem_rfc7468::LineEnding;
use zeroize::Zeroizing;

use crate::alg::Curve;
use crate::der;
use crate::error::{Error, KeyError};
use crate::key::material::{self, Material, Signer};

/// Reads one PEM document into key numbers.
pub(crate) fn decode(pem: &str) -> Result<Material, Error> {
    let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
        .map_err(|err| KeyError::Pem(format!("{err}; expected one -----BEGIN ...----- block")))?;
    let der = Zeroizing::new(der);
    match label {
        "PRIVATE KEY" => pkcs8(&der),
        "RSA PRIVATE KEY" => rsa_pkcs1_private(&der),
        "EC PRIVATE KEY" => sec1(&der),
        "PUBLIC KEY" => spki(&der),
        "RSA PUBLIC KEY" => {
            let (n, e) = der::rsa_public(&der).ok_or_else(|| pem_error("RSA PUBLIC KEY"))?;
            Ok(Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
                private: None,
            })
        }
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Unsupported(
            "encrypted PEM; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)".into(),
        )
        .into()),
        "CERTIFICATE" => Err(KeyError::Unsupported(
            "certificates; extract the public key (openssl x509 -pubkey -noout -in cert.pem)"
                .into(),
        )
        .into()),
        other => Err(KeyError::Pem(format!("unsupported PEM label {other:?}")).into()),
    }
}

fn pem_error(what: &str) -> Error {
    KeyError::Pem(format!("the {what} block does not hold a readable key")).into()
}

fn pkcs8(der: &[u8]) -> Result<Material, Error> {
    let (alg, _) = der::pkcs8(der).ok_or_else(|| pem_error("PRIVATE KEY"))?;
    match (alg.oid, alg.param) {
        (der::OID_RSA, _) => {
            let pair = RsaKeyPair::from_pkcs8(der)
                .map_err(|e| material::invalid(&format!("RSA key rejected ({e})")))?;
            Material::from_rsa_pair(&pair)
        }
        (der::OID_EC, Some(curve_oid)) => {
            let curve = curve_from_oid(curve_oid)?;
            let pair = EcdsaKeyPair::from_pkcs8(material::ecdsa_signing(curve), der)
                .map_err(|e| material::invalid(&format!("EC key rejected ({e})")))?;
            Material::from_ec_pair(curve, &pair)
        }
        (der::OID_ED25519, _) => {
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| material::invalid(&format!("Ed25519 key rejected ({e})")))?;
            Material::from_ed25519_pair(&pair)
        }
        _ => Err(KeyError::Unsupported("PKCS#8 key algorithm".into()).into()),
    }
}

fn rsa_pkcs1_private(der: &[u8]) -> Result<Material, Error> {
    let numbers = der::rsa_private(der).ok_or_else(|| pem_error("RSA PRIVATE KEY"))?;
    Ok(Material::rsa_from_numbers(numbers))
}

fn sec1(der: &[u8]) -> Result<Material, Error> {
    for curve in [Curve::P256, Curve::P384, Curve::P521] {
        if let Ok(pair) = EcdsaKeyPair::from_private_key_der(material::ecdsa_signing(curve), der) {
            return Material::from_ec_pair(curve, &pair);
        }
    }
    Err(pem_error("EC PRIVATE KEY"))
}

fn spki(der: &[u8]) -> Result<Material, Error> {
    let (alg, key) = der::spki(der).ok_or_else(|| pem_error("PUBLIC KEY"))?;
    match (alg.oid, alg.param) {
        (der::OID_RSA, _) => {
            let (n, e) = der::rsa_public(key).ok_or_else(|| pem_error("PUBLIC KEY"))?;
            Ok(Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
                private: None,
            })
        }
        (der::OID_EC, Some(curve_oid)) => Material::ec_public(curve_from_oid(curve_oid)?, key),
        (der::OID_ED25519, None) if key.len() == 32 => Ok(Material::Ed25519 {
            x: key.to_vec(),
            d: None,
        }),
        _ => Err(KeyError::Unsupported("public key algorithm".into()).into()),
    }
}

fn curve_from_oid(oid: &[u8]) -> Result<Curve, Error> {
    match oid {
        der::OID_P256 => Ok(Curve::P256),
        der::OID_P384 => Ok(Curve::P384),
        der::OID_P521 => Ok(Curve::P521),
        _ => Err(
            KeyError::Unsupported("EC curve (P-256, P-384 and P-521 are supported)".into()).into(),
        ),
    }
}

/// The public half as SPKI PEM.
pub(crate) fn encode_public(material: &Material) -> Result<String, Error> {
    let der = material
        .spki_der()?
        .ok_or_else(|| KeyError::Unsupported("an HMAC secret has no public PEM form".into()))?;
    pem_rfc7468::encode_string("PUBLIC KEY", LineEnding::LF, &der).map_err(|_| Error::Crypto)
}

/// The private key as PKCS#8 PEM.
pub(crate) fn encode_private(signer: &Signer) -> Result<Zeroizing<String>, Error> {
    let der = match signer {
        Signer::Hmac(_) => {
            return Err(
                KeyError::Unsupported("an HMAC secret has no PEM form; use a JWK".into()).into(),
            );
        }
        Signer::Rsa(pair, _) => AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(pair)
            .map(|doc| Zeroizing::new(doc.as_ref().to_vec())),
        Signer::Ec(pair) => pair
            .to_pkcs8v1()
            .map(|doc| Zeroizing::new(doc.as_ref().to_vec())),
        Signer::Ed25519(pair) => pair
            .to_pkcs8v1()
            .map(|doc| Zeroizing::new(doc.as_ref().to_vec())),
    }
    .map_err(|_| Error::Crypto)?;
    pem_rfc7468::encode_string("PRIVATE KEY", LineEnding::LF, &der)
        .map(Zeroizing::new)
        .map_err(|_| Error::Crypto)
}
