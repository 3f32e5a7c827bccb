"""Ingest throughput of `akhbar worker` processes against PostgreSQL.

A loopback newsroom (tests/newsroom.py over ../shared/data/ant-multisource)
serves four feeds of --per-outlet articles each, with a page per article.
For each worker count: a fresh PostgreSQL database, the four sources,
N `akhbar worker -c 1` processes on a private queue of the broker, one
`akhbar beat --once`; the clock runs from the dispatch until every article
is stored. Prints articles/s per worker count.

    .venv/bin/python scripts/bench_workers.py --workers 1 2 4 --per-outlet 500
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akhbar.config import shared_data_dir  # noqa: E402
from akhbar.models import Source  # noqa: E402
from akhbar.storage import open_storage  # noqa: E402
from tests.newsroom import Newsroom  # noqa: E402

AKHBAR = str(Path(sys.executable).with_name("akhbar"))


def run(n: int, room: Newsroom, total: int, pg_admin: str, broker: str, timeout: float) -> float:
    name = f"akhbar_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = pg_admin.rsplit("/", 1)[0] + f"/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="akhbar-bench-"))
    env = {**os.environ, "AKHBAR_DATABASE_URL": url, "AKHBAR_BROKER_URL": broker, "AKHBAR_QUEUE": f"bench-{name}",
           "AKHBAR_DATA_DIR": str(tmp), "AKHBAR_ALLOW_HOSTS": "127.0.0.1", "AKHBAR_STORIES": "0",
           "AKHBAR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    store = open_storage(url)
    for outlet in room.items:
        store.add_source(Source(url=room.url(f"/feeds/{outlet}.xml"), name=outlet, lang="ar"))
    procs = [subprocess.Popen([AKHBAR, "worker", "-c", "1", "--without-gossip", "--without-mingle",
                               "-n", f"b{i}-{name}@%h"], env=env, cwd=tmp, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=open(tmp / f"w{i}.log", "wb"))
             for i in range(n)]
    try:
        time.sleep(6)  # workers up (imports, models) before the clock starts
        start = time.monotonic()
        subprocess.run([AKHBAR, "beat", "--once"], env=env, check=True, stdout=subprocess.DEVNULL)
        while store.count_articles() < total:
            if time.monotonic() - start > timeout:
                raise SystemExit(f"{n} workers: {store.count_articles()}/{total} after {timeout}s (logs in {tmp})")
            time.sleep(0.2)
        return total / (time.monotonic() - start)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(30)
        store.close()
        from kombu import Connection

        with Connection(broker) as conn:  # leave the broker as we found it
            try:
                conn.default_channel.queue_delete(env["AKHBAR_QUEUE"])
            except Exception:
                pass
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--per-outlet", type=int, default=500)
    ap.add_argument("--pg", default=os.environ.get("AKHBAR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--broker", default=os.environ.get("AKHBAR_BROKER_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    room = Newsroom(shared_data_dir(), per_outlet=args.per_outlet).start()
    total = sum(len(v) for v in room.items.values())
    print(f"{total} articles in 4 feeds; {os.cpu_count()} cores; broker {args.broker.split('@')[-1]}")
    try:
        for n in args.workers:
            rate = run(n, room, total, args.pg, args.broker, args.timeout)
            print(f"{n} worker process(es): {rate:.1f} articles/s ({total / rate:.0f} s)", flush=True)
    finally:
        room.stop()


if __name__ == "__main__":
    main()
