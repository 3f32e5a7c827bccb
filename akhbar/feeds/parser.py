"""Feed bytes -> ParsedFeed, through feedparser.

We decode the bytes ourselves (akhbar.fetching.encoding knows more tricks
than feedparser, e.g. windows-1256 without any declaration) and hand
feedparser UTF-8, so both agree on what the text is.
"""

from __future__ import annotations

import calendar
import logging
import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import feedparser

from akhbar.dates import parse_date, plausible
from akhbar.extraction.sanitize import sanitize_html
from akhbar.feeds.jsonfeed import JSONFeedError, looks_like_json_feed, parse_json_feed
from akhbar.fetching.encoding import decode_body
from akhbar.models import FeedEntry, ParsedFeed
from akhbar.text.normalize import clean_display

log = logging.getLogger(__name__)

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_TAG_RE = re.compile(r"<[^>]+>")
_ENTRY_END_RE = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.I)
MAX_ENTRIES = 2000  # a feed longer than this is truncated, not trusted whole
MAX_TITLE_CHARS = 1000  # a headline longer than this is cut (a 1 MB "title" is an attack or a bug)
MAX_AUTHOR_CHARS = 300


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


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + "…"


def truncate_entries(text: str, limit: int = MAX_ENTRIES) -> tuple[str, int]:
    """Cut an XML feed after its *limit*-th item/entry, keeping what follows
    the last one (the closing tags), so feedparser never builds more entries
    than we keep: 100,000 items cost the time and memory of *limit*.
    Returns (text, number of item ends seen, counted up to limit + 1)."""
    ends = _ENTRY_END_RE.finditer(text)
    cut_at = None
    n = 0
    for n, m in enumerate(ends, 1):
        if n == limit:
            cut_at = m.end()
        elif n > limit:
            break
    if cut_at is None or n <= limit:
        return text, n
    last = None
    for last in _ENTRY_END_RE.finditer(text, cut_at):
        pass
    tail = text[last.end():] if last is not None else ""
    return text[:cut_at] + tail, n


_YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _year_disagrees(dt: datetime, text: str) -> bool:
    """The text names only impossible years (0001, 9999) and none near dt's:
    dt came from a two-digit-year reading. Hijri years (1300-1500) are fine."""
    years = {int(y) for y in _YEAR_RE.findall(text)}
    return (bool(years) and not ({dt.year, dt.year - 1, dt.year + 1} & years)
            and all(y < 1300 or y > 2200 for y in years))


def visible_or_empty(text: str) -> str:
    """"" for a title made only of spaces, direction marks and other invisibles."""
    if any(not unicodedata.category(c).startswith(("Z", "C")) for c in text):
        return text
    return ""


def web_url(url: str | None) -> str | None:
    """*url* if it is http(s) or relative, else None."""
    if not url or not isinstance(url, str):
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url if scheme in ("", "http", "https") else None


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


# -- WebSub discovery (rel="hub" / rel="self") ------------------------------

MAX_HUBS = 10  # a feed naming more hubs than this is not trusted past them
MAX_LINK_HEADER = 8192  # characters of a Link: header read
_LINK_TARGET_RE = re.compile(r"\s*,?\s*<([^>]*)>")
_LINK_PARAM_RE = re.compile(r'\s*;\s*([^\s=;,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,]*))?')


def _http_url(url: str | None, base: str = "") -> str | None:
    """*url* made absolute against *base*, if it is http(s) with a host."""
    if not url or not isinstance(url, str):
        return None
    try:
        url = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and the like
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def parse_link_header(value: str | None, base: str = "") -> list[tuple[str, set[str]]]:
    """The links of an HTTP Link: header (RFC 8288) as (URL, rel values),
    URLs resolved against *base*: `<https://hub/>; rel="hub", </feed>; rel=self`.
    Quoted parameters may hold commas and semicolons."""
    links: list[tuple[str, set[str]]] = []
    value = (value or "")[:MAX_LINK_HEADER]
    pos = 0
    while pos < len(value):
        m = _LINK_TARGET_RE.match(value, pos)
        if m is None:  # not a link: skip to the next comma
            pos = value.find(",", pos + 1)
            if pos < 0:
                break
            continue
        target, pos = m.group(1).strip(), m.end()
        rels: set[str] = set()
        while (p := _LINK_PARAM_RE.match(value, pos)) is not None and p.end() > pos:
            pos = p.end()
            if p.group(1).lower() == "rel" and p.group(2):
                rels.update(p.group(2).strip().strip('"').lower().split())
        links.append((urljoin(base, target) if base else target, rels))
        nxt = value.find(",", pos)  # past any junk to the next link
        if nxt < 0:
            break
        pos = nxt
    return links


