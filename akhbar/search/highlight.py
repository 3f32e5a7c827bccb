"""Snippets with the query's words marked, computed from the display text
(the index holds stems, which no reader wants to see)."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from akhbar.text.analyze import analyze

# A word: letters/digits plus Arabic marks and tatweel, which \w alone splits on.
_WORD_RE = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640']+")


SCAN_CHARS = 2000  # the lead is where a reader looks for the match


@lru_cache(maxsize=200_000)
def _word_terms(word: str, lang: str) -> frozenset[str]:
    return frozenset(analyze(word, lang))


def highlight(text: str, terms: set[str], lang: str | None, width: int = 240) -> str:
    """HTML-safe excerpt of the start of *text* around the densest cluster
    of matching words, each wrapped in <mark>."""
    text = " ".join((text or "")[:SCAN_CHARS].split())
    if not text:
        return ""
    spans = []
    if terms:
        for m in _WORD_RE.finditer(text):
            if _word_terms(m.group(0), lang or "ar") & terms:
                spans.append((m.start(), m.end()))
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
