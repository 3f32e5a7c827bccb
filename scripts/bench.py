"""Performance at scale (issue #7): `make bench` / `make bench-quick`.

    python scripts/bench.py --quick          # a few minutes: ingest, polling, serving (20k store), growth 10k/100k
    python scripts/bench.py                  # full: serving + search over 1M, growth 10k/100k/1M (about an hour)
    python scripts/bench.py --quick --only ingest poll

Builds its own data from ../shared/data (akhbar.config.shared_data_dir()):
the real ANT articles multiplied with varied URLs, dates and light text
changes (scripts/bench_corpus.py); big stores are built as described in
scripts/bench_store.py. Everything is served on loopback addresses only.
Each figure is printed with the command that produced it, as the median of
--runs runs, and ratios are measured in the same run.

Sections:
  ingest  whole pipeline from a loopback newsroom (real Crawler: fetch, feed
          parse, trafilatura, language, NER hashtags, section, save + index +
          tags, story grouping) -> articles/s, CPU ms/article per stage, and
          ratios to trafilatura alone and to bare lxml on the same pages
  poll    10,000 feeds (95% answer 304 to the conditional GET, 5% changed
          feeds whose items are all stored) polled with the real Crawler and
          Fetcher over a storage of 10,000 sources -> feeds/s
  serve   uvicorn (one process, as `akhbar serve`) over a built store; wrk,
          64 connections: home, hashtag page, /api/v1/articles, and a static
          route of the same app (the stack's floor) -> p50/p99/req/s
  search  Storage.search (the site's and API's path, snippets included) over
          the serving store: reader-typed queries with and without filters
          -> p50/p99 ms (scripts/bench_search.py builds its own stores)
  growth  per-article save+index+tags+stories at 10k, 100k(, 1M) stored
          articles; bytes on disk per article; peak RSS while ingesting
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
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

PRESETS = {
    "quick": dict(runs=3, ingest_n=300, poll_feeds=10_000, serve_size=20_000, growth=[10_000, 100_000],
                  uniques=1500, wrk_s=8, growth_batch=200),
    "full": dict(runs=5, ingest_n=1200, poll_feeds=10_000, serve_size=1_000_000,
                 growth=[10_000, 100_000, 1_000_000], uniques=5000, wrk_s=20, growth_batch=600),
}
TARGETS = dict(ingest_rate=150.0, ingest_vs_traf=1.5, poll_rate=300.0, p50=5.0, p99=25.0, floor_share=0.5,
               growth_flat=1.2, search_p50=20.0, search_p99=100.0)

PY = sys.executable
ME = str(Path(__file__).resolve())


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child(args: list[str], timeout: float = 3600) -> dict:
    """Run a section in its own process (own memory, own GIL); its last stdout line is JSON."""
    cmd = [PY, ME, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def page_key(url: str) -> str:
    from urllib.parse import urlsplit

    p = urlsplit(url)
    return p.path + (f"?{p.query}" if p.query else "")


def settings_for(db: Path, **kw):
    from akhbar.config import load_settings

    return load_settings(database_url=f"sqlite:///{db}", data_dir=db.parent, allow_hosts=("127.0.0.0/8",), **kw)


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- ingest -------------------------------------------------------------------
def descendants_cpu(exclude: set[int]) -> float:
    """CPU seconds of this process's live descendants (the analysis pool's
    forkserver and workers), from /proc; *exclude* (the newsroom) is not ours."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    ours, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier and p not in exclude} - ours
        ours |= frontier
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for p in ours:
        try:
            f = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_ingest(n: int, seed: int, workdir: Path, procs: int | None = None) -> dict:
    """One ingest run (child process): the real Crawler over a loopback newsroom.
    *procs*: AKHBAR_ANALYSIS_PROCESSES (None: the default)."""
    import asyncio
    import random
    import threading
    from datetime import timedelta

    import akhbar.analysis as analysis
    import akhbar.crawl as crawl
    import akhbar.pipeline as pipeline
    from akhbar.config import shared_data_dir
    from akhbar.grouping import StoryGrouper
    from akhbar.models import Source
    from akhbar.storage import open_storage
    from akhbar.storage.sql import SQLStorage
    from bench_corpus import load_docs, make_copies, render_feed, render_page

    per_feed, n_hosts = 20, 16
    warm_n = 40
    rng = random.Random(seed)
    docs = load_docs(shared_data_dir(), n + warm_n, seed=100 + seed)
    hosts = [f"127.0.2.{i + 1}" for i in range(n_hosts)]
    port = free_port()
    # items of the last 12 hours, as in live feeds
    copies = make_copies(docs, n + warm_n, [f"{h}:{port}" for h in hosts], seed=seed, span=timedelta(hours=12))
    site, pages = {}, []
    feeds: list[tuple[str, str]] = []  # (host, path)
    # warm-up feed first (models load, grouper restores), then the measured feeds
    groups = [copies[:warm_n]] + [copies[warm_n + i: warm_n + i + per_feed] for i in range(0, n, per_feed)]
    for fi, items in enumerate(groups):
        host, path = hosts[fi % n_hosts], f"/feeds/{fi}.xml"
        feeds.append((host, path))
        site[path] = ("application/rss+xml; charset=utf-8", render_feed(f"bench {fi}", f"http://{host}:{port}", items),
                      f'"f{fi}"')
    for c in copies:
        body = render_page(c)
        site[page_key(c.url)] = ("text/html; charset=utf-8", body, None)
        pages.append((c.url, body))
    rest = feeds[1:]
    rng.shuffle(rest)
    feeds[1:] = rest
    # the newsroom on that port
    import marshal

    sfile = workdir / f"site-ingest-{os.getpid()}.marshal"
    with sfile.open("wb") as fh:
        marshal.dump(site, fh)
    server = subprocess.Popen([PY, str(ROOT / "scripts" / "bench_newsroom.py"), str(sfile), str(port), *hosts],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"

    db = workdir / f"ingest-{os.getpid()}.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    store = open_storage(f"sqlite:///{db}")
    settings = settings_for(db, **({} if procs is None else {"analysis_processes": procs}))
    srcs = [store.add_source(Source(url=f"http://{h}:{port}{p}", name=f"bench {i}", lang="ar"))
            for i, (h, p) in enumerate(feeds)]

    # per-stage CPU (thread time of the thread that ran the stage)
    acc: dict[str, float] = {}
    wall_acc: dict[str, float] = {}
    lock = threading.Lock()

    def timed(name, f):
        def g(*a, **k):
            t, w = time.thread_time(), time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                dt, dw = time.thread_time() - t, time.perf_counter() - w
                with lock:
                    acc[name] = acc.get(name, 0.0) + dt
                    wall_acc[name] = wall_acc.get(name, 0.0) + dw
        return g

    # (extraction and analysis run here only with 0 analysis processes;
    # with a pool they run in its workers and show as "analysis processes")
    analysis.extract_page = timed("extract (trafilatura)", analysis.extract_page)
    crawl.parse_feed = timed("feed parse", crawl.parse_feed)
    analysis.build_article = timed("build_article", analysis.build_article)
    pipeline.detect_language = timed("language", pipeline.detect_language)
    pipeline.classify_article = timed("section", pipeline.classify_article)
    pipeline.article_hashtags = timed("NER + hashtags", pipeline.article_hashtags)
    SQLStorage.save_article = timed("save + index + tags", SQLStorage.save_article)
    StoryGrouper.catch_up = timed("story grouping", StoryGrouper.catch_up)

    crawler = crawl.Crawler(store, settings)

    async def go():
        # one event loop for both (the crawler's semaphores belong to it)
        warm = await crawler.crawl_once(srcs[:1])
        assert warm.new == warm_n, (warm.new, [r.__dict__ for r in warm.sources])
        acc.clear()
        wall_acc.clear()
        cpu0, kids0, t0 = time.process_time(), descendants_cpu({server.pid}), time.perf_counter()
        rep = await crawler.crawl_once(srcs[1:])
        return (rep, time.perf_counter() - t0, time.process_time() - cpu0,
                descendants_cpu({server.pid}) - kids0)

    rep, wall, main_cpu, kids_cpu = asyncio.run(go())
    cpu = main_cpu + kids_cpu
    new = rep.new
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=30)
    sfile.unlink(missing_ok=True)
    import sqlite3

    con = sqlite3.connect(db)
    ungrouped = con.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
    con.close()
    store.close()
    stages = dict(acc)
    build = stages.pop("build_article", 0.0)
    inner = sum(stages.get(k, 0.0) for k in ("language", "section", "NER + hashtags"))
    stages["assemble (rest of build_article)"] = max(0.0, build - inner)
    if kids_cpu > 0.01:
        stages["analysis processes (extract + build_article)"] = kids_cpu
    stages["fetch, event loop, threads (residual)"] = max(0.0, cpu - sum(stages.values()))

    # the same pages: trafilatura alone, bare lxml (one thread, after the run)
    import lxml.html
    import trafilatura

    from akhbar.fetching.encoding import decode_body

    measured = pages[warm_n:]
    texts = [decode_body(b, "text/html; charset=utf-8")[0] for _, b in measured]
    t = time.perf_counter()
    for u, h in zip(measured, texts):
        trafilatura.extract(h, url=u[0])
    traf = (time.perf_counter() - t) / len(texts)
    t = time.perf_counter()
    for h in texts:
        lxml.html.fromstring(h)
    lx = (time.perf_counter() - t) / len(texts)
    from akhbar.extraction import extract_page

    t = time.perf_counter()
    for u, b in measured:
        extract_page(decode_body(b, "text/html; charset=utf-8")[0], u)
    ours = (time.perf_counter() - t) / len(texts)
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    return dict(n=n, new=new, procs=settings.analysis_processes, failed=sum(r.failed_items for r in rep.sources), ungrouped=ungrouped, wall_s=wall, cpu_s=cpu,
                rate=new / wall, cpu_ms=cpu * 1000 / max(1, new),
                stages_ms={k: v * 1000 / max(1, new) for k, v in stages.items()},
                stages_wall_ms={k: v * 1000 / max(1, new) for k, v in wall_acc.items()},
                traf_ms=traf * 1000, lxml_ms=lx * 1000, extract_page_ms=ours * 1000, page_bytes=statistics.mean(len(b) for _, b in measured),
                peak_rss_mb=rss_mb())


