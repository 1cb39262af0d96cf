# Helpers for the PostgreSQL benchmarks (bench/pg/run.sh, bench/scale/run.sh); sourced, not
# run. They expect `set -euo pipefail`, and OUT (a results directory) set before `log`.
# Everything started through them is recorded, and `cleanup` (installed as the EXIT trap by
# `init_cleanup`) kills those processes by PID and drops the databases made by `make_db`.
#
# Environment: PG_SERVER (postgres://postgres@127.0.0.1:5432, trust auth: the benchmarks
# create and drop their own databases on it and never touch others), SERVER_CPU (0),
# LOAD_CPU (1), TESSERA_BIN (a release build of tessera to measure instead of building one).

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PIDS=()
DBS=()
TMP=$(mktemp -d /tmp/tessera-pgbench.XXXXXX)

cleanup() {
    local pid db
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for db in "${DBS[@]}"; do
        psql -X -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    done
    rm -rf "$TMP"
}

init_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# make_db NAME: creates database NAME (dropped on exit) and sets DB_URL to its URL. (Not
# for command substitution: the record of what to drop must stay in this shell.)
make_db() {
    psql -X -q -v ON_ERROR_STOP=1 "$PG_SERVER/postgres" -c "CREATE DATABASE $1"
    DBS+=("$1")
    DB_URL="$PG_SERVER/$1"
}

# drop_db NAME: drops a database made by make_db now, to free its space.
drop_db() {
    psql -X -q -v ON_ERROR_STOP=1 "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
    local keep=() db
    for db in "${DBS[@]}"; do [[ "$db" != "$1" ]] && keep+=("$db"); done
    DBS=("${keep[@]}")
}

# tessera_bin: sets TESSERA to TESSERA_BIN, or to a fresh release build.
tessera_bin() {
    if [[ -n "${TESSERA_BIN:-}" ]]; then
        TESSERA=$TESSERA_BIN
        # The server refuses TESSERA_* variables that are not settings: keep this one from it.
        unset TESSERA_BIN
    else
        log "building tessera (release)"
        (cd "$ROOT" && cargo build --release -q -p tessera)
        TESSERA="${CARGO_TARGET_DIR:-$ROOT/target}/release/tessera"
    fi
}

# start NAME LOGFILE CMD...: starts CMD on the server core, records its PID in PIDS and in
# NAME_PID, waits for its "listening on ADDR" line and sets NAME_ADDR.
start() {
    local name=$1 logfile=$2
    shift 2
    taskset -c "$SERVER_CPU" "$@" >"$logfile" 2>"$logfile.err" &
    local pid=$!
    PIDS+=("$pid")
    printf -v "${name}_PID" '%s' "$pid"
    local addr="" i
    for i in $(seq 1 300); do
        addr=$(grep -om1 'listening on [a-z]*:*/*127\.0\.0\.1:[0-9]*' "$logfile" 2>/dev/null | grep -o '127\.0\.0\.1:[0-9]*' || true)
        [[ -n "$addr" ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$logfile" "$logfile.err" >&2; echo "$name died" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n "$addr" ]] || { echo "$name did not start" >&2; exit 1; }
    printf -v "${name}_ADDR" '%s' "$addr"
}

# forget PID: drops PID from PIDS (it has ended).
forget() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ "$p" != "$1" ]] && keep+=("$p"); done
    PIDS=("${keep[@]}")
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget "$1"
}

# wrk_start RAWFILE CONNS DURATION URL SCRIPT: starts wrk on the load core in the
# background (bounded by DURATION and a 10 s request timeout) and sets WRK_PID.
wrk_start() {
    taskset -c "$LOAD_CPU" wrk -t1 -c"$2" -d"$3" --timeout 10s --latency -s "$5" "$4" >"$1" 2>&1 &
    WRK_PID=$!
    PIDS+=("$WRK_PID")
}

wrk_wait() {
    wait "$1" || true
    forget "$1"
}

# to_ms VALUE: wrk's "1.23ms" / "850.00us" / "1.02s" in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v == "") { print ""; exit }
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else { sub(/s$/, "", v); printf "%.3f", v * 1000 } }'
}

# wrk_fields RAWFILE: "requests rps p50_ms p90_ms p99_ms non2xx seconds" from wrk's output.
wrk_fields() {
    local raw=$1 requests rps p50 p90 p99 non2xx secs
    requests=$(awk '/requests in/ {print $1}' "$raw")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$raw")")
    p90=$(to_ms "$(awk '$1 == "90%" {print $2}' "$raw")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$raw")")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$raw")
    secs=$(awk '/requests in/ {sub(/s,$/, "", $5); print $5}' "$raw")
    printf '%s %s %s %s %s %s %s\n' "${requests:-0}" "${rps:-0}" "${p50:-0}" "${p90:-0}" \
        "${p99:-0}" "${non2xx:-0}" "${secs:-0}"
}

# env_txt FILE: the machine and software a run was on.
env_txt() {
    {
        echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
        echo "kernel: $(uname -r)"
        echo "wrk: $(wrk -v 2>&1 | head -1)"
        echo "postgresql: $(psql -X -At "$PG_SERVER/postgres" -c 'SHOW server_version')"
        echo "postgresql settings: $(psql -X -At "$PG_SERVER/postgres" -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem')")"
        echo "tessera: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- crates || echo ' (+ uncommitted changes in crates/)')"
        echo "loadavg at start: $(loadavg)"
    } >"$1"
}
