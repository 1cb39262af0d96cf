#!/usr/bin/env bash
# Scale benchmark: login (password grant) and refresh_token latency with SIZE users and SIZE
# live refresh tokens in PostgreSQL, for each SIZE given, and the ratio of the largest to
# the smallest. Each size gets its own database (tessera_scale_<size>_<pid>, dropped on
# exit), seeded by seed.sh, and its own `tessera serve` (ES256), pinned to core 0 with wrk on
# core 1 (SERVER_CPU, LOAD_CPU); PostgreSQL is not pinned. Runs alternate between the sizes
# (short runs, many rounds, the order reversed every other round) so that a change in the
# machine's load hits them alike; the report gives the ratio of the medians and the median
# of the ratios within each round.
#
# Logins pick a user at random among SAMPLE drawn from the whole table; refreshes start from
# SAMPLE tokens drawn at random from the whole table and then present the tokens they are
# given (refresh_chain.lua). After each run the rows it added are deleted (the sessions
# made by logins, the used refresh records), so that every run starts with SIZE users,
# SIZE sessions and SIZE refresh records, all live.
#
# Usage: bench/scale/run.sh [SIZE...]   (default: 1000 1000000; results:
#        bench/scale/results/<stamp>/)
# Environment: DURATION (5s per run), CONNS (4), REPEAT (12 rounds), WARMUP (3s, per size and
#              scenario, not counted), MAX_REQUESTS (200000 per run), SAMPLE (100000),
#              PASSWORD_COST (cheap: Argon2id m=256 KiB t=1, so that the database's share of
#              a login shows; default: the server's defaults, m=19456 KiB t=2), and those of
#              bench/pg/lib.sh (PG_SERVER, TESSERA_BIN, SERVER_CPU, LOAD_CPU).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-5s}
CONNS=${CONNS:-4}
REPEAT=${REPEAT:-12}
WARMUP=${WARMUP:-3s}
export MAX_REQUESTS=${MAX_REQUESTS:-200000}
SAMPLE=${SAMPLE:-100000}
PASSWORD_COST=${PASSWORD_COST:-cheap}
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 1000000)
OUT="$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
# shellcheck source=../pg/lib.sh
source "$ROOT/bench/pg/lib.sh"
init_cleanup
RESULTS="$OUT/results.tsv"
printf 'run\tsize\tscenario\tconns\tloadavg\trequests\trps\tp50_ms\tp90_ms\tp99_ms\tnon2xx\tseconds\n' >"$RESULTS"

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
case "$PASSWORD_COST" in
    cheap) COST_ENV=(TESSERA_PASSWORDS__MEMORY_KIB=256 TESSERA_PASSWORDS__ITERATIONS=1) ;;
    default) COST_ENV=() ;;
    *) echo "PASSWORD_COST is cheap or default" >&2; exit 2 ;;
esac
tessera_bin
env_txt "$OUT/env.txt"
echo "command: ${0#"$ROOT"/} ${SIZES[*]} DURATION=$DURATION CONNS=$CONNS REPEAT=$REPEAT SAMPLE=$SAMPLE PASSWORD_COST=$PASSWORD_COST" >>"$OUT/env.txt"
PASSWORD=bench-passw0rd-1234
export AUTH PASSWORD USERS_FILE TOKENS_FILE LEFT_FILE

declare -A URLS ADDRS AUTHS SEEDED_AT
# prepare SIZE: database, server, client, seeded rows, and the files the load reads.
prepare() {
    local n=$1 data="$TMP/data-$1" url web web_id hash seed sample
    make_db "tessera_scale_${n}_$$"
    url=$DB_URL
    URLS[$n]=$url
    "$TESSERA" --data-dir "$data" --database-url "$url" migrate >/dev/null
    start "S$n" "$TMP/serve-$n.log" env TESSERA_TOKENS__SIGNING_ALG=ES256 "${COST_ENV[@]}" \
        "$TESSERA" --data-dir "$data" --database-url "$url" serve --listen 127.0.0.1:0
    local addr_var="S${n}_ADDR"
    ADDRS[$n]=${!addr_var}
    web=$("$TESSERA" --data-dir "$data" --database-url "$url" client add web --grant password --grant refresh_token --scope read)
    web_id=$(json_field client_id <<<"$web")
    AUTHS[$n]=$(basic "$web_id" "$(json_field client_secret <<<"$web")")
    printf '%s\n' "$PASSWORD" | env "${COST_ENV[@]}" "$TESSERA" --data-dir "$data" \
        --database-url "$url" user add bench_template --password-stdin >/dev/null
    hash=$(psql -X -At "$url" -c "SELECT password_hash FROM users WHERE username = 'bench_template'")
    seed=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    log "size $n: seeding $n users and $n refresh tokens (load $(loadavg))"
    local started=$SECONDS
    "$HERE/seed.sh" "$url" "$n" "$n" "$web_id" "$hash" "$seed"
    log "size $n: seeded in $((SECONDS - started)) s"
    SEEDED_AT[$n]=$(psql -X -At "$url" -c "SELECT max(created_at) FROM sessions")
    sample=$((n < SAMPLE ? n : SAMPLE))
    # Users with repetition; tokens without (each is presented once).
    psql -X -At "$url" -c "SELECT 'bench_user' || (1 + floor(random() * $n))::bigint FROM generate_series(1, $SAMPLE)" >"$TMP/users-$n"
    psql -X -At "$url" -c "SELECT bench_token('$seed', i) FROM generate_series(1, $n) i ORDER BY random() LIMIT $sample" >"$TMP/tokens-$n"
    sizes "$n" | tee -a "$OUT/env.txt" >&2
}