# -- polling ------------------------------------------------------------------
def run_poll(n_feeds: int, runs: int, workdir: Path) -> dict:
    """Polling runs (child process): n_feeds sources, 95% 304, 5% changed."""
    import asyncio
    import sqlite3
    from datetime import datetime, timezone

    from akhbar.config import shared_data_dir
    from akhbar.crawl import Crawler
    from akhbar.pipeline import url_key
    from akhbar.storage import open_storage
    from bench_corpus import load_docs, make_copies, render_feed

    per_feed, n_hosts, changed_every = 20, 64, 20
    hosts = [f"127.0.3.{i + 1}" for i in range(n_hosts)]
    docs = load_docs(shared_data_dir(), 400, seed=11)
    port = free_port()
    changed = [i for i in range(n_feeds) if i % changed_every == 0]
    copies = make_copies(docs, len(changed) * per_feed, [f"{h}:{port}" for h in hosts], seed=12)
    site, src_rows = {}, []
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    art_rows = []
    ci = 0
    for i in range(n_feeds):
        host = hosts[i % n_hosts]
        path = f"/feeds/{i}.xml"
        url = f"http://{host}:{port}{path}"
        if i % changed_every == 0:
            items = copies[ci * per_feed:(ci + 1) * per_feed]
            ci += 1
            body = render_feed(f"feed {i}", f"http://{host}:{port}", items)
            for c in items:
                pub = c.published.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
                art_rows.append((i + 1, c.url, url_key(c.url), c.title, pub, pub))
        else:
            body = render_feed(f"feed {i}", f"http://{host}:{port}", [])
        site[path] = ("application/rss+xml; charset=utf-8", body, f'"v2-{i}"')
        src_rows.append((i + 1, url, f"feed {i}", "ar", "active", f'"v1-{i}"' if i % changed_every == 0 else f'"v2-{i}"',
                         0, now))
    db = workdir / "poll.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    open_storage(f"sqlite:///{db}").close()
    con = sqlite3.connect(db)
    con.executemany("INSERT INTO sources(id, url, name, lang, status, etag, error_count, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?)", src_rows)
    con.executemany("INSERT INTO articles(source_id, url, url_key, title, summary, text, html, published_at, fetched_at,"
                    " content_hash, extracted) VALUES (?,?,?,?,'','','',?,?,'',0)", art_rows)
    con.commit()
    con.close()
    import marshal

    sfile = workdir / f"site-poll-{os.getpid()}.marshal"
    with sfile.open("wb") as fh:
        marshal.dump(site, fh)
    server = subprocess.Popen([PY, str(ROOT / "scripts" / "bench_newsroom.py"), str(sfile), str(port), *hosts],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    store = open_storage(f"sqlite:///{db}")
    results = []
    try:
        for r in range(runs + 1):  # run 0 warms up (imports, connections)
            con = sqlite3.connect(db)
            con.execute("UPDATE sources SET etag = '\"v1-' || (id - 1) || '\"' WHERE (id - 1) % ? = 0", (changed_every,))
            con.commit()
            con.close()
            crawler = Crawler(store, settings_for(db))
            cpu0, t0 = time.process_time(), time.perf_counter()
            rep = asyncio.run(crawler.crawl_once())
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            status = {}
            for s in rep.sources:
                status[s.status] = status.get(s.status, 0) + 1
            res = dict(feeds=len(rep.sources), wall_s=wall, rate=len(rep.sources) / wall, cpu_ms=cpu * 1000 / len(rep.sources),
                       status=status, new=rep.new, failed=len(rep.failed))
            log(f"  poll run {r}: {res['feeds']} feeds in {wall:.1f}s = {res['rate']:.0f}/s, statuses {status}, "
                f"new {rep.new}, failed {len(rep.failed)}")
            if r:
                results.append(res)
    finally:
        server.send_signal(signal.SIGTERM)
        served = server.communicate(timeout=30)[0]
        sfile.unlink(missing_ok=True)
        store.close()
    return dict(runs=results, served=served.strip().splitlines()[-1] if served.strip() else "", peak_rss_mb=rss_mb())


# -- growth -------------------------------------------------------------------
def run_growth(db: Path, batch: int, uniques: int, runs: int) -> dict:
    """Ingest cost at a store size (child): save + index + tags + stories for new articles."""
    from datetime import timedelta

    from akhbar.config import shared_data_dir
    from akhbar.grouping import StoryGrouper
    from akhbar.pipeline import url_key
    from akhbar.storage import open_storage
    from bench_store import analysed, to_article

    rows = analysed(shared_data_dir(), uniques, ROOT / ".bench")
    store = open_storage(f"sqlite:///{db}")
    n0 = store.count_articles()
    newest = store.newest_published()
    src = store.list_sources()[0]
    grouper = StoryGrouper(store)
    t = time.perf_counter()
    _ = grouper.engine  # restore the window (not counted per article)
    restore_s = time.perf_counter() - t
    step = timedelta(seconds=86400 / 5000)  # the store's density
    out = []
    k = 0
    for run in range(runs):
        per_save, per_group, per_all = [], [], []
        warm = 20 if run == 0 else 0  # the first articles warm caches and are not counted
        for i in range(batch + warm):
            k += 1
            r = dict(rows[(k * 37) % len(rows)])
            # a light change in the lead: the embedding is computed, not found in the embedder's cache
            words = r["text"].split(" ")
            del words[(k * 7) % min(len(words), 30)]
            r["text"] = " ".join(words)
            url = f"http://growth.bench.invalid/{r['docno']}?g={n0}-{k}"
            a = to_article(r, url=url, url_key=url_key(url), source_id=src.id, published=newest + step * k,
                           fetched=newest + step * k, guid=url)
            t0 = time.perf_counter()
            aid, created = store.save_article(a)
            t1 = time.perf_counter()
            a.id, a.source_name = aid, src.name
            grouper.group(a)
            t2 = time.perf_counter()
            assert created
            if i >= warm:
                per_save.append((t1 - t0) * 1000)
                per_group.append((t2 - t1) * 1000)
                per_all.append((t2 - t0) * 1000)
        out.append(dict(save_ms=statistics.median(per_save), group_ms=statistics.median(per_group),
                        all_ms=statistics.median(per_all), all_mean_ms=statistics.mean(per_all)))
    store.close()
    return dict(stored=n0, batch=batch, restore_s=restore_s, runs=out, peak_rss_mb=rss_mb())


def run_writer(db: Path, every: float, uniques: int) -> dict:
    """Store a new article every *every* seconds (child), as a crawler taking
    new articles does, until SIGTERM; then remove them (and their source)."""
    from datetime import timedelta

    from akhbar.config import shared_data_dir
    from akhbar.models import Source
    from akhbar.pipeline import url_key
    from akhbar.storage import open_storage
    from bench_store import analysed, to_article

    rows = analysed(shared_data_dir(), uniques, db.parent)  # the store's folder holds the analysed cache
    store = open_storage(f"sqlite:///{db}")
    src = store.add_source(Source(url="http://writer.bench.invalid/rss", name="bench writer"))
    ready = db.parent / "writer.ready"
    newest = store.newest_published()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    n, save_ms = 0, []
    try:
        while not stop:
            n += 1
            r = rows[(n * 53) % len(rows)]
            url = f"http://writer.bench.invalid/{r['docno']}?w={n}"
            when = newest + timedelta(seconds=n)  # the newest article: it heads the home page
            t = time.perf_counter()
            store.save_article(to_article(r, url=url, url_key=url_key(url), source_id=src.id, published=when,
                                          fetched=when, guid=url))
            save_ms.append((time.perf_counter() - t) * 1000)
            if n == 1:
                ready.touch()  # the first article is stored: measuring may start
            time.sleep(max(0.0, every - (time.perf_counter() - t)))
    finally:
        ready.unlink(missing_ok=True)
        store.remove_source(src.id)
        store.close()
    return dict(saved=n, save_ms=statistics.median(save_ms) if save_ms else None)


# -- serving ------------------------------------------------------------------
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(url: str, seconds: int, connections: int = 64, threads: int = 2) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    res = {"cmd": " ".join(cmd)}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}"] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = errs + (sum(map(int, m.groups())) if m else 0)
    return res


