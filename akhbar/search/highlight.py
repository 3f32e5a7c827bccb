"""Snippets with the query's words marked, computed from the display text
(the index holds stems, which no reader wants to see)."""

from __future__ import annotations

import re
from html import escape

from akhbar.text.analyze import analyze

# A word: letters/digits plus Arabic marks and tatweel, which \w alone splits on.
_WORD_RE = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640']+")


SCAN_CHARS = 2000  # the lead is where a reader looks for the match


# analysed words, per language: a plain dict (a search looks up a few
# thousand words), emptied when full
_TERMS: dict[str, dict[str, frozenset[str]]] = {}
MAX_CACHED_WORDS = 200_000


def _matching(words: set[str], terms: set[str], lang: str) -> set[str]:
    """Those of *words* that analyse to one of *terms*."""
    cache = _TERMS.setdefault(lang, {})
    found = set()
    for w in words:
        ts = cache.get(w)
        if ts is None:
            if len(cache) >= MAX_CACHED_WORDS:
                cache.clear()
            ts = cache[w] = frozenset(analyze(w, lang))
        if not ts.isdisjoint(terms):
            found.add(w)
    return found


def highlight(text: str, terms: set[str], lang: str | None, width: int = 240) -> str:
    """HTML-safe excerpt of the start of *text* around the densest cluster
    of matching words, each wrapped in <mark>."""
    text = " ".join((text or "")[:SCAN_CHARS].split())
    if not text:
        return ""
    spans = []
    if terms:
        # Each distinct word is analysed (or looked up) once, and only the
        # matching ones are then found: a search highlights twenty leads of
        # a few hundred words. A match is a whole word: bounded by
        # characters that are not word characters.
        for w in _matching(set(_WORD_RE.findall(text)), terms, lang or "ar"):
            at = text.find(w)
            while at >= 0:
                end = at + len(w)
                if not (at and _WORD_RE.match(text, at - 1)) and not _WORD_RE.match(text, end):
                    spans.append((at, end))
                at = text.find(w, end)
        spans.sort()
    start = 0
    if spans:
        # the window (of `width` chars) that covers the most matches
        best, j = (0, spans[0][0]), 0
        for i, (s, _e) in enumerate(spans):
            while spans[j][0] < s - width:
                j += 1
            if i - j + 1 > best[0]:
                best = (i - j + 1, spans[j][0])
        start = max(0, best[1] - 40)
        if start:
            space = text.rfind(" ", 0, start)
            start = space + 1 if space > 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + "".join(out) + suffix
