"""Big benchmark stores for scripts/bench.py, and the analysed articles they copy.

How a store of N articles is built (``build_store``), and why it is fast:

1. ``analysed(U)``: U unique real ANT articles go through the real
   ``pipeline.build_article`` (language, NER hashtags, section classifier)
   from their feed text, once; cached in ``.bench/analysed-U.jsonl``.
2. Storage API: those U articles are stored with ``Storage.save_article``
   (tags with their canonical/alias logic, search index), oldest first.
3. Documented fast path for the other N - U: copies of the U articles are
   bulk-inserted with SQL (executemany, one transaction per 5,000) into
   ``articles`` (own URL and url_key, own date, one of 100 sources, text and
   HTML of the original), ``article_search`` (the original's analysed terms,
   a few percent of body terms dropped per copy), ``article_tags`` (the
   original's canonical tag ids, with the copy's date) and ``stories``
   (synthetic: every 4 consecutive copies form one story, from 2-4 sources).
   No ``article_states`` rows (the story engine's per-article state): a
   grouper opened on such a store starts with an empty window.

Dates: ingest order follows publication time (ids grow with dates), at
DENSITY articles per day ending now, as in a live store.
"""

from __future__ import annotations

import html as _h
import json
import random
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_corpus import Doc, load_docs

DENSITY = 5000  # articles per day: a large aggregator (~100 sources)
N_SOURCES = 100


def _article_to_json(a) -> dict:
    return dict(title=a.title, text=a.text, html=a.html, summary=a.summary, lang=a.lang, section=a.section,
                tags=a.tags, tag_kinds=a.tag_kinds, tag_aliases=[list(x) for x in a.tag_aliases],
                tag_surnames=a.tag_surnames, content_hash=a.content_hash, author=a.author)


