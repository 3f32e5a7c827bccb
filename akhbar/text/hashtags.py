"""Turning labels ('ديفينس سكوب', 'Middle East') into hashtags."""

from __future__ import annotations

import unicodedata

from akhbar.text.normalize import normalize_key

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


def hashtag_key(tag: str) -> str:
    """Identity of a hashtag: variant spellings of one tag share a key."""
    return normalize_key(tag.lstrip("#")).replace(" ", "")


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