def serve_bench(db: Path, seconds: int, runs: int, quick: bool = False, write_every: float = 1.0) -> dict:
    import urllib.request
    from urllib.parse import quote

    from akhbar.storage import open_storage

    store = open_storage(f"sqlite:///{db}")
    tag = store.top_tags(limit=1)[0]
    store.close()
    port = free_port()
    env = {**os.environ, "AKHBAR_DATABASE_URL": f"sqlite:///{db}", "AKHBAR_DATA_DIR": str(db.parent)}
    proc = subprocess.Popen([PY, str(ROOT / "scripts" / "bench_serve.py"), "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    targets = {"static (floor)": "/bench/static", "home": "/", "hashtag page": f"/tag/{quote(tag.name, safe='')}",
               "/api/v1/articles": "/api/v1/articles"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/bench/static", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start: " + proc.stderr.read().decode()[-2000:])
                time.sleep(0.3)
        single, single_miss = {}, {}
        for name, path in targets.items():
            lat = []
            for _ in range(21):  # one client alone: the unloaded latency
                t = time.perf_counter()
                with urllib.request.urlopen(base + path, timeout=60) as r:
                    assert r.status == 200, (path, r.status)
                    r.read()
                lat.append((time.perf_counter() - t) * 1000)
            single[name] = statistics.median(lat[1:])
            # the same page rendered afresh: a query string never seen is a page-cache miss
            lat = []
            for i in range(21):
                t = time.perf_counter()
                with urllib.request.urlopen(f"{base}{path}?bench_miss={i}", timeout=60) as r:
                    r.read()
                lat.append((time.perf_counter() - t) * 1000)
            single_miss[name] = statistics.median(lat[1:])

        def settle() -> None:
            # wrk stops, the server still holds the requests queued before: wait
            # until a static request is answered at once, or a slow page's backlog
            # would be charged to the next target
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                t = time.perf_counter()
                with urllib.request.urlopen(base + "/bench/static", timeout=60) as r:
                    r.read()
                if time.perf_counter() - t < 0.02:
                    return
                time.sleep(0.5)

        results = {k: [] for k in targets}
        for r in range(runs):  # interleaved, so drift hits every target alike
            for name, path in targets.items():
                settle()
                res = wrk(base + path, seconds)
                log(f"  wrk {name}: {res['rps']:.0f} req/s p50 {res['p50']:.1f} ms p99 {res['p99']:.1f} ms "
                    f"errors {res['errors']}")
                results[name].append(res)
        # the same while the store takes an article a second (another process,
        # as the crawler does): each one moves the content version, so every
        # kept page is rendered anew after it
        writing = {k: [] for k in targets if k != "static (floor)"}
        ready = db.parent / "writer.ready"  # touched by the writer once it stores
        ready.unlink(missing_ok=True)
        writer = subprocess.Popen([PY, ME, "--child", "writer", "--db", str(db), "--dir", str(db.parent),
                                   "--write-every", str(write_every)] +
                                  (["--quick"] if quick else []),
                                  stdout=subprocess.PIPE, text=True)
        try:
            # measure only once the writer stores (its start imports the
            # pipeline and loads the analysed articles: seconds of CPU that
            # would be charged to the first run), then a few articles more
            deadline = time.monotonic() + 300
            while not ready.exists():
                if writer.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the writer did not start storing")
                time.sleep(0.2)
            time.sleep(3)
            for r in range(runs):
                for name in writing:
                    settle()
                    res = wrk(base + targets[name], seconds)
                    log(f"  wrk {name}, writing: {res['rps']:.0f} req/s p50 {res['p50']:.1f} ms "
                        f"p99 {res['p99']:.1f} ms errors {res['errors']}")
                    writing[name].append(res)
        finally:
            writer.terminate()
            out, _ = writer.communicate(timeout=120)
        writer_res = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        log(f"  writer: {writer_res}")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return dict(tag=tag.name, tag_articles=tag.count, targets=targets, single_ms=single, single_miss_ms=single_miss, results=results,
                writing=writing, writer=writer_res, write_every=write_every, calls_ms=storage_calls(db))


def storage_calls(db: Path) -> dict:
    """What the pages ask storage, one call at a time (median ms of 7, after one warm call)."""
    from datetime import datetime, timedelta, timezone

    from akhbar.storage import open_storage

    store = open_storage(f"sqlite:///{db}")
    tag = store.top_tags(limit=1)[0]
    since = datetime.now(timezone.utc) - timedelta(days=7)
    calls = {
        "list_articles(limit=20)  [home, API]": lambda: store.list_articles(limit=20),
        "list_sources(counts=False)  [home: unreachable sources]": lambda: store.list_sources(counts=False),
        "list_sources()  [/sources, API: with article counts]": lambda: store.list_sources(),
        "top_tags(20, since=7 days)  [home]": lambda: store.top_tags(limit=20, since=since),
        "top_stories(6)  [home]": lambda: store.top_stories(limit=6),
        "trending_tags(10)  [home, cached 60 s]": lambda: store.trending_tags(limit=10),
        "resolve_tag(count=False)  [hashtag]": lambda: store.resolve_tag(tag.name, count=False),
        "list_articles(tag, 20)  [hashtag]": lambda: store.list_articles(limit=20, tag_key=tag.key),
        "related_tags(12)  [hashtag]": lambda: store.related_tags(tag.id, limit=12),
        "tag_aliases  [hashtag]": lambda: store.tag_aliases(tag.id),
    }
    out = {}
    for name, f in calls.items():
        f()
        ts = []
        for _ in range(7):
            t = time.perf_counter()
            f()
            ts.append((time.perf_counter() - t) * 1000)
        out[name] = statistics.median(ts)
    store.close()
    return out


# -- the report ---------------------------------------------------------------
def med(xs):
    return statistics.median(xs) if xs else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the few-minutes size")
    ap.add_argument("--only", nargs="*", choices=["ingest", "poll", "serve", "search", "growth"])
    ap.add_argument("--runs", type=int)
    ap.add_argument("--ingest-n", type=int)
    ap.add_argument("--poll-feeds", type=int)
    ap.add_argument("--serve-size", type=int)
    ap.add_argument("--growth", type=int, nargs="*")
    ap.add_argument("--wrk-seconds", type=int)
    ap.add_argument("--dir", type=Path, default=ROOT / ".bench")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    ap.add_argument("--write-every", type=float, default=1.0,
                    help="serve: seconds between two articles stored while serving (1: a busy crawler; "
                         "less: content changing faster than a page renders, as on a slow machine)")
    # internal: one section in a child process
    ap.add_argument("--child", choices=["ingest", "poll", "growth", "writer"], help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--procs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    cfg = dict(PRESETS["quick" if args.quick else "full"])
    for k, a in (("runs", "runs"), ("ingest_n", "ingest_n"), ("poll_feeds", "poll_feeds"), ("serve_size", "serve_size"), ("growth", "growth"),
                 ("wrk_s", "wrk_seconds")):
        if getattr(args, a) is not None:
            cfg[k] = getattr(args, a)
    args.dir.mkdir(parents=True, exist_ok=True)
    logging_quiet()

    if args.child == "ingest":
        print(json.dumps(run_ingest(cfg["ingest_n"], args.seed, args.dir, args.procs)))
        return
    if args.child == "poll":
        print(json.dumps(run_poll(cfg["poll_feeds"], cfg["runs"], args.dir)))
        return
    if args.child == "writer":
        print(json.dumps(run_writer(args.db, args.write_every, cfg["uniques"])))
        return
    if args.child == "growth":
        print(json.dumps(run_growth(args.db, cfg["growth_batch"], cfg["uniques"], cfg["runs"])))
        return

    if not shutil.which("wrk") and (not args.only or "serve" in args.only):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    cmd = "python scripts/bench.py " + " ".join(sys.argv[1:])
    sections = args.only or ["ingest", "poll", "serve", "search", "growth"]
    out = {"command": cmd, "config": cfg, "machine": machine()}
    print(f"# akhbar performance at scale\n\ncommand: `{cmd}`\n\nmachine: {out['machine']}\n")
    print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{os.getloadavg()[0]:.2f}; every figure is the median of {cfg['runs']} runs\n")

    if "ingest" in sections:
        log(f"ingest: {cfg['runs']} runs of {cfg['ingest_n']} articles, analysis pool (default) and in-process ...")
        runs, inproc = [], []
        for r in range(cfg["runs"]):  # interleaved: the two modes see the same machine
            for procs, into in ((None, runs), (0, inproc)):
                res = child(["--child", "ingest", "--seed", str(r + 1), "--dir", str(args.dir),
                             "--ingest-n", str(cfg["ingest_n"])] + ([] if procs is None else ["--procs", str(procs)]))
                log(f"  run {r + 1} ({res['procs']} analysis processes): {res['new']} new in {res['wall_s']:.1f}s = "
                    f"{res['rate']:.1f}/s, CPU {res['cpu_ms']:.1f} ms/article, trafilatura {res['traf_ms']:.2f} ms, "
                    f"lxml {res['lxml_ms']:.3f} ms")
                into.append(res)
        out["ingest"] = runs
        out["ingest_in_process"] = inproc
        print_ingest(runs, inproc, cfg, cmd)

    if "poll" in sections:
        log(f"poll: {cfg['poll_feeds']} feeds, {cfg['runs']} runs ...")
        res = child(["--child", "poll", "--dir", str(args.dir), "--runs", str(cfg["runs"]),
                     "--poll-feeds", str(cfg["poll_feeds"])])
        out["poll"] = res
        print_poll(res, cfg, cmd)

    if {"serve", "search", "growth"} & set(sections):
        from akhbar.config import shared_data_dir
        from bench_store import analysed

        t = time.perf_counter()
        rows = analysed(shared_data_dir(), cfg["uniques"], args.dir, log=log)
        log(f"{len(rows)} analysed unique articles ready in {time.perf_counter() - t:.0f}s")

    if "serve" in sections:
        db = ensure_store(args.dir, cfg["serve_size"], rows)
        log(f"serve: {db} ...")
        res = serve_bench(db, cfg["wrk_s"], cfg["runs"], quick=args.quick, write_every=args.write_every)
        res["store"] = store_desc(db)
        out["serve"] = res
        print_serve(res, cfg, cmd)

    if "search" in sections:
        db = ensure_store(args.dir, cfg["serve_size"], rows)
        log(f"search: {db}, {cfg['runs']} runs of 4 x 200 queries ...")
        res = search_bench(db, [r["title"] for r in rows], cfg["runs"])
        out["search"] = res
        print_search(res, cfg, cmd)

    if "growth" in sections:
        results = []
        for size in cfg["growth"]:
            db = ensure_store(args.dir, size, rows)
            disk = disk_of(db)
            # a working copy (the batches add articles); the runs follow one another in it
            work = args.dir / f"growth-work-{size}.db"
            shutil.copyfile(db, work)
            for suffix in ("-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
            try:
                res = child(["--child", "growth", "--db", str(work), "--dir", str(args.dir), "--runs", str(cfg["runs"])] +
                            (["--quick"] if args.quick else []))
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work}{suffix}").unlink(missing_ok=True)
            runs = res["runs"]
            for r in runs:
                log(f"  growth {size}: save {r['save_ms']:.1f} ms, group {r['group_ms']:.1f} ms, "
                    f"all {r['all_ms']:.1f} ms/article (grouper restore {res['restore_s']:.1f}s)")
            results.append(dict(size=size, disk=disk, runs=runs, store=store_desc(db), peak_rss_mb=res["peak_rss_mb"]))
        out["growth"] = results
        print_growth(results, cfg, cmd)

    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str))


