"""Feeds out: RSS 2.0 and JSON Feed 1.1 beside the Atom feeds.

Pure functions over the Article dataclasses (newest first): the caller
gives absolute URLs, these only format. The Atom feed stays a Jinja
template (templates/atom.xml); RSS is built with xml.etree so no title
can break the document, JSON Feed with json.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Callable, Iterable
from xml.etree import ElementTree as ET

from akhbar.dates.display import iso

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
RSS_TYPE = "application/rss+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def rfc822(dt: datetime | None) -> str:
    """RFC 822 (as RSS 2.0 wants it, four-digit year): 'Thu, 13 Mar 2025 09:00:00 +0000'."""
    dt = dt or EPOCH
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return format_datetime(dt.astimezone(timezone.utc))


def _text(parent: ET.Element, tag: str, text: str | None, **attrib) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    el.text = text or ""
    return el


def rss(
    items: Iterable,
    *,
    title: str,
    html_url: str,
    self_url: str,
    base: str,
    lang: str,
    description: str = "",
    summary: Callable[[object], str] = lambda a: a.summary or "",
    section_label: Callable[[str], str] = lambda slug: slug,
    generator: str = "akhbar",
) -> bytes:
    """An RSS 2.0 document (UTF-8 bytes). Each item links to our article page
    (as the Atom feed does), which links on to the original."""
    items = list(items)
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    _text(channel, "title", title)
    _text(channel, "link", html_url)
    _text(channel, "description", description or title)
    _text(channel, "language", lang)
    _text(channel, "generator", generator)
    _text(channel, "lastBuildDate", rfc822(items[0].published if items else None))
    ET.SubElement(channel, f"{{{ATOM_NS}}}link", {"rel": "self", "type": "application/rss+xml", "href": self_url})
    for a in items:
        item = ET.SubElement(channel, "item")
        page = f"{base}/article/{a.id}"
        _text(item, "title", a.title)
        _text(item, "link", page)
        _text(item, "guid", page, isPermaLink="true")
        _text(item, "pubDate", rfc822(a.published))
        _text(item, "description", summary(a))
        if a.source_name:
            # RSS <author> must be an e-mail address: the outlet goes in <source>
            _text(item, "source", a.source_name, url=f"{base}/source/{a.source_id}/feed.rss")
        if a.section:
            _text(item, "category", section_label(a.section), domain=f"{base}/section/{a.section}")
        for tag in a.tags or []:
            _text(item, "category", tag)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def json_feed(
    items: Iterable,
    *,
    title: str,
    html_url: str,
    self_url: str,
    base: str,
    lang: str,
    description: str = "",
    summary: Callable[[object], str] = lambda a: a.summary or "",
    link_of: Callable[[object], str | None] = lambda a: a.url,
    image_of: Callable[[object], str | None] = lambda a: None,
    icon: str | None = None,
) -> bytes:
    """A JSON Feed 1.1 document (UTF-8 bytes, non-ASCII kept as is)."""
    feed: dict = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": html_url,
        "feed_url": self_url,
        "language": lang,
        "items": [],
    }
    if description:
        feed["description"] = description
    if icon:
        feed["icon"] = icon
    for a in items:
        item: dict = {
            "id": f"{base}/article/{a.id}",
            "url": f"{base}/article/{a.id}",
            "title": a.title,
            "content_text": summary(a),
            "summary": summary(a),
            "date_published": iso(a.published or EPOCH),
        }
        original = link_of(a)
        if original:
            item["external_url"] = original
        image = image_of(a)
        if image:
            item["image"] = image
        if a.source_name:
            item["authors"] = [{"name": a.source_name, "url": f"{base}/source/{a.source_id}"}]
        tags = ([a.section] if a.section else []) + list(a.tags or [])
        if tags:
            item["tags"] = tags
        if a.lang:
            item["language"] = a.lang
        feed["items"].append(item)
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


# -- the HTTP edge: one response helper for the routes in app.py -----------

def feed_response(request, title: str, html_path: str, items: list):
    """RSS 2.0 for a path ending in .rss, JSON Feed 1.1 for one ending in .json."""
    from fastapi.responses import Response

    from akhbar.sections import section_name
    from akhbar.web.app import excerpt, safe_url, ui_of

    ui = ui_of(request)
    base = str(request.base_url).rstrip("/")
    is_json = request.url.path.endswith(".json")
    self_url = base + html_path + ("/feed.json" if is_json else "/feed.rss")  # percent-encoded, as html_path
    common = dict(title=title, html_url=base + html_path, self_url=self_url, base=base, lang=ui, summary=excerpt)
    if is_json:
        body = json_feed(items, **common, link_of=lambda a: safe_url(a.url), image_of=lambda a: safe_url(a.image),
                         icon=base + "/static/icons/icon-512.png")
        return Response(body, media_type=JSON_FEED_TYPE)
    body = rss(items, **common, section_label=lambda slug: section_name(slug, ui) or slug)
    return Response(body, media_type=RSS_TYPE)
