"""Hashtag evaluation: cross-script name matching and per-article hashtags.

1. Transliteration keys (akhbar.hashtags.canon) on eval/name_pairs.tsv, a
   hand-written list of Latin/Arabic spellings of one name: recall of the
   weak key (trusted only with shared context in storage) and of the strong
   key (trusted alone), and how often two *different* names of the list
   match (every Latin name against every other Arabic name).
2. Per-article hashtags (akhbar.hashtags.salience) over real articles of
   ../shared/data/ant-multisource: how many articles get hashtags, how many
   each, cost per article, and the most frequent hashtags (read them: a
   generic word among them is a bug).

    python scripts/eval_hashtags.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akhbar.config import shared_data_dir  # noqa: E402
from akhbar.hashtags.canon import same_name  # noqa: E402
from akhbar.hashtags.salience import article_hashtags  # noqa: E402
from akhbar.replay import iter_ant  # noqa: E402


def load_pairs(path: Path) -> list[tuple[str, str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        latin, arabic, typ = line.split("\t")
        out.append((latin, arabic, typ))
    return out


def eval_pairs(pairs) -> None:
    n = len(pairs)
    print(f"\n1. transliteration keys on {n} Latin/Arabic name pairs (eval/name_pairs.tsv)")
    print(f"{'key':<8}{'recall':>8}{'false matches':>16}{'of':>8}{'false-match rate':>18}")
    for strong in (False, True):
        hits = [same_name(la, ar, strong=strong) for la, ar, _ in pairs]
        false = sum(
            same_name(pairs[i][0], pairs[j][1], strong=strong)
            for i in range(n) for j in range(n)
            if i != j and pairs[i][1] != pairs[j][1] and pairs[i][0] != pairs[j][0]
        )
        total = n * (n - 1)
        print(f"{'strong' if strong else 'weak':<8}{sum(hits) / n:>8.1%}{false:>16}{total:>8}{false / total:>18.3%}")
    missed = [f"{la} / {ar}" for la, ar, _ in pairs if not same_name(la, ar)]
    print("missed by the weak key (need CLDR, co-occurrence or an admin alias):", "; ".join(missed))
    by_type = Counter(t for *_, t in pairs)
    for t in sorted(by_type):
        sub = [p for p in pairs if p[2] == t]
        print(f"  {t:<5} recall weak {sum(same_name(a, b) for a, b, _ in sub) / len(sub):.0%} ({len(sub)} pairs)")


def eval_articles(limit: int, seed: int = 7) -> None:
    folder = shared_data_dir() / "ant-multisource"
    records = []
    for outlet in ("BBC", "CNN", "SkyNews", "Alarabia"):
        for rec in iter_ant(folder / outlet):
            if not isinstance(rec, Exception):
                records.append(rec)
    random.Random(seed).shuffle(records)
    records = records[:limit]
    article_hashtags("تجربة", "تجربة", "ar")  # load the model outside the timing
    counts, kinds, tags_seen, times = [], Counter(), Counter(), []
    aliases = 0
    for rec in records:
        t0 = time.perf_counter()
        found = article_hashtags(rec.entry.title, rec.entry.summary, "ar", rec.entry.tags, source_name=None)
        times.append(time.perf_counter() - t0)
        counts.append(len(found.tags))
        kinds.update(found.kinds.values())
        tags_seen.update(found.tags)
        aliases += len(found.aliases)
    n = len(records)
    print(f"\n2. per-article hashtags on {n} random ant-multisource articles (4 outlets)")
    print(f"articles with at least one hashtag: {sum(c > 0 for c in counts) / n:.1%}")
    print(f"hashtags per article: mean {statistics.mean(counts):.2f}, median {statistics.median(counts):.0f}")
    print(f"kinds: {dict(kinds.most_common())}")
    print(f"in-article alias evidence (glosses, Latin spellings): {aliases}")
    times.sort()
    print(f"cost: median {1000 * times[n // 2]:.1f} ms/article, p90 {1000 * times[int(n * 0.9)]:.1f} ms (one core)")
    print("most frequent hashtags:", " ".join(f"#{t}({c})" for t, c in tags_seen.most_common(30)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1000)
    args = ap.parse_args()
    eval_pairs(load_pairs(ROOT / "eval" / "name_pairs.tsv"))
    eval_articles(args.articles)


if __name__ == "__main__":
    main()
