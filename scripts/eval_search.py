"""Known-item search evaluation (make eval-search).

Index a deterministic sample of ../shared/data/ant-multisource through the
real pipeline into a temporary SQLite store, then for a few hundred target
articles type the title the way readers do (punctuation dropped and about half
of its content words respelled: ال dropped or added, و/ب/ل glued on, hamza and ى/ي and ة/ه swapped, tashkeel added,
digits in the other script) and see where the target ranks. The baseline
is plain SQLite FTS5 (unicode61) over the raw title and text, queried with
the same words joined by AND and by OR.

    python scripts/eval_search.py [--docs 5000] [--queries 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from akhbar.config import shared_data_dir  # noqa: E402
from akhbar.feeds.parser import html_to_text  # noqa: E402
from akhbar.pipeline import build_article  # noqa: E402
from akhbar.replay import RecordError, SourceCache, parse_ant  # noqa: E402
from akhbar.search import SearchQuery  # noqa: E402
from akhbar.storage import open_storage  # noqa: E402

TASHKEEL = "\u064e\u064f\u0650\u0652\u0651"
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
EN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
# Function words are typed as they are: readers respell names and nouns.
# (An independent list for the generator; the engine has its own.)
FUNCTION_WORDS = set(
    "على إلى الى في من عن مع بين بعد قبل عند حتى منذ خلال التي الذي الذين هذا هذه ذلك تلك هل ماذا لماذا كيف "
    "متى أين اين ربما لكن لكنه أو او ثم كما لم لن لا ما قد كان كانت يكون أن ان إن لأن غير عبر حول ضد نحو".split()
)
_WORD_RE = re.compile(r"[\w\u064b-\u0652\u0670]+")
CLITIC_PREFIXES = ("ال", "لل", "وال", "بال", "فال", "كال")


def sample_records(root: Path, n: int) -> list:
    """Every k-th ANT file across the four outlets (deterministic)."""
    files = sorted((root / "ant-multisource").rglob("*.txt"))
    out = []
    for f in files[:: max(1, len(files) // n)][:n]:
        try:
            out.append(parse_ant(f.read_text("utf-8", "replace"), str(f)))
        except RecordError:
            continue  # a few corpus files are malformed
    return out


def mutate(word: str, rng: random.Random) -> str:
    """One reader's spelling of *word*."""
    ops = rng.sample(["al", "prefix", "hamza", "ya", "ta", "tashkeel", "digits"], k=rng.randint(1, 2))
    for op in ops:
        if op == "al":
            if word.startswith("ال") and len(word) > 4:
                word = word[2:]
            elif not word.startswith(CLITIC_PREFIXES) and not word[0].isdigit():
                word = "ال" + word
        elif op == "prefix" and not word[0].isdigit() and not word.startswith(CLITIC_PREFIXES[1:]):
            p = rng.choice("وبل")
            word = ("لل" + word[2:]) if p == "ل" and word.startswith("ال") else p + word
        elif op == "hamza":
            if any(c in word for c in "أإآ"):
                word = word.translate(str.maketrans("أإآ", "ااا"))
            elif word.startswith("ا") and not word.startswith("ال"):
                word = "أ" + word[1:]
        elif op == "ya":
            word = word[:-1] + "ي" if word.endswith("ى") else word[:-1] + "ى" if word.endswith("ي") else word
        elif op == "ta":
            word = word[:-1] + "ه" if word.endswith("ة") else word[:-1] + "ة" if word.endswith("ه") else word
        elif op == "tashkeel":
            chars = list(word)
            for i in sorted(rng.sample(range(len(chars)), k=min(2, len(chars))), reverse=True):
                chars.insert(i + 1, rng.choice(TASHKEEL))
            word = "".join(chars)
        elif op == "digits":
            word = word.translate(AR_DIGITS) if any(c.isascii() and c.isdigit() for c in word) else word.translate(EN_DIGITS)
    return word


def reader_query(title: str, rng: random.Random, rate: float = 0.5) -> str:
    """The title as a reader types it: punctuation gone, and about half of
    its content words respelled (function words stay as typed)."""
    words = _WORD_RE.findall(title)
    out = [mutate(w, rng) if len(w) >= 3 and w not in FUNCTION_WORDS and rng.random() < rate else w for w in words]
    return " ".join(out)


def baseline_db(records) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='unicode61')")
    for i, rec in records:
        db.execute("INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)", (i, rec.entry.title, rec.entry.summary + " " + html_to_text(rec.entry.content_html)))
    return db


def baseline_rank(db, query: str, op: str, target: int) -> int | None:
    words = ['"' + w.replace('"', '""') + '"' for w in query.split()]
    if not words:
        return None
    try:
        rows = db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t, 8.0, 1.0) LIMIT 10", (f" {op} ".join(words),)).fetchall()
    except sqlite3.OperationalError:
        return None
    ids = [r[0] for r in rows]
    return ids.index(target) + 1 if target in ids else None


def scores(ranks: list[int | None]) -> tuple[float, float]:
    mrr = sum(1 / r for r in ranks if r) / len(ranks)
    recall = sum(1 for r in ranks if r) / len(ranks)
    return mrr, recall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rate", type=float, default=0.5, help="share of a title's content words respelled")
    ap.add_argument("--show-misses", type=int, default=0, help="print this many queries whose target was not in the top 10")
    args = ap.parse_args()
    root = shared_data_dir()
    records = sample_records(root, args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_storage(f"sqlite:///{tmp}/eval.db")
        sources = SourceCache(store)
        ids = []
        t0 = time.perf_counter()
        for rec in records:
            art = build_article(rec.entry, None, sources.get(rec.source, "ar"), datetime.now(timezone.utc))
            aid, created = store.save_article(art)
            if created:  # the corpus repeats a few URLs; one known item each
                ids.append((aid, rec))
        ingest = time.perf_counter() - t0
        base = baseline_db(ids)
        rng = random.Random(args.seed)
        targets = rng.sample(ids, min(args.queries, len(ids)))
        ours, b_and, b_or, lat = [], [], [], []
        examples, misses = [], []
        for aid, rec in targets:
            q = reader_query(rec.entry.title, rng, args.rate)
            if not q:
                continue
            t = time.perf_counter()
            hits = [h.article.id for h in store.search(SearchQuery(text=q, limit=10)).hits]
            lat.append((time.perf_counter() - t) * 1000)
            ours.append(hits.index(aid) + 1 if aid in hits else None)
            b_and.append(baseline_rank(base, q, "AND", aid))
            b_or.append(baseline_rank(base, q, "OR", aid))
            if len(examples) < 5 or (ours[-1] is None and len(misses) < args.show_misses):
                (examples if len(examples) < 5 else misses).append((q, rec.entry.title, ours[-1]))
        store.close()
    n = len(ours)
    print(f"# known-item search on {len(ids)} ant-multisource articles, {n} reader-typed queries (seed {args.seed})")
    print(f"# indexing through the pipeline: {len(ids) / ingest:.0f} articles/s")
    for name, ranks in (("akhbar (analysed FTS5)", ours), ("FTS5 unicode61, AND", b_and), ("FTS5 unicode61, OR", b_or)):
        mrr, rec = scores(ranks)
        print(f"{name:<26} MRR@10 {mrr:.3f}  recall@10 {rec:.3f}")
    lat.sort()
    print(f"query latency at this size: p50 {statistics.median(lat):.1f} ms, p99 {lat[int(0.99 * (len(lat) - 1))]:.1f} ms")
    for q, title, r in examples + misses:
        print(f"  e.g. {q!r} -> rank {r} for {title!r}")


if __name__ == "__main__":
    main()
