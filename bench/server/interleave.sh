#!/usr/bin/env bash
# The server's ratios in alternating rounds, so that drift in a shared machine's speed falls
# on every target alike: client_credentials ES256 against node-oidc-provider, and the JWKS
# route against a bare axum route; optionally a second tessera build (BASE_BIN) to compare a
# change with the code before it. Every server is pinned to core 0 and wrk to core 1, so a
# server's requests/s is also its rate per CPU-second of core 0.
#
#   bench/server/interleave.sh                 # ROUNDS=3 DURATION=5s CONNS=32
#   BASE_BIN=/path/to/old/tessera bench/server/interleave.sh
#
# TESSERA_BIN (default target/release/tessera) and the floor (bench/server/floor, built in
# release by run.sh or `cargo build --release --manifest-path bench/server/floor/Cargo.toml`)
# must exist; the peer needs `npm ci` in bench/server/peer. Output: one line per measurement
# (requests/s, and requests per CPU-second the server used, from /proc/PID/stat) and medians
# per target at the end, also in results/interleave-<stamp>.tsv (git-ignored).
# Only 127.0.0.1; every run is bounded by DURATION; only the PIDs started here are stopped.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-32}
TESSERA=${TESSERA_BIN:-$ROOT/target/release/tessera}
BASE=${BASE_BIN:-}
# The server refuses TESSERA_* variables that are not settings: keep this one from it.
unset TESSERA_BIN
FLOOR=${FLOOR_DIR:-${CARGO_TARGET_DIR:-$HERE/floor/target}/release}
mkdir -p "$HERE/results"
OUT="$HERE/results/interleave-$(date -u +%Y%m%dT%H%M%SZ).tsv"
TMP=$(mktemp -d /tmp/tessera-interleave.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for need in "$TESSERA" "$FLOOR/hello"; do
    [[ -x "$need" ]] || { echo "missing $need (see the header of this script)" >&2; exit 2; }
done
[[ -d "$HERE/peer/node_modules/oidc-provider" ]] || { echo "run: npm ci --prefix bench/server/peer" >&2; exit 2; }

# up NAME LOG CMD...: starts CMD on core 0 and waits for its "listening on 127.0.0.1:PORT".
up() {
    local name=$1 log=$2 addr="" i
    shift 2
    taskset -c 0 "$@" >"$log" 2>&1 &
    PIDS+=("$!")
    printf -v "${name}_PID" '%s' "$!"
    for i in $(seq 1 300); do
        addr=$(grep -om1 'listening on [a-z]*:*/*127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null | grep -o '127\.0\.0\.1:[0-9]*' || true)
        [[ -n "$addr" ]] && break
        sleep 0.1
    done
    [[ -n "$addr" ]] || { cat "$log" >&2; echo "$name did not start" >&2; exit 1; }
    printf -v "${name}_ADDR" '%s' "$addr"
}

down() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# cpu_ticks PID: the user and system CPU time the process (every thread) has used, in ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load ROUND SCENARIO TARGET URL SCRIPT PID: one bounded wrk run on core 1, appended to OUT
# with the requests answered per CPU-second the server (PID) used meanwhile.
load() {
    local raw="$TMP/wrk.txt" rps requests before after per_cpu
    before=$(cpu_ticks "$6")
    taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s -s "$HERE/$5" "$4" >"$raw" 2>&1 || true
    after=$(cpu_ticks "$6")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
    [[ -n "$rps" && "$rps" != 0* ]] || { echo "no answers from $3 ($2):" >&2; cat "$raw" >&2; exit 1; }
    if grep -q 'Non-2xx' "$raw"; then echo "non-2xx answers from $3 ($2):" >&2; cat "$raw" >&2; exit 1; fi
    requests=$(awk '/requests in/ {print $1}' "$raw")
    per_cpu=$(awk -v n="$requests" -v t="$((after - before))" -v hz="$HZ" 'BEGIN { printf "%.0f", (t > 0) ? n / (t / hz) : 0 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${rps:-0}" "$per_cpu" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT"
}

basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }

# tessera_round ROUND LABEL BIN: client_credentials ES256 and the JWKS on a fresh data dir.
tessera_round() {
    local data="$TMP/data-$2" client id secret
    rm -rf "$data"
    up TS "$TMP/ts-$2.log" env TESSERA_TOKENS__SIGNING_ALG=ES256 "$3" --data-dir "$data" serve --listen 127.0.0.1:0
    client=$("$3" --data-dir "$data" client add bench --grant client_credentials --scope read 2>/dev/null)
    id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$client")
    secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$client")
    AUTH=$(basic "$id" "$secret") BODY="grant_type=client_credentials&scope=read" \
        load "$1" cc_ES256 "$2" "http://$TS_ADDR/oauth/token" form.lua "$TS_PID"
    load "$1" jwks "$2" "http://$TS_ADDR/.well-known/jwks.json" get.lua "$TS_PID"
    down "$TS_PID"
}

HZ=$(getconf CLK_TCK)
printf 'round\tscenario\ttarget\trps\tper_cpu_second\tloadavg\n' >"$OUT"
for round in $(seq 1 "$ROUNDS"); do
    tessera_round "$round" tessera "$TESSERA"
    [[ -n "$BASE" ]] && tessera_round "$round" base "$BASE"
    up PEER "$TMP/peer.log" env PEER_ALG=ES256 PEER_CLIENT_SECRET=peer-bench-secret-0123456789abcdef node "$HERE/peer/server.js"
    AUTH=$(basic bench peer-bench-secret-0123456789abcdef) BODY="grant_type=client_credentials&scope=read" \
        load "$round" cc_ES256 peer "http://$PEER_ADDR/token" form.lua "$PEER_PID"
    down "$PEER_PID"
    up HELLO "$TMP/hello.log" "$FLOOR/hello" 127.0.0.1:0
    load "$round" jwks hello "http://$HELLO_ADDR/" get.lua "$HELLO_PID"
    down "$HELLO_PID"
done

python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def rate(scenario, target, rnd, column="rps"):
    return next(float(r[column]) for r in rows if r["scenario"] == scenario and r["target"] == target and r["round"] == rnd)
rounds = sorted({r["round"] for r in rows}, key=int)
targets = sorted({r["target"] for r in rows} - {"peer", "hello"})
print("\nper-round ratios (same round), median last:")
for t in targets:
    cc = [rate("cc_ES256", t, r) / rate("cc_ES256", "peer", r) for r in rounds]
    jw = [rate("jwks", t, r) / rate("jwks", "hello", r) for r in rounds]
    print(f"  {t}: client_credentials ES256 / node-oidc-provider: {', '.join(f'{x:.2f}x' for x in cc)}; median {statistics.median(cc):.2f}x")
    print(f"  {t}: jwks / bare axum route: {', '.join(f'{x:.1%}' for x in jw)}; median {statistics.median(jw):.1%}")
    cc = [rate("cc_ES256", t, r, "per_cpu_second") / rate("cc_ES256", "peer", r, "per_cpu_second") for r in rounds]
    jw = [rate("jwks", t, r, "per_cpu_second") / rate("jwks", "hello", r, "per_cpu_second") for r in rounds]
    print(f"  {t}, per CPU-second of the server: client_credentials ES256 / node-oidc-provider: {', '.join(f'{x:.2f}x' for x in cc)}; median {statistics.median(cc):.2f}x")
    print(f"  {t}, per CPU-second of the server: jwks / bare axum route: {', '.join(f'{x:.1%}' for x in jw)}; median {statistics.median(jw):.1%}")
if "base" in targets:
    for s in ("cc_ES256", "jwks"):
        ab = [rate(s, "tessera", r) / rate(s, "base", r) for r in rounds]
        print(f"  {s}: this build / base build: {', '.join(f'{x:.3f}' for x in ab)}; median {statistics.median(ab):.3f}")
PY
