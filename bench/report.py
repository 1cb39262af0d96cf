#!/usr/bin/env python3
"""Prints criterion's results for bench/ as markdown tables (python3 standard library only).

Reads target/criterion/*/*/new/{benchmark,estimates}.json under this directory (or the
directory given as the first argument) and prints:
  1. per algorithm and operation: median times of tessera-jose, jsonwebtoken, jwt-simple and
     the bare aws-lc-rs floor, the ratios to the floor and tessera/jsonwebtoken, and whether
     tessera-jose meets its targets;
  2. the step breakdown groups (breakdown-*), if present.
Exits with status 1 when a comparison group is incomplete.
"""

import json
import os
import sys
from glob import glob

ALGORITHMS = ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"]
OPERATIONS = ["sign", "verify"]
IMPLEMENTATIONS = ["tessera", "jsonwebtoken", "jwt-simple", "floor"]

# Ceiling on tessera/floor, per (algorithm, operation); HS256 is judged against jsonwebtoken.
FLOOR_TARGETS = {
    **{(alg, "verify"): 1.05 for alg in ["RS256", "PS256", "ES256", "ES384", "EdDSA"]},
    **{(alg, "sign"): 1.05 for alg in ["RS256", "PS256", "ES256", "ES384"]},
    ("EdDSA", "sign"): 1.10,
}
HS256_VS_JSONWEBTOKEN = 0.5


def load(root):
    """{group_id: {function_id: median_ns}} from criterion's newest estimates."""
    results = {}
    pattern = os.path.join(root, "target", "criterion", "*", "*", "new", "estimates.json")
    for estimates_path in glob(pattern):
        new_dir = os.path.dirname(estimates_path)
        with open(os.path.join(new_dir, "benchmark.json"), encoding="utf-8") as f:
            meta = json.load(f)
        with open(estimates_path, encoding="utf-8") as f:
            estimates = json.load(f)
        median = estimates["median"]
        results.setdefault(meta["group_id"], {})[meta["function_id"]] = {
            "median": median["point_estimate"],
            "low": median["confidence_interval"]["lower_bound"],
            "high": median["confidence_interval"]["upper_bound"],
        }
    return results


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_ratio(value):
    return f"{value:.3f}x"


def targets(alg, op, t, j, s, floor):
    """The target checks for one row, as text, and whether all were met."""
    notes, ok = [], True
    if alg == "HS256":
        met = t <= HS256_VS_JSONWEBTOKEN * j
        ok &= met
        notes.append(f"≤{HS256_VS_JSONWEBTOKEN}x jsonwebtoken: {'met' if met else 'MISSED'}")
    else:
        limit = FLOOR_TARGETS[(alg, op)]
        met = t <= limit * floor
        ok &= met
        notes.append(f"≤{limit:.2f}x floor: {'met' if met else 'MISSED'}")
    met = t <= j and t <= s
    ok &= met
    notes.append(f"not slower than peers: {'met' if met else 'MISSED'}")
    return "; ".join(notes), ok


def comparison_table(results):
    lines = [
        "| alg | op | tessera | jsonwebtoken | jwt-simple | floor (aws-lc-rs) "
        "| tessera/floor | jsonwebtoken/floor | jwt-simple/floor | tessera/jsonwebtoken | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    missing, missed = [], []
    for alg in ALGORITHMS:
        for op in OPERATIONS:
            group = results.get(f"{alg}-{op}", {})
            if not all(name in group for name in IMPLEMENTATIONS):
                missing.append(f"{alg}-{op}")
                continue
            t, j, s, floor = (group[name]["median"] for name in IMPLEMENTATIONS)
            note, ok = targets(alg, op, t, j, s, floor)
            if not ok:
                missed.append(f"{alg} {op}")
            lines.append(
                f"| {alg} | {op} | {fmt_time(t)} | {fmt_time(j)} | {fmt_time(s)} "
                f"| {fmt_time(floor)} | {fmt_ratio(t / floor)} | {fmt_ratio(j / floor)} "
                f"| {fmt_ratio(s / floor)} | {fmt_ratio(t / j)} | {note} |"
            )
    return lines, missing, missed


def breakdown_tables(results):
    lines = []
    for group_id in sorted(g for g in results if g.startswith("breakdown-")):
        group = results[group_id]
        floor = group.get("floor", {}).get("median")
        lines += [
            "",
            f"**{group_id}**",
            "",
            "| step | median | 95% CI of median | minus floor |",
            "|---|---:|---:|---:|",
        ]
        for name, est in sorted(group.items(), key=lambda kv: -kv[1]["median"]):
            above = ""
            if floor is not None and name != "floor":
                above = f"{est['median'] - floor:+.0f} ns"
            lines.append(
                f"| {name} | {fmt_time(est['median'])} "
                f"| {fmt_time(est['low'])} – {fmt_time(est['high'])} | {above} |"
            )
    return lines


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    results = load(root)
    if not results:
        print(f"no criterion results under {root}/target/criterion", file=sys.stderr)
        return 1
    lines, missing, missed = comparison_table(results)
    print("\n".join(lines))
    print()
    if missed:
        print(f"Targets missed: {', '.join(missed)}.")
    else:
        print("All targets met.")
    extra = breakdown_tables(results)
    if extra:
        print()
        print("Breakdown of tessera-jose (medians):")
        print("\n".join(extra))
    if missing:
        print(f"\nincomplete groups (not run or filtered out): {', '.join(missing)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
