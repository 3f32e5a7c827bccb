"""The hashtags ingest gives an article, for story-clustering experiments.

A stored article carries the hashtags ingest computed
(``akhbar.pipeline.build_article``: NER, salience and canonical country
names, ``akhbar.hashtags.salience.article_hashtags``, the best
``MAX_TAGS``). The live grouper does not pass them to the story engine (its
weights were fitted without them: akhbar.grouping); ``eval_stories.py
--hashtags`` and ``akhbar.stories.cli --hashtags`` compute them here, to
measure and fit a clustering that would use them.

It costs about 15 ms per Arabic article (the CRF tagger) and 1-2 ms per
English one; ``HashtagCache`` keeps the results in a JSON-lines file keyed
by a hash of everything the answer depends on (title, text, language,
source name, feed labels) and of the analysis code and models, so an
entry is never reused once the text or the analysis changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from akhbar.stories.cluster import doc_lang

# akhbar.pipeline.MAX_TAGS (not imported: akhbar.pipeline pulls in the page
# extractor, a second of import time); tests/test_stories.py checks they agree
MAX_TAGS = 10

_PKG = Path(__file__).resolve().parent.parent
# what the hashtags depend on: NER (code + models), salience, canonical names, normalisation
_ANALYSIS_DIRS = ("entities", "hashtags", "text")
_fingerprint: str | None = None


def analysis_fingerprint() -> str:
    """A hash of the analysis code and models (akhbar/entities, akhbar/hashtags,
    akhbar/text): cached hashtags are dropped when any of them changes."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha1(b"akhbar-story-tags-1")
        for d in _ANALYSIS_DIRS:
            for path in sorted((_PKG / d).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    h.update(str(path.relative_to(_PKG)).encode())
                    h.update(path.read_bytes())
        _fingerprint = h.hexdigest()[:16]
    return _fingerprint


def article_tags(title: str, text: str, lang: str | None, source_name: str | None = None,
                 labels: Iterable[str] = ()) -> list[str]:
    """The hashtags ingest stores for this article (``Article.tags``)."""
    from akhbar.hashtags.salience import article_hashtags

    return list(article_hashtags(title or "", text or "", lang, list(labels), source_name=source_name or None).tags[:MAX_TAGS])


def cache_key(title: str, text: str, lang: str | None, source_name: str | None = None, labels: Iterable[str] = ()) -> str:
    blob = json.dumps([analysis_fingerprint(), lang or "", source_name or "", list(labels), title or "", text or ""],
                      ensure_ascii=False)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


class HashtagCache:
    """Computed hashtags, kept in memory and appended to a JSON-lines file
    (``{"k": key, "t": [tags]}``) when *path* is given."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else None
        self._mem: dict[str, list[str]] = {}
        self._new: list[tuple[str, list[str]]] = []
        self.hits = self.misses = 0
        if self.path is not None and self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                        self._mem[row["k"]] = list(row["t"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn last line: recomputed

    def tags(self, title: str, text: str, lang: str | None, source_name: str | None = None,
             labels: Iterable[str] = ()) -> list[str]:
        labels = list(labels)
        k = cache_key(title, text, lang, source_name, labels)
        got = self._mem.get(k)
        if got is not None:
            self.hits += 1
            return list(got)
        self.misses += 1
        got = self._mem[k] = article_tags(title, text, lang, source_name, labels)
        self._new.append((k, got))
        return list(got)

    def save(self) -> None:
        """Append the entries computed since the last save."""
        if self.path is None or not self._new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for k, t in self._new:
                fh.write(json.dumps({"k": k, "t": t}, ensure_ascii=False) + "\n")
        self._new = []


def fill_hashtags(docs: Iterable, cache: HashtagCache | None = None, source_names: dict[str, str] | None = None) -> int:
    """Give each StoryDoc without hashtags (``hashtags is None``) the ones
    ingest would compute; returns how many were filled. *source_names* maps
    a doc's ``source`` to the outlet's display name ingest passes (its own
    name is never a hashtag of its articles)."""
    cache = cache or HashtagCache()
    n = 0
    for d in docs:
        if d.hashtags is not None:
            continue
        src = (source_names or {}).get(d.source, d.source) if d.source else None
        d.hashtags = cache.tags(d.title, d.text, doc_lang(d), src)
        n += 1
    return n
