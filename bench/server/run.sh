#!/usr/bin/env bash
# Server load benchmark: tessera serve vs node-oidc-provider vs a bare axum route, plus the
# bare aws-lc-rs signing and Argon2id rates. The servers run pinned to core 0 and wrk to
# core 1; everything listens on 127.0.0.1 only; every load run is bounded by DURATION and
# CONNS; on exit the script kills only the processes it started, by PID.
#
# Usage: bench/server/run.sh            (results: bench/server/results/<stamp>/)
#        MODE=dpop bench/server/run.sh  (only the DPoP pairs: client_credentials and /userinfo,
#                                        each with and without DPoP, interleaved)
# Environment: DURATION (10s), CONNS (32), PW_CONNS (4, password grant), REPEAT (2),
#              GEN_DURATION (20s, password grants that mint refresh tokens), SKIP_PEER=1,
#              DPOP_PROOFS (250000, proofs made before each DPoP run), DPOP_ALGS ("ES256
#              RS256", the signing algorithms of the client_credentials DPoP pairs),
#              TESSERA_BIN (a release build of tessera to measure instead of building one),
#              FLOOR_BIN (a directory with the floor programs built beforehand);
#              builds go to CARGO_TARGET_DIR when it is set.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
PW_CONNS=${PW_CONNS:-4}
REPEAT=${REPEAT:-2}
GEN_DURATION=${GEN_DURATION:-20s}
MODE=${MODE:-all}
DPOP_PROOFS=${DPOP_PROOFS:-250000}
DPOP_ALGS=${DPOP_ALGS:-ES256 RS256}
SERVER_CPU=0
LOAD_CPU=1
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$HERE/results/$STAMP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/tessera-loadbench.XXXXXX)
RESULTS="$OUT/results.tsv"
printf 'scenario\ttarget\tconns\tloadavg\trps\tp50_ms\tp99_ms\tnon2xx\trss_max_kb\tseconds\n' >"$RESULTS"

SEQ=0
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- tools and builds ------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    log "installing wrk"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [[ -n "${TESSERA_BIN:-}" ]]; then
    TESSERA=$TESSERA_BIN
    # The server refuses TESSERA_* variables that are not settings: keep this one from it.
    unset TESSERA_BIN
else
    log "building tessera (release)"
    (cd "$ROOT" && cargo build --release -q -p tessera)
    TESSERA="${CARGO_TARGET_DIR:-$ROOT/target}/release/tessera"
fi
if [[ -n "${FLOOR_BIN:-}" ]]; then
    FLOOR=$FLOOR_BIN
else
    log "building the floor programs (release)"
    cargo build --release -q --manifest-path "$HERE/floor/Cargo.toml"
    FLOOR="${CARGO_TARGET_DIR:-$HERE/floor/target}/release"
fi
if [[ "$MODE" == dpop ]]; then
    SKIP_PEER=1
fi
if [[ "${SKIP_PEER:-0}" != 1 && ! -d "$HERE/peer/node_modules/oidc-provider" ]]; then
    log "installing the peer (npm ci)"
    (cd "$HERE/peer" && npm ci --no-audit --no-fund --loglevel=error)
fi

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "command: ${0#"$ROOT"/} MODE=$MODE DURATION=$DURATION CONNS=$CONNS PW_CONNS=$PW_CONNS REPEAT=$REPEAT"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
    echo "kernel: $(uname -r)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "node: $(node --version 2>/dev/null || echo none)"
    echo "rustc: $(rustc --version)"
    echo "tessera: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- crates || echo ' (+ uncommitted changes in crates/)')"
} >"$OUT/env.txt"

