"""Search latency at scale (make bench-search).

Builds a SQLite store of N articles from the real ANT corpora (each unique
article analysed once by the real text engine, then multiplied with varied
URLs, dates and light changes: a few percent of its body terms dropped per
copy), then times Storage.search (the code path the site and API use,
snippets included) for reader-typed queries, with and without filters.

    python scripts/bench_search.py --sizes 100000 1000000 [--queries 200] [--dir .bench]

The store is kept in --dir and reused when it already has the size asked.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from akhbar.config import shared_data_dir  # noqa: E402
from akhbar.feeds.parser import html_to_text  # noqa: E402
from akhbar.pipeline import content_hash, url_key  # noqa: E402
from akhbar.replay import RecordError, SourceCache, parse_ant  # noqa: E402
from akhbar.search import SearchQuery  # noqa: E402
from akhbar.search.index import facet_tokens, index_doc  # noqa: E402
from akhbar.sections import section_for_label  # noqa: E402
from akhbar.storage import open_storage  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_search import reader_query  # noqa: E402


def load_unique(root: Path) -> list:
    recs = []
    for folder in ("ant-multisource", "ant-v1.1"):
        for f in sorted((root / folder).rglob("*.txt")):
            try:
                recs.append(parse_ant(f.read_text("utf-8", "replace"), str(f)))
            except RecordError:
                pass
    return recs


def build(path: Path, n: int, recs: list, seed: int = 1) -> None:
    store = open_storage(f"sqlite:///{path}")
    sources = SourceCache(store)
    src_ids = {r.source: sources.get(r.source, "ar").id for r in recs}
    names = {r.source: sources.get(r.source, "ar").name for r in recs}
    store.close()
    rng = random.Random(seed)
    recs = recs[:]
    rng.shuffle(recs)  # outlets interleave, as in a live store
    t0 = time.perf_counter()
    prepared = []
    for r in recs:
        text = html_to_text(r.entry.content_html)
        doc = index_doc(r.entry.title, text, [], names[r.source], "ar")
        prepared.append((r, text, doc))
    print(f"  analysed {len(prepared)} unique articles in {time.perf_counter() - t0:.0f}s", flush=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    t0 = time.perf_counter()
    batch_a, batch_s = [], []
    for i in range(1, n + 1):
        r, text, doc = prepared[(i - 1) % len(prepared)]
        copy = (i - 1) // len(prepared)
        url = f"{r.entry.url}?copy={copy}" if copy else r.entry.url
        # ingest order follows time, as in a live store: ~10 years, newest last
        minutes_ago = (n - i) * (10 * 365 * 24 * 60) // n + rng.randrange(0, 120)
        published = (now - timedelta(minutes=minutes_ago)).isoformat(sep=" ")
        body = doc.body
        if copy:  # light changes: each copy loses a few percent of its body terms
            terms = body.split()
            body = " ".join(t for t in terms if rng.random() > 0.03)
        section = section_for_label(r.entry.section)
        batch_a.append((i, src_ids[r.source], url, f"{url_key(url)}#{i}", r.entry.title, r.entry.summary, text,
                        published, published, "ar", section, content_hash(r.entry.title, text)))
        batch_s.append((i, doc.title, body, doc.tags, doc.source, facet_tokens(src_ids[r.source], section)))
        if len(batch_a) == 5000 or i == n:
            db.executemany(
                "INSERT INTO articles(id, source_id, url, url_key, title, summary, text, html, published_at, fetched_at,"
                " lang, section, content_hash, extracted) VALUES (?,?,?,?,?,?,?,'',?,?,?,?,?,0)", batch_a)
            db.executemany("INSERT INTO article_search(rowid, title, body, tags, source, facets) VALUES (?,?,?,?,?,?)", batch_s)
            db.commit()
            batch_a, batch_s = [], []
            if i % 100_000 == 0:
                print(f"  {i} articles stored ({i / (time.perf_counter() - t0):.0f}/s)", flush=True)
    db.execute("INSERT INTO article_search(article_search) VALUES ('optimize')")
    db.commit()
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def time_cases(store, titles: list[str], queries: int, seed: int = 3) -> dict[str, dict]:
    """p50/p99 ms and mean hits of Storage.search for reader-typed queries
    made from *titles*, with and without filters (after a warm-up)."""
    rng = random.Random(seed)
    qs = [reader_query(t, rng) for t in rng.sample(titles, min(queries, len(titles)))]
    short = [" ".join(q.split()[:2]) for q in qs]
    src = store.list_sources(counts=False)[0].id
    since = datetime.now(timezone.utc) - timedelta(days=365)
    cases = {
        "title-like queries": [SearchQuery(text=q) for q in qs],
        "two-word queries": [SearchQuery(text=q) for q in short],
        "two words + section": [SearchQuery(text=q, section="politics") for q in short],
        "two words + source + last year": [SearchQuery(text=q, source_id=src, since=since) for q in short],
    }
    for q in qs[:10]:  # warm the page cache
        store.search(SearchQuery(text=q))
    out = {}
    for name, cases_q in cases.items():
        lat, hits = [], []
        for q in cases_q:
            t = time.perf_counter()
            page = store.search(q)
            lat.append((time.perf_counter() - t) * 1000)
            hits.append(len(page.hits))
        out[name] = {"p50": statistics.median(lat), "p99": pct(lat, 0.99), "hits": statistics.mean(hits)}
    return out


def bench(path: Path, recs: list, queries: int, seed: int = 3) -> None:
    store = open_storage(f"sqlite:///{path}")
    n = store.count_articles()
    res = time_cases(store, [r.entry.title for r in recs], queries, seed)
    print(f"\n## {n} articles ({path.stat().st_size / 1e9:.2f} GB on disk)")
    print("| case | p50 ms | p99 ms | mean hits |")
    print("|---|---|---|---|")
    for name, r in res.items():
        print(f"| {name} | {r['p50']:.1f} | {r['p99']:.1f} | {r['hits']:.1f} |", flush=True)
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dir", type=Path, default=Path(".bench"))
    ap.add_argument("--build-only", action="store_true", help="build the stores, measure nothing")
    args = ap.parse_args()
    args.dir.mkdir(exist_ok=True)
    recs = load_unique(shared_data_dir())
    print(f"# search latency, {len(recs)} unique ANT articles multiplied; command: {' '.join(sys.argv)}")
    for size in args.sizes:
        path = args.dir / f"search-{size}.db"
        if not path.exists() or open_storage(f"sqlite:///{path}").count_articles() != size:
            path.unlink(missing_ok=True)
            print(f"building {path} ...", flush=True)
            build(path, size, recs)
        if not args.build_only:
            bench(path, recs, args.queries)


if __name__ == "__main__":
    main()
