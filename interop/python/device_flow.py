"""Runs the OAuth 2.0 Device Authorization Grant (RFC 8628) against `tessera serve` with
Authlib's OAuth 2.0 client, configured only from the issuer's RFC 8414 metadata: the device
asks the device_authorization_endpoint for its codes, polls the token endpoint with the
device_code grant as RFC 8628 §3.5 says (waiting `interval` seconds between polls, five more
after each `slow_down`, giving up when the codes expire or the wait budget is spent), while
its user approves the request at verification_uri_complete in a browser (a requests session:
cookies, the sign-in form's hidden fields, the code page, the confirmation page). Authlib's
JOSE side then verifies the access token against the metadata's jwks_uri and validates the
ID token; the refresh token is used once, and the device code is tried again (it is redeemed
once). Two polls at once, before the user acts, must be answered authorization_pending and
slow_down.

    python3 device_flow.py --issuer URL --client-id ID --username NAME --scope S \
        --audience AUD --alg ALG < secrets.json

secrets.json is {"password": ...}, and "client_secret" for a confidential client (a public
client, without it, sends its client_id). Exit 0 and a JSON report on stdout; 1 and
`rejected: <error>` on stderr; 2 on bad usage or a missing package.
"""

import argparse
import html
import json
import re
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit

try:
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.jose import JsonWebKey, JsonWebToken
        from authlib.oidc.core import IDToken
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")

from oauth_flow import metadata_for, verifier

TIMEOUT_S = 10
# The longest the device waits for its user, whatever expires_in says: the test's user acts
# within a second, so only a broken server makes the device wait this long.
MAX_WAIT_S = 40
# RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent
# requests".
SLOW_DOWN_S = 5
# RFC 8628 §3.2: when the response has no interval, the client MUST use 5 seconds.
DEFAULT_INTERVAL_S = 5
FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CODE_INPUT = re.compile(r'<input [^>]*name="user_code" type="text"[^>]*value="([^"]*)"')
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
ALERT = re.compile(r'<p class="error"[^>]*role="alert">(.*?)</p>', re.S)
NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)
MUTED = re.compile(r'<p class="muted">(.*?)</p>', re.S)
SCOPES = re.compile(r'<ul class="scopes">(.*?)</ul>', re.S)
ITEM = re.compile(r"<li>(.*?)</li>", re.S)
LEAD = re.compile(r"</h1>\s*<p>(.*?)</p>", re.S)


def text_of(pattern, page):
    found = pattern.search(page)
    return html.unescape(found.group(1)).strip() if found else None


def submit(browser, base, page, fields):
    """Submits the page's first form with `fields` added to its hidden inputs."""
    found = FORM.search(page)
    if not found:
        raise ValueError(f"no form in the page: {page[:200]}")
    data = {name: html.unescape(value) for name, value in HIDDEN.findall(found.group(2))}
    data.update(fields)
    action = urljoin(base, html.unescape(found.group(1)))
    return browser.post(action, data=data, allow_redirects=False, timeout=TIMEOUT_S)


def step(pages, name, response):
    """Records a page's status (and where a redirect points) in the report."""
    entry = {"name": name, "status": response.status_code}
    if "location" in response.headers:
        entry["location"] = response.headers["location"]
    pages.append(entry)
    return response


def wrong_code_for(user_code):
    """A well-formed code that is not `user_code` (one letter changed, as a typo would)."""
    replacement = "B" if user_code[0] != "B" else "C"
    return replacement + user_code[1:]


