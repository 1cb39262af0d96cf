#!/usr/bin/env python3
"""Summarises a run of bench/server/run.sh: the table, the ratios and the targets (markdown).

Usage: report.py RESULTS_DIR. Of repeated runs the best (highest requests/s) is reported;
every run stays in RESULTS_DIR/results.tsv.
"""
import csv
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = list(csv.DictReader(open(out / "results.tsv"), delimiter="\t"))


def num(v):
    return float(v) if v not in (None, "") else None


best = {}
runs = {}
for r in rows:
    key = (r["scenario"], r["target"], r["conns"])
    runs.setdefault(key, []).append(r)
    if r["rps"] and (key not in best or num(r["rps"]) > num(best[key]["rps"])):
        best[key] = r


def rps(scenario, target, conns=None):
    for (s, t, c), r in best.items():
        if s == scenario and t == target and (conns is None or c == str(conns)):
            return num(r["rps"])
    return None


def rss(scenario, target):
    vals = [num(r["rss_max_kb"]) for r in rows if r["scenario"] == scenario and r["target"] == target and r["rss_max_kb"]]
    return max(vals) if vals else None


env = (out / "env.txt").read_text()
print(env)
print("| scenario | target | conns | load avg at start (each run) | req/s (best) | all runs req/s | p50 ms | p99 ms | non-2xx | server RSS max MiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key, r in best.items():
    allr = ", ".join(f"{float(x['rps']):.0f}" if float(x["rps"]) >= 100 else f"{float(x['rps']):.1f}" for x in runs[key])
    las = ", ".join(x["loadavg"] for x in runs[key])
    rs = f"{num(r['rss_max_kb']) / 1024:.1f}" if r["rss_max_kb"] else ""
    v = num(r["rps"])
    vs = f"{v:.0f}" if v >= 100 else f"{v:.1f}"
    print(f"| {key[0]} | {key[1]} | {key[2]} | {las} | {vs} | {allr} | {r['p50_ms']} | {r['p99_ms']} | {r['non2xx']} | {rs} |")
print()
for r in rows:
    if r["scenario"].startswith("rss_"):
        print(f"- {r['scenario']} {r['target']}: {num(r['rss_max_kb']) / 1024:.1f} MiB")
print()


def ratio(name, a, b, target, fmt="{:.2f}x"):
    if a is None or b is None:
        print(f"| {name} | n/a | {target} | not measured |")
        return
    x = a / b
    ok = eval(target.replace("x", "").replace("%", "/100").replace("≥", "x>="), {"x": x})
    shown = fmt.format(x) if "x" in target else f"{x * 100:.0f}%"
    print(f"| {name} | {shown} ({a:.0f} / {b:.0f}) | {target} | {'met' if ok else 'MISSED'} |")


print("| ratio | value | target | |")
print("|---|---|---|---|")
ratio("client_credentials ES256, tessera / node-oidc-provider", rps("cc_ES256", "tessera"), rps("cc_ES256", "peer"), "≥ 5x")
ratio("client_credentials RS256, tessera / peer (information)", rps("cc_RS256", "tessera"), rps("cc_RS256", "peer"), "≥ 0x")
ratio("client_credentials RS256 / bare aws-lc-rs RS256 sign", rps("cc_RS256", "tessera"), rps("sign_RS256", "bare"), "≥ 85%")
ratio("client_credentials ES256 / bare ES256 sign (information)", rps("cc_ES256", "tessera"), rps("sign_ES256", "bare"), "≥ 0%")
ratio("client_credentials EdDSA / bare EdDSA sign (information)", rps("cc_EdDSA", "tessera"), rps("sign_EdDSA", "bare"), "≥ 0%")
r = rps("refresh", "tessera")
print(f"| refresh_token ES256 on SQLite | {r:.0f}/s | ≥ 3000/s | {'met' if r and r >= 3000 else 'MISSED'} |" if r else "| refresh | n/a | ≥ 3000/s | |")
ratio("password grant / bare Argon2id verify", rps("password", "tessera", 4) or rps("password", "tessera"), rps("argon2id", "bare"), "≥ 90%")
ratio("JWKS / bare axum hello", rps("jwks", "tessera"), rps("hello_get", "hello"), "≥ 80%")
ratio("/userinfo / bare axum hello", rps("userinfo", "tessera"), rps("hello_get", "hello"), "≥ 50%")
ratio("introspect / bare axum hello (information)", rps("introspect", "tessera"), rps("hello_get", "hello"), "≥ 0%")


def ceiling(name, without, verify):
    """The most a request with a proof can keep of the rate without one: its time plus one
    bare ES256 verification (the proof's signature), nothing else."""
    if without is None or verify is None:
        return
    most = 1 / (1 / without + 1 / verify)
    print(f"| {name}: ceiling, the rate without plus one bare ES256 verify (information) | {most / without * 100:.0f}% ({most:.0f} / {without:.0f}) | ≥ 0% | |")


verify = rps("verify_ES256", "bare")
for alg in ("ES256", "RS256"):
    ratio(f"client_credentials {alg} with DPoP / without", rps(f"cc_dpop_{alg}", "tessera"), rps(f"cc_bearer_{alg}", "tessera"), "≥ 80%")
    ceiling(f"client_credentials {alg}", rps(f"cc_bearer_{alg}", "tessera"), verify)
ratio("/userinfo with DPoP / with a bearer token", rps("userinfo_dpop", "tessera"), rps("userinfo_bearer", "tessera"), "≥ 70%")
ceiling("/userinfo", rps("userinfo_bearer", "tessera"), verify)
idle = [num(r["rss_max_kb"]) for r in rows if r["scenario"] == "rss_idle" and r["target"] == "tessera"]
if idle:
    print(f"| tessera idle RSS | {idle[0] / 1024:.1f} MiB | < 30 MB | {'met' if idle[0] * 1024 < 30e6 else 'MISSED'} |")
loads = [(num(r["rss_max_kb"]), r["scenario"], r["conns"]) for r in rows if r["target"] == "tessera" and r["rss_max_kb"] and not r["scenario"].startswith("rss_")]
if loads:
    top = max(loads)
    nopw = max((x for x in loads if x[1] != "password"), default=None)
    print(f"| tessera RSS under load (max over all runs: {top[1]}, c={top[2]}) | {top[0] / 1024:.1f} MiB | < 100 MB | {'met' if top[0] * 1024 < 100e6 else 'MISSED'} |")
    if nopw:
        print(f"| tessera RSS under load, all but password grants (max: {nopw[1]}) | {nopw[0] / 1024:.1f} MiB | < 100 MB | {'met' if nopw[0] * 1024 < 100e6 else 'MISSED'} |")
