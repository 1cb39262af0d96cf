#!/usr/bin/env bash
# Guard load benchmark: the same axum handler served unguarded (/open) and behind
# tessera-guard (/guarded) by one process, loaded in the same run with ES256 and EdDSA
# tokens. The target runs pinned to core 0 and wrk to core 1; everything listens on
# 127.0.0.1 only; every load run is bounded by DURATION and CONNS; on exit the script stops
# only the process it started, by PID.
#
# Usage: bench/guard/run.sh             (results: bench/guard/results/<stamp>/)
# Environment: DURATION (10s), CONNS (32), THREADS (2), REPEAT (3); builds go to
#              CARGO_TARGET_DIR when it is set.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-3}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$HERE/results/$STAMP"
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
printf 'round\talg\troute\trps\tp50_ms\tp99_ms\tnon2xx\tloadavg\n' >"$RESULTS"

PID=""
cleanup() {
    if [[ -n "$PID" ]]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }
# exec: run in the background, the program itself must be the PID the script records and
# stops, not a subshell that would leave it running.
pin() { if command -v taskset >/dev/null; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

log "building the target (release)"
(cd "$ROOT" && cargo build --release -q -p tessera-guard --example bench_target)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_target"

pin 0 "$TARGET" 127.0.0.1:0 >"$OUT/target.out" 2>"$OUT/target.log" &
PID=$!
for _ in $(seq 1 100); do
    [[ $(grep -c '^token ' "$OUT/target.out" || true) -ge 2 ]] && break
    sleep 0.1
done
BASE=$(awk '/^listening/ {print $2}' "$OUT/target.out")
[[ -n "$BASE" ]] || { log "target did not start"; cat "$OUT/target.log" >&2; exit 1; }
log "target at $BASE (pid $PID)"

# One bounded wrk run; appends a row to results.tsv.
load() {
    local round=$1 alg=$2 route=$3 token=$4 report
    report=$(pin 1 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
        -H "Authorization: Bearer $token" "$BASE/$route")
    printf '%s\n' "$report" >"$OUT/wrk-$round-$alg-$route.txt"
    awk -v round="$round" -v alg="$alg" -v route="$route" -v lavg="$(cut -d' ' -f1 /proc/loadavg)" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx/ { non2xx = $NF }
        END { printf "%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%s\n", round, alg, route, rps, p50, p99, non2xx, lavg }
    ' <<<"$report" >>"$RESULTS"
}

for round in $(seq 1 "$REPEAT"); do
    for alg in ES256 EdDSA; do
        token=$(awk -v alg="$alg" '$1 == "token" && $2 == alg {print $3}' "$OUT/target.out")
        # Alternate the order each round so that drift in the machine's load cancels out.
        if (( round % 2 )); then routes="open guarded"; else routes="guarded open"; fi
        for route in $routes; do
            log "round $round: $alg /$route"
            load "$round" "$alg" "$route" "$token"
        done
    done
done

python3 "$HERE/report.py" "$RESULTS" | tee "$OUT/report.md"
