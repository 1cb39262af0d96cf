"""Runs the password, refresh_token and client_credentials grants against `tessera serve` with
Authlib's OAuth 2.0 client, configured only from the issuer's RFC 8414 metadata, and verifies
each access token with Authlib's JOSE side against the metadata's jwks_uri.

    python3 oauth_flow.py --issuer URL --client-id ID --username NAME --scope S \
        --audience AUD --alg ALG < secrets.json

secrets.json is {"client_secret": ..., "password": ...} (secrets never on the command line).
Exit 0 and a JSON report on stdout (per grant: the verified claims and the response's
token_type, expires_in, scope and whether it held a refresh token); 1 and `rejected: <error>`
on stderr; 2 on bad usage or a missing package.
"""

import argparse
import json
import sys
import warnings

try:
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    # authlib.jose is deprecated in favour of joserfc from 2.0 on, but it is still the JOSE
    # side of Authlib 1.x, and the one its clients use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.jose import JsonWebKey, JsonWebToken
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")

TIMEOUT_S = 10
# RFC 8414 calls response_types_supported REQUIRED; it is checked apart, as a list, so that an
# empty list (which Authlib reads as absent) would be told apart from a missing member.
CHECKED_APART = {"response_types_supported"}


def metadata_for(issuer):
    """The issuer's metadata, checked member by member with Authlib's RFC 8414 rules."""
    url = f"{issuer}/.well-known/oauth-authorization-server"
    metadata = AuthorizationServerMetadata(requests.get(url, timeout=TIMEOUT_S).json())
    for key in metadata.REGISTRY_KEYS:
        if key not in CHECKED_APART:
            getattr(metadata, f"validate_{key}")()
    if not isinstance(metadata.get("response_types_supported"), list):
        raise ValueError('"response_types_supported" MUST be a JSON array')
    if metadata["issuer"] != issuer:
        raise ValueError(f"metadata names issuer {metadata['issuer']!r}")
    return metadata


def verifier(metadata, args):
    """A function that verifies an access token as a resource server would."""
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=TIMEOUT_S).json())
    jwt = JsonWebToken([args.alg])
    options = {
        "iss": {"essential": True, "value": args.issuer},
        "aud": {"essential": True, "value": args.audience},
        **{name: {"essential": True} for name in ("exp", "iat", "sub", "jti")},
    }

    def verify(token):
        claims = jwt.decode(token, keys, claims_options=options)
        claims.validate(leeway=60)
        if claims.header.get("typ") != "at+jwt":
            raise ValueError("header typ is not at+jwt")
        return dict(claims)

    return verify


def summary(response, verify):
    return {
        "claims": verify(response["access_token"]),
        "token_type": response.get("token_type"),
        "expires_in": response.get("expires_in"),
        "scope": response.get("scope"),
        "has_refresh_token": "refresh_token" in response,
    }


def run(args, secrets):
    metadata = metadata_for(args.issuer)
    verify = verifier(metadata, args)
    endpoint = metadata["token_endpoint"]
    session = OAuth2Session(args.client_id, secrets["client_secret"], scope=args.scope)
    password = session.fetch_token(
        endpoint, grant_type="password", username=args.username, password=secrets["password"]
    )
    report = {"password": summary(password, verify)}
    report["refresh_token"] = summary(session.refresh_token(endpoint), verify)
    service = OAuth2Session(args.client_id, secrets["client_secret"], scope=args.scope)
    report["client_credentials"] = summary(
        service.fetch_token(endpoint, grant_type="client_credentials"), verify
    )
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("issuer", "client-id", "username", "scope", "audience", "alg"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    secrets = json.load(sys.stdin)
    try:
        report = run(args, secrets)
    except (AuthlibBaseError, ValueError, requests.RequestException) as err:
        sys.exit(f"rejected: {type(err).__name__}: {err}")
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
