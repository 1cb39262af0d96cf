#!/usr/bin/env python3
"""Summarises bench/guard/run.sh results: median req/s per algorithm and route, and the
guarded/open ratio (the goal is at least 0.85)."""

import csv
import statistics
import sys


def main(path: str) -> None:
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    print("| alg | open req/s | guarded req/s | guarded / open | per round (median) "
          "| guarded p50 / p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---|---|---:|")
    for alg in sorted({r["alg"] for r in rows}):
        def pick(route: str, field: str) -> list[float]:
            return [float(r[field]) for r in rows if r["alg"] == alg and r["route"] == route]

        open_rps = statistics.median(pick("open", "rps"))
        guarded_rps = statistics.median(pick("guarded", "rps"))
        p50 = statistics.median(pick("guarded", "p50_ms"))
        p99 = statistics.median(pick("guarded", "p99_ms"))
        errors = int(sum(pick("guarded", "non2xx")) + sum(pick("open", "non2xx")))
        # Each round loads both routes back to back: their ratio cancels slow load drift.
        rounds = [g / o for g, o in zip(pick("guarded", "rps"), pick("open", "rps"))]
        per_round = ", ".join(f"{r:.2f}" for r in rounds)
        print(f"| {alg} | {open_rps:,.0f} | {guarded_rps:,.0f} | "
              f"{guarded_rps / open_rps:.2f} | {per_round} ({statistics.median(rounds):.2f}) "
              f"| {p50:.2f} / {p99:.2f} | {errors} |")
    loads = [float(r["loadavg"]) for r in rows]
    print(f"\nload average during the runs: {min(loads):.1f} to {max(loads):.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
