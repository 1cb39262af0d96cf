"""Runs RFC 8693 token exchange against `tessera serve` with Authlib's OAuth 2.0 client,
configured only from the issuer's RFC 8414 metadata: a user's access token (password grant,
client A) is exchanged by client B for a token for another audience, verified with Authlib's
JOSE side against the metadata's jwks_uri; then an audience B may not ask for is refused.

    python3 token_exchange.py --issuer URL --client-id A --exchanger-id B --username NAME \
        --audience AUD --alg ALG < secrets.json

secrets.json is {"client_secret": ..., "exchanger_secret": ..., "password": ...}. Exit 0 and a
JSON report on stdout; 1 and `rejected: <error>` on stderr; 2 on bad usage or a missing
package.
"""

import argparse
import json
import sys

try:
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.requests_client import OAuth2Session
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")

from oauth_flow import metadata_for, verifier

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


def run(args, secrets):
    metadata = metadata_for(args.issuer)
    if GRANT not in metadata.get("grant_types_supported", []):
        raise ValueError("the metadata does not list token exchange")
    endpoint = metadata["token_endpoint"]
    user = OAuth2Session(args.client_id, secrets["client_secret"])
    subject = user.fetch_token(
        endpoint, grant_type="password", username=args.username, password=secrets["password"]
    )["access_token"]
    exchanger = OAuth2Session(args.exchanger_id, secrets["exchanger_secret"])
    exchanged = exchanger.fetch_token(
        endpoint,
        grant_type=GRANT,
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN,
        audience=args.audience,
        scope="orders:read",
    )
    verify = verifier(metadata, args)
    report = {
        "claims": verify(exchanged["access_token"]),
        "issued_token_type": exchanged.get("issued_token_type"),
        "token_type": exchanged.get("token_type"),
        "scope": exchanged.get("scope"),
        "has_refresh_token": "refresh_token" in exchanged,
    }
    try:
        exchanger.fetch_token(
            endpoint,
            grant_type=GRANT,
            subject_token=subject,
            subject_token_type=ACCESS_TOKEN,
            audience="an-audience-it-may-not-ask-for",
        )
        report["other_audience"] = "issued"
    except OAuthError as err:
        report["other_audience"] = err.error
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("issuer", "client-id", "exchanger-id", "username", "audience", "alg"):
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