# sizes SIZE: the row counts and the database size.
sizes() {
    psql -X -At "${URLS[$1]}" -c "SELECT 'size $1: ' || (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM sessions) || ' sessions, ' || (SELECT count(*) FROM refresh_tokens) || ' refresh records, database ' || pg_size_pretty(pg_database_size(current_database()))"
}

# reset_rows SIZE: deletes what the last run added (sessions made by logins, used refresh
# records), back to SIZE live ones of each.
reset_rows() {
    # No VACUUM here: on the large table it would write for minutes into the next runs;
    # autovacuum deals with the dead rows as it would in production.
    psql -X -q "${URLS[$1]}" -c "DELETE FROM sessions WHERE created_at > ${SEEDED_AT[$1]}" \
        -c "DELETE FROM refresh_tokens WHERE used_at IS NOT NULL"
}

# run RUN SIZE SCENARIO DURATION: one wrk run; RUN 0 is a warm-up, recorded but not counted.
run() {
    local r=$1 n=$2 scenario=$3 duration=$4 raw la f
    raw="$OUT/$(printf '%02d' "$r")-$scenario-$n.txt"
    la=$(loadavg)
    AUTH=${AUTHS[$n]}
    USERS_FILE="$TMP/users-$n"
    TOKENS_FILE="$TMP/tokens-$n"
    LEFT_FILE="$TMP/tokens-$n.left"
    local script="$HERE/login.lua"
    [[ "$scenario" == refresh ]] && script="$HERE/refresh_chain.lua"
    wrk_start "$raw" "$CONNS" "$duration" "http://${ADDRS[$n]}/oauth/token" "$script"
    wrk_wait "$WRK_PID"
    if [[ "$scenario" == refresh ]]; then
        mv "$LEFT_FILE" "$TOKENS_FILE"
        [[ $(wc -l <"$TOKENS_FILE") -ge "$CONNS" ]] || { echo "size $n: out of refresh tokens" >&2; exit 1; }
    fi
    reset_rows "$n"
    read -ra f <<<"$(wrk_fields "$raw")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$scenario" "$CONNS" \
        "${la%% *}" "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" >>"$RESULTS"
    log "run $r size $n $scenario: load $la, ${f[0]} requests, ${f[1]} req/s, p50 ${f[2]} ms, p99 ${f[4]} ms, non-2xx ${f[5]}"
}

for n in "${SIZES[@]}"; do prepare "$n"; done
# Write the seeded pages out now rather than during the first runs.
psql -X -q "$PG_SERVER/postgres" -c CHECKPOINT
for n in "${SIZES[@]}"; do
    run 0 "$n" login "$WARMUP"
    run 0 "$n" refresh "$WARMUP"
done
# Round r measures every size back to back, per scenario, smallest first in odd rounds and
# largest first in even ones, so that a drift in the machine's load favours neither.
REVERSED=()
for ((i = ${#SIZES[@]} - 1; i >= 0; i--)); do REVERSED+=("${SIZES[$i]}"); done
for r in $(seq 1 "$REPEAT"); do
    order=("${SIZES[@]}")
    ((r % 2)) || order=("${REVERSED[@]}")
    for scenario in login refresh; do
        for n in "${order[@]}"; do run "$r" "$n" "$scenario" "$DURATION"; done
    done
done
for n in "${SIZES[@]}"; do sizes "$n" | tee -a "$OUT/env.txt" >&2; done
echo "loadavg at end: $(loadavg)" >>"$OUT/env.txt"
grep -h 'ERROR\|WARN' "$TMP"/*.log "$TMP"/*.err >"$OUT/server-warnings.txt" 2>/dev/null || true
python3 "$HERE/report.py" "$OUT" | tee "$OUT/summary.md"
log "results in ${OUT#"$ROOT"/}"
