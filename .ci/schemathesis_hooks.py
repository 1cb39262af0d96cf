"""Credentials for the schemathesis run of .ci/schemathesis.sh, per operation.

The client endpoints get the confidential client's HTTP Basic credentials; the admin API an
admin's bearer token (fetched once, fetched again on a 401); the user's bearer endpoints a
fresh token for every case, since `/logout` revokes the token it is called with. The
accounts and the client are made by the script, which passes them in the environment.
"""

import base64
import os

import requests
import schemathesis

BASE = os.environ["TESSERA_FUZZ_BASE"]
CLIENT_ID = os.environ["TESSERA_FUZZ_CLIENT_ID"]
CLIENT_SECRET = os.environ["TESSERA_FUZZ_CLIENT_SECRET"]
ADMIN = os.environ["TESSERA_FUZZ_ADMIN"]
USER = os.environ["TESSERA_FUZZ_USER"]
PASSWORD = os.environ["TESSERA_FUZZ_PASSWORD"]

# Path parameters naming the accounts and the client above are replaced before the call, so
# that generated or linked requests (DELETE /admin/clients/{id}, PATCH /admin/users/{username})
# cannot delete or change the credentials the run depends on.
PROTECTED = {CLIENT_ID, ADMIN, USER}
STAND_IN = "fuzz-stand-in"

BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def password_grant(username):
    """An access token for `username`, from the password grant."""
    response = requests.post(
        f"{BASE}/oauth/token",
        data={"grant_type": "password", "username": username, "password": PASSWORD},
        headers={"Authorization": BASIC},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


@schemathesis.hook
def before_call(context, case, kwargs):
    """Keeps the run's own credentials out of the path parameters."""
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, str) and value in PROTECTED:
            case.path_parameters[name] = STAND_IN


def set_header(case, value):
    if case.headers is None:
        case.headers = {}
    case.headers["Authorization"] = value


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/oauth/(token|revoke|introspect)$")
class ClientBasic:
    """The confidential client, by HTTP Basic."""

    def get(self, case, context):
        return BASIC

    def set(self, case, data, context):
        set_header(case, data)


@schemathesis.auth().apply_to(path_regex="^/admin/")
class AdminBearer:
    """An admin's access token."""

    def get(self, case, context):
        return password_grant(ADMIN)

    def set(self, case, data, context):
        set_header(case, f"Bearer {data}")


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/(userinfo|logout|account/)")
class UserBearer:
    """An ordinary user's access token, new for every case."""

    def get(self, case, context):
        return password_grant(USER)

    def set(self, case, data, context):
        set_header(case, f"Bearer {data}")
