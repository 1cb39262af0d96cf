#!/usr/bin/env bash
# Token exchange (RFC 8693) against client_credentials on the same server and signing
# algorithm: the target is an exchange rate of at least 85% of the client_credentials rate.
# For each algorithm (ALGS, default "ES256 RS256"), one `tessera serve` on a fresh SQLite data
# dir, pinned to core 0 (wrk on core 1); a user's access token (password grant) is the
# subject token; then ROUNDS rounds each run client_credentials and token exchange for
# DURATION with CONNS connections, the order swapped every other round. Prints every run,
# the medians and their ratio per algorithm; also results/exchange-<stamp>.tsv.
#
#   bench/server/exchange.sh        # ROUNDS=5 DURATION=5s CONNS=32 ALGS="ES256 RS256"
#
# TESSERA_BIN defaults to target/release/tessera. Only 127.0.0.1; every run is bounded by
# DURATION (and the subject token lives 15 minutes, longer than all runs of one algorithm);
# only the PIDs started here are stopped.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-32}
ALGS=${ALGS:-ES256 RS256}
BIN=${TESSERA_BIN:-$ROOT/target/release/tessera}
# The server reads TESSERA_* as settings; this one is the script's.
unset TESSERA_BIN
mkdir -p "$HERE/results"
OUT="$HERE/results/exchange-$(date -u +%Y%m%dT%H%M%SZ).tsv"
TMP=$(mktemp -d /tmp/tessera-exchange.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
[[ -x "$BIN" ]] || { echo "no tessera at $BIN (cargo build --release -p tessera)" >&2; exit 2; }

basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# load NAME URL AUTH BODY: one wrk run; prints requests/s (fails on any non-2xx answer).
load() {
    local raw="$TMP/wrk-$1.txt"
    AUTH="$3" BODY="$4" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s \
        -s "$HERE/form.lua" "$2" >"$raw" 2>&1
    grep -q 'Non-2xx' "$raw" && { cat "$raw" >&2; echo "$1 answered errors" >&2; exit 1; }
    awk '/^Requests\/sec:/ {print $2}' "$raw"
}

printf 'alg\tround\tscenario\trps\n' >"$OUT"
for alg in $ALGS; do
    dir="$TMP/data-$alg" log="$TMP/serve-$alg.log" addr=""
    export TESSERA_TOKENS__SIGNING_ALG=$alg
    "$BIN" --data-dir "$dir" init >/dev/null
    app=$("$BIN" --data-dir "$dir" client add app --grant password --scope read 2>/dev/null)
    svc=$("$BIN" --data-dir "$dir" client add svc --grant client_credentials --scope read \
        --audience orders-api 2>/dev/null)
    gw=$("$BIN" --data-dir "$dir" client add gateway --grant token_exchange \
        --audience orders-api 2>/dev/null)
    printf 'bench-passw0rd-1234\n' | "$BIN" --data-dir "$dir" user add alice --password-stdin >/dev/null
    taskset -c 0 "$BIN" --data-dir "$dir" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 1 200); do
        addr=$(grep -om1 'listening on [a-z]*:*/*127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null \
            | grep -o '127\.0\.0\.1:[0-9]*' || true)
        [[ -n "$addr" ]] && break
        sleep 0.1
    done
    [[ -n "$addr" ]] || { cat "$log" >&2; echo "tessera did not start" >&2; exit 1; }
    url="http://$addr/oauth/token"
    app_auth=$(basic "$(field client_id <<<"$app")" "$(field client_secret <<<"$app")")
    subject=$(curl -s -H "Authorization: $app_auth" \
        -d 'grant_type=password&username=alice&password=bench-passw0rd-1234&scope=read' "$url" \
        | field access_token)
    cc_auth=$(basic "$(field client_id <<<"$svc")" "$(field client_secret <<<"$svc")")
    gw_auth=$(basic "$(field client_id <<<"$gw")" "$(field client_secret <<<"$gw")")
    cc_body='grant_type=client_credentials&scope=read'
    ex_body="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=$subject&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&audience=orders-api&scope=read"
    load "warmup-cc-$alg" "$url" "$cc_auth" "$cc_body" >/dev/null
    load "warmup-ex-$alg" "$url" "$gw_auth" "$ex_body" >/dev/null
    for round in $(seq 1 "$ROUNDS"); do
        order=(cc ex)
        (( round % 2 == 0 )) && order=(ex cc)
        for scenario in "${order[@]}"; do
            if [[ $scenario == cc ]]; then
                rps=$(load "cc-$alg-$round" "$url" "$cc_auth" "$cc_body")
            else
                rps=$(load "ex-$alg-$round" "$url" "$gw_auth" "$ex_body")
            fi
            printf '%s\t%s\t%s\t%s\n' "$alg" "$round" "$scenario" "$rps" | tee -a "$OUT"
        done
    done
    kill "${PIDS[-1]}" 2>/dev/null || true
    wait "${PIDS[-1]}" 2>/dev/null || true
done
echo
for alg in $ALGS; do
    cc=$(awk -F'\t' -v a="$alg" '$1 == a && $3 == "cc" {print $4}' "$OUT" | median)
    ex=$(awk -F'\t' -v a="$alg" '$1 == a && $3 == "ex" {print $4}' "$OUT" | median)
    awk -v a="$alg" -v cc="$cc" -v ex="$ex" 'BEGIN {
        printf "%s: client_credentials %.0f/s, token exchange %.0f/s (medians): %.1f%% (target >= 85%%)\n",
            a, cc, ex, 100 * ex / cc }'
done
echo "results: ${OUT#"$ROOT"/}"
