#!/usr/bin/env bash
# Console search benchmark: the operator console's user search, GET /ui/admin?q=PREFIX (a
# server-rendered page of 50 accounts), with SIZE users in PostgreSQL. Target: p99 under
# 50 ms at 1,000,000 users.
#
# One database (tessera_console_<size>_<pid>, dropped on exit) seeded by seed.sh with SIZE
# users and TOKENS sessions; one `tessera serve` (ES256) on core SERVER_CPU; an account
# `admin` with the `admin` role, signed in through the sign-in form (/ui/login) with curl;
# then wrk on core LOAD_CPU with that browser's cookies, the prefixes picked at random per
# request by console_search.lua (bench_user and 1 to 6 digits, next pages, prefixes that
# match nobody, no prefix). A warm-up run (not counted), then REPEAT runs of DURATION; the
# report gives requests/s, p50, p90 and p99 per run, the median p99 and PASS/FAIL against
# 50 ms. Every answer must be a 200 with the accounts page: the script stops with an error
# when one is not (a 303 to /ui/login: the session did not work).
#
# Usage: bench/scale/console.sh [SIZE]   (default: 1000000; results:
#        bench/scale/results/<stamp>/)
# Environment: DURATION (5s per run), CONNS (4), REPEAT (5 runs), WARMUP (3s, not counted),
#              MAX_REQUESTS (200000 per run), TOKENS (1000 seeded sessions), PASSWORD_COST
#              (cheap: Argon2id m=256 KiB t=1, as run.sh; default: the server's defaults),
#              and those of bench/pg/lib.sh (PG_SERVER, TESSERA_BIN, SERVER_CPU, LOAD_CPU).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIZE=${1:-1000000}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-4}
REPEAT=${REPEAT:-5}
WARMUP=${WARMUP:-3s}
export MAX_REQUESTS=${MAX_REQUESTS:-200000}
TOKENS=${TOKENS:-1000}
PASSWORD_COST=${PASSWORD_COST:-cheap}
TARGET_MS=50
[[ "$SIZE" =~ ^[1-9][0-9]*$ ]] || { echo "SIZE is a positive number of users" >&2; exit 2; }
OUT="$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
# shellcheck source=../pg/lib.sh
source "$ROOT/bench/pg/lib.sh"
init_cleanup
RESULTS="$OUT/results.tsv"
printf 'run\tsize\tconns\tloadavg\trequests\trps\tp50_ms\tp90_ms\tp99_ms\tnon2xx\tnon200\tseconds\n' >"$RESULTS"

for tool in wrk curl psql python3 taskset; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
case "$PASSWORD_COST" in
    cheap) COST_ENV=(TESSERA_PASSWORDS__MEMORY_KIB=256 TESSERA_PASSWORDS__ITERATIONS=1) ;;
    default) COST_ENV=() ;;
    *) echo "PASSWORD_COST is cheap or default" >&2; exit 2 ;;
esac
tessera_bin
env_txt "$OUT/env.txt"
echo "command: ${0#"$ROOT"/} $SIZE DURATION=$DURATION CONNS=$CONNS REPEAT=$REPEAT WARMUP=$WARMUP MAX_REQUESTS=$MAX_REQUESTS TOKENS=$TOKENS PASSWORD_COST=$PASSWORD_COST SERVER_CPU=$SERVER_CPU LOAD_CPU=$LOAD_CPU" >>"$OUT/env.txt"
PASSWORD=bench-passw0rd-1234
export COOKIE
ADMIN="admin"

# tessera ARGS...: the CLI on the benchmark's database.
tessera() { env "${COST_ENV[@]}" "$TESSERA" --data-dir "$TMP/data" --database-url "$URL" "$@"; }

# sizes: the row counts and the database size.
sizes() {
    psql -X -At "$URL" -c "SELECT 'size $SIZE: ' || (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM sessions) || ' sessions, database ' || pg_size_pretty(pg_database_size(current_database()))"
}