def approve(issuer, started, username, password):
    """The user's side, in a browser: verification_uri_complete, signing in there, the code
    page (filled in), a mistyped code, the confirmation and "allow". What each page was."""
    browser = requests.Session()
    pages = []
    report = {"pages": pages}
    first = step(pages, "device", browser.get(
        started["verification_uri_complete"], allow_redirects=False, timeout=TIMEOUT_S))
    if first.status_code != 303:
        raise ValueError(f"the code page answered {first.status_code} before signing in")
    login = step(pages, "sign_in_page", browser.get(
        urljoin(issuer, first.headers["location"]), allow_redirects=False, timeout=TIMEOUT_S))
    report["sign_in_hidden"] = dict(HIDDEN.findall(login.text))
    back = step(pages, "sign_in", submit(browser, issuer, login.text, {
        "username": username,
        "password": password,
        "action": "sign_in",
    }))
    if back.status_code != 303:
        raise ValueError(f"signing in answered {back.status_code}: {back.text[:300]}")
    entry = step(pages, "code_page", browser.get(
        urljoin(issuer, back.headers["location"]), allow_redirects=False, timeout=TIMEOUT_S))
    report["prefilled"] = text_of(CODE_INPUT, entry.text)

    wrong = step(pages, "wrong_code", submit(browser, issuer, entry.text, {
        "user_code": wrong_code_for(started["user_code"]),
        "action": "continue",
    }))
    report["wrong_code_alert"] = text_of(ALERT, wrong.text)

    # The page that refused gives the form again; the right code, typed as the device shows
    # it (with its dash), continues.
    confirm = step(pages, "confirm", submit(browser, issuer, wrong.text, {
        "user_code": started["user_code"],
        "action": "continue",
    }))
    scopes = SCOPES.search(confirm.text)
    report["confirm"] = {
        "lead": text_of(LEAD, confirm.text),
        "scopes": [html.unescape(item).strip() for item in ITEM.findall(scopes.group(1))]
        if scopes else None,
        "notes": [html.unescape(note).strip() for note in MUTED.findall(confirm.text)],
        "hidden": sorted(name for name, _ in HIDDEN.findall(confirm.text)),
    }
    done = step(pages, "allow", submit(browser, issuer, confirm.text, {"action": "allow"}))
    report["done_notice"] = text_of(NOTICE, done.text)
    return report


class Device:
    """The device: an Authlib client that polls the token endpoint with its device code,
    keeping its interval as RFC 8628 §3.5 says."""

    def __init__(self, args, secrets, metadata, started):
        self.args, self.secrets = args, secrets
        self.endpoint = metadata["token_endpoint"]
        self.device_code = started["device_code"]
        self.interval = started.get("interval", DEFAULT_INTERVAL_S)
        self.expires_at = time.monotonic() + started["expires_in"]
        self.last_poll = None
        # What the polls of `wait_for_tokens` were answered before the tokens came.
        self.answers = []

    def session(self):
        return OAuth2Session(self.args.client_id, self.secrets.get("client_secret"))

    def poll(self, session=None):
        """One token request: the tokens, or the error code the server answered. The next
        interval counts from the answer (the server saw the poll before it answered)."""
        try:
            return (session or self.session()).fetch_token(
                self.endpoint,
                grant_type=DEVICE_CODE_GRANT_TYPE,
                device_code=self.device_code,
                timeout=TIMEOUT_S,
            )
        except OAuthError as err:
            return err.error
        finally:
            self.last_poll = max(self.last_poll or 0, time.monotonic())

    def two_at_once(self):
        """Two polls sent together (two sessions, two connections): their answers."""
        sessions = [self.session(), self.session()]
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(self.poll, sessions))
        for answer in answers:
            if answer == "slow_down":
                self.interval += SLOW_DOWN_S
        return answers

    def wait_for_tokens(self, on_first_pending):
        """Polls until tokens come, each poll `interval` seconds after the one before;
        `on_first_pending()` runs after the first authorization_pending (the user acts
        then). Refused with the server's error for anything but pending and slow_down, and
        when the codes expire or MAX_WAIT_S is spent."""
        deadline = min(self.expires_at, time.monotonic() + MAX_WAIT_S)
        pending_seen = False
        while True:
            due = (self.last_poll or 0) + self.interval
            if due > deadline:
                raise ValueError(f"no tokens in time; answers so far: {self.answers}")
            time.sleep(max(0.0, due - time.monotonic()))
            answer = self.poll()
            if isinstance(answer, dict):
                return answer
            self.answers.append(answer)
            if answer == "slow_down":
                self.interval += SLOW_DOWN_S
            elif answer != "authorization_pending":
                raise OAuthError(error=answer, description="while polling")
            elif not pending_seen:
                pending_seen = True
                on_first_pending()


