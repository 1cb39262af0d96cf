"""The foreign-token fixture layout (interop/README.md): claims, tampering and file writing.

Standard library only, so that the layout does not depend on the signing library.
"""

import base64
import json
import pathlib
import time
import uuid

ALGS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
ISSUER = "https://issuer.interop.test"
AUDIENCE = "interop-api"
TYP = "at+jwt"
# Long enough for a slow test run, short enough to be an ordinary access token.
LIFETIME_S = 3600


def claims_for(library, alg):
    """RFC 9068 access-token claims, distinct per library and algorithm."""
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": f"{library}-{alg.lower()}-user",
        "aud": AUDIENCE,
        "exp": now + LIFETIME_S,
        "nbf": now,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "client_id": "interop-client",
        "scope": "orders:read orders:write",
    }


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tamper_payload(token):
    """The same header and signature over claims whose `sub` was changed."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "intruder"
    forged = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{forged}.{signature}"


def tamper_signature(token):
    """The same token with one bit of a signature byte flipped (in the decoded bytes, since
    the last base64url character may carry unused bits)."""
    header, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{b64url_encode(bytes(raw))}"


def write(out_dir, generator, made):
    """Writes `made` ({alg: (public_jwk, spki_pem, token, claims)}) in the shared layout."""
    root = pathlib.Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    for alg, (jwk, pem, token, claims) in made.items():
        folder = root / alg
        folder.mkdir(exist_ok=True)
        (folder / "token.jwt").write_text(token + "\n")
        (folder / "tampered-payload.jwt").write_text(tamper_payload(token) + "\n")
        (folder / "tampered-signature.jwt").write_text(tamper_signature(token) + "\n")
        (folder / "claims.json").write_text(json.dumps(claims, indent=2) + "\n")
        (folder / "public.pem").write_text(pem)
        (folder / "jwk.json").write_text(json.dumps(jwk, indent=2) + "\n")
    jwks = {"keys": [jwk for jwk, _, _, _ in made.values()]}
    (root / "jwks.json").write_text(json.dumps(jwks, indent=2) + "\n")
    manifest = {
        "generator": generator,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "typ": TYP,
        "algs": list(made),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
