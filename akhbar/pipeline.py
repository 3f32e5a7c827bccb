"""Assemble an Article from what the feed and the page said (pure).

Every way in (crawl, replay, workers) goes through build_article, so an
article looks the same whichever door it came through.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from akhbar.extraction.extract import MIN_TEXT_CHARS, text_to_html
from akhbar.extraction.sanitize import sanitize_html
from akhbar.feeds.parser import html_to_text
from akhbar.models import Article, ExtractedPage, FeedEntry, Source
from akhbar.sections import classify_article, section_for_label
from akhbar.hashtags.salience import article_hashtags
from akhbar.text.language import detect_language
from akhbar.text.normalize import clean_display, normalize_key

MAX_TAGS = 10
SUMMARY_CHARS = 300
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_")
_TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "yclid", "igshid", "ref", "ref_src", "cmpid", "ocid", "at_medium", "at_campaign"}


def url_key(url: str) -> str:
    """Identity of an article URL: scheme, 'www.', fragment, default ports,
    trailing slash and tracking parameters do not make a new article."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_PARAMS
    ]
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("", host, path, urlencode(sorted(query)), "")).lstrip("/")


def content_hash(title: str, text: str) -> str:
    """Hash of the normalized words: the same story with different markup
    or diacritics hashes the same (used to fold exact duplicates)."""
    key = normalize_key(f"{title}\n{text}")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def excerpt(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = clean_display(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _same_site(a: str, b: str) -> bool:
    ha = (urlsplit(a).hostname or "").removeprefix("www.")
    hb = (urlsplit(b).hostname or "").removeprefix("www.")
    return bool(ha) and (ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha))


def build_article(
    entry: FeedEntry,
    page: ExtractedPage | None,
    source: Source,
    fetched_at: datetime,
) -> Article:
    """Merge feed entry and extracted page into one Article."""
    feed_text = html_to_text(entry.content_html) if entry.content_html else ""
    if len(feed_text) < len(entry.summary or ""):
        feed_text = entry.summary or ""

    use_page = page is not None and len(page.text) >= MIN_TEXT_CHARS and len(page.text) >= 0.5 * len(feed_text)
    if use_page:
        text, html = page.text, page.html or text_to_html(page.text)
    elif entry.content_html and len(feed_text) >= MIN_TEXT_CHARS:
        text, html = feed_text, sanitize_html(entry.content_html)
    else:
        text, html = feed_text, text_to_html(feed_text)

    title = clean_display(entry.title) or (clean_display(page.title) if page else "") or excerpt(text, 80)

    # A page may only name a canonical URL on its own site: otherwise a
    # hostile page could claim another article's identity.
    canonical = None
    if page and page.canonical_url and _same_site(page.canonical_url, page.url or entry.url):
        canonical = page.canonical_url

    published = entry.published or (page.published if page else None) or fetched_at

    section = section_for_label(entry.section)
    labels = []
    for label in list(entry.tags) + (list(page.tags) if page and not entry.tags else []):
        # a category that names a section is a section, not a hashtag
        mapped = section_for_label(label)
        if mapped:
            section = section or mapped
        else:
            labels.append(label)
    section = section or section_for_label(source.section) or (section_for_label(page.section) if page else None)

    lang = detect_language(f"{title}\n{text[:1500]}", hint=entry.lang or source.lang)
    # the section the feed or source gives is a prior for the classifier,
    # not the answer: outlets' desks file football under "international"
    section = classify_article(title, text, lang, prior=section)[0] or section
    # the article's own salient names and key topics, with the feed's
    # categories as topics after them
    found = article_hashtags(title, text, lang, labels, source_name=source.name)

    return Article(
        url=entry.url,
        url_key=url_key(canonical or entry.url),
        title=title,
        source_id=source.id,
        guid=entry.guid,
        canonical_url=canonical,
        author=entry.author or (page.author if page else None),
        summary=excerpt(entry.summary or text),
        text=text,
        html=html,
        image=entry.image or (page.image if page else None),
        published=published,
        fetched=fetched_at,
        lang=lang,
        section=section,
        tags=found.tags[:MAX_TAGS],
        tag_kinds=found.kinds,
        tag_aliases=found.aliases,
        tag_surnames=found.surnames,
        content_hash=content_hash(title, text),
        extracted=use_page,
    )
