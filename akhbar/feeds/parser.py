"""Feed bytes -> ParsedFeed, through feedparser.

We decode the bytes ourselves (akhbar.fetching.encoding knows more tricks
than feedparser, e.g. windows-1256 without any declaration) and hand
feedparser UTF-8, so both agree on what the text is.
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import datetime, timezone

import feedparser

from akhbar.dates import parse_date
from akhbar.extraction.sanitize import sanitize_html
from akhbar.feeds.jsonfeed import JSONFeedError, looks_like_json_feed, parse_json_feed
from akhbar.fetching.encoding import decode_body
from akhbar.models import FeedEntry, ParsedFeed
from akhbar.text.normalize import clean_display

log = logging.getLogger(__name__)

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_TAG_RE = re.compile(r"<[^>]+>")
MAX_ENTRIES = 2000  # a feed longer than this is truncated, not trusted whole


class FeedParseError(Exception):
    """The document is not a feed at all."""


def html_to_text(html: str) -> str:
    """Feed summaries are HTML snippets; keep their words only."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return clean_display(html)
    import lxml.html

    try:
        return clean_display(lxml.html.fromstring(f"<div>{html}</div>").text_content())
    except Exception:  # lxml rejects some fragments; fall back to a crude strip
        return clean_display(_TAG_RE.sub(" ", html))


def sanitize_entry_html(html: str) -> str:
    """Feed-supplied HTML goes through the same allow-list as pages."""
    return sanitize_html(html)


def _struct_to_dt(st) -> datetime | None:
    if not st:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(st), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def _image_of(entry) -> str | None:
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key) or ():
            url = media.get("url")
            if url and (media.get("medium", "image") == "image" or "image" in media.get("type", "image")):
                return url
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image"):
            return link.get("href")
    if entry.get("image") and isinstance(entry["image"], dict):
        return entry["image"].get("href") or entry["image"].get("url")
    return None


def parse_feed(body: bytes, url: str = "", content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes. Malformed-but-readable feeds are kept (bozo noted);
    a document with no feed structure raises FeedParseError."""
    text, _codec = decode_body(body, content_type)
    if looks_like_json_feed(text):
        try:
            return parse_json_feed(text, MAX_ENTRIES)
        except JSONFeedError as exc:
            raise FeedParseError(str(exc)) from exc
    text = _XML_DECL_RE.sub("", text, count=1)
    parsed = feedparser.parse(
        text.encode("utf-8"),
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": url},
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    feed = parsed.get("feed", {})
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedParseError(f"not a feed ({reason})" if reason else "not a feed")
    result = ParsedFeed(
        title=clean_display(feed.get("title", "")),
        link=feed.get("link"),
        lang=(feed.get("language") or None),
        bozo=str(parsed.get("bozo_exception")) if parsed.get("bozo") else None,
    )
    if len(parsed.entries) > MAX_ENTRIES:
        log.warning("feed %s has %d entries; keeping the first %d", url, len(parsed.entries), MAX_ENTRIES)
    for e in parsed.entries[:MAX_ENTRIES]:
        link = e.get("link") or ""
        guid = e.get("id") or None
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid
        if not link:
            continue
        content_html = ""
        if e.get("content"):
            content_html = sanitize_entry_html(e["content"][0].get("value", ""))
        published_text = e.get("published") or e.get("updated")
        published = _struct_to_dt(e.get("published_parsed") or e.get("updated_parsed"))
        if published is None and published_text:
            published = parse_date(published_text)
        tags = [t.get("term") or t.get("label") for t in e.get("tags") or ()]
        result.entries.append(
            FeedEntry(
                url=link.strip(),
                guid=guid,
                title=html_to_text(e.get("title", "")),
                summary=html_to_text(e.get("summary", "")),
                content_html=content_html,
                author=clean_display(e.get("author", "")) or None,
                published=published,
                published_text=published_text,
                image=_image_of(e),
                tags=[t for t in tags if t],
                lang=(e.get("language") or (e.get("title_detail") or {}).get("language") or result.lang),
            )
        )
    return result
