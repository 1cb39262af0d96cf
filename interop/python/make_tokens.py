"""Writes access tokens and public keys made by PyJWT and cryptography into OUT_DIR.

The layout is the one interop/README.md describes, shared with interop/node/make-tokens.mjs:
verifiers load any generator's output the same way.

    python3 make_tokens.py OUT_DIR [ALG ...]     (default: every algorithm)

Exit 0 on success, 2 on bad usage or a missing package.
"""

import argparse
import sys

try:
    import cryptography
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from jwt.algorithms import get_default_algorithms
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")

import fixtures

GENERATOR = f"PyJWT {jwt.__version__} + cryptography {cryptography.__version__}"


def new_private_key(alg):
    """A fresh private key for `alg` (RSA keys are 2048-bit, the floor verifiers accept)."""
    if alg in ("RS256", "PS256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    return ed25519.Ed25519PrivateKey.generate()


def make(alg):
    """One algorithm's fixture: (public JWK, SPKI PEM, token, claims)."""
    private_key = new_private_key(alg)
    public_key = private_key.public_key()
    kid = f"pyjwt-{alg.lower()}"
    jwk = get_default_algorithms()[alg].to_jwk(public_key, as_dict=True)
    jwk.update(kid=kid, alg=alg, use="sig")
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    claims = fixtures.claims_for("pyjwt", alg)
    token = jwt.encode(claims, private_key, algorithm=alg, headers={"kid": kid, "typ": "at+jwt"})
    return jwk, pem, token, claims


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("algs", nargs="*", metavar="ALG", help=", ".join(fixtures.ALGS))
    args = parser.parse_args()
    unknown = set(args.algs) - set(fixtures.ALGS)
    if unknown:
        parser.error(f"unknown algorithm {sorted(unknown)}; choose from {', '.join(fixtures.ALGS)}")
    made = {alg: make(alg) for alg in args.algs or fixtures.ALGS}
    fixtures.write(args.out_dir, GENERATOR, made)


if __name__ == "__main__":
    main()
