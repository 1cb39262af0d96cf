"""Load for bench/memory/run.sh: password changes, user creation and password logins at once
against one `tessera serve` on 127.0.0.1, with its VmRSS sampled every 0.25 s. Prints the
idle, peak and final RSS and the count of each request; exits 1 when the peak reaches the
limit or a request kind never succeeded."""

import argparse
import base64
import http.client
import json
import sys
import threading
import time
import urllib.parse


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = {}
        self.failed = {}

    def add(self, kind, status):
        with self.lock:
            table = self.ok if 200 <= status < 300 else self.failed
            table[kind] = table.get(kind, 0) + 1


def request(addr, method, path, body, headers):
    conn = http.client.HTTPConnection(addr, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    for name in ("--addr", "--client", "--password"):
        parser.add_argument(name, required=True)
    for name in ("--pid", "--duration", "--changers", "--creators", "--logins", "--limit-mb"):
        parser.add_argument(name, type=int, required=True)
    args = parser.parse_args()
    client = json.load(open(args.client))
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}

    def login(user, password):
        body = urllib.parse.urlencode(
            {"grant_type": "password", "username": user, "password": password, "scope": "read"}
        )
        status, raw = request(args.addr, "POST", "/oauth/token", body, form)
        return status, (json.loads(raw).get("access_token") if status == 200 else None)

    idle = rss_kb(args.pid)
    status, admin = login("root", args.password)
    if status != 200:
        sys.exit(f"admin login failed: {status}")
    counts = Counts()
    stop = time.monotonic() + args.duration
    samples = []

    def sampler():
        while time.monotonic() < stop + 2:
            samples.append(rss_kb(args.pid))
            time.sleep(0.25)

    def changer(index):
        user = f"user{index}"
        password = args.password
        status, token = login(user, password)
        counts.add("login", status)
        turn = 0
        while time.monotonic() < stop and token:
            turn += 1
            new = f"{args.password} {index}.{turn}"
            body = json.dumps({"current_password": password, "new_password": new})
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            status, _ = request(args.addr, "POST", "/account/password", body, headers)
            counts.add("password_change", status)
            if 200 <= status < 300:
                password = new

    def creator(index):
        turn = 0
        while time.monotonic() < stop:
            turn += 1
            body = json.dumps({"username": f"new{index}x{turn}", "password": args.password})
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {admin}"}
            status, _ = request(args.addr, "POST", "/admin/users", body, headers)
            counts.add("user_create", status)

    def logger(index):
        user = f"user{args.changers + index}"
        while time.monotonic() < stop:
            status, _ = login(user, args.password)
            counts.add("login", status)

    threads = [threading.Thread(target=sampler)]
    threads += [threading.Thread(target=changer, args=(i,)) for i in range(1, args.changers + 1)]
    threads += [threading.Thread(target=creator, args=(i,)) for i in range(1, args.creators + 1)]
    threads += [threading.Thread(target=logger, args=(i,)) for i in range(1, args.logins + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = rss_kb(args.pid)
    peak = max(samples + [final])
    print(f"rss_idle_mib\t{idle / 1024:.1f}")
    print(f"rss_peak_mib\t{peak / 1024:.1f}")
    print(f"rss_final_mib\t{final / 1024:.1f}")
    for kind in ("password_change", "user_create", "login"):
        print(f"{kind}\tok={counts.ok.get(kind, 0)}\tfailed={counts.failed.get(kind, 0)}")
    if peak >= args.limit_mb * 1024:
        sys.exit(f"peak RSS {peak / 1024:.1f} MiB reaches the {args.limit_mb} MiB limit")
    if any(counts.ok.get(kind, 0) == 0 for kind in ("password_change", "user_create", "login")):
        sys.exit("a request kind never succeeded")


if __name__ == "__main__":
    main()
