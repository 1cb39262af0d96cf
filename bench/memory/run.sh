#!/usr/bin/env bash
# Memory under password work: `tessera serve` (SQLite, default Argon2id costs m=19456 KiB,
# t=2, p=1) answers, at the same time, users changing their own password
# (POST /account/password), an administrator creating users (POST /admin/users) and password
# logins (POST /oauth/token), and the server's VmRSS is sampled every 0.25 s. The run fails
# (exit 1) when the peak reaches LIMIT_MB.
#
# Usage: bench/memory/run.sh              (results: bench/memory/results/<stamp>/)
# Environment: DURATION (60, seconds of load), CHANGERS (4), CREATORS (2), LOGINS (4)
#              (concurrent clients of each kind), LIMIT_MB (100), TESSERA_BIN (a release
#              build to measure instead of building one; builds go to CARGO_TARGET_DIR).
# Everything listens on 127.0.0.1; on exit the script kills only the server it started.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-60}
CHANGERS=${CHANGERS:-4}
CREATORS=${CREATORS:-2}
LOGINS=${LOGINS:-4}
LIMIT_MB=${LIMIT_MB:-100}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$HERE/results/$STAMP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/tessera-memory.XXXXXX)
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

if [[ -n "${TESSERA_BIN:-}" ]]; then
    TESSERA=$TESSERA_BIN
    # The server refuses TESSERA_* variables that are not settings: keep this one from it.
    unset TESSERA_BIN
else
    log "building tessera (release)"
    (cd "$ROOT" && cargo build --release -q -p tessera)
    TESSERA="${CARGO_TARGET_DIR:-$ROOT/target}/release/tessera"
fi
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "command: ${0#"$ROOT"/} DURATION=$DURATION CHANGERS=$CHANGERS CREATORS=$CREATORS LOGINS=$LOGINS"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
    echo "tessera: $(cd "$ROOT" && git rev-parse --short HEAD)"
} >"$OUT/env.txt"

DATA="$TMP/data"
PASSWORD='correct horse battery staple'
tessera() { env -u TESSERA_CONFIG "$TESSERA" --data-dir "$DATA" "$@"; }
log "creating the accounts (default Argon2id costs)"
tessera init >/dev/null
echo "$PASSWORD" | tessera user add root --password-stdin --role admin >/dev/null
for i in $(seq 1 $((CHANGERS + LOGINS))); do
    echo "$PASSWORD" | tessera user add "user$i" --password-stdin >/dev/null
done
tessera client add bench --grant password --scope read >"$TMP/client.json"

env -u TESSERA_CONFIG "$TESSERA" --data-dir "$DATA" serve --listen 127.0.0.1:0 >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
ADDR=""
for _ in $(seq 1 200); do
    ADDR=$(grep -om1 'listening on [a-z]*:*/*127\.0\.0\.1:[0-9]*' "$TMP/serve.log" 2>/dev/null | grep -o '127\.0\.0\.1:[0-9]*' || true)
    [[ -n "$ADDR" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$ADDR" ]] || { echo "the server did not start" >&2; exit 1; }
log "tessera serve on $ADDR, pid $SERVER_PID"

python3 "$HERE/load.py" --addr "$ADDR" --pid "$SERVER_PID" --client "$TMP/client.json" \
    --password "$PASSWORD" --duration "$DURATION" --changers "$CHANGERS" \
    --creators "$CREATORS" --logins "$LOGINS" --limit-mb "$LIMIT_MB" | tee "$OUT/result.txt"
