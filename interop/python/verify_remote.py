"""Verifies an access token from `tessera serve` as a Python resource server would: PyJWT,
with PyJWKClient on the jwks_uri that the issuer's discovery document names.

    python3 verify_remote.py --issuer URL --audience AUD --alg ALG < token

The token comes on stdin (never on the command line, where `ps` would show it). Exit 0 and
the verified claims as JSON on stdout; 1 and `rejected: <error>` on stderr; 2 on bad usage or
a missing package.
"""

import argparse
import json
import sys
import urllib.request

try:
    import jwt
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")

TIMEOUT_S = 10


def discover(issuer):
    """The issuer's metadata, refusing one that names another issuer (RFC 8414 §3.3)."""
    url = f"{issuer}/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        metadata = json.load(response)
    if metadata.get("issuer") != issuer:
        raise jwt.InvalidIssuerError(f"discovery names issuer {metadata.get('issuer')!r}")
    return metadata


def verify(token, issuer, audience, alg):
    """The verified claims; the algorithm is pinned by the caller, never read from the token."""
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("header typ is not at+jwt")
    keys = jwt.PyJWKClient(discover(issuer)["jwks_uri"], timeout=TIMEOUT_S)
    key = keys.get_signing_key_from_jwt(token)
    if key.algorithm_name != alg:
        raise jwt.InvalidAlgorithmError(f"the key is for {key.algorithm_name}, not {alg}")
    return jwt.decode(
        token,
        key.key,
        algorithms=[alg],
        issuer=issuer,
        audience=audience,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    parser.add_argument("--alg", required=True)
    args = parser.parse_args()
    try:
        claims = verify(sys.stdin.read().strip(), args.issuer, args.audience, args.alg)
    except jwt.PyJWTError as err:
        sys.exit(f"rejected: {type(err).__name__}: {err}")
    json.dump(claims, sys.stdout)


if __name__ == "__main__":
    main()
