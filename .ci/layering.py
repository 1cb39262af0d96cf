#!/usr/bin/env python3
"""The architecture's dependency rules (DESIGN.md, ARCHITECTURE.md), checked on the real
dependency graph: `cargo metadata`, normal (non-dev, non-build) dependencies, transitively.

Each rule names a workspace crate, the crates of ours it may depend on, and external crates
that must not appear anywhere below it. A failed rule prints the path that breaks it.
"""

import json
import re
import subprocess
import sys

OURS = {
    "tessera-jose", "tessera-core", "tessera-store", "tessera-guard", "tessera-server",
    "tessera-gateway", "tessera",
}
STORAGE = {"sqlx", "sqlx-core", "sqlx-postgres", "sqlx-sqlite", "rusqlite", "libsqlite3-sys",
           "tokio-postgres", "postgres"}
HTTP = {"axum", "axum-core", "hyper", "hyper-util", "reqwest", "ureq", "tower", "h2"}
RUNTIME = {"tokio"}

# crate: (our crates it may use, external crates forbidden below it)
RULES = {
    "tessera-jose": (set(), STORAGE | HTTP | RUNTIME),
    "tessera-core": ({"tessera-jose"}, STORAGE | HTTP | RUNTIME),
    "tessera-store": ({"tessera-jose", "tessera-core"}, HTTP),
    "tessera-guard": ({"tessera-jose"}, STORAGE),
    "tessera-gateway": ({"tessera-jose", "tessera-guard"}, STORAGE),
    "tessera-server": ({"tessera-jose", "tessera-core", "tessera-store", "tessera-guard"}, set()),
}

# crate: external crates it may have only as optional dependencies (behind a feature that a
# crate above turns on), so that whoever uses it without the feature does not build them.
OPTIONAL_ONLY = {
    # The JSON Schemas of the API's types, for the server's OpenAPI document.
    "tessera-core": {"utoipa"},
}

# What the server may name from the store crate: opening a store, never its internals.
SERVER_MAY_USE_FROM_STORE = {
    "AnyStore", "Location", "StoreOptions", "PgOptions", "SqliteOptions", "Synchronous",
    "Migration",
    # tessera backup / restore: SQLite's backup API on a store file.
    "sqlite_backup",
}


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def graph(meta):
    """name -> set of names of its normal dependencies (resolved), and id -> name."""
    names = {p["id"]: p["name"] for p in meta["packages"]}
    deps = {}
    for node in meta["resolve"]["nodes"]:
        normal = set()
        for dep in node["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]):
                normal.add(names[dep["pkg"]])
        deps.setdefault(names[node["id"]], set()).update(normal)
    return deps


def paths_below(deps, root):
    """Every crate reachable from root, with one path to it."""
    seen = {root: [root]}
    queue = [root]
    while queue:
        current = queue.pop(0)
        for dep in sorted(deps.get(current, ())):
            if dep not in seen:
                seen[dep] = seen[current] + [dep]
                queue.append(dep)
    return seen


def check_rules(deps):
    failures = []
    for crate, (allowed_ours, forbidden) in RULES.items():
        if crate not in deps:
            continue
        for dep, path in paths_below(deps, crate).items():
            if dep == crate:
                continue
            if dep in OURS and dep not in allowed_ours:
                failures.append(f"{crate} must not depend on {dep}: {' -> '.join(path)}")
            if dep in forbidden:
                failures.append(f"{crate} must not pull in {dep}: {' -> '.join(path)}")
    return failures


def check_optional_only(meta):
    """The dependencies a crate may have only behind a feature are declared optional."""
    failures = []
    for package in meta["packages"]:
        names = OPTIONAL_ONLY.get(package["name"])
        if not names or package["source"] is not None:
            continue
        for dep in package["dependencies"]:
            if dep["name"] in names and dep["kind"] is None and not dep["optional"]:
                failures.append(
                    f"{package['name']} must have {dep['name']} only as an optional dependency"
                )
    return failures


def check_server_uses_store_api():
    """The server opens stores through the store crate's front door only."""
    failures = []
    used = set()
    pattern = re.compile(r"tessera_store::(\{[^}]*\}|\w+)")
    for path in subprocess.run(
        ["git", "ls-files", "crates/server/src"], check=True, capture_output=True, text=True
    ).stdout.split():
        if not path.endswith(".rs"):
            continue
        text = open(path, encoding="utf-8").read()
        # Unit tests may build a concrete store to test against.
        text = text.split("#[cfg(test)]")[0]
        for match in pattern.finditer(text):
            for name in re.findall(r"\w+", match.group(1)):
                used.add((name, path))
    for name, path in sorted(used):
        if name not in SERVER_MAY_USE_FROM_STORE:
            failures.append(f"{path} uses tessera_store::{name}, a store internal")
    return failures


def main():
    meta = metadata()
    deps = graph(meta)
    failures = check_rules(deps) + check_optional_only(meta) + check_server_uses_store_api()
    for failure in failures:
        print(f"layering: {failure}", file=sys.stderr)
    if failures:
        return 1
    checked = ", ".join(c for c in RULES if c in deps)
    print(f"layering: ok ({checked})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