# sign_in: signs in as ADMIN through the HTML form, as a browser does (GET the form for its
# cookies and hidden fields, POST it back with an Origin header), and sets COOKIE to the
# Cookie header of that browser.
sign_in() {
    local base="http://$ADDR" jar="$TMP/cookies.txt" status location
    status=$(curl -sS -o "$TMP/login.html" -c "$jar" -b "$jar" -w '%{http_code}' "$base/ui/login")
    [[ "$status" == 200 ]] || { echo "GET /ui/login answered $status" >&2; exit 1; }
    # Every field of the form as a browser sends it: the hidden ones (csrf_token and any
    # other), the credentials, and the button that submits it.
    python3 - "$TMP/login.html" "$ADMIN" "$PASSWORD" >"$TMP/login.form" <<'PY'
import sys
from html.parser import HTMLParser
from urllib.parse import urlencode


class Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.found, self.fields = False, False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == "/ui/login":
            self.inside = self.found = True
        elif tag == "input" and self.inside and a.get("type") == "hidden" and a.get("name"):
            self.fields.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


page, username, password = sys.argv[1:4]
form = Form()
with open(page, encoding="utf-8") as f:
    form.feed(f.read())
if not form.found or not any(name == "csrf_token" for name, _ in form.fields):
    sys.exit("the sign-in page has no form with a csrf_token")
fields = form.fields + [("username", username), ("password", password), ("action", "sign_in")]
sys.stdout.write(urlencode(fields))
PY
    status=$(curl -sS -o "$TMP/login-post.html" -D "$TMP/login-post.headers" -c "$jar" -b "$jar" \
        -w '%{http_code}' -H "Origin: $base" -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary "@$TMP/login.form" "$base/ui/login")
    location=$(awk 'tolower($1) == "location:" {print $2}' "$TMP/login-post.headers" | tr -d '\r')
    if [[ "$status" != 303 || "$location" != /ui/account ]]; then
        echo "sign-in as $ADMIN failed: $status ${location:-}" >&2
        grep -o '<p class="error"[^<]*' "$TMP/login-post.html" >&2 || true
        exit 1
    fi
    # The cookie jar (Netscape format; HttpOnly cookies are prefixed "#HttpOnly_").
    COOKIE=$(awk -F'\t' 'NF == 7 && $1 ~ /^(#HttpOnly_)?127\.0\.0\.1$/ {printf "%s%s=%s", sep, $6, $7; sep = "; "}' "$jar")
    [[ "$COOKIE" == *tessera_session=* ]] || { echo "no session cookie after signing in: $COOKIE" >&2; exit 1; }
    # One search by hand: the session must open the console.
    status=$(curl -sS -o "$TMP/admin.html" -H "Cookie: $COOKIE" -w '%{http_code}' "$base/ui/admin?q=bench_user1")
    if [[ "$status" != 200 ]] || ! grep -q '>bench_user1<' "$TMP/admin.html"; then
        echo "GET /ui/admin?q=bench_user1 with the session answered $status, not the accounts page" >&2
        exit 1
    fi
}

# run RUN DURATION: one wrk run; RUN 0 is a warm-up, recorded but not counted.
run() {
    local r=$1 duration=$2 raw la f non200
    raw="$OUT/$(printf '%02d' "$r")-console-$SIZE.txt"
    la=$(loadavg)
    wrk_start "$raw" "$CONNS" "$duration" "http://$ADDR/ui/admin" "$HERE/console_search.lua"
    wrk_wait "$WRK_PID"
    read -ra f <<<"$(wrk_fields "$raw")"
    non200=$(sed -n 's/^console: sent [0-9]*, 200 [0-9]*, other \([0-9]*\).*/\1/p' "$raw")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$SIZE" "$CONNS" "${la%% *}" \
        "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${non200:-?}" "${f[6]}" >>"$RESULTS"
    log "run $r: load $la, ${f[0]} requests, ${f[1]} req/s, p50 ${f[2]} ms, p90 ${f[3]} ms, p99 ${f[4]} ms, not 200: ${non200:-?}"
    if [[ "${non200:-?}" != 0 || "${f[0]}" == 0 ]]; then
        echo "run $r: answers other than the accounts page (a 303 to /ui/login: the session did not work); see ${raw#"$ROOT"/}:" >&2
        grep '^console:' "$raw" >&2 || cat "$raw" >&2
        exit 1
    fi
}

