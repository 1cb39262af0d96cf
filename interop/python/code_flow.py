"""Runs the authorization code flow with PKCE and OpenID Connect against `tessera serve` with
Authlib's OAuth 2.0 client, configured only from the issuer's OpenID Connect discovery
document. The browser part (following redirects, submitting the sign-in form with its hidden
fields) is done with a requests session, as a browser would; Authlib builds the request,
redeems the code with the PKCE verifier, and its JOSE side validates the ID token (signature,
iss, aud, exp, nonce, at_hash) against the discovered jwks_uri; then it calls userinfo,
refreshes, and signs out with RP-initiated logout.

    python3 code_flow.py --issuer URL --client-id ID --username NAME --redirect-uri URI \
        --post-logout-redirect-uri URI < secrets.json

secrets.json is {"client_secret": ..., "password": ...}, and "decryption_key" (the client's
private JWK) for a client that registered encrypted ID tokens: the ID token is then a JWE,
which Authlib's JWE side decrypts (with the algorithms discovery lists) before the signed ID
token inside is validated as above; logout sends that inner token as the hint. Exit 0 and a
JSON report on stdout; 1 and `rejected: <error>` on stderr; 2 on bad usage or a missing
package.
"""

import argparse
import html
import json
import re
import secrets as random
import sys
import warnings
from urllib.parse import parse_qs, urljoin, urlsplit

try:
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oidc.discovery import OpenIDProviderMetadata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.jose import JsonWebEncryption, JsonWebKey, JsonWebToken
        from authlib.oidc.core import CodeIDToken
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")

TIMEOUT_S = 10
FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def discover(issuer):
    """The OpenID Provider metadata, validated by Authlib's discovery rules."""
    url = f"{issuer}/.well-known/openid-configuration"
    metadata = OpenIDProviderMetadata(requests.get(url, timeout=TIMEOUT_S).json())
    metadata.validate()
    if metadata["issuer"] != issuer:
        raise ValueError(f"metadata names issuer {metadata['issuer']!r}")
    return metadata


def submit(browser, base, page, fields):
    """Submits the page's first form with `fields` added to its hidden inputs."""
    found = FORM.search(page)
    if not found:
        raise ValueError(f"no form in the page: {page[:200]}")
    data = {name: html.unescape(value) for name, value in HIDDEN.findall(found.group(2))}
    data.update(fields)
    action = urljoin(base, html.unescape(found.group(1)))
    return browser.post(action, data=data, allow_redirects=False, timeout=TIMEOUT_S)


def open_id_token(id_token, secrets, metadata):
    """The signed ID token: `id_token` itself, or the content of the JWE it is when the client
    registered encryption (with the JWE's protected header)."""
    if "decryption_key" not in secrets:
        return id_token, None
    allowed = (metadata["id_token_encryption_alg_values_supported"]
               + metadata["id_token_encryption_enc_values_supported"])
    key = JsonWebKey.import_key(secrets["decryption_key"])
    opened = JsonWebEncryption(algorithms=allowed).deserialize_compact(id_token, key)
    header = opened["header"]
    if header.get("cty", "").upper() != "JWT":
        raise ValueError(f"the JWE is not a nested JWT: {header}")
    return opened["payload"].decode("ascii"), header


def run(args, secrets):
    metadata = discover(args.issuer)
    session = OAuth2Session(
        args.client_id,
        secrets["client_secret"],
        scope="openid",
        redirect_uri=args.redirect_uri,
        code_challenge_method="S256",
    )
    verifier = random.token_urlsafe(48)
    nonce = random.token_urlsafe(16)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=TIMEOUT_S)
    if page.status_code != 200:
        raise ValueError(f"the authorization endpoint answered {page.status_code}")
    back = submit(browser, args.issuer, page.text, {
        "username": args.username,
        "password": secrets["password"],
    })
    location = back.headers.get("location", "")
    if back.status_code != 303 or not location.startswith(args.redirect_uri):
        raise ValueError(f"signing in answered {back.status_code} {location or back.text[:300]}")
    returned = parse_qs(urlsplit(location).query)
    # RFC 9207: the metadata promises `iss`, so a response without the right one is refused.
    if returned.get("iss") != [args.issuer]:
        raise ValueError(f"the response's iss is {returned.get('iss')}")
    token = session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
        state=state,
    )
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=TIMEOUT_S).json())
    algorithms = metadata["id_token_signing_alg_values_supported"]
    id_token, jwe_header = open_id_token(token["id_token"], secrets, metadata)
    claims = JsonWebToken(algorithms).decode(
        id_token,
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": args.issuer}},
        claims_params={"nonce": nonce, "client_id": args.client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=60)
    userinfo = session.get(metadata["userinfo_endpoint"], timeout=TIMEOUT_S).json()
    if userinfo.get("sub") != claims["sub"]:
        raise ValueError(f"userinfo names {userinfo.get('sub')!r}, not the ID token's sub")
    refreshed = session.refresh_token(metadata["token_endpoint"])
    logout = browser.get(
        metadata["end_session_endpoint"],
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": args.post_logout_redirect_uri,
            "state": "bye",
        },
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )
    again = browser.get(url, allow_redirects=False, timeout=TIMEOUT_S)
    return {
        "id_token_claims": dict(claims),
        "id_token_jwe_header": {k: v for k, v in (jwe_header or {}).items() if k != "epk"},
        "userinfo": userinfo,
        "refreshed": "access_token" in refreshed,
        "token_type": token.get("token_type"),
        "has_refresh_token": "refresh_token" in token,
        "logout_status": logout.status_code,
        "logout_location": logout.headers.get("location"),
        "signed_out": again.status_code == 200 and 'action="/ui/login"' in again.text,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("issuer", "client-id", "username", "redirect-uri", "post-logout-redirect-uri"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    secrets = json.load(sys.stdin)
    try:
        report = run(args, secrets)
    except (AuthlibBaseError, ValueError, KeyError, requests.RequestException) as err:
        sys.exit(f"rejected: {type(err).__name__}: {err}")
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
