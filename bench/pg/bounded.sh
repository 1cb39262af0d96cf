#!/usr/bin/env bash
# Table sizes under a long run: two `tessera serve` instances on one PostgreSQL database with
# short lifetimes (refresh tokens unused for LIFETIME expire, access tokens live LIFETIME)
# take refresh grants, each followed by the revocation of the access token it gave
# (chain.lua), for DURATION. Every SAMPLE the script counts the rows of refresh_tokens,
# revocations and sessions and prints them with the grants so far; after the load it keeps
# counting for DRAIN, while the background purge empties the tables. In a steady state the
# counts stay near rate x (LIFETIME + MAINTENANCE) whatever the run time.
#
# Servers run pinned to core 0 and wrk to core 1 (SERVER_CPU, LOAD_CPU), as in run.sh. The
# script makes its own database on PG_SERVER (tessera_bounded_<pid>) and drops it on exit,
# with the processes it started (by PID).
#
# Usage: bench/pg/bounded.sh        (results: bench/pg/results/<stamp>-bounded/)
# Environment: DURATION (300s, wrk's -d), LIFETIME (10s), MAINTENANCE (1s,
#              server.maintenance_interval), SAMPLE (5, seconds between counts), CONNS (16
#              per instance, one refresh chain each), DRAIN (LIFETIME + 10 s), and those of
#              bench/pg/lib.sh (PG_SERVER, TESSERA_BIN, SERVER_CPU, LOAD_CPU); builds go to
#              CARGO_TARGET_DIR when set.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-300s}
LIFETIME=${LIFETIME:-10s}
MAINTENANCE=${MAINTENANCE:-1s}
SAMPLE=${SAMPLE:-5}
CONNS=${CONNS:-16}
OUT="$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)-bounded"
mkdir -p "$OUT"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
init_cleanup
secs() { local v=$1; v=${v%s}; [[ "$v" =~ ^[0-9]+m$ ]] && v=$((${v%m} * 60)); echo "$v"; }
DRAIN=${DRAIN:-$(($(secs "$LIFETIME") + 10))}

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
tessera_bin
env_txt "$OUT/env.txt"
echo "command: ${0#"$ROOT"/} DURATION=$DURATION LIFETIME=$LIFETIME MAINTENANCE=$MAINTENANCE SAMPLE=$SAMPLE CONNS=$CONNS" >>"$OUT/env.txt"

make_db "tessera_bounded_$$"
URL=$DB_URL
DATA="$TMP/data"
export TESSERA_TOKENS__SIGNING_ALG=ES256 TESSERA_TOKENS__ACCESS_TTL=$LIFETIME \
    TESSERA_TOKENS__REFRESH_IDLE_TTL=$LIFETIME TESSERA_SERVER__MAINTENANCE_INTERVAL=$MAINTENANCE
# Cheap password hashing: the logins that start the chains must all finish within LIFETIME,
# or the first chains' tokens expire before the load reaches them.
export TESSERA_PASSWORDS__MEMORY_KIB=1024 TESSERA_PASSWORDS__ITERATIONS=1
tessera() { "$TESSERA" --data-dir "$DATA" --database-url "$URL" "$@"; }

tessera migrate >/dev/null
for name in A B; do
    start "$name" "$TMP/$name.log" "$TESSERA" --data-dir "$DATA" --database-url "$URL" \
        serve --listen 127.0.0.1:0
done
web=$(tessera client add web --grant password --grant refresh_token --scope read)
export AUTH TOKENS_FILE
AUTH=$(basic "$(json_field client_id <<<"$web")" "$(json_field client_secret <<<"$web")")
printf 'bench-passw0rd-1234\n' | tessera user add bench --password-stdin >/dev/null

# One session (refresh chain) per connection, logged in at the instance that will use it.
for name in A B; do
    addr_var="${name}_ADDR"
    for _ in $(seq 1 "$CONNS"); do
        curl -sf -H "Authorization: $AUTH" -d grant_type=password -d username=bench \
            --data-urlencode 'password=bench-passw0rd-1234' "http://${!addr_var}/oauth/token" |
            json_field refresh_token
    done >"$TMP/tokens-$name"
done

count() {
    psql -X -At -F $'\t' "$URL" -c "SELECT (SELECT count(*) FROM refresh_tokens), \
        (SELECT count(*) FROM revocations), (SELECT count(*) FROM sessions), \
        coalesce(pg_sequence_last_value(pg_get_serial_sequence('revocations', 'cursor')), 0)"
}
SAMPLES="$OUT/samples.tsv"
printf 't_s\tphase\trefresh_tokens\trevocations\tsessions\trevocations_made\n' | tee "$SAMPLES"
sample() { printf '%s\t%s\t%s\n' "$(($(date +%s) - START))" "$1" "$(count)" | tee -a "$SAMPLES"; }

log "load: $DURATION, lifetime $LIFETIME, maintenance $MAINTENANCE, $CONNS chains per instance (load $(loadavg))"
START=$(date +%s)
WRKS=()
for name in A B; do
    addr_var="${name}_ADDR"
    TOKENS_FILE="$TMP/tokens-$name" wrk_start "$OUT/wrk-$name.txt" "$CONNS" "$DURATION" \
        "http://${!addr_var}" "$HERE/chain.lua"
    WRKS+=("$WRK_PID")
done
while kill -0 "${WRKS[0]}" 2>/dev/null || kill -0 "${WRKS[1]}" 2>/dev/null; do
    sleep "$SAMPLE"
    sample load
done
for pid in "${WRKS[@]}"; do wrk_wait "$pid"; done
END=$(date +%s)
while (($(date +%s) - END < DRAIN)); do
    sleep "$SAMPLE"
    sample drain
done

for name in A B; do
    log "wrk $name: $(grep -E 'requests in|Requests/sec|Non-2xx' "$OUT/wrk-$name.txt" | tr -s ' ' | tr '\n' ' ')"
done
grep -h 'ERROR\|WARN' "$TMP"/*.log "$TMP"/*.err >"$OUT/server-warnings.txt" 2>/dev/null || true
python3 - "$SAMPLES" "$(secs "$LIFETIME")" "$(secs "$MAINTENANCE")" <<'PY' | tee "$OUT/summary.txt"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
life, every = int(sys.argv[2]), int(sys.argv[3])
load = [r for r in rows if r["phase"] == "load"]
drain = [r for r in rows if r["phase"] == "drain"]
made = [int(r["revocations_made"]) for r in load]
t = [int(r["t_s"]) for r in load]
rate = (made[-1] - made[0]) / max(t[-1] - t[0], 1)
half = len(load) // 2
peak = lambda rs, k: max(int(r[k]) for r in rs)
for k in ("refresh_tokens", "revocations"):
    print(f"{k}: max {peak(load, k)} (first half {peak(load[:half] or load, k)}, "
          f"second half {peak(load[half:], k)}), after the drain {drain[-1][k] if drain else '-'}")
print(f"revocations made: {made[-1]} at {rate:.0f}/s; rate x (lifetime + maintenance) = "
      f"{rate * (life + every):.0f}")
PY
log "results in ${OUT#"$ROOT"/}"
