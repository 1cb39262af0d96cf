#!/usr/bin/env bash
# A bounded schemathesis run against the real server: `tessera serve` (debug build, SQLite in
# a temporary data directory) on a free loopback port, with an admin, a user and a
# confidential client made first, and every operation of /openapi.json driven with a fixed
# seed. It fails on any 5xx and on any answer the document does not describe (status, content
# type, body schema). Credentials per operation come from .ci/schemathesis_hooks.py.
#
# Tunables: TESSERA_FUZZ_EXAMPLES (cases per operation and phase, 40 by default),
# TESSERA_FUZZ_SEED (20261207 by default).
set -euo pipefail
cd "$(dirname "$0")/.."

repo="$(pwd)"
target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
venv="$target/schemathesis-venv"
examples="${TESSERA_FUZZ_EXAMPLES:-40}"
seed="${TESSERA_FUZZ_SEED:-20261207}"

# schemathesis and its dependencies at pinned versions, in a virtual environment of their
# own so that they cannot change the versions the interop tests pin.
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/schemathesis-requirements.txt

cargo build --locked -p tessera
tessera="$target/debug/tessera"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A clean environment (no TESSERA_* from the caller), cheap password hashing, and throttling
# that never locks the test accounts out: the run sends many wrong passwords on purpose.
clean_env=(env -i PATH="$PATH" HOME="${HOME:-/root}"
    TESSERA_PASSWORDS__MEMORY_KIB=256 TESSERA_PASSWORDS__ITERATIONS=1
    TESSERA_THROTTLE__ACCOUNT__MAX_FAILURES=1000000
    TESSERA_THROTTLE__IP__MAX_FAILURES=1000000)
run_tessera() {
    "${clean_env[@]}" "$tessera" --data-dir "$work/data" "$@"
}

run_tessera init >/dev/null
password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
printf '%s\n' "$password" | run_tessera user add fuzz-admin --role admin --password-stdin >/dev/null
printf '%s\n' "$password" | run_tessera user add fuzz-user --password-stdin >/dev/null
client_json="$(run_tessera client add fuzz --grant password --grant client_credentials \
    --grant refresh_token --scope read </dev/null)"
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# A simple command in the background, not the function: env execs tessera, so $! is the
# server's own process id and the cleanup stops the server, not a subshell around it.
"${clean_env[@]}" "$tessera" --data-dir "$work/data" serve --listen 127.0.0.1:0 \
    >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
base=""
for _ in $(seq 1 300); do
    base="$(sed -n 's/^tessera listening on \([^ ]*\).*/\1/p' "$work/stdout" | head -n 1)"
    [ -n "$base" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
[ -n "$base" ] || { echo "the server did not start"; cat "$work/server.log"; exit 1; }

export TESSERA_FUZZ_BASE="$base"
export TESSERA_FUZZ_CLIENT_ID="$(json_field client_id <<<"$client_json")"
export TESSERA_FUZZ_CLIENT_SECRET="$(json_field client_secret <<<"$client_json")"
export TESSERA_FUZZ_ADMIN=fuzz-admin TESSERA_FUZZ_USER=fuzz-user TESSERA_FUZZ_PASSWORD="$password"
export PYTHONPATH="$repo/.ci${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks

# /revocations/stream is an endless event stream (a body schemathesis would wait for until
# its timeout); it is driven over a real socket in crates/server/tests/api/connections.rs.
# It runs in the temporary directory, where it keeps its cache of examples.
status=0
cd "$work"
timeout 300 "$venv/bin/schemathesis" run "$base/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --seed "$seed" --max-examples "$examples" --workers 2 \
    --exclude-path /revocations/stream \
    --request-timeout 10 --no-color || status=$?
if [ "$status" -ne 0 ]; then
    echo "schemathesis failed ($status); the server's log:"
    tail -n 50 "$work/server.log"
fi
exit "$status"
