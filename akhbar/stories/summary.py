"""What a story card shows: headline, short extractive summary, sources, languages, timeline.

Everything here is extractive and pure: the headline is the most central
title of the story (closest to the story's centre, preferring the reader's
language), the summary is the one or two most central lead sentences (not
near-copies of each other), both taken among the latest 40 original
articles so that a card costs the same whatever the story's size (about
8 ms); the timeline lists the articles in date order with the wire copies
folded under the article they copy ("also in: ...").
"""

from __future__ import annotations

import math
import re
from collections import Counter

from akhbar.stories.cluster import Story, StoryClusterer, analyze_terms

_SENT_RE = re.compile(r"(?<=[.!?؟])\s+|\n+")
SUMMARY_CHARS = 320


def _vec(text: str, lang: str | None, idf) -> dict[str, float]:
    tf = Counter(analyze_terms(text, lang))
    v = {t: (1 + math.log(c)) * idf(t) for t, c in tf.items()}
    n = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {t: x / n for t, x in v.items()}


def _cos(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def _centre(vecs: list[dict[str, float]]) -> dict[str, float]:
    c: dict[str, float] = {}
    for v in vecs:
        for t, x in v.items():
            c[t] = c.get(t, 0.0) + x
    n = math.sqrt(sum(x * x for x in c.values())) or 1.0
    return {t: x / n for t, x in c.items()}


CARD_MEMBERS = 40  # headline and summary look at the latest originals only: a card costs the same for any story size


def _originals(story: Story) -> list[dict]:
    """The story's latest CARD_MEMBERS articles that are not copies."""
    out = [m for m in story.members if not m.get("dup_of")] or list(story.members)
    if len(out) > CARD_MEMBERS:
        out = sorted(out, key=lambda m: (m["date"], m["id"]))[-CARD_MEMBERS:]
    return out


def headline(story: Story, lang: str | None = None, idf=None) -> dict:
    """The member whose title is closest to the centre of all titles (in
    *lang* when the story has an article in it)."""
    idf = idf or (lambda t: 1.0)
    members = _originals(story)
    vecs = [_vec(m["title"], m.get("lang"), idf) for m in members]
    centre = _centre(vecs)
    pool = [i for i, m in enumerate(members) if lang and m.get("lang") == lang] or list(range(len(members)))
    best = max(pool, key=lambda i: (_cos(vecs[i], centre), -i))
    return members[best]


def summary(story: Story, lang: str | None = None, idf=None, max_sentences: int = 2, limit: int = SUMMARY_CHARS) -> str:
    """The most central lead sentences of the story's articles (in *lang* if any)."""
    idf = idf or (lambda t: 1.0)
    members = _originals(story)
    if lang and any(m.get("lang") == lang for m in members):
        members = [m for m in members if m.get("lang") == lang]
    sents: list[tuple[str, str | None]] = []
    for m in members:
        for s in _SENT_RE.split(m.get("lead") or ""):
            s = s.strip()
            if len(s) >= 30:
                sents.append((s, m.get("lang")))
    if not sents:
        return ""
    vecs = [_vec(s, lg, idf) for s, lg in sents]
    centre = _centre(vecs)
    order = sorted(range(len(sents)), key=lambda i: (-_cos(vecs[i], centre), i))
    chosen: list[int] = []
    for i in order:
        if any(_cos(vecs[i], vecs[j]) > 0.6 for j in chosen):
            continue  # a near-copy of a sentence already chosen
        if chosen and sum(len(sents[j][0]) for j in chosen) + len(sents[i][0]) > limit:
            continue
        chosen.append(i)
        if len(chosen) >= max_sentences:
            break
    return " ".join(sents[i][0] for i in chosen)


def timeline(story: Story) -> list[dict]:
    """Articles in date order; copies are folded as ``also_in`` of their original."""
    copies: dict[str, list[dict]] = {}
    for m in story.members:
        if m.get("dup_of"):
            copies.setdefault(m["dup_of"], []).append(m)
    rows = []
    known = {m["id"] for m in story.members}
    for m in sorted(story.members, key=lambda m: (m["date"], m["id"])):
        if m.get("dup_of") and m["dup_of"] in known:
            continue
        rows.append({
            "id": m["id"], "date": m["date"], "title": m["title"], "source": m.get("source", ""),
            "lang": m.get("lang"), "url": m.get("url"),
            "also_in": [{"id": c["id"], "source": c.get("source", ""), "url": c.get("url")} for c in copies.get(m["id"], [])],
        })
    return rows


def card(clusterer: StoryClusterer, story_id: str, lang: str | None = None) -> dict | None:
    """Everything a story card needs, for *story_id* (aliases resolved)."""
    story = clusterer.story(story_id)
    if story is None:
        return None
    head = headline(story, lang, clusterer.idf)
    return {
        "id": story.id,
        "aliases": sorted(k for k, v in clusterer.aliases.items() if clusterer.resolve(v) == story.id),
        "headline": head["title"],
        "headline_id": head["id"],
        "summary": summary(story, lang, clusterer.idf),
        "size": len(story.members),
        "sources": [s for s, _ in story.sources.most_common()],
        "languages": [lg for lg, _ in story.langs.most_common()],
        "first": story.members and min(m["date"] for m in story.members),
        "last": story.members and max(m["date"] for m in story.members),
        "timeline": timeline(story),
    }