def websub_links(feed: ParsedFeed, headers: dict[str, str] | None = None, url: str = "") -> tuple[list[str], str | None]:
    """(hub URLs, topic URL) of a fetched feed, per WebSub discovery: the
    HTTP Link: header first (rel="hub", rel="self"), else the document's
    own links; the topic falls back to the fetched *url*. Only absolute
    http(s) URLs; no hubs means the feed offers no push."""
    topic = None
    links = parse_link_header((headers or {}).get("link"), url)
    hubs = [u for u, rels in links if "hub" in rels]
    if hubs:
        topic = next((u for u, rels in links if "self" in rels), None)
    else:
        hubs = feed.hubs
    topic = _http_url(topic or feed.self_url or url, url)
    hubs = [h for h in dict.fromkeys(_http_url(h, url) for h in hubs) if h][:MAX_HUBS]
    return (hubs, topic) if topic else ([], None)


def _feed_links(feed) -> tuple[list[str], str | None]:
    """feedparser's feed-level links: Atom <link rel="hub|self">, RSS and
    RDF <atom:link rel="hub|self"> (relative URLs already resolved)."""
    hubs, self_url = [], None
    for link in feed.get("links") or ():
        rel, href = str(link.get("rel") or "").lower(), _http_url(link.get("href"))
        if href and rel == "hub" and len(hubs) < MAX_HUBS:
            hubs.append(href)
        elif href and rel == "self" and self_url is None:
            self_url = href
    return hubs, self_url


_BAD_CHARREF_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


def _charref_fix(m: re.Match) -> str:
    try:
        cp = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    except ValueError:
        return "&#xFFFD;"
    return "&#xFFFD;" if (0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF) else m.group(0)


def parse_feed(body: bytes, url: str = "", content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes. Malformed-but-readable feeds are kept (bozo noted);
    a document with no feed structure raises FeedParseError."""
    text, _codec = decode_body(body, content_type)
    if looks_like_json_feed(text):
        try:
            return parse_json_feed(text, MAX_ENTRIES)
        except JSONFeedError as exc:
            raise FeedParseError(str(exc)) from exc
    text, n_ends = truncate_entries(text, MAX_ENTRIES)
    text = _XML_DECL_RE.sub("", text, count=1)
    # feedparser's loose parser dies on a reference to a surrogate or to a
    # code point past U+10FFFF (found by hypothesis): such a reference can
    # only be junk, so it reads as the replacement character
    text = _BAD_CHARREF_RE.sub(_charref_fix, text)
    if n_ends > MAX_ENTRIES:
        log.warning("feed %s has more than %d entries; keeping the first %d", url, MAX_ENTRIES, MAX_ENTRIES)
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
    result.hubs, result.self_url = _feed_links(feed)
    if len(parsed.entries) > MAX_ENTRIES:
        log.warning("feed %s has %d entries; keeping the first %d", url, len(parsed.entries), MAX_ENTRIES)
    for e in parsed.entries[:MAX_ENTRIES]:
        link = e.get("link") or ""
        guid = e.get("id") or None
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid
        if not link or not web_url(link):
            continue  # no link, or javascript:/data:/file: ... (never fetched, never linked)
        content_html = ""
        if e.get("content"):
            content_html = sanitize_entry_html(e["content"][0].get("value", ""))
        published_text = e.get("published") or e.get("updated")
        # feedparser's own date parse bypasses parse_date's sanity check (year 9999 would pin
        # an item at the top of every page forever), so it is applied here
        published = plausible(_struct_to_dt(e.get("published_parsed") or e.get("updated_parsed")))
        if published is None and published_text:
            published = parse_date(published_text)
        if published is not None and published_text and _year_disagrees(published, published_text):
            # feedparser (and email.utils) read "01 Jan 0001" as 2001: the text names
            # another year, so the date is unknown (the pipeline uses the fetch time)
            published = None
        tags = [t.get("term") or t.get("label") for t in e.get("tags") or ()]
        result.entries.append(
            FeedEntry(
                url=link.strip(),
                guid=guid,
                title=visible_or_empty(_cut(html_to_text(e.get("title", "")), MAX_TITLE_CHARS)),
                summary=html_to_text(e.get("summary", "")),
                content_html=content_html,
                author=_cut(clean_display(e.get("author", "")), MAX_AUTHOR_CHARS) or None,
                published=published,
                published_text=published_text,
                image=web_url(_image_of(e)),
                tags=[t for t in tags if t],
                lang=(e.get("language") or (e.get("title_detail") or {}).get("language") or result.lang),
            )
        )
    return result
