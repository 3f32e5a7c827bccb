"""JSON Feed 1.0/1.1 (jsonfeed.org) -> ParsedFeed.

feedparser 6.0 reads every XML format but not JSON Feed; the format is a
plain JSON document, so a direct mapping is all it takes.
"""

from __future__ import annotations

import json

from akhbar.dates import parse_date
from akhbar.models import FeedEntry, ParsedFeed
from akhbar.text.normalize import clean_display


class JSONFeedError(ValueError):
    pass


def _str(value) -> str | None:
    return value if isinstance(value, str) and value else None


def looks_like_json_feed(text: str) -> bool:
    head = text.lstrip()[:300]
    return head.startswith("{") and "jsonfeed.org/version" in head


def parse_json_feed(text: str, max_entries: int) -> ParsedFeed:
    from akhbar.feeds.parser import (
        MAX_HUBS, MAX_TITLE_CHARS, _cut, html_to_text, sanitize_entry_html, visible_or_empty, web_url,
    )

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONFeedError(f"invalid JSON Feed: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items", []), list):
        raise JSONFeedError("invalid JSON Feed: no items list")
    # JSON gives no types: every field is checked, a wrong one is dropped, never trusted
    feed = ParsedFeed(title=clean_display(str(doc.get("title") or "")), link=_str(doc.get("home_page_url")),
                      lang=_str(doc.get("language")), self_url=_str(doc.get("feed_url")))
    # "hubs": [{"type": "WebSub", "url": ...}] names the feed's WebSub hubs
    hubs = doc.get("hubs") if isinstance(doc.get("hubs"), list) else []
    feed.hubs = [h["url"] for h in hubs if isinstance(h, dict) and _str(h.get("url"))
                 and str(h.get("type") or "WebSub").lower() in ("websub", "pubsubhubbub")][:MAX_HUBS]
    for item in doc.get("items", [])[:max_entries]:
        if not isinstance(item, dict):
            continue
        url = item.get("url") or item.get("external_url") or ""
        if not isinstance(url, str) or not url or not web_url(url):
            continue
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        if not isinstance(authors, list):
            authors = []
        author = ", ".join(str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")) or None
        published_text = _str(item.get("date_published")) or _str(item.get("date_modified"))
        tags = item.get("tags") if isinstance(item.get("tags"), list) else []
        content = _str(item.get("content_html")) or ""
        feed.entries.append(
            FeedEntry(
                url=url.strip(),
                guid=str(item["id"]) if item.get("id") is not None else None,
                title=visible_or_empty(_cut(html_to_text(str(item.get("title") or "")), MAX_TITLE_CHARS)),
                summary=html_to_text(str(item.get("summary") or item.get("content_text") or "")),
                content_html=sanitize_entry_html(str(content)) if content else "",
                author=author,
                published=parse_date(str(published_text)) if published_text else None,
                published_text=str(published_text) if published_text else None,
                image=web_url(_str(item.get("image")) or _str(item.get("banner_image"))),
                tags=[str(t) for t in tags if t and isinstance(t, (str, int, float))],
                lang=_str(item.get("language")) or feed.lang,
            )
        )
    return feed
