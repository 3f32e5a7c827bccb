"""Turning labels ('ديفينس سكوب', 'Middle East') into hashtags."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from akhbar.text.normalize import normalize_key

_SEP_RE = re.compile(r"[\s\-_\u2010-\u2015.'’`·]+")

MAX_HASHTAG_LEN = 60


def to_hashtag(label: str) -> str | None:
    """Hashtag form of *label*, without '#': spaces, hyphens and punctuation
    dropped, tashkeel and tatweel dropped, letters otherwise kept as written.

    >>> to_hashtag("ديفينس سكوب")
    'ديفينسسكوب'
    """
    if not label:
        return None
    label = unicodedata.normalize("NFKC", label)
    out = []
    for ch in label:
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or ch == "_":
            out.append(ch)
        # marks (tashkeel), tatweel (Lm is kept above, so drop it here),
        # spaces, punctuation and symbols all vanish
    tag = "".join(out).replace("\u0640", "")
    if not tag or len(tag) > MAX_HASHTAG_LEN or tag.isdigit():
        return None
    return tag


def _strip_al(word: str) -> str:
    # the article ال is glued to the word; keep short words whole (الله)
    if word.startswith("ال") and len(word) >= 5:
        return word[2:]
    return word


@lru_cache(maxsize=65536)
def hashtag_key(tag: str) -> str:
    """Identity of a hashtag within its script: variant spellings share a
    key (ال, hamza seats, ى/ي, ة/ه, tashkeel, spaces, hyphens, underscores,
    case, accents): ديفينس سكوب = #ديفينسسكوب, Algérie = algerie."""
    key = normalize_key(tag.lstrip("#"))
    # what is left of punctuation and symbols never distinguishes two tags;
    # the article ال is dropped once, from the front of the glued key, so a
    # label and its own hashtag (الأمم المتحدة, #الأممالمتحدة) agree
    glued = "".join(ch for w in _SEP_RE.split(key) for ch in w if unicodedata.category(ch)[0] in "LN")
    return _strip_al(glued)


def hashtags_from_labels(labels) -> list[str]:
    """Distinct hashtags (first spelling wins) for feed categories/keywords."""
    seen: set[str] = set()
    out: list[str] = []
    for label in labels or ():
        # feeds pack several keywords into one field: "a, b; c" or "a،b"
        for part in _split_labels(label):
            tag = to_hashtag(part)
            if tag is None:
                continue
            key = hashtag_key(tag)
            if key not in seen:
                seen.add(key)
                out.append(tag)
    return out


def _split_labels(label: str) -> list[str]:
    for sep in ("،", ";", "؛", "|", "/"):
        label = label.replace(sep, ",")
    return [p.strip() for p in label.split(",") if p.strip()]
