#!/usr/bin/env bash
# Runs the JWT comparison and the tessera-jose step breakdown, then prints the markdown report.
#
#   bench/run.sh                 # everything: about 9 minutes of measurement after the build
#   bench/run.sh --no-breakdown  # the comparison and the interleaved check (about 6 minutes)
#
# Both benchmark binaries are built first and then run directly, so that a source change
# during the run cannot mix two builds in one table. Criterion runs with a reduced time per
# benchmark (MEASURE seconds, default 3, after WARMUP seconds, default 1); results of earlier
# runs are removed first. Then examples/paired.rs measures the same ratios with the four
# implementations interleaved (PAIRED_SECONDS per row, default 5), which is robust to load
# that comes and goes on a shared machine. jwt-simple's default features build BoringSSL:
# cmake and clang are needed (apt-get install -y cmake clang libclang-dev).
set -euo pipefail
cd "$(dirname "$0")"

MEASURE="${MEASURE:-3}"
WARMUP="${WARMUP:-1}"
PAIRED_SECONDS="${PAIRED_SECONDS:-5}"
benches=(jwt breakdown)
if [[ "${1:-}" == "--no-breakdown" ]]; then benches=(jwt); fi

declare -A exe
while read -r name path; do
  exe[$name]=$path
done < <(cargo bench --no-run --benches --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
            and "bench" in msg["target"]["kind"]:
        print(msg["target"]["name"], msg["executable"])
')

cargo build --profile bench --example paired

echo "tessera-jose: $(git -C .. log -1 --format='%h %s' -- crates/jose)" \
  "$( [[ -n "$(git -C .. status --porcelain -- crates/jose/src crates/jose/Cargo.toml)" ]] \
      && echo '(with uncommitted changes)')"
echo "date: $(date -u +%FT%TZ); $(uptime)"

rm -rf target/criterion
export CRITERION_HOME="$PWD/target/criterion"
for bench in "${benches[@]}"; do
  "${exe[$bench]}" --bench --measurement-time "$MEASURE" --warm-up-time "$WARMUP" --noplot
done
echo "criterion done: $(date -u +%FT%TZ); $(uptime)"
echo
echo "Interleaved ratios (examples/paired.rs, ${PAIRED_SECONDS} s per row):"
echo
"${CARGO_TARGET_DIR:-target}/release/examples/paired" "$PAIRED_SECONDS"
echo "done: $(date -u +%FT%TZ); $(uptime)"
echo
python3 report.py