def logging_quiet() -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except Exception:
        pass
    import sqlite3

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu or platform.machine()}), {mem:.0f} GiB, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def ensure_store(workdir: Path, size: int, rows) -> Path:
    from bench_store import build_store, store_info

    db = workdir / f"scale-{size}.db"
    info = store_info(db)
    if info and info.get("n") == size and info.get("originals_api") == min(size, len(rows)):
        return db
    log(f"building {db} ({size} articles) ...")
    info = build_store(db, size, rows, log=log)
    log(f"  built in {info['total_s']:.0f}s")
    return db


def store_desc(db: Path) -> dict:
    from bench_store import store_info

    return store_info(db) or {}


def disk_of(db: Path) -> dict:
    from bench_store import disk_usage

    return disk_usage(db)


def print_ingest(runs, inproc, cfg, cmd) -> None:
    rate = med([r["rate"] for r in runs])
    traf = med([r["traf_ms"] for r in runs])
    lx = med([r["lxml_ms"] for r in runs])
    per = 1000 / rate
    print(f"## Ingest (`{cmd}`, section ingest)\n")
    print(f"{cfg['ingest_n']} new articles per run from a loopback newsroom (16 hosts, feeds of 20 items, pages of "
          f"{med([r['page_bytes'] for r in runs]) / 1024:.1f} KiB), real Crawler with default settings, fresh SQLite store; "
          f"warm-up feed of 40 articles first (models loaded, grouper started).\n")
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| whole pipeline, articles/s (wall, 2 cores) | {rate:.1f} | ≥ {TARGETS['ingest_rate']:.0f}: "
          f"{verdict(rate >= TARGETS['ingest_rate'])} |")
    print(f"| whole pipeline, CPU ms/article (all threads and analysis processes) | {med([r['cpu_ms'] for r in runs]):.1f} | |")
    print(f"| analysis processes (AKHBAR_ANALYSIS_PROCESSES, default) | {runs[0]['procs']} | |")
    print(f"| the same with analysis in-process (AKHBAR_ANALYSIS_PROCESSES=0), articles/s | "
          f"{med([r['rate'] for r in inproc]):.1f} | |")
    print(f"| trafilatura.extract alone, ms/page (one thread) | {traf:.2f} ({1000 / traf:.0f} pages/s) | |")
    print(f"| bare lxml.html.fromstring, ms/page (the floor) | {lx:.3f} ({1000 / lx:.0f} pages/s) | |")
    print(f"| akhbar's extract stage alone (decode + extract_page: metadata, body HTML, sanitize), ms/page | "
          f"{med([r['extract_page_ms'] for r in runs]):.2f} | |")
    ratio = per / traf
    print(f"| pipeline wall time per article / trafilatura alone | {ratio:.1f}x | ≤ {TARGETS['ingest_vs_traf']}x: "
          f"{verdict(ratio <= TARGETS['ingest_vs_traf'])} |")
    cpu = med([r["cpu_ms"] for r in runs])
    print(f"| pipeline CPU per article / trafilatura alone | {cpu / traf:.1f}x | |")
    print(f"| pipeline wall time per article / bare lxml | {per / lx:.0f}x | |")
    print(f"| articles left ungrouped (grouper errors, logged) | {sum(r['ungrouped'] for r in runs)} of "
          f"{sum(r['new'] for r in runs)} | |")
    print(f"| peak RSS of the ingesting process | {max(r['peak_rss_mb'] for r in runs):.0f} MiB | |\n")
    print("Per-stage CPU, ms/article (thread CPU time of each stage, with analysis in-process so every stage "
          "is seen; medians over runs):\n")
    print("| stage | ms/article | share |")
    print("|---|---|---|")
    keys = list(inproc[0]["stages_ms"])
    vals = {k: med([r["stages_ms"].get(k, 0.0) for r in inproc]) for k in keys}
    total = sum(vals.values())
    for k, v in sorted(vals.items(), key=lambda x: -x[1]):
        print(f"| {k} | {v:.2f} | {v / total:.0%} |")
    print(f"| **total** | {total:.2f} | |\n")