make_db "tessera_console_${SIZE}_$$"
URL=$DB_URL
tessera migrate >/dev/null
start S "$TMP/serve.log" env TESSERA_TOKENS__SIGNING_ALG=ES256 "${COST_ENV[@]}" \
    "$TESSERA" --data-dir "$TMP/data" --database-url "$URL" serve --listen 127.0.0.1:0
ADDR=$S_ADDR
WEB_ID=$(tessera client add web --grant password --grant refresh_token --scope read | json_field client_id)
printf '%s\n' "$PASSWORD" | tessera user add bench_template --password-stdin >/dev/null
HASH=$(psql -X -At "$URL" -c "SELECT password_hash FROM users WHERE username = 'bench_template'")
SEED=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
log "seeding $SIZE users and $TOKENS sessions (load $(loadavg))"
started=$SECONDS
"$HERE/seed.sh" "$URL" "$SIZE" "$TOKENS" "$WEB_ID" "$HASH" "$SEED"
log "seeded in $((SECONDS - started)) s"
printf '%s\n' "$PASSWORD" | tessera user add "$ADMIN" --role admin --password-stdin >/dev/null
sizes | tee -a "$OUT/env.txt" >&2
sign_in
log "signed in as $ADMIN on http://$ADDR"
# Write the seeded pages out now rather than during the first runs.
psql -X -q "$PG_SERVER/postgres" -c CHECKPOINT
run 0 "$WARMUP"
for r in $(seq 1 "$REPEAT"); do run "$r" "$DURATION"; done
sizes | tee -a "$OUT/env.txt" >&2
echo "loadavg at end: $(loadavg)" >>"$OUT/env.txt"
grep -h 'ERROR\|WARN' "$TMP"/*.log "$TMP"/*.err >"$OUT/server-warnings.txt" 2>/dev/null || true
python3 - "$OUT" "$TARGET_MS" <<'PY' | tee "$OUT/summary.md"
import csv
import statistics
import sys

out, target = sys.argv[1], float(sys.argv[2])
with open(f"{out}/results.tsv") as f:
    rows = [r for r in csv.DictReader(f, delimiter="\t") if r["run"] != "0"]
size = int(rows[0]["size"])
print(f"Console search (GET /ui/admin?q=PREFIX), {size:,} users, {rows[0]['conns']} connections")
print()
print("| run | requests | req/s | p50 ms | p90 ms | p99 ms | not 200 | loadavg |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(
        f"| {r['run']} | {int(r['requests']):,} | {float(r['rps']):,.0f} | {float(r['p50_ms']):.2f} | "
        f"{float(r['p90_ms']):.2f} | {float(r['p99_ms']):.2f} | {r['non200']} | {r['loadavg']} |"
    )


def med(key):
    return statistics.median(float(r[key]) for r in rows)


p99 = med("p99_ms")
print(
    f"| median | | {med('rps'):,.0f} | {med('p50_ms'):.2f} | {med('p90_ms'):.2f} | {p99:.2f} | "
    f"{sum(int(r['non200']) for r in rows)} | |"
)
print()
verdict = "PASS" if p99 < target else "FAIL"
print(
    f"{verdict}: median p99 {p99:.2f} ms against the {target:g} ms target "
    f"({p99 / target:.2f}x the target, {target - p99:+.2f} ms margin)"
)
PY
log "results in ${OUT#"$ROOT"/}"
