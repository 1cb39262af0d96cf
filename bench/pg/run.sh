#!/usr/bin/env bash
# Load benchmark on PostgreSQL: the client_credentials (ES256) and refresh_token scenarios of
# bench/server/run.sh, with its wrk scripts, against one `tessera serve` and then two on the
# same database. Two instances are loaded by two wrk processes, one per instance with half
# the connections each, run at the same time; their requests/s add up, and the p99 given is
# the worse of the two. Servers run pinned to core 0 and wrk to core 1 (SERVER_CPU,
# LOAD_CPU); PostgreSQL is not pinned. The script makes its own database on PG_SERVER
# (tessera_bench_<pid>) and drops it on exit, with the processes it started (by PID).
#
# Usage: bench/pg/run.sh            (results: bench/pg/results/<stamp>/)
# Environment: DURATION (10s), CONNS (32), REPEAT (2), TOKENS_PER_RUN (40000, seeded refresh
#              tokens per refresh run: a run that uses them all ends early), POOL_SIZE (10,
#              database connections per instance), and those of bench/pg/lib.sh (PG_SERVER,
#              TESSERA_BIN, SERVER_CPU, LOAD_CPU); builds go to CARGO_TARGET_DIR when set.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SERVER_LUA="$ROOT/bench/server"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
REPEAT=${REPEAT:-2}
TOKENS_PER_RUN=${TOKENS_PER_RUN:-40000}
POOL_SIZE=${POOL_SIZE:-10}
OUT="$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
init_cleanup
RESULTS="$OUT/results.tsv"
printf 'run\tscenario\tinstances\ttarget\tconns\tloadavg\trequests\trps\tp50_ms\tp90_ms\tp99_ms\tnon2xx\tseconds\n' >"$RESULTS"

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
tessera_bin
env_txt "$OUT/env.txt"
echo "command: ${0#"$ROOT"/} DURATION=$DURATION CONNS=$CONNS REPEAT=$REPEAT POOL_SIZE=$POOL_SIZE" >>"$OUT/env.txt"

make_db "tessera_bench_$$"
URL=$DB_URL
DATA="$TMP/data"
# Both instances share the data dir for its master key (created by the first start); with
# PostgreSQL nothing else is kept there.
tessera() { "$TESSERA" --data-dir "$DATA" --database-url "$URL" "$@"; }
SERVE_ENV=(TESSERA_TOKENS__SIGNING_ALG=ES256 TESSERA_DATABASE__POOL_SIZE="$POOL_SIZE")

# instance NAME: one more `tessera serve` on the database.
instance() {
    start "$1" "$TMP/$1.log" env "${SERVE_ENV[@]}" "$TESSERA" --data-dir "$DATA" \
        --database-url "$URL" serve --listen 127.0.0.1:0
    local addr_var="$1_ADDR" got
    got=$(curl -sf "http://${!addr_var}/.well-known/jwks.json" | python3 -c 'import json,sys; print(",".join(k["alg"] for k in json.load(sys.stdin)["keys"]))')
    [[ "$got" == ES256 ]] || { echo "tessera signs with $got, not ES256" >&2; exit 1; }
}

# record SCENARIO INSTANCES TARGET CONNS LOADAVG RAWFILE: one row per wrk run.
record() {
    local f
    read -ra f <<<"$(wrk_fields "$6")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SEQ" "$1" "$2" "$3" "$4" "$5" \
        "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" >>"$RESULTS"
    log "$1 x$2 [$3] c$4: load $5, ${f[1]} req/s, p50 ${f[2]} ms, p99 ${f[4]} ms, non-2xx ${f[5]}"
}

SEQ=0
# measure SCENARIO SCRIPT PATH [TOKENS_FILE_PREFIX]: one run against every instance in
# TARGETS at once, CONNS split evenly; with a prefix, instance k reads PREFIX-k.
measure() {
    local scenario=$1 script=$2 path=$3 prefix=${4:-} n=${#TARGETS[@]} k la
    local conns=$((CONNS / n)) pids=() raws=()
    SEQ=$((SEQ + 1))
    la=$(loadavg)
    for k in "${!TARGETS[@]}"; do
        local raw
        raw="$OUT/$(printf '%02d' "$SEQ")-wrk-$scenario-x$n-i$k.txt"
        TOKENS_FILE="$prefix-$k" wrk_start "$raw" "$conns" "$DURATION" "http://${TARGETS[$k]}$path" "$script"
        pids+=("$WRK_PID")
        raws+=("$raw")
    done
    for k in "${!pids[@]}"; do wrk_wait "${pids[$k]}"; done
    for k in "${!raws[@]}"; do record "$scenario" "$n" "i$k" "$conns" "${la%% *}" "${raws[$k]}"; done
}

# token_files PREFIX FIRST COUNT PARTS: seeded tokens FIRST.. split into PARTS files.
token_files() {
    local prefix=$1 first=$2 count=$3 parts=$4 k per=$(($3 / $4))
    for ((k = 0; k < parts; k++)); do
        psql -X -At "$URL" -c "SELECT bench_token('$SEED', i) FROM generate_series($((first + k * per)), $((first + (k + 1) * per - 1))) i" >"$prefix-$k"
    done
}

log "database $URL; starting instance A (load $(loadavg))"
tessera migrate >/dev/null
instance A
svc=$(tessera client add svc --grant client_credentials --scope read)
export AUTH BODY TOKENS_FILE
svc_auth=$(basic "$(json_field client_id <<<"$svc")" "$(json_field client_secret <<<"$svc")")
web=$(tessera client add web --grant password --grant refresh_token --scope read)
web_id=$(json_field client_id <<<"$web")
web_auth=$(basic "$web_id" "$(json_field client_secret <<<"$web")")
printf 'bench-passw0rd-1234\n' | tessera user add bench_template --password-stdin >/dev/null
hash=$(psql -X -At "$URL" -c "SELECT password_hash FROM users WHERE username = 'bench_template'")
SEED=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
TOTAL=$((TOKENS_PER_RUN * REPEAT * 2))
log "seeding $TOTAL refresh tokens (load $(loadavg))"
"$ROOT/bench/scale/seed.sh" "$URL" 1000 "$TOTAL" "$web_id" "$hash" "$SEED" 2>>"$OUT/run.log"

next_token=1
for instances in 1 2; do
    if [[ "$instances" == 2 ]]; then
        log "starting instance B on the same database"
        instance B
        TARGETS=("$A_ADDR" "$B_ADDR")
    else
        TARGETS=("$A_ADDR")
    fi
    for i in $(seq 1 "$REPEAT"); do
        AUTH=$svc_auth BODY="grant_type=client_credentials&scope=read" \
            measure cc_ES256 "$SERVER_LUA/form.lua" /oauth/token
    done
    for i in $(seq 1 "$REPEAT"); do
        token_files "$TMP/tokens-$instances-$i" "$next_token" "$TOKENS_PER_RUN" "$instances"
        next_token=$((next_token + TOKENS_PER_RUN))
        AUTH=$web_auth measure refresh "$SERVER_LUA/refresh.lua" /oauth/token "$TMP/tokens-$instances-$i"
    done
done
echo "loadavg at end: $(loadavg)" >>"$OUT/env.txt"
grep -h 'ERROR\|WARN' "$TMP"/*.log "$TMP"/*.err >"$OUT/server-warnings.txt" 2>/dev/null || true
python3 "$HERE/report.py" "$OUT" | tee "$OUT/summary.md"
log "results in ${OUT#"$ROOT"/}"