def print_poll(res, cfg, cmd) -> None:
    runs = res["runs"]
    rate = med([r["rate"] for r in runs])
    print(f"## Polling (`{cmd}`, section poll)\n")
    st = runs[0]["status"]
    print(f"{cfg['poll_feeds']} sources in SQLite over 64 loopback hosts; statuses per run {st} (304: conditional "
          f"GET answered Not Modified; 200: a changed feed of 20 items, all already stored). Real Crawler.crawl_once "
          f"(list_sources, Fetcher with the address guard, per-host limit 2, feed parse, known_articles, record_poll).\n")
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| feeds polled per second | {rate:.0f} | ≥ {TARGETS['poll_rate']:.0f}: {verdict(rate >= TARGETS['poll_rate'])} |")
    print(f"| CPU ms per feed (crawler process) | {med([r['cpu_ms'] for r in runs]):.2f} | |")
    print(f"| one round of {cfg['poll_feeds']} feeds, s | {med([r['wall_s'] for r in runs]):.1f} | |\n")


def print_serve(res, cfg, cmd) -> None:
    st = res["store"]
    print(f"## Serving (`{cmd}`, section serve)\n")
    print(f"Store: {st.get('n', 0):,} articles over {st.get('span_days')} days (built: {st.get('originals_api')} through "
          f"Storage.save_article, {st.get('copies_bulk'):,} bulk copies, see scripts/bench_store.py). Server: uvicorn, one "
          f"process (scripts/bench_serve.py = `akhbar serve` plus a static route). Client: "
          f"`wrk -t2 -c64 -d{cfg['wrk_s']}s --latency` on the same 2 cores. Hashtag: #{res['tag']} "
          f"({res['tag_articles']:,} articles).\n")
    print("| target | req/s | p50 ms | p99 ms | share of floor req/s | alone, ms | alone, uncached ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    floor = med([r["rps"] for r in res["results"]["static (floor)"]])
    for name, rs in res["results"].items():
        rps, p50, p99 = med([r["rps"] for r in rs]), med([r["p50"] for r in rs]), med([r["p99"] for r in rs])
        print(f"| {name} `{res['targets'][name][:40]}` | {rps:.0f} | {p50:.1f} | {p99:.1f} | {rps / floor:.0%} | "
              f"{res['single_ms'][name]:.1f} | {res.get('single_miss_ms', {}).get(name, float('nan')):.1f} | "
              f"{sum(r['errors'] for r in rs)} |")
    print(f"\nAt 64 connections a server's p50 is about 64 / (req/s) (Little's law): p50 ≤ {TARGETS['p50']:.0f} ms needs "
          f"≥ {64 / TARGETS['p50'] * 1000:,.0f} req/s; \"alone\" is the median latency of one client with nothing else "
          f"running (20 requests): the page cache (`akhbar/web/pagecache.py`) answers it; \"uncached\" adds a query string "
          f"never seen, so the page is rendered afresh (storage calls + template), as after every content change.\n")
    if res.get("writing"):
        w = res.get("writer") or {}
        every = res.get("write_every", 1.0)
        every = "second" if every == 1.0 else f"{every:g} s"
        print(f"While another process stores a new article every {every} (the newest: it heads the home page; "
              f"{w.get('saved', '?')} stored, save {w.get('save_ms') or float('nan'):.1f} ms median, removed afterwards), "
              f"so each page is rendered anew after every article:\n")
        print("| target | req/s | p50 ms | p99 ms | share of floor req/s | errors |")
        print("|---|---|---|---|---|---|")
        for name, rs in res["writing"].items():
            rps, p50, p99 = med([r["rps"] for r in rs]), med([r["p50"] for r in rs]), med([r["p99"] for r in rs])
            print(f"| {name} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {rps / floor:.0%} | {sum(r['errors'] for r in rs)} |")
        print()
    print("Storage calls behind the pages, ms (median of 7, one at a time, same store):\n")
    print("| call | ms |")
    print("|---|---|")
    for k, v in res["calls_ms"].items():
        print(f"| {k} | {v:.1f} |")
    print(f"\nTargets: p50 ≤ {TARGETS['p50']:.0f} ms, p99 ≤ {TARGETS['p99']:.0f} ms, ≥ {TARGETS['floor_share']:.0%} of "
          f"the floor's req/s — " + "; ".join(
              f"{n}: " + verdict(med([r['p50'] for r in rs]) <= TARGETS['p50'] and med([r['p99'] for r in rs]) <= TARGETS['p99']
                                 and med([r['rps'] for r in rs]) >= TARGETS['floor_share'] * floor)
              for n, rs in res["results"].items() if n != "static (floor)") + "\n")


def search_bench(db: Path, titles: list[str], runs: int, queries: int = 200) -> dict:
    """Each case's p50/p99 per run (different queries each run), in this process."""
    from bench_search import time_cases

    from akhbar.storage import open_storage

    # A serving machine holds its store in the OS page cache; right after a
    # build (or another section's stores) much of it may have been evicted,
    # and the first runs would time the disk instead. Read it once.
    t = time.perf_counter()
    with open(db, "rb") as f:
        while f.read(1 << 24):
            pass
    log(f"  store read into the page cache in {time.perf_counter() - t:.0f}s")
    store = open_storage(f"sqlite:///{db}")
    try:
        per_run = [time_cases(store, titles, queries, seed=3 + r) for r in range(runs)]
    finally:
        store.close()
    return {"store": store_desc(db), "queries": queries, "runs": per_run}


def print_search(res, cfg, cmd) -> None:
    st = res["store"]
    print(f"## Search (`{cmd}`, section search)\n")
    print(f"Store: {st.get('n', 0):,} articles (the serving store). Storage.search, snippets included, "
          f"{res['queries']} reader-typed queries per case and run (titles of the stored articles, respelled and "
          f"shortened as a reader would: scripts/eval_search.py reader_query), one at a time after the store file is read once (the OS page cache, as on a serving machine) and a warm-up; "
          f"median over {len(res['runs'])} runs of each run's p50 and p99.\n")
    print("| case | p50 ms | p99 ms | mean hits |")
    print("|---|---|---|---|")
    ok = True
    for name in res["runs"][0]:
        p50 = med([r[name]["p50"] for r in res["runs"]])
        p99 = med([r[name]["p99"] for r in res["runs"]])
        hits = med([r[name]["hits"] for r in res["runs"]])
        ok = ok and p50 <= TARGETS["search_p50"] and p99 <= TARGETS["search_p99"]
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {hits:.1f} |")
    print(f"\nTarget: p50 ≤ {TARGETS['search_p50']:g} ms and p99 ≤ {TARGETS['search_p99']:g} ms, filters included — "
          f"{verdict(ok)}\n")


def print_growth(results, cfg, cmd) -> None:
    print(f"## Growth and footprint (`{cmd}`, section growth)\n")
    print(f"Per-article cost of storing {cfg['growth_batch']} new analysed articles (Storage.save_article: row, tags, "
          f"search index; then StoryGrouper.group: engine + story rows) into a copy of a built store, wall ms, median "
          f"over articles, then over {cfg['runs']} runs. The grouper's window starts empty (bulk stores carry no engine "
          f"states): the engine's own cost at a full window is in the story benchmark.\n")
    print("| stored articles | save+index+tags ms | stories ms | total ms | vs 10k | on disk | bytes/article | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    base = next((med([r["all_ms"] for r in g["runs"]]) for g in results if g["size"] == 10_000), None)
    base = base or med([r["all_ms"] for r in results[0]["runs"]])
    for g in results:
        rs = g["runs"]
        tot = med([r["all_ms"] for r in rs])
        print(f"| {g['size']:,} | {med([r['save_ms'] for r in rs]):.2f} | {med([r['group_ms'] for r in rs]):.2f} | "
              f"{tot:.2f} | {tot / base:.2f}x | {g['disk']['bytes'] / 1e9:.2f} GB | {g['disk']['per_article']:,.0f} | "
              f"{g['peak_rss_mb']:.0f} |")
    last = results[-1]
    tot = med([r["all_ms"] for r in last["runs"]])
    print(f"\nTarget: the largest within {TARGETS['growth_flat']}x of the first (10k) — {verdict(tot / base <= TARGETS['growth_flat'])}.\n")
    print(f"Bytes per article at {last['size']:,} by part: " + ", ".join(
        f"{k} {v:,.0f}" for k, v in last["disk"]["per_group"].items()) + "\n")


if __name__ == "__main__":
    main()