def analysed(root: Path, u: int, cache_dir: Path, log=print) -> list[dict]:
    """U unique real articles, analysed by the real pipeline (cached)."""
    from akhbar.models import FeedEntry, Source
    from akhbar.pipeline import build_article
    from akhbar.search.index import index_doc

    path = cache_dir / f"analysed-{u}.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        if len(rows) == u:
            return rows
    docs = load_docs(root, u, seed=7)
    src = Source(url="bench:analyse", name="bench", lang="ar", id=1)
    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    rows = []
    for i, d in enumerate(docs):
        paras = "".join(f"<p>{_h.escape(p.strip())}</p>" for p in d.text.split("\n") if p.strip())
        e = FeedEntry(url=f"http://bench.invalid/{d.docno}", title=d.title, summary=d.abstract, content_html=paras,
                      published=now, section=d.cat or None)
        a = build_article(e, None, src, now)
        row = _article_to_json(a)
        row["outlet"] = d.outlet
        row["docno"] = d.docno
        doc = index_doc(a.title, a.text, a.tags, "", a.lang)
        row["ix"] = [doc.title, doc.body, doc.tags]
        rows.append(row)
        if (i + 1) % 1000 == 0:
            log(f"  analysed {i + 1}/{len(docs)} ({(i + 1) / (time.perf_counter() - t0):.0f}/s)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.rename(path)
    return rows


def to_article(row: dict, **kw):
    from akhbar.models import Article

    a = Article(url=kw.pop("url"), url_key=kw.pop("url_key"), title=row["title"], summary=row["summary"],
                text=row["text"], html=row["html"], lang=row["lang"], section=row["section"], tags=list(row["tags"]),
                tag_kinds=dict(row["tag_kinds"]), tag_aliases=[tuple(x) for x in row["tag_aliases"]],
                tag_surnames=dict(row["tag_surnames"]), content_hash=row["content_hash"], author=row["author"])
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def build_store(path: Path, n: int, rows: list[dict], *, seed: int = 5, log=print) -> dict:
    """Build a SQLite store of *n* articles at *path* (see the module docstring)."""
    from akhbar.models import Source
    from akhbar.search.index import facet_tokens, index_doc  # noqa: F401  (documented: the rows' terms come from index_doc)
    from akhbar.storage import open_storage
    from akhbar.text.analyze import analyze_for_index

    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    rng = random.Random(seed)
    t_all = time.perf_counter()
    store = open_storage(f"sqlite:///{path}")
    outlets = sorted({r["outlet"] for r in rows})
    sources = []
    for i in range(N_SOURCES):
        outlet = outlets[i % len(outlets)]
        sources.append(store.add_source(Source(url=f"bench:{outlet}:{i}", name=f"{outlet} {i}", lang="ar")))
    src_terms = {s.id: analyze_for_index(s.name, "", "ar") for s in sources}
    now = datetime.now(timezone.utc).replace(microsecond=0)
    span = timedelta(days=max(2.0, n / DENSITY))
    start = now - span

    def when(i: int) -> datetime:  # i in [0, n): the i-th article by time
        return start + span * (i / n) + timedelta(seconds=rng.randrange(0, 60))

    # 2. the originals through the storage API
    u = min(len(rows), n)
    t0 = time.perf_counter()
    orig_ids, orig_src = [], []
    from akhbar.pipeline import url_key

    for i in range(u):
        r = rows[i]
        src = sources[i % N_SOURCES]
        url = f"http://{r['outlet'].lower().replace(' ', '')}.bench.invalid/{r['docno']}"
        a = to_article(r, url=url, url_key=url_key(url), source_id=src.id, published=when(i), fetched=now,
                       guid=url)
        aid, created = store.save_article(a)
        orig_ids.append(aid)
        orig_src.append(src.id)
    t_api = time.perf_counter() - t0
    log(f"  {u} analysed articles stored through Storage.save_article in {t_api:.1f}s")
    store.close()

    # 3. the copies, bulk
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    tag_ids: dict[int, list[int]] = {}
    for aid, tid in db.execute("SELECT article_id, tag_id FROM article_tags"):
        tag_ids.setdefault(aid, []).append(tid)
    t0 = time.perf_counter()
    next_id = db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0] + 1
    story_id = db.execute("SELECT coalesce(max(id), 0) FROM stories").fetchone()[0]
    fmt = lambda d: d.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")  # noqa: E731
    ba, bs, bt, bst = [], [], [], []
    # the originals' synthetic stories (4 consecutive articles each)
    orig = db.execute("SELECT id, title, summary, published_at, source_id FROM articles ORDER BY id").fetchall()
    for j in range(0, len(orig), 4):
        story_id += 1
        grp = orig[j:j + 4]
        bst.append((story_id, f"bench-{story_id}", grp[0][1], grp[0][2], grp[0][3], grp[-1][3], len(grp),
                    len({g[4] for g in grp}), "ar", fmt(now)))
        db.executemany("UPDATE articles SET story_id = ? WHERE id = ?", [(story_id, g[0]) for g in grp])
    story_rows: dict[int, list] = {}
    for i in range(u, n):
        k = i % u
        r = rows[k]
        copy = i // u
        src = sources[(k + copy * 7) % N_SOURCES].id
        aid = next_id + (i - u)
        url = f"http://{r['outlet'].lower().replace(' ', '')}.bench.invalid/{r['docno']}?v={copy}&i={i}"
        pub = fmt(when(i))
        if (i - u) % 4 == 0:
            story_id += 1
            story_rows[story_id] = [r["title"], r["summary"], pub, pub, 0, set()]
        st = story_rows[story_id]
        st[3] = pub
        st[4] += 1
        st[5].add(src)
        ba.append((aid, src, url, url, url[7:], r["title"], r.get("author"), r["summary"], r["text"], r["html"], pub,
                   pub, r["lang"], r["section"], r["content_hash"], 0, story_id))
        title_t, body_t, tags_t = r["ix"]
        body_t = " ".join(t for t in body_t.split() if rng.random() > 0.03)
        bs.append((aid, title_t, body_t, tags_t, src_terms[src], facet_tokens(src, r["section"])))
        for tid in tag_ids.get(orig_ids[k], ()):
            bt.append((aid, tid, pub))
        if len(ba) >= 5000 or i == n - 1:
            for sid in sorted(story_rows):
                h, sm, first, last, cnt, srcs = story_rows[sid]
                bst.append((sid, f"bench-{sid}", h, sm, first, last, cnt, len(srcs), "ar", fmt(now)))
            story_rows = {story_id: story_rows[story_id]} if i != n - 1 else {}
            db.executemany("INSERT OR REPLACE INTO stories(id, key, headline, summary, first_published, last_published,"
                           " article_count, source_count, langs, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", bst)
            db.executemany(
                "INSERT INTO articles(id, source_id, guid, url, url_key, title, author, summary, text, html,"
                " published_at, fetched_at, lang, section, content_hash, extracted, story_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", ba)
            db.executemany("INSERT INTO article_search(rowid, title, body, tags, source, facets) VALUES (?,?,?,?,?,?)", bs)
            db.executemany("INSERT INTO article_tags(article_id, tag_id, published_at) VALUES (?,?,?)", bt)
            db.commit()
            ba, bs, bt, bst = [], [], [], []
            done = i + 1 - u
            if done % 100_000 < 5000:
                log(f"  {done} copies bulk-inserted ({done / (time.perf_counter() - t0):.0f}/s)")
    if bst:  # no copies (n <= U): the originals' stories
        db.executemany("INSERT OR REPLACE INTO stories(id, key, headline, summary, first_published, last_published,"
                       " article_count, source_count, langs, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", bst)
        db.commit()
    t_bulk = time.perf_counter() - t0
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("ANALYZE")
    db.commit()
    db.close()
    info = dict(n=n, originals_api=u, copies_bulk=n - u, api_s=round(t_api, 1), bulk_s=round(t_bulk, 1),
                total_s=round(time.perf_counter() - t_all, 1), span_days=round(span.total_seconds() / 86400, 1))
    (Path(f"{path}.json")).write_text(json.dumps(info))
    return info


def store_info(path: Path) -> dict | None:
    meta = Path(f"{path}.json")
    if path.exists() and meta.exists():
        return json.loads(meta.read_text())
    return None


def disk_usage(path: Path) -> dict:
    """Bytes on disk (file + WAL) and per table/index (dbstat)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    per = {}
    for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        group = ("search index (FTS5)" if name.startswith("article_search") else
                 "articles (rows)" if name == "articles" else
                 "articles indexes" if name.startswith(("ix_articles", "uq_articles", "sqlite_autoindex_articles")) else
                 "article_tags + indexes" if "article_tags" in name else
                 "stories + states" if ("stor" in name or "article_states" in name) else "other")
        per[group] = per.get(group, 0) + size
    db.close()
    total = path.stat().st_size + (Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0)
    return dict(articles=n, bytes=total, per_article=total / max(1, n),
                per_group={k: v / max(1, n) for k, v in sorted(per.items(), key=lambda x: -x[1])})
