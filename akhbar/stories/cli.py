"""``akhbar stories``: cluster a JSON-lines stream of articles into stories.

Input, one JSON object per line, in date order (late lines are handled as
late arrivals)::

    {"id": "...", "date": "2018-03-12T17:35:00Z", "title": "...", "text": "...",
     "source": "...", "lang": "ar"}                       # lang optional

``date`` takes ISO 8601, RFC 822 or any form akhbar.dates understands;
``url``, ``guid``, ``entities`` and ``hashtags`` are used when present.
``hashtags=True`` (``--hashtags``) gives a line without ``hashtags`` the
ones ingest would compute for it (``akhbar.stories.tags``: NER and
salience, about 15 ms per Arabic article); by default none are computed,
as the live grouper feeds the engine none (see akhbar.grouping).

Output, one line per valid input line, in input order::

    {"id": "...", "story": "st-..."}

The story ids are the final ones: when two stories merged during the run,
the articles of both carry the surviving (older) id. This is the same
engine the live system runs (``akhbar.stories.engine.StoryEngine`` with the
default ``ClusterConfig``), fed in batches of 64 (``add_many``). Lines that cannot be read are reported on *errors* and
counted; they are never dropped silently.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Iterator

from akhbar.stories.cluster import ClusterConfig, StoryDoc
from akhbar.stories.engine import StoryEngine

BATCH = 64


class BadLine(ValueError):
    pass


def parse_line(line: str, where: str = "") -> StoryDoc:
    from akhbar.dates import parse_date

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise BadLine(f"{where}: not a JSON object")
    doc_id = obj.get("id")
    title = obj.get("title")
    if doc_id is None or doc_id == "" or not title:
        raise BadLine(f"{where}: id and title are required")
    when = parse_date(str(obj.get("date") or obj.get("published") or ""))
    if when is None:
        raise BadLine(f"{where}: missing or unreadable date {obj.get('date')!r}")
    as_list = lambda v: [str(x) for x in v] if isinstance(v, list) else None  # noqa: E731
    return StoryDoc(
        id=str(doc_id), date=when, title=str(title), text=str(obj.get("text") or ""),
        source=str(obj.get("source") or ""), lang=obj.get("lang") or None, url=obj.get("url"),
        guid=obj.get("guid"), entities=as_list(obj.get("entities")), hashtags=as_list(obj.get("hashtags")),
    )


def _batches(in_stream: IO[str], errors: IO[str] | None, stats: dict) -> Iterator[list[StoryDoc]]:
    batch: list[StoryDoc] = []
    for n, line in enumerate(in_stream, 1):
        if not line.strip():
            continue
        stats["lines"] += 1
        try:
            batch.append(parse_line(line, f"line {n}"))
        except BadLine as exc:
            stats["errors"] += 1
            if errors is not None:
                print(f"akhbar stories: skipped {exc}", file=errors)
            continue
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def run_jsonl(
    in_stream: IO[str],
    out_stream: IO[str],
    *,
    config: ClusterConfig | None = None,
    cards: IO[str] | None = None,
    errors: IO[str] | None = sys.stderr,
    engine: StoryEngine | None = None,
    hashtags: bool = False,
) -> dict:
    """Read articles from *in_stream*, write ``{"id", "story"}`` lines to *out_stream*.

    *cards*, when given, receives one story card per line (headline, summary,
    sources, languages, timeline) for every story, closed or still open at
    the end. *engine* continues an existing (e.g. restored) engine.
    *hashtags*: compute the hashtags ingest would give a line that has
    none (an experiment: the live grouper feeds none). Returns
    counts (lines, articles, errors, stories, duplicates) and the engine
    under ``"engine"``.
    """
    from akhbar.stories.summary import card

    clusterer = engine if engine is not None else StoryEngine(config)
    stats = {"lines": 0, "articles": 0, "errors": 0, "duplicates": 0, "new_stories": 0}
    order: list[tuple[str, str]] = []
    written_cards: set[str] = set()

    def emit_card(st) -> None:
        if cards is None or st.id in written_cards:
            return
        c = card(clusterer, st.id)
        if c is not None:
            written_cards.add(st.id)
            cards.write(json.dumps(c, ensure_ascii=False) + "\n")

    clusterer.on_evict = emit_card
    if hashtags:
        from akhbar.stories.tags import HashtagCache, fill_hashtags

        tag_cache = HashtagCache()
    for batch in _batches(in_stream, errors, stats):
        if hashtags:
            fill_hashtags(batch, tag_cache)
        for doc, a in zip(batch, clusterer.add_many(batch)):
            order.append((doc.id, a.story_id))
            stats["articles"] += 1
            stats["duplicates"] += a.duplicate_of is not None
            stats["new_stories"] += a.is_new_story
    for doc_id, sid in order:
        out_stream.write(json.dumps({"id": doc_id, "story": clusterer.resolve(sid)}, ensure_ascii=False) + "\n")
    for st in list(clusterer.stories.values()):
        emit_card(st)
    clusterer.on_evict = None
    stats["stories"] = len({clusterer.resolve(s) for _, s in order})
    stats["engine"] = clusterer
    return stats


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    """Stand-alone entry (``python -m akhbar.stories.cli [IN] [OUT]``)."""
    import argparse

    ap = argparse.ArgumentParser(prog="akhbar stories", description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", default="-")
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--cards", help="also write one story card per line to this file")
    ap.add_argument("--no-embeddings", action="store_true", help="words only (no cross-lingual links)")
    ap.add_argument("--hashtags", action="store_true",
                    help="give lines without hashtags the ones ingest computes (default: none, as the live grouper)")
    ap.add_argument("--window-hours", type=float, default=None)
    args = ap.parse_args(argv)
    cfg = ClusterConfig(use_embeddings=not args.no_embeddings)
    if args.window_hours:
        cfg.window_hours = args.window_hours
    fin = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
    fout = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    fcards = open(args.cards, "w", encoding="utf-8") if args.cards else None
    try:
        stats = run_jsonl(fin, fout, config=cfg, cards=fcards, hashtags=args.hashtags)
    finally:
        for fh in (fin, fout, fcards):
            if fh not in (None, sys.stdin, sys.stdout):
                fh.close()
    stats.pop("engine", None)
    print(json.dumps(stats), file=sys.stderr)
    return 1 if stats["errors"] and not stats["articles"] else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
