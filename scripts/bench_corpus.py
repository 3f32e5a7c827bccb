"""Benchmark data for scripts/bench.py: the real ANT articles, multiplied.

Every benchmark article is a real article of ../shared/data (ant-multisource
and ant-v1.1) under a varied identity: copy k of article r gets its own URL
(host, path, ?v=k), its own date (shifted, with jitter) and a light text
change (a few percent of the words of one paragraph dropped, so copies are
near- but not exact duplicates). Deterministic for a seed.

Also renders the HTML the loopback newsroom serves: a feed (RSS 2.0) per
source and a news page per article (head metadata, nav, the article,
an aside, a footer and a script, like the pages the crawler meets).
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

_FIELD_RE = re.compile(r"<(DOCNO|URL|SRC|CAT|TITLE|TIME|AUTHOR|ABSTRACT|TEXT)>(.*?)</\1>", re.S)
OUTLET_NAMES = {"bbc": "بي بي سي عربي", "cnn": "سي إن إن بالعربية", "alarabia": "العربية",
                "skynews": "سكاي نيوز عربية", "jawhara fm": "جوهرة أف أم"}


@dataclass
class Doc:
    """One real corpus article."""

    docno: str
    outlet: str
    cat: str
    title: str
    abstract: str
    text: str  # paragraphs separated by \n


@dataclass
class Copy:
    """One benchmark article: a Doc under a varied identity."""

    doc: Doc
    n: int  # copy number (0 = the original text)
    url: str
    title: str
    text: str
    published: datetime


def load_docs(root: Path, limit: int | None = None, seed: int = 1) -> list[Doc]:
    """Up to *limit* unique ANT articles, outlets interleaved (deterministic)."""
    files = []
    for folder in ("ant-multisource", "ant-v1.1"):
        files += sorted((root / folder).rglob("*.txt"))
    rng = random.Random(seed)
    rng.shuffle(files)
    out, seen = [], set()
    for f in files:
        fields = {m.group(1): m.group(2).strip() for m in _FIELD_RE.finditer(f.read_text("utf-8", "replace"))}
        if not (fields.get("TITLE") and fields.get("TEXT")):
            continue
        key = fields["TITLE"]
        if key in seen:
            continue
        seen.add(key)
        out.append(Doc(fields.get("DOCNO") or f.stem, fields.get("SRC") or "ANT", fields.get("CAT") or "",
                       html.unescape(fields["TITLE"]), html.unescape(fields.get("ABSTRACT", "")),
                       html.unescape(fields["TEXT"])))
        if limit and len(out) >= limit:
            break
    return out


def vary(doc: Doc, n: int, rng: random.Random, host: str, when: datetime) -> Copy:
    """Copy *n* of *doc*: own URL, date *when* (+ jitter), light text change."""
    paras = [p.strip() for p in doc.text.split("\n") if p.strip()]
    if n and paras:
        i = rng.randrange(len(paras))
        words = paras[i].split()
        paras[i] = " ".join(w for w in words if rng.random() > 0.05) or paras[i]
    slug = re.sub(r"\W+", "-", doc.docno).strip("-") or "doc"
    url = f"http://{host}/{doc.outlet.lower().replace(' ', '')}/{slug}.html" + (f"?v={n}" if n else "")
    return Copy(doc, n, url, doc.title, "\n".join(paras), when + timedelta(seconds=rng.randrange(0, 3600)))


def make_copies(docs: list[Doc], count: int, hosts: list[str], seed: int = 2,
                start: datetime | None = None, span: timedelta = timedelta(days=30)) -> list[Copy]:
    """*count* copies cycling through *docs*, dated evenly over *span* up to *start*."""
    rng = random.Random(seed)
    start = start or datetime.now(timezone.utc).replace(microsecond=0)
    out = []
    for i in range(count):
        doc = docs[i % len(docs)]
        when = start - span + span * (i / max(1, count))
        out.append(vary(doc, i // len(docs), rng, hosts[i % len(hosts)], when))
    return out


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def render_page(c: Copy) -> bytes:
    name = OUTLET_NAMES.get(c.doc.outlet.lower(), c.doc.outlet)
    paras = "".join(f"<p>{_e(p)}</p>" for p in c.text.split("\n") if p.strip())
    return (
        f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{_e(c.title)} - {_e(name)}</title>"
        f'<link rel="canonical" href="{_e(c.url)}">'
        f'<meta property="og:title" content="{_e(c.title)}">'
        f'<meta name="description" content="{_e(c.doc.abstract[:300])}">'
        f'<meta name="author" content="مراسل {_e(name)}">'
        f'<meta property="article:published_time" content="{c.published.isoformat()}">'
        '<link rel="stylesheet" href="/static/site.css"></head><body>'
        "<header><nav><a href='/'>الرئيسية</a> | <a href='/sport'>رياضة</a> | <a href='/eco'>اقتصاد</a>"
        " | <a href='/world'>العالم</a> | <a href='/video'>فيديو</a></nav></header>"
        f"<main><article><h1>{_e(c.title)}</h1><div class='meta'><time>{c.published:%Y-%m-%d}</time></div>{paras}</article></main>"
        "<aside><h3>الأكثر قراءة</h3><ul>" + "".join(f"<li><a href='/x{i}'>خبر آخر رقم {i}</a></li>" for i in range(8))
        + "</ul></aside><footer>جميع الحقوق محفوظة © 2026 · <a href='/about'>من نحن</a></footer>"
        "<script>window.dataLayer=window.dataLayer||[];</script></body></html>"
    ).encode("utf-8")


def render_feed(title: str, base: str, items: list[Copy]) -> bytes:
    entries = "".join(
        f"<item><title>{_e(c.title)}</title><link>{_e(c.url)}</link>"
        f'<guid isPermaLink="false">{_e(c.url)}</guid><pubDate>{format_datetime(c.published, usegmt=True)}</pubDate>'
        f"<description>{_e(c.doc.abstract or c.text[:300])}</description><category>{_e(c.doc.cat)}</category></item>"
        for c in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{_e(title)}</title>'
            f"<link>{base}/</link><description>-</description><language>ar</language>{entries}</channel></rss>"
            ).encode("utf-8")
