"""JSON-lines front of the analysis, for `akhbar analyze` (no database)."""

from __future__ import annotations

import json
import logging
from typing import IO

from akhbar.entities.extract import entities
from akhbar.hashtags.salience import article_hashtags
from akhbar.text.language import detect_language

log = logging.getLogger(__name__)


def section_of(title: str, text: str, lang: str | None, prior: str | None) -> str | None:
    """The sections classifier's answer (its prior: a section given in the input)."""
    from akhbar.sections import section_for_label

    prior_slug = section_for_label(prior) if prior else None
    try:
        from akhbar.sections import classify_article
    except ImportError:  # an older model without the pipeline entry point
        return prior_slug
    slug, _confidence = classify_article(title, text, lang, prior=prior_slug)
    return slug


def analyze_record(obj: dict) -> dict:
    title = str(obj.get("title") or "")
    text = str(obj.get("text") or "")
    lang = obj.get("lang") or detect_language(f"{title}\n{text[:1500]}")
    found = article_hashtags(title, text, lang, obj.get("tags") or ())
    return {
        "id": obj.get("id"),
        "lang": lang,
        # offsets are into the record's "text"; names in the title count for
        # the tags but are not listed here
        "entities": [{"text": e.text, "type": e.type, "start": e.start, "end": e.end} for e in entities(text, lang)],
        "tags": found.tags,
        "aliases": [list(p) for p in found.aliases],
        "section": section_of(title, text, lang, obj.get("section")),
    }


def analyze_jsonl(src: IO[str], out: IO[str]) -> dict:
    """Read {id,title,text,lang?} lines, write {id,lang,entities,tags,section}
    lines; a bad line is reported on the log and skipped, never fatal."""
    stats = {"ok": 0, "errors": 0}
    for n, line in enumerate(src, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            rec = analyze_record(obj)
        except (ValueError, TypeError) as exc:
            stats["errors"] += 1
            log.error("line %d skipped: %s", n, exc)
            continue
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        stats["ok"] += 1
    out.flush()
    return stats
