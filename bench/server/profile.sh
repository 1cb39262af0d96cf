#!/usr/bin/env bash
# Instructions per request of one endpoint of `tessera serve`, by function, from callgrind:
# instruction counts do not depend on the machine's load, so they show where a request's time
# goes even on a busy host. The server runs under callgrind; after a warm-up, the counters are
# zeroed, N requests are sent on one keep-alive connection, and the counters are dumped.
#
#   bench/server/profile.sh [cc|jwks|userinfo|hello|cc_dpop|userinfo_dpop] [N]
#
# The DPoP endpoints send one fresh ES256 proof per request, made beforehand by the floor's
# `dpopgen` (FLOOR_DIR, default bench/server/floor/target/release; see run.sh).
# TESSERA_BIN (default target/release/tessera) is the binary profiled; build it first with
# `cargo build --release -p tessera` (symbols come from the release profile's debug = "line-tables-only"
# or none: function names are enough). Output: results/profile-<endpoint>-<stamp>/ with the
# callgrind file and `top.txt`, the inclusive counts per request of the heaviest functions.
set -euo pipefail
cd "$(dirname "$0")/../.."

endpoint="${1:-cc}"
n="${2:-2000}"
bin="${TESSERA_BIN:-target/release/tessera}"
# The server refuses TESSERA_* variables that are not settings: keep this one from it.
unset TESSERA_BIN
port="${PORT:-18600}"
out="bench/server/results/profile-${endpoint}-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
data="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

for tool in valgrind callgrind_control callgrind_annotate python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install valgrind)" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "missing $bin; run: cargo build --release -p tessera" >&2; exit 2; }

TESSERA_TOKENS__SIGNING_ALG=ES256 valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
    "$bin" --data-dir "$data" serve --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
client="$("$bin" --data-dir "$data" client add profiler --grant client_credentials --grant password --scope read)"
"$bin" --data-dir "$data" user add alice --password-stdin <<<"correct horse battery staple" >/dev/null

dpopgen="${FLOOR_DIR:-bench/server/floor/target/release}/dpopgen"
if [[ "$endpoint" == *_dpop ]]; then
    [ -x "$dpopgen" ] || { echo "missing $dpopgen; run: cargo build --release --manifest-path bench/server/floor/Cargo.toml" >&2; exit 2; }
fi

python3 - "$port" "$n" "$endpoint" "$pid" "$client" "$dpopgen" "$data/dpop-key.pem" <<'PY'
import base64, http.client, json, subprocess, sys
port, n, endpoint, pid, client = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
dpopgen, dpop_key = sys.argv[6], sys.argv[7]
basic = "Basic " + base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def call(method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse(); data = r.read()
    assert 200 <= r.status < 300, (r.status, data)
    return data
form = {"content-type": "application/x-www-form-urlencoded", "authorization": basic}
issuer = f"http://127.0.0.1:{port}"
def proofs(method, path, count, token=None):
    args = [dpopgen, dpop_key, method, issuer + path, str(count)] + ([token] if token else [])
    return iter(subprocess.run(args, check=True, capture_output=True, text=True).stdout.split())
token = None
login = "grant_type=password&username=alice&password=correct+horse+battery+staple"
if endpoint == "userinfo":
    token = json.loads(call("POST", "/oauth/token", login, form))["access_token"]
if endpoint == "userinfo_dpop":
    bind = {**form, "dpop": next(proofs("POST", "/oauth/token", 1))}
    token = json.loads(call("POST", "/oauth/token", login, bind))["access_token"]
    fresh = proofs("GET", "/userinfo", n + 200, token)
if endpoint == "cc_dpop":
    fresh = proofs("POST", "/oauth/token", n + 200)
def one():
    if endpoint == "cc":
        call("POST", "/oauth/token", "grant_type=client_credentials&scope=read", form)
    elif endpoint == "cc_dpop":
        call("POST", "/oauth/token", "grant_type=client_credentials&scope=read", {**form, "dpop": next(fresh)})
    elif endpoint == "userinfo_dpop":
        call("GET", "/userinfo", headers={"authorization": f"DPoP {token}", "dpop": next(fresh)})
    elif endpoint == "jwks":
        call("GET", "/.well-known/jwks.json")
    elif endpoint == "userinfo":
        call("GET", "/userinfo", headers={"authorization": f"Bearer {token}"})
    elif endpoint == "hello":
        call("GET", "/healthz")
    else:
        sys.exit(f"unknown endpoint {endpoint}")
for _ in range(200):
    one()
subprocess.run(["callgrind_control", "-z", pid], check=True, stdout=subprocess.DEVNULL)
for _ in range(n):
    one()
subprocess.run(["callgrind_control", "-d", "measured", pid], check=True, stdout=subprocess.DEVNULL)
PY

dump="$(ls -t "$out"/callgrind.out.* | head -1)"
callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | python3 -c '
import re, sys
n = int(sys.argv[1])
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)", line)
    if m:
        count = int(m.group(1).replace(",", ""))
        print(f"{count / n:12.0f}  {m.group(2)[:160]}")
' "$n" | head -80 > "$out/top.txt"
echo "instructions per request (inclusive), $endpoint, N=$n:"
head -40 "$out/top.txt"
