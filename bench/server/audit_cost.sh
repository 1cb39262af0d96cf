#!/usr/bin/env bash
# What the audit trail costs a sign-in: the password grant of one tessera build against
# another (BASE_BIN, typically the commit before the trail), in alternating rounds so that
# drift in a shared machine's speed falls on both alike. Each round starts each server on a
# fresh SQLite data dir with the default Argon2id costs, pinned to core 0 (wrk on core 1),
# and runs password grants for DURATION with PW_CONNS connections. Prints one line per run
# (requests/s, and requests per CPU-second the server used, from /proc/PID/stat), the
# medians of each build and their ratios; also results/audit-cost-<stamp>.tsv.
#
#   BASE_BIN=/path/to/old/tessera bench/server/audit_cost.sh   # ROUNDS=3 DURATION=10s PW_CONNS=4
#
# TESSERA_BIN defaults to target/release/tessera. Only 127.0.0.1; every run is bounded by
# DURATION; only the PIDs started here are stopped.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
PW_CONNS=${PW_CONNS:-4}
NEW=${TESSERA_BIN:-$ROOT/target/release/tessera}
BASE=${BASE_BIN:?set BASE_BIN to the tessera build to compare with}
unset TESSERA_BIN
mkdir -p "$HERE/results"
OUT="$HERE/results/audit-cost-$(date -u +%Y%m%dT%H%M%SZ).tsv"
TMP=$(mktemp -d /tmp/tessera-auditcost.XXXXXX)
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

basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# cpu_ticks PID: the user and system time the process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME BIN ROUND: one server, one wrk run of password grants; prints requests/s and
# requests per CPU-second of the server.
run() {
    local name=$1 bin=$2 round=$3 dir="$TMP/data-$1-$3" log="$TMP/$1-$3.log" pid addr="" i
    "$bin" --data-dir "$dir" init >/dev/null
    local web auth rps
    web=$("$bin" --data-dir "$dir" client add web --grant password --scope read 2>/dev/null)
    auth=$(basic "$(field client_id <<<"$web")" "$(field client_secret <<<"$web")")
    printf 'bench-passw0rd-1234\n' | "$bin" --data-dir "$dir" user add alice --password-stdin >/dev/null
    taskset -c 0 "$bin" --data-dir "$dir" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 1 200); do
        addr=$(grep -om1 'listening on [a-z]*:*/*127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null \
            | grep -o '127\.0\.0\.1:[0-9]*' || true)
        [[ -n "$addr" ]] && break
        sleep 0.1
    done
    [[ -n "$addr" ]] || { cat "$log" >&2; echo "$name did not start" >&2; exit 1; }
    local raw="$TMP/wrk-$name-$round.txt" before after
    before=$(cpu_ticks "$pid")
    AUTH="$auth" BODY="grant_type=password&username=alice&password=bench-passw0rd-1234&scope=read" \
        taskset -c 1 wrk -t1 -c"$PW_CONNS" -d"$DURATION" --timeout 10s -s "$HERE/form.lua" \
        "http://$addr/oauth/token" >"$raw" 2>&1
    after=$(cpu_ticks "$pid")
    grep -q 'Non-2xx' "$raw" && { cat "$raw" >&2; echo "$name answered errors" >&2; exit 1; }
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
    [[ -n "$rps" ]] || { cat "$raw" >&2; echo "$name: no rate measured" >&2; exit 1; }
    local requests per_cpu
    requests=$(awk '/requests in/ {print $1}' "$raw")
    per_cpu=$(awk -v n="$requests" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.1f", (t > 0) ? n / (t / hz) : 0 }')
    printf '%s\t%s\n' "$rps" "$per_cpu"
}

printf 'round\tbuild\trps\tper_cpu_s\n' >"$OUT"
for round in $(seq 1 "$ROUNDS"); do
    for build in base new; do
        bin=$BASE
        [[ "$build" == new ]] && bin=$NEW
        measured=$(run "$build" "$bin" "$round")
        printf '%s\t%s\t%s\n' "$round" "$build" "$measured" | tee -a "$OUT"
    done
done
python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
for column, what in (("rps", "password grants/s"), ("per_cpu_s", "password grants per CPU-second")):
    med = {b: statistics.median(float(r[column]) for r in rows if r["build"] == b) for b in ("base", "new")}
    print(f"median {what}: base {med['base']:.1f}, new {med['new']:.1f}, new/base {med['new'] / med['base']:.3f}")
PY
echo "results in ${OUT#"$ROOT"/}"
