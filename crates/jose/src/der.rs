//! The little DER this crate needs: reading SubjectPublicKeyInfo, PKCS#8 and PKCS#1 structures
//! to learn a key's type and numbers, and the fixed SPKI prefixes for EC and Ed25519 keys.
//! Parsing and validation of the keys themselves is aws-lc's.

/// `rsaEncryption` (1.2.840.113549.1.1.1).
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// `id-ecPublicKey` (1.2.840.10045.2.1).
pub(crate) const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// `prime256v1` (1.2.840.10045.3.1.7).
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `secp384r1` (1.3.132.0.34).
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// `secp521r1` (1.3.132.0.35).
pub(crate) const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
/// `id-Ed25519` (1.3.101.112).
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;

/// SPKI prefix of an uncompressed P-256 point (the point follows).
pub(crate) const SPKI_P256: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// SPKI prefix of an uncompressed P-384 point.
pub(crate) const SPKI_P384: &[u8] = &[
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
];
/// SPKI prefix of an uncompressed P-521 point.
pub(crate) const SPKI_P521: &[u8] = &[
    0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
    0x2b, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00,
];
/// SPKI prefix of an Ed25519 public key.
pub(crate) const SPKI_ED25519: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn new(der: &'a [u8]) -> Self {
        Self(der)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads one element of the given tag and returns its contents.
    pub(crate) fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&found, rest) = self.0.split_first()?;
        if found != tag {
            return None;
        }
        let (len, rest) = read_len(rest)?;
        if rest.len() < len {
            return None;
        }
        let (content, rest) = rest.split_at(len);
        self.0 = rest;
        Some(content)
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    pub(crate) fn sequence(&mut self) -> Option<Reader<'a>> {
        self.read(SEQUENCE).map(Reader)
    }

    /// Reads a non-negative INTEGER as big-endian bytes without leading zeros.
    pub(crate) fn unsigned(&mut self) -> Option<&'a [u8]> {
        let bytes = self.read(INTEGER)?;
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            return None;
        }
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        Some(&bytes[start..])
    }

    pub(crate) fn oid(&mut self) -> Option<&'a [u8]> {
        self.read(OID)
    }

    pub(crate) fn octets(&mut self) -> Option<&'a [u8]> {
        self.read(OCTET_STRING)
    }

    /// Reads a BIT STRING with no unused bits.
    pub(crate) fn bits(&mut self) -> Option<&'a [u8]> {
        match self.read(BIT_STRING)?.split_first() {
            Some((0, bits)) => Some(bits),
            _ => None,
        }
    }

    /// Reads an OID if the next element is one (optional algorithm parameters).
    pub(crate) fn optional_oid(&mut self) -> Option<&'a [u8]> {
        if self.0.first() == Some(&OID) {
            self.oid()
        } else {
            None
        }
    }
}

fn read_len(input: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = input.split_first()?;
    match first {
        0..=0x7f => Some((usize::from(first), rest)),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (len >= 0x80).then_some((usize::from(len), rest))
        }
        0x82 => {
            let (bytes, rest) = rest.split_at_checked(2)?;
            let len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
            (len >= 0x100).then_some((len, rest))
        }
        _ => None,
    }
}

/// An AlgorithmIdentifier: the algorithm OID and an optional OID parameter (the curve).
pub(crate) struct AlgorithmId<'a> {
    pub(crate) oid: &'a [u8],
    pub(crate) param: Option<&'a [u8]>,
}

fn algorithm_id<'a>(reader: &mut Reader<'a>) -> Option<AlgorithmId<'a>> {
    let mut alg = reader.sequence()?;
    let oid = alg.oid()?;
    let param = alg.optional_oid();
    Some(AlgorithmId { oid, param })
}

/// Reads a SubjectPublicKeyInfo: the algorithm and the public key bits.
pub(crate) fn spki(der: &[u8]) -> Option<(AlgorithmId<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let mut spki = outer.sequence()?;
    let alg = algorithm_id(&mut spki)?;
    let key = spki.bits()?;
    (spki.is_empty() && outer.is_empty()).then_some((alg, key))
}

/// Reads a PKCS#8 PrivateKeyInfo: the algorithm and the inner private key octets.
pub(crate) fn pkcs8(der: &[u8]) -> Option<(AlgorithmId<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let mut info = outer.sequence()?;
    let _version = info.unsigned()?;
    let alg = algorithm_id(&mut info)?;
    let key = info.octets()?;
    Some((alg, key))
}

/// Reads a PKCS#1 RSAPublicKey into `(n, e)`.
pub(crate) fn rsa_public(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let mut key = outer.sequence()?;
    let n = key.unsigned()?;
    let e = key.unsigned()?;
    (key.is_empty() && outer.is_empty()).then_some((n, e))
}

/// Reads a two-prime PKCS#1 RSAPrivateKey: n, e, d, p, q, dp, dq, qi.
pub(crate) fn rsa_private(der: &[u8]) -> Option<[&[u8]; 8]> {
    let mut outer = Reader::new(der);
    let mut key = outer.sequence()?;
    if key.unsigned()? != [] as [u8; 0] {
        return None; // version 1 means multi-prime, which JWS keys do not use
    }
    let mut numbers: [&[u8]; 8] = [&[]; 8];
    for slot in &mut numbers {
        *slot = key.unsigned()?;
    }
    key.is_empty().then_some(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lengths_strictly() {
        assert_eq!(read_len(&[0x05]), Some((5, &[][..])));
        assert_eq!(read_len(&[0x81, 0x80]), Some((128, &[][..])));
        assert_eq!(read_len(&[0x81, 0x7f]), None, "non-minimal length");
        assert_eq!(read_len(&[0x82, 0x00, 0xff]), None, "non-minimal length");
        assert_eq!(read_len(&[0x83, 0, 0, 1]), None, "too long for a key");
    }

    #[test]
    fn truncated_input_is_refused() {
        let mut reader = Reader::new(&[0x30, 0x05, 0x02, 0x01]);
        assert!(reader.sequence().is_none());
    }
}
