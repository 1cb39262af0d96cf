#!/usr/bin/env python3
"""Summarises bench/scale results: per size and scenario the median over the counted runs
(run 0 is a warm-up) of requests/s, p50 and p99; and for each scenario the largest size's
p99 over the smallest's (target: at most 1.5), both as the ratio of the medians and as the
median of the ratios within each round (the two runs of a round are back to back, so the
machine's load changes less between them than across the whole run).

Usage: report.py RESULTS_DIR
"""
import csv
import statistics
import sys
from collections import defaultdict

TARGET = 1.5


def main(out):
    runs = defaultdict(list)
    with open(f"{out}/results.tsv") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["run"] != "0":
                runs[(row["scenario"], int(row["size"]))].append(row)
    sizes = sorted({size for _, size in runs})
    print("| scenario | size | runs | req/s | p50 ms | p99 ms | p99 per run | non-2xx | loadavg |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    medians = {}
    for (scenario, size), rows in sorted(runs.items()):
        rps = statistics.median(float(r["rps"]) for r in rows)
        p50 = statistics.median(float(r["p50_ms"]) for r in rows)
        p99 = statistics.median(float(r["p99_ms"]) for r in rows)
        medians[(scenario, size)] = p99
        loads = [float(r["loadavg"]) for r in rows]
        per_run = ", ".join(f"{float(r['p99_ms']):.1f}" for r in rows)
        non2xx = sum(int(r["non2xx"]) for r in rows)
        print(
            f"| {scenario} | {size:,} | {len(rows)} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | "
            f"{per_run} | {non2xx} | {min(loads):.1f}-{max(loads):.1f} |"
        )
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    print()
    for scenario in sorted({s for s, _ in runs}):
        if (scenario, small) in medians and (scenario, large) in medians:
            ratio = medians[(scenario, large)] / medians[(scenario, small)]
            paired = paired_ratios(runs[(scenario, small)], runs[(scenario, large)])
            within = statistics.median(paired)
            print(
                f"- {scenario}: p99 at {large:,} / p99 at {small:,}: ratio of the medians "
                f"{ratio:.2f}x, median of the per-round ratios {within:.2f}x "
                f"({'within' if max(ratio, within) <= TARGET else 'over'} the {TARGET}x target); "
                f"per round: " + ", ".join(f"{r:.2f}" for r in paired)
            )


def paired_ratios(small_rows, large_rows):
    """p99(large) / p99(small) for each round both sizes ran in."""
    small = {r["run"]: float(r["p99_ms"]) for r in small_rows}
    large = {r["run"]: float(r["p99_ms"]) for r in large_rows}
    rounds = sorted(set(small) & set(large), key=int)
    return [large[r] / small[r] for r in rounds if small[r] > 0]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
