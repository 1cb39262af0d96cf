#!/usr/bin/env bash
# Seeds a migrated Tessera database on PostgreSQL with USERS users and TOKENS live sessions,
# one refresh token each, in chunks, with a progress bar on stderr. Every user gets the
# same password hash; the refresh tokens are token(SEED, i) for i in 1..TOKENS (see
# seed.sql), so that their text can be recomputed from SEED; session i belongs to user
# ((i - 1) % USERS) + 1. Meant for a database made for a benchmark, never a real one.
#
# Usage: bench/scale/seed.sh DATABASE_URL USERS TOKENS CLIENT_ID PASSWORD_HASH SEED [SCOPE]
# Environment: CHUNK (rows per statement, 50000).
set -euo pipefail

if [[ $# -lt 6 ]]; then
    sed -n '8p' "$0" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
URL=$1 USERS=$2 TOKENS=$3 CLIENT=$4 HASH=$5 SEED=$6 SCOPE=${7:-read}
CHUNK=${CHUNK:-50000}
NOW=$(date +%s)

sql() { psql -X -q -v ON_ERROR_STOP=1 "$URL" "$@"; }

# bar LABEL DONE TOTAL: one progress line, redrawn in place.
bar() {
    local label=$1 done=$2 total=$3 width=40
    local filled=$((done * width / total))
    printf '\r%-8s [%-*s] %3d%% %d/%d' "$label" "$width" "$(printf '%*s' "$filled" '' | tr ' ' '#')" \
        "$((done * 100 / total))" "$done" "$total" >&2
}

# chunks LABEL TOTAL CALL: runs CALL (a procedure call with :lo and :hi) over 1..TOTAL.
chunks() {
    local label=$1 total=$2 call=$3 lo hi
    [[ "$total" -gt 0 ]] || return 0
    bar "$label" 0 "$total"
    for ((lo = 1; lo <= total; lo += CHUNK)); do
        hi=$((lo + CHUNK - 1 < total ? lo + CHUNK - 1 : total))
        # Durability does not matter for throw-away rows; this session only.
        sql -v lo="$lo" -v hi="$hi" -v hash="$HASH" -v at="$NOW" -v users="$USERS" \
            -v client="$CLIENT" -v scope="$SCOPE" -v seed="$SEED" <<SQL
SET synchronous_commit = off;
$call;
SQL
        bar "$label" "$hi" "$total"
    done
    printf '\n' >&2
}

start=$(date +%s)
sql -f "$HERE/seed.sql"
chunks users "$USERS" "CALL bench_seed_users(:lo, :hi, :'hash', :at)"
chunks tokens "$TOKENS" "CALL bench_seed_tokens(:lo, :hi, :users, :'client', :'scope', :'seed', :at)"
printf 'analyzing\n' >&2
sql -c 'VACUUM ANALYZE users, sessions, refresh_tokens'
printf 'seeded %d users and %d refresh tokens in %d s\n' "$USERS" "$TOKENS" "$(($(date +%s) - start))" >&2
