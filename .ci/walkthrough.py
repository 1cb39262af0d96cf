#!/usr/bin/env python3
"""Runs the README's quick start and docs/guard.md's walkthrough as written, and fails when a
step's output differs in substance from what the documents show.

Each `sh` block is read line by line: a command (with its `\\` continuations), then the
`# …` lines right under it, which are its expected output. Outputs are compared after masking
what changes from run to run (ids, tokens, secrets, times: long base64url runs and numbers),
with `…` in the documents standing for anything and white space ignored, so that a JSON
document shown on one line matches the pretty-printed one. A trailing `   (HTTP 401)` note is
not part of the output.

Binaries come from the debug build CI already made (`cargo build -p tessera -p protected-api`);
`cargo run -q --release -p X --` in the documents runs `target/debug/X` here. Long-running
commands (`tessera serve`, `protected-api`) are started in the background and awaited.

    python3 .ci/walkthrough.py            # from the repository root
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug")
STEP = "@@walkthrough-step@@"
BACKSLASH = chr(92)
LONG_RUNNING = re.compile(r"^(tessera serve|cargo run -q --release -p protected-api)")


def blocks(path, heading):
    """The `sh` blocks of the section under `heading` in a Markdown file."""
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def steps(block):
    """(command, expected output lines) for each command of a block: `#` lines right under a
    command are its output; `#` lines after a blank line are titles."""
    result, command, expected = [], None, []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            if command is not None:
                result.append((command, expected))
            command, expected = None, []
        elif line.startswith("#"):
            if command is not None:
                expected.append(line[1:].strip())
        else:
            if command is not None:
                result.append((command, expected))
            command, expected = line, []
            while command.endswith(BACKSLASH) and i < len(lines):
                command = command[:-1] + " " + lines[i].strip()
                i += 1
    if command is not None:
        result.append((command, expected))
    return result


def masked(text):
    text = re.sub(r"\s{2,}\([^()]*\)\s*$", "", text, flags=re.M)
    text = re.sub(r"[A-Za-z0-9_\-]{8,}", "X", text)
    text = re.sub(r"\d+", "0", text)
    return re.sub(r"\s+", "", text)


def matches(actual, expected_lines):
    # A shortened value ("c_mQUu…") stands for a whole one, however short the part shown.
    expected = re.sub(r"[A-Za-z0-9_\-]+…", "X…", "\n".join(expected_lines))
    expected = masked(expected)
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, masked(actual), re.S) is not None


def wait_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"walkthrough: nothing listens on 127.0.0.1:{port} after {seconds}s")


def shell_line(command):
    """The command as it runs here: debug binaries instead of `cargo run --release`."""
    command = re.sub(r"cargo run -q --release -p (\S+) --", lambda m: os.path.join(BIN, m.group(1)), command)
    command = re.sub(r"cargo run -q -p (\S+) --", lambda m: os.path.join(BIN, m.group(1)), command)
    return command


def run(blocks_and_names, work):
    background = []
    script = ["set -u", f"tessera() {{ {os.path.join(BIN, 'tessera')} \"$@\"; }}"]
    checks = []
    for name, block in blocks_and_names:
        for command, expected in steps(block):
            if command.startswith("alias tessera="):
                continue
            if LONG_RUNNING.match(command):
                background.append(shell_line(command))
                continue
            index = len(checks)
            checks.append((name, command, expected))
            script.append(f"echo {STEP}{index}")
            script.append(shell_line(command))
    return background, script, checks


def main():
    for binary in ("tessera", "protected-api"):
        if not os.access(os.path.join(BIN, binary), os.X_OK):
            sys.exit(f"walkthrough: build first: cargo build -p tessera -p protected-api ({binary})")
    for tool in ("curl", "jq"):
        if shutil.which(tool) is None:
            sys.exit(f"walkthrough: {tool} is missing (the README lists it as a prerequisite)")
    quick = blocks("README.md", "## Quick start")[1]
    guard = blocks("docs/guard.md", "## The demo service, step by step with curl")[0]
    for port in (8080, 8081):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                sys.exit(f"walkthrough: 127.0.0.1:{port} is taken; the documents use it")
    work = tempfile.mkdtemp(prefix="walkthrough-")
    children = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    try:
        server = subprocess.Popen(
            [os.path.join(BIN, "tessera"), "serve"], cwd=work, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        children.append(server)
        wait_port(8080)
        background, script, checks = run([("README quick start", quick)], work)
        failures = execute(script, checks, work, env)
        background, script, checks = run([("docs/guard.md", guard)], work)
        for command in background:
            if "protected-api" in command:
                # exec: the process started is protected-api itself, so that it is the one
                # stopped at the end (not a shell around it).
                children.append(subprocess.Popen(
                    ["bash", "-c", "exec " + command], cwd=work, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                ))
                wait_port(8081)
        failures += execute(script, checks, work, env)
    finally:
        for child in children:
            child.terminate()
            child.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit(f"walkthrough: {failures} step(s) differ from the documents")
    print("walkthrough: every step's output matches the documents")


def execute(script, checks, work, env):
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=work, env=env,
        capture_output=True, text=True, timeout=300,
    )
    outputs = done.stdout.split(STEP)[1:]
    failures = 0
    for index, (name, command, expected) in enumerate(checks):
        actual = outputs[index].split("\n", 1)[1] if index < len(outputs) else ""
        if expected and not matches(actual, expected):
            failures += 1
            print(f"--- {name}: {command}\nexpected:\n  " + "\n  ".join(expected)
                  + f"\ngot:\n  " + "\n  ".join(actual.rstrip().splitlines()))
    if done.returncode != 0 and not failures:
        print(done.stderr[-2000:])
        failures += 1
    return failures


if __name__ == "__main__":
    main()