# --- process helpers -------------------------------------------------------------------
# start NAME LOGFILE CMD...: starts CMD on the server core, records its PID in PIDS and in
# the variable NAME_PID, waits for its "listening on ADDR" line and sets NAME_ADDR.
start() {
    local name=$1 logfile=$2
    shift 2
    taskset -c "$SERVER_CPU" "$@" >"$logfile" 2>"$logfile.err" &
    local pid=$!
    PIDS+=("$pid")
    printf -v "${name}_PID" '%s' "$pid"
    local addr="" i
    for i in $(seq 1 200); do
        addr=$(grep -om1 'listening on [a-z]*:*/*127\.0\.0\.1:[0-9]*' "$logfile" 2>/dev/null | grep -o '127\.0\.0\.1:[0-9]*' || true)
        [[ -n "$addr" ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$logfile" "$logfile.err" >&2; echo "$name died" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n "$addr" ]] || { echo "$name did not start" >&2; exit 1; }
    printf -v "${name}_ADDR" '%s' "$addr"
}

stop() {
    local pid=$1
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do [[ "$p" != "$pid" ]] && keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# to_ms VALUE: wrk's "1.23ms" / "850.00us" / "1.02s" in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else { sub(/s$/, "", v); printf "%.3f", v * 1000 } }'
}

# measure SCENARIO TARGET SERVER_PID CONNS URL SCRIPT [repeat]: runs wrk on the load core
# (REPEAT times unless told), sampling the server's RSS, and appends a row per run.
measure() {
    local scenario=$1 target=$2 spid=$3 conns=$4 url=$5 script=$6 times=${7:-$REPEAT} i
    for i in $(seq 1 "$times"); do
        SEQ=$((SEQ + 1))
        local la rawf rssf="$TMP/rss"
        rawf="$OUT/$(printf '%02d' "$SEQ")-wrk-$scenario-$target-c$conns.txt"
        la=$(loadavg)
        : >"$rssf"
        taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"$DURATION" --timeout 10s --latency -s "$HERE/$script" "$url" >"$rawf" 2>&1 &
        local wpid=$!
        PIDS+=("$wpid")
        while kill -0 "$wpid" 2>/dev/null; do
            rss_kb "$spid" >>"$rssf" 2>/dev/null || true
            sleep 0.25
        done
        wait "$wpid" || true
        local keep=() p
        for p in "${PIDS[@]}"; do [[ "$p" != "$wpid" ]] && keep+=("$p"); done
        PIDS=("${keep[@]}")
        local rps p50 p99 non2xx rss secs
        rps=$(awk '/^Requests\/sec:/ {print $2}' "$rawf")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$rawf")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$rawf")")
        non2xx=$(awk '/Non-2xx/ {print $NF}' "$rawf")
        secs=$(awk '/requests in/ {sub(/s,$/, "", $5); print $5}' "$rawf")
        rss=$(sort -n "$rssf" | tail -1)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$target" "$conns" "$la" \
            "${rps:-0}" "$p50" "$p99" "${non2xx:-0}" "${rss:-0}" "${secs:-0}" >>"$RESULTS"
        log "$scenario [$target] run $i: load $la, ${rps:-0} req/s, p50 ${p50} ms, p99 ${p99} ms, non-2xx ${non2xx:-0}, RSS max ${rss:-?} kB"
    done
}

basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# tessera_start ALG DIR [env...]: a server on a data dir, signing with ALG.
tessera_start() {
    local alg=$1 dir=$2
    shift 2
    start TS "$TMP/tessera-$alg-$(basename "$dir").log" env TESSERA_TOKENS__SIGNING_ALG="$alg" "$@" \
        "$TESSERA" --data-dir "$dir" serve --listen 127.0.0.1:0
    local got
    got=$(curl -sf "http://$TS_ADDR/.well-known/jwks.json" | python3 -c 'import json,sys; print(",".join(k["alg"] for k in json.load(sys.stdin)["keys"]))')
    [[ "$got" == "$alg" ]] || { echo "tessera signs with $got, not $alg" >&2; exit 1; }
}

# dpop_pairs ALG: client_credentials (tokens signed with ALG) and GET /userinfo, each
# without and with DPoP (ES256 proofs made by dpopgen just before each run, one per
# request), in alternation on one server so that the pairs see the same host.
dpop_pairs() {
    local alg=$1 dir="$TMP/data-dpop-$1" keyf="$TMP/dpop-key.pem" proofs="$TMP/dpop-proofs.txt" i
    tessera_start "$alg" "$dir"
    local issuer svc svc_auth web web_auth login bearer bound
    issuer=$(curl -sf "http://$TS_ADDR/.well-known/openid-configuration" | json_field issuer)
    svc=$("$TESSERA" --data-dir "$dir" client add svc --grant client_credentials --scope read)
    svc_auth=$(basic "$(json_field client_id <<<"$svc")" "$(json_field client_secret <<<"$svc")")
    web=$("$TESSERA" --data-dir "$dir" client add web --grant password --scope read)
    web_auth=$(basic "$(json_field client_id <<<"$web")" "$(json_field client_secret <<<"$web")")
    printf 'bench-passw0rd-1234\n' | "$TESSERA" --data-dir "$dir" user add alice --password-stdin >/dev/null
    login="grant_type=password&username=alice&password=bench-passw0rd-1234&scope=read"
    for i in $(seq 1 "$REPEAT"); do
        AUTH="$svc_auth" BODY="grant_type=client_credentials&scope=read" \
            measure "cc_bearer_$alg" tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/oauth/token" form.lua 1
        "$FLOOR/dpopgen" "$keyf" POST "$issuer/oauth/token" "$DPOP_PROOFS" >"$proofs"
        PROOFS_FILE="$proofs" AUTH="$svc_auth" BODY="grant_type=client_credentials&scope=read" \
            measure "cc_dpop_$alg" tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/oauth/token" dpop.lua 1
    done
    # /userinfo answers from the verified-token cache whatever the signing algorithm: one
    # server is enough.
    if [[ "$alg" == ES256 ]]; then
        bearer=$(curl -sf -H "Authorization: $web_auth" -d "$login" "http://$TS_ADDR/oauth/token" | json_field access_token)
        "$FLOOR/dpopgen" "$keyf" POST "$issuer/oauth/token" 1 >"$proofs"
        bound=$(curl -sf -H "Authorization: $web_auth" -H "DPoP: $(cat "$proofs")" -d "$login" "http://$TS_ADDR/oauth/token" | json_field access_token)
        for i in $(seq 1 "$REPEAT"); do
            AUTH="Bearer $bearer" measure userinfo_bearer tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/userinfo" get.lua 1
            "$FLOOR/dpopgen" "$keyf" GET "$issuer/userinfo" "$DPOP_PROOFS" "$bound" >"$proofs"
            METHOD=GET PROOFS_FILE="$proofs" AUTH="DPoP $bound" \
                measure userinfo_dpop tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/userinfo" dpop.lua 1
        done
    fi
    stop "$TS_PID"
}

# dpop_floor: the bare ES256 verification rate on the server core (a proof check's floor).
dpop_floor() {
    taskset -c "$SERVER_CPU" "$FLOOR/signrate" 3 | while read -r op rate; do
        [[ "$op" == ES256-verify ]] || continue
        printf 'verify_ES256\tbare\t1\t%s\t%s\t\t\t0\t\t3\n' "$(loadavg)" "$rate" >>"$RESULTS"
        log "bare ES256 verify: $rate/s"
    done
}

if [[ "$MODE" == dpop ]]; then
    dpop_floor
    for alg in $DPOP_ALGS; do dpop_pairs "$alg"; done
    python3 "$HERE/report.py" "$OUT" | tee "$OUT/summary.md"
    log "results in ${OUT#"$ROOT"/}"
    exit 0
fi

# --- floors: bare signing and Argon2id rates on the server core ------------------------
log "floor: bare aws-lc-rs signing, one thread on core $SERVER_CPU (load $(loadavg))"
for i in $(seq 1 "$REPEAT"); do
    taskset -c "$SERVER_CPU" "$FLOOR/signrate" 3 | while read -r alg rate; do
        name="sign_$alg"
        [[ "$alg" == *-verify ]] && name="verify_${alg%-verify}"
        printf '%s\tbare\t1\t%s\t%s\t\t\t0\t\t3\n' "$name" "$(loadavg)" "$rate" >>"$RESULTS"
        log "bare sign $alg run $i: $rate/s"
    done
done
log "floor: bare Argon2id verify m=19456 t=2 p=1, one thread on core $SERVER_CPU (load $(loadavg))"
for i in $(seq 1 "$REPEAT"); do
    rate=$(taskset -c "$SERVER_CPU" "$FLOOR/argon2rate" 5 | awk '{print $2}')
    printf 'argon2id\tbare\t1\t%s\t%s\t\t\t0\t\t5\n' "$(loadavg)" "$rate" >>"$RESULTS"
    log "bare argon2id run $i: $rate/s"
done

# --- floor: bare axum hello ------------------------------------------------------------
start HELLO "$TMP/hello.log" "$FLOOR/hello" 127.0.0.1:0
sleep 1
printf 'rss_idle\thello\t0\t%s\t\t\t\t\t%s\t\n' "$(loadavg)" "$(rss_kb "$HELLO_PID")" >>"$RESULTS"
measure hello_get hello "$HELLO_PID" "$CONNS" "http://$HELLO_ADDR/" get.lua
stop "$HELLO_PID"

# --- tessera ---------------------------------------------------------------------------
for alg in RS256 EdDSA ES256; do
    dir="$TMP/data-$alg"
    tessera_start "$alg" "$dir"
    svc=$("$TESSERA" --data-dir "$dir" client add svc --grant client_credentials --scope read)
    svc_auth=$(basic "$(json_field client_id <<<"$svc")" "$(json_field client_secret <<<"$svc")")
    if [[ "$alg" == ES256 ]]; then
        sleep 2
        printf 'rss_idle\ttessera\t0\t%s\t\t\t\t\t%s\t\n' "$(loadavg)" "$(rss_kb "$TS_PID")" >>"$RESULTS"
        log "tessera idle RSS: $(rss_kb "$TS_PID") kB"
    fi
    AUTH="$svc_auth" BODY="grant_type=client_credentials&scope=read" \
        measure "cc_$alg" tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/oauth/token" form.lua
    if [[ "$alg" == ES256 ]]; then
        web=$("$TESSERA" --data-dir "$dir" client add web --grant password --grant refresh_token --scope read)
        web_auth=$(basic "$(json_field client_id <<<"$web")" "$(json_field client_secret <<<"$web")")
        printf 'bench-passw0rd-1234\n' | "$TESSERA" --data-dir "$dir" user add alice --email alice@example.com --password-stdin >/dev/null
        login="grant_type=password&username=alice&password=bench-passw0rd-1234&scope=read"
        access=$(curl -sf -H "Authorization: $web_auth" -d "$login" "http://$TS_ADDR/oauth/token" | json_field access_token)
        measure jwks tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/.well-known/jwks.json" get.lua
        AUTH="Bearer $access" measure userinfo tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/userinfo" get.lua
        AUTH="$web_auth" BODY="token=$access" \
            measure introspect tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/oauth/introspect" form.lua
        AUTH="$web_auth" BODY="$login" \
            measure password tessera "$TS_PID" "$PW_CONNS" "http://$TS_ADDR/oauth/token" form.lua
        AUTH="$web_auth" BODY="$login" \
            measure password tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/oauth/token" form.lua 1
        sleep 2
        printf 'rss_after_load\ttessera\t0\t%s\t\t\t\t\t%s\t\n' "$(loadavg)" "$(rss_kb "$TS_PID")" >>"$RESULTS"
    fi
    stop "$TS_PID"
done

# --- tessera with and without DPoP (SQLite) --------------------------------------------
for alg in $DPOP_ALGS; do dpop_pairs "$alg"; done

# --- tessera refresh_token (ES256, SQLite) ---------------------------------------------
# Refresh tokens rotate, so each request needs its own: a server with cheap Argon2 costs
# (setup only; refresh grants never hash a password) mints them with password grants, then
# a fresh server with the default settings answers the refresh grants, each token once.
dir="$TMP/data-refresh"
cheap=(TESSERA_PASSWORDS__MEMORY_KIB=256 TESSERA_PASSWORDS__ITERATIONS=1)
tessera_start ES256 "$dir" "${cheap[@]}"
web=$("$TESSERA" --data-dir "$dir" client add web --grant password --grant refresh_token --scope read)
web_auth=$(basic "$(json_field client_id <<<"$web")" "$(json_field client_secret <<<"$web")")
printf 'bench-passw0rd-1234\n' | env "${cheap[@]}" "$TESSERA" --data-dir "$dir" user add bob --password-stdin >/dev/null
log "minting refresh tokens for $GEN_DURATION (load $(loadavg))"
for i in $(seq 1 "$REPEAT"); do
    : >"$TMP/tokens-$i.txt"
    TOKENS_FILE="$TMP/tokens-$i.txt" AUTH="$web_auth" \
        BODY="grant_type=password&username=bob&password=bench-passw0rd-1234&scope=read" \
        taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$GEN_DURATION" -s "$HERE/collect.lua" "http://$TS_ADDR/oauth/token" >"$OUT/wrk-mint-$i.txt" 2>&1
    log "minted $(wc -l <"$TMP/tokens-$i.txt") refresh tokens"
done
stop "$TS_PID"
tessera_start ES256 "$dir"
for i in $(seq 1 "$REPEAT"); do
    TOKENS_FILE="$TMP/tokens-$i.txt" AUTH="$web_auth" \
        measure refresh tessera "$TS_PID" "$CONNS" "http://$TS_ADDR/oauth/token" refresh.lua 1
done
stop "$TS_PID"

# --- peer: node-oidc-provider ----------------------------------------------------------
if [[ "${SKIP_PEER:-0}" != 1 ]]; then
    for alg in ES256 RS256; do
        start PEER "$TMP/peer-$alg.log" env PEER_ALG="$alg" PEER_CLIENT_SECRET=peer-bench-secret-0123456789abcdef \
            node "$HERE/peer/server.js"
        peer_auth=$(basic bench peer-bench-secret-0123456789abcdef)
        curl -sf -H "Authorization: $peer_auth" -d "grant_type=client_credentials&scope=read" "http://$PEER_ADDR/token" >/dev/null
        if [[ "$alg" == ES256 ]]; then
            sleep 1
            printf 'rss_idle\tpeer\t0\t%s\t\t\t\t\t%s\t\n' "$(loadavg)" "$(rss_kb "$PEER_PID")" >>"$RESULTS"
        fi
        AUTH="$peer_auth" BODY="grant_type=client_credentials&scope=read" \
            measure "cc_$alg" peer "$PEER_PID" "$CONNS" "http://$PEER_ADDR/token" form.lua
        stop "$PEER_PID"
    done
fi

python3 "$HERE/report.py" "$OUT" | tee "$OUT/summary.md"
log "results in ${OUT#"$ROOT"/}"
