#!/usr/bin/env python3
"""How long a page takes to render in Chromium, from navigation start to its last chart drawn,
against a running gridline: the dashboard by default (the page marks `gridline:charts` with
performance.mark), or PAGE until MARK (the alleys' map marks `gridline:alley-map`, the dashboard's
map of cases `gridline:case-map`).

    scripts/measure_render.py http://127.0.0.1:8080 USERNAME PASSWORD [ROUNDS [PAGE MARK]]
    scripts/measure_render.py http://127.0.0.1:8080 bench PASSWORD 10 '/alleys?region=110105000000' gridline:alley-map

Needs Debian's chromium and chromium-driver. Only the standard library: the WebDriver protocol is
plain JSON over HTTP. Each round is a fresh page load with a warm HTTP cache, as a user sees it
the second time; the first (cold) round is reported separately.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        value = json.load(answer)["value"]
    if isinstance(value, dict) and "error" in value:
        raise RuntimeError(f"{method} {path}: {value['error']}: {value.get('message')}")
    return value


def main():
    server, username, password = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    page, mark_name = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else ("/dashboard", "gridline:charts")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    profile = None
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        profile = tempfile.mkdtemp(prefix="gridline-render-")
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                f"--user-data-dir={profile}", "--window-size=1366,768"]
        session = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
        s = f"/session/{session}"
        run = lambda script, *a: call(base, "POST", f"{s}/execute/sync", {"script": script, "args": list(a)})
        call(base, "POST", f"{s}/url", {"url": server + "/login"})
        # Sign in from the page, so that the browser keeps the session cookie.
        signed_in = run("""return fetch('/web/session', {method: 'POST', headers: {'Content-Type': 'application/json'},
                             body: JSON.stringify({username: arguments[0], password: arguments[1]})}).then(r => r.status)""",
                        username, password)
        if signed_in != 201:
            sys.exit(f"sign-in failed: {signed_in}")
        times = []
        for n in range(rounds + 1):
            call(base, "POST", f"{s}/url", {"url": server + page})
            for _ in range(300):
                mark = run("const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null", mark_name)
                if mark is not None:
                    break
                time.sleep(0.05)
            else:
                sys.exit(f"{page} did not mark {mark_name} within 15 s")
            content = run("const m = performance.getEntriesByName('gridline:dashboard'); return m.length ? m[0].startTime : null")
            times.append((content, mark))
            shown = "—" if content is None else f"{content:.0f} ms"
            print(f"{'cold' if n == 0 else f'round {n}'}: content {shown}, {mark_name} {mark:.0f} ms")
        warm = sorted(m for _, m in times[1:])
        print(f"warm: median {warm[len(warm) // 2]:.0f} ms, max {warm[-1]:.0f} ms; cold {times[0][1]:.0f} ms")
        call(base, "DELETE", s)
    finally:
        driver.terminate()
        driver.wait()
        # Each run's fresh profile is a few MB: the disk filled once.
        if profile:
            shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