def start_device_authorization(args, secrets, metadata):
    """POST device_authorization_endpoint, authenticated as the token endpoint would be
    (Authlib's client authentication: `none` sends client_id for a public client)."""
    device = OAuth2Session(args.client_id, secrets.get("client_secret"))
    auth = device.client_auth(device.token_endpoint_auth_method)
    response = device.post(
        metadata["device_authorization_endpoint"],
        data={"scope": args.scope},
        auth=auth,
        timeout=TIMEOUT_S,
    )
    body = response.json()
    if response.status_code != 200:
        raise OAuthError(error=body.get("error"), description=body.get("error_description"))
    for name, kind in (("device_code", str), ("user_code", str), ("verification_uri", str),
                       ("expires_in", int)):
        if not isinstance(body.get(name), kind):
            raise ValueError(f"the device authorization response lacks {name}: {body}")
    if not USER_CODE.match(body["user_code"]):
        raise ValueError(f"user_code {body['user_code']!r} is not eight consonants")
    complete = body.get("verification_uri_complete", "")
    if urlsplit(complete).query != f"user_code={body['user_code']}":
        raise ValueError(f"verification_uri_complete is {complete!r}")
    return body, response.headers.get("cache-control")


def verify_id_token(id_token, access_token, metadata, args):
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=TIMEOUT_S).json())
    claims = JsonWebToken([args.alg]).decode(
        id_token,
        keys,
        claims_cls=IDToken,
        claims_options={"iss": {"essential": True, "value": args.issuer}},
        claims_params={"client_id": args.client_id, "access_token": access_token},
    )
    claims.validate(leeway=60)
    return dict(claims)


def run(args, secrets):
    metadata = metadata_for(args.issuer)
    if DEVICE_CODE_GRANT_TYPE not in metadata.get("grant_types_supported", []):
        raise ValueError("the metadata does not list the device_code grant")
    if "device_authorization_endpoint" not in metadata:
        raise ValueError("the metadata has no device_authorization_endpoint")
    started, cache_control = start_device_authorization(args, secrets, metadata)
    report = {
        "device_authorization_endpoint": metadata["device_authorization_endpoint"],
        "cache_control": cache_control,
        "started": {k: v for k, v in started.items() if k != "device_code"},
    }
    device = Device(args, secrets, metadata, started)
    report["two_at_once"] = sorted(device.two_at_once())
    approval = {}

    def user_acts():
        approval.update(approve(args.issuer, started, args.username, secrets["password"]))

    began = time.monotonic()
    token = device.wait_for_tokens(user_acts)
    report["waited_s"] = round(time.monotonic() - began, 1)
    report["answers"] = device.answers
    report["final_interval"] = device.interval
    report["approval"] = approval

    verify = verifier(metadata, args)
    report["claims"] = verify(token["access_token"])
    report["token_type"] = token.get("token_type")
    report["scope"] = token.get("scope")
    report["has_refresh_token"] = "refresh_token" in token
    if "id_token" in token:
        report["id_token_claims"] = verify_id_token(
            token["id_token"], token["access_token"], metadata, args)
    userinfo = requests.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=TIMEOUT_S,
    )
    report["userinfo"] = userinfo.json()
    # The device code is spent: asking again is refused, without waiting for the interval.
    report["again"] = device.poll()
    if isinstance(report["again"], dict):
        report["again"] = "issued"
    if "refresh_token" in token:
        session = OAuth2Session(args.client_id, secrets.get("client_secret"), token=token)
        refreshed = session.refresh_token(metadata["token_endpoint"], timeout=TIMEOUT_S)
        report["refreshed_claims"] = verify(refreshed["access_token"])
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("issuer", "client-id", "username", "scope", "audience", "alg"):
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
