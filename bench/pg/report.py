#!/usr/bin/env python3
"""Summarises bench/pg results: per scenario and number of instances, the median over runs
of the total requests/s (summed over the instances loaded at once) and of p50 (mean over the
instances) and p99 (the worse instance).

Usage: report.py RESULTS_DIR
"""
import csv
import statistics
import sys
from collections import defaultdict


def main(out):
    runs = defaultdict(list)
    with open(f"{out}/results.tsv") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            runs[(row["scenario"], int(row["instances"]), row["run"])].append(row)
    table = defaultdict(list)
    for (scenario, instances, _), rows in runs.items():
        rps = sum(float(r["rps"]) for r in rows)
        p50 = statistics.mean(float(r["p50_ms"]) for r in rows)
        p99 = max(float(r["p99_ms"]) for r in rows)
        non2xx = sum(int(r["non2xx"]) for r in rows)
        load = float(rows[0]["loadavg"])
        conns = sum(int(r["conns"]) for r in rows)
        table[(scenario, instances)].append((rps, p50, p99, non2xx, load, conns))
    print("| scenario | instances | conns | runs | req/s (median) | p50 / p99 ms | non-2xx | loadavg |")
    print("|---|---:|---:|---:|---:|---|---:|---|")
    for (scenario, instances), rows in sorted(table.items()):
        rps = statistics.median(r[0] for r in rows)
        p50 = statistics.median(r[1] for r in rows)
        p99 = statistics.median(r[2] for r in rows)
        non2xx = sum(r[3] for r in rows)
        loads = [r[4] for r in rows]
        print(
            f"| {scenario} | {instances} | {rows[0][5]} | {len(rows)} | {rps:,.0f} | "
            f"{p50:.1f} / {p99:.1f} | {non2xx} | {min(loads):.1f}-{max(loads):.1f} |"
        )
    print()
    print("Per run (req/s summed over instances):")
    for (scenario, instances), rows in sorted(table.items()):
        print(f"- {scenario} x{instances}: " + ", ".join(f"{r[0]:,.0f}" for r in rows))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
