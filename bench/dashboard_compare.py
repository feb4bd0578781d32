"""Times GET /api/v1/dashboard (city-wide and 朝阳) on two running gridline servers, requests
alternated between them round by round, so that two builds are compared on the same data and
the same machine at the same moments. Used for BENCHMARKS.md (issue 19):

    python3 bench/dashboard_compare.py ROUNDS NAME=PORT NAME=PORT

Each server must have the user `bench-dispatcher` (as `gridline bench dashboard` creates it).
A request that fails is reported with its status and not timed.
"""

import http.client
import json
import statistics
import sys
import time

PATHS = ["/api/v1/dashboard", "/api/v1/dashboard?region=110105000000"]


def sign_in(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    body = json.dumps({"username": "bench-dispatcher", "password": "bench-password-1"})
    conn.request("POST", "/api/v1/session", body=body, headers={"content-type": "application/json"})
    answer = conn.getresponse()
    token = json.loads(answer.read())["token"]
    return conn, token


def main():
    rounds = int(sys.argv[1])
    servers = [(name, *sign_in(int(port))) for name, port in (arg.split("=") for arg in sys.argv[2:])]
    times = {(name, path): [] for name, _, _ in servers for path in PATHS}
    failures = {}
    for _ in range(rounds):
        for name, conn, token in servers:
            for path in PATHS:
                start = time.perf_counter()
                conn.request("GET", path, headers={"authorization": f"Bearer {token}"})
                answer = conn.getresponse()
                body = answer.read()
                elapsed = time.perf_counter() - start
                if answer.status == 200:
                    times[(name, path)].append(elapsed * 1000)
                else:
                    failures[(name, path)] = f"{answer.status} after {elapsed * 1000:.0f} ms: {body[:120]!r}"
    print(f"{'server':<10} {'request':<42} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'n':>4}")
    for (name, path), ms in times.items():
        if (name, path) in failures:
            print(f"{name:<10} {path:<42} failed: {failures[(name, path)]}")
            continue
        ms.sort()
        p95 = ms[round((len(ms) - 1) * 0.95)]
        print(f"{name:<10} {path:<42} {statistics.median(ms):>9.1f} {p95:>9.1f} {ms[-1]:>9.1f} {len(ms):>4}")


main()
