"""Load test: the real app under uvicorn on 127.0.0.1, driven by wrk.

    .venv/bin/python scripts/loadtest.py                 # 3,000 articles, 100 connections, 60 s per target
    .venv/bin/python scripts/loadtest.py --duration 10   # a quick look

Builds (once, then reuses) a SQLite store of real articles replayed from
../shared/data/ant-multisource (akhbar.replay, the same pipeline as a
crawl), serves it with `akhbar serve` in a subprocess, and runs wrk
against the home page, a hashtag page, the JSON API, the search page and
the search API, one after the other. Prints requests/s, p50/p90/p99
latency and errors (socket errors + non-2xx/3xx answers) per target.

Traffic goes to 127.0.0.1 only. Needs wrk (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akhbar.config import shared_data_dir  # noqa: E402

OUTLETS = ("BBC", "CNN", "Alarabia", "SkyNews")


def build_store(db: Path, articles: int) -> None:
    from akhbar.replay import replay
    from akhbar.storage import open_storage

    db.parent.mkdir(parents=True, exist_ok=True)
    store = open_storage(f"sqlite:///{db}")
    try:
        have = store.count_articles()
        if have >= 0.9 * articles:  # replays are idempotent; a few corpus duplicates never make the count
            print(f"store: {db} already holds {have} articles")
            return
        data = shared_data_dir() / "ant-multisource"
        if not data.is_dir():
            sys.exit(f"shared data not found at {data} (set AKHBAR_DATA)")
        per = -(-articles // len(OUTLETS))
        t0 = time.monotonic()
        for outlet in OUTLETS:
            rep = replay(store, data / outlet, limit=per)
            print(f"store: {outlet}: {rep.new} new, {rep.existing} existing, {len(rep.errors)} skipped")
        print(f"store: {store.count_articles()} articles in {time.monotonic() - t0:.0f} s")
    finally:
        store.close()


def pick_targets(db: Path) -> dict[str, str]:
    """Paths to hit: the most used hashtag, and a word that many titles hold."""
    from akhbar.storage import open_storage

    store = open_storage(f"sqlite:///{db}")
    try:
        tags = store.top_tags(limit=1)
        tag = tags[0].name if tags else None
        section = next((a.section for a in store.list_articles(limit=50).items if a.section), "politics")
    finally:
        store.close()
    targets = {"home": "/"}
    targets["hashtag" if tag else "section"] = f"/tag/{quote(tag, safe='')}" if tag else f"/section/{section}"
    targets["api"] = "/api/v1/articles?limit=20"
    targets["search"] = "/search?q=" + quote("الحكومة")
    targets["api-search"] = "/api/v1/search?q=" + quote("وزير الخارجية") + "&limit=20"
    return targets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, rate_limit: float) -> subprocess.Popen:
    env = {**os.environ, "AKHBAR_DATABASE_URL": f"sqlite:///{db}", "AKHBAR_DATA_DIR": str(db.parent),
           "AKHBAR_RATE_LIMIT": str(rate_limit)}
    akhbar = Path(sys.executable).with_name("akhbar")
    proc = subprocess.Popen([str(akhbar), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/sources", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("server did not come up in 60 s")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(url: str, connections: int, threads: int, duration: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    res = {"cmd": " ".join(cmd)}
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(map(int, m.groups())) if m else 0
    res["errors"] = res["non_2xx"] + res["socket_errors"]
    res["raw"] = out
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--db", type=Path, default=ROOT / ".bench" / "loadtest.db")
    ap.add_argument("--connections", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=60, help="seconds per target")
    ap.add_argument("--rate-limit", type=float, default=0.0, help="AKHBAR_RATE_LIMIT for the server (0 = off)")
    ap.add_argument("--only", nargs="*", help="target names to run (home hashtag api search api-search)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")

    build_store(args.db, args.articles)
    targets = pick_targets(args.db)
    if args.only:
        targets = {k: v for k, v in targets.items() if k in args.only}
    port = free_port()
    server = start_server(args.db, port, args.rate_limit)
    results = {}
    try:
        for name, path in targets.items():
            url = f"http://127.0.0.1:{port}{path}"
            with urllib.request.urlopen(url, timeout=30) as r:  # warm up, and fail loudly on a bad target
                assert r.status == 200, (url, r.status)
            print(f"wrk: {name} {path} ({args.connections} connections, {args.duration} s) ...", flush=True)
            results[name] = run_wrk(url, args.connections, args.threads, args.duration)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    print(f"\nmachine: {machine}; server: akhbar serve (uvicorn, 1 process) over SQLite; "
          f"client: wrk -t{args.threads} -c{args.connections} -d{args.duration}s on the same machine\n")
    print(f"{'target':<11} {'path':<44} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<11} {targets[name][:44]:<44} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p90_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['requests']:>9} {r['errors']:>7}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "targets": targets,
                                         "results": {k: {kk: vv for kk, vv in v.items() if kk != "raw"} for k, v in results.items()}},
                                        ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
