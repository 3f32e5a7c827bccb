"""A real HTTP newsroom on 127.0.0.1 for crawl tests.

Serves one feed per ANT multi-source outlet (RSS 2.0, Atom 1.0, RSS 1.0/RDF)
and an HTML page per article, built from ../shared/data/ant-multisource,
plus hostile and odd cases: a failing feed, a document that is not a feed,
windows-1256 feeds with and without a declared charset, and a windows-1256
page whose <meta charset> sits past the first kilobyte. Feeds answer
conditional GETs with 304. Every request is logged for assertions.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from tests.loopback import serve_get, stop

_FIELD_RE = re.compile(r"<(DOCNO|URL|SRC|CAT|TITLE|TIME|ABSTRACT|TEXT)>(.*?)</\1>", re.S)

FORMATS = {"BBC": "rss", "CNN": "atom", "Alarabia": "rss", "SkyNews": "rdf"}
NAMES = {"BBC": "بي بي سي عربي", "CNN": "سي إن إن بالعربية", "Alarabia": "العربية", "SkyNews": "سكاي نيوز عربية"}
# Extra keyword categories on chosen items: two outlets spell one name two ways.
KEYWORDS = {("BBC", 0): ["ديفينس سكوب", "الجزائر"], ("CNN", 1): ["ديفينسسكوب"], ("Alarabia", 2): ["الجزائر"]}


@dataclass
class Item:
    outlet: str
    docno: str
    title: str
    cat: str
    time: str
    abstract: str
    text: str
    keywords: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/articles/{self.outlet}/{self.docno}.html"


def load_items(data_dir: Path, per_outlet: int) -> dict[str, list[Item]]:
    """Evenly spread picks of each outlet's articles (deterministic)."""
    out: dict[str, list[Item]] = {}
    for outlet in FORMATS:
        files = sorted((data_dir / "ant-multisource" / outlet).rglob("*.txt"))
        step = max(1, len(files) // (per_outlet * 3))
        items: list[Item] = []
        for f in files[::step]:
            fields = {m.group(1): m.group(2).strip() for m in _FIELD_RE.finditer(f.read_text("utf-8", "replace"))}
            if not all(fields.get(k) for k in ("DOCNO", "TITLE", "TIME", "TEXT", "CAT")):
                continue
            items.append(Item(outlet, fields["DOCNO"], fields["TITLE"], fields["CAT"], fields["TIME"],
                              fields.get("ABSTRACT", ""), fields["TEXT"]))
            if len(items) == per_outlet:
                break
        # newest first, as feeds list them
        items.sort(key=lambda i: parsedate_to_datetime(i.time), reverse=True)
        for n, item in enumerate(items):
            item.keywords = KEYWORDS.get((outlet, n), [])
        out[outlet] = items
    return out


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def render_feed(kind: str, name: str, base: str, items: list[Item]) -> str:
    if kind == "atom":
        entries = "".join(
            f"<entry><title>{_esc(i.title)}</title><link href=\"{base}{i.path}\"/>"
            f"<id>urn:ant:{i.docno}</id><updated>{parsedate_to_datetime(i.time).isoformat()}</updated>"
            f"<summary>{_esc(i.abstract)}</summary><category term=\"{_esc(i.cat)}\"/>"
            + "".join(f"<category term=\"{_esc(k)}\"/>" for k in i.keywords)
            + "</entry>"
            for i in items
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">'
                f"<title>{_esc(name)}</title><id>{base}/</id><updated>2018-10-01T00:00:00Z</updated>{entries}</feed>")
    if kind == "rdf":
        seq = "".join(f'<rdf:li rdf:resource="{base}{i.path}"/>' for i in items)
        entries = "".join(
            f'<item rdf:about="{base}{i.path}"><title>{_esc(i.title)}</title><link>{base}{i.path}</link>'
            f"<description>{_esc(i.abstract)}</description><dc:date>{parsedate_to_datetime(i.time).isoformat()}</dc:date>"
            f"<dc:subject>{_esc(i.cat)}</dc:subject>"
            + "".join(f"<dc:subject>{_esc(k)}</dc:subject>" for k in i.keywords)
            + "</item>"
            for i in items
        )
        return ('<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f'<channel rdf:about="{base}/"><title>{_esc(name)}</title><link>{base}/</link><description>-</description>'
                f"<dc:language>ar</dc:language><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{entries}</rdf:RDF>")
    entries = "".join(
        f"<item><title>{_esc(i.title)}</title><link>{base}{i.path}</link>"
        f'<guid isPermaLink="false">{i.docno}</guid><pubDate>{i.time}</pubDate>'
        f"<description>{_esc(i.abstract)}</description><category>{_esc(i.cat)}</category>"
        + "".join(f"<category>{_esc(k)}</category>" for k in i.keywords)
        + "</item>"
        for i in items
    )
    return (f'<?xml version="1.0" encoding="{{ENC}}"?><rss version="2.0"><channel><title>{_esc(name)}</title>'
            f"<link>{base}/</link><description>-</description><language>ar</language>{entries}</channel></rss>")


def render_page(item: Item, base: str, charset: str = "utf-8", meta_late: bool = False) -> str:
    paras = "".join(f"<p>{_esc(p.strip())}</p>" for p in item.text.split("\n") if p.strip())
    published = parsedate_to_datetime(item.time).isoformat()
    junk = f"<!-- {'x' * 3000} -->" if meta_late else ""
    return (
        f'<!DOCTYPE html><html lang="ar" dir="rtl"><head>{junk}<meta charset="{charset}">'
        f"<title>{_esc(item.title)} - {_esc(NAMES.get(item.outlet, item.outlet))}</title>"
        f'<link rel="canonical" href="{base}{item.path}">'
        f'<meta property="og:title" content="{_esc(item.title)}">'
        f'<meta property="og:image" content="{base}/img/{item.docno}.jpg">'
        f'<meta name="author" content="مراسل {_esc(NAMES.get(item.outlet, item.outlet))}">'
        f'<meta property="article:published_time" content="{published}">'
        "</head><body><header><nav><a href='/'>الرئيسية</a> | <a href='/sport'>رياضة</a> | <a href='/eco'>اقتصاد</a></nav></header>"
        f"<main><article><h1>{_esc(item.title)}</h1>{paras}</article></main>"
        "<aside><h3>الأكثر قراءة</h3><ul><li><a href='/x'>خبر آخر</a></li></ul></aside>"
        "<footer>جميع الحقوق محفوظة</footer><script>alert('x')</script></body></html>"
    )


class Newsroom:
    """Start with .start(); .url(path) builds addresses; .requests logs hits."""

    def __init__(self, data_dir: Path, per_outlet: int = 8):
        self.items = load_items(data_dir, per_outlet)
        self.requests: list[tuple[str, int]] = []  # (path, status)
        self.fail_pages: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base = ""
        # windows-1256 cases reuse a few BBC items under their own paths
        self.cp1256_items = self.items["BBC"][:3]

    # -- lifecycle --------------------------------------------------------
    def start(self) -> "Newsroom":
        def respond(handler):
            try:
                status, headers, body = self.respond(unquote(handler.path), dict(handler.headers.items()))
            except Exception as exc:  # a fixture bug must show, not hang up
                status, headers, body = 599, {"Content-Type": "text/plain"}, repr(exc).encode()
            with self._lock:
                self.requests.append((handler.path, status))
            return status, headers, body

        self._server, self.base = serve_get(respond)
        return self

    def stop(self) -> None:
        if self._server:
            stop(self._server)

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, prefix: str) -> list[tuple[str, int]]:
        with self._lock:
            return [r for r in self.requests if unquote(r[0]).startswith(prefix)]

    # -- routing ----------------------------------------------------------
    def respond(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        lower = {k.lower(): v for k, v in headers.items()}
        if path == "/feeds/broken.xml":
            return 500, {"Content-Type": "text/plain"}, b"internal error"
        if path == "/feeds/notafeed.xml":
            return 200, {"Content-Type": "text/html"}, b"<html><body><p>Not a feed</p></body></html>"
        if path.startswith("/feeds/cp1256"):
            declared = path == "/feeds/cp1256.xml"
            variant = "cp1256" if declared else "cp1256-bare"
            feed = render_feed("rss", "صحيفة ويندوز", self.base, [self._cp_item(i, variant) for i in self.cp1256_items])
            feed = feed.replace("{ENC}", "windows-1256" if declared else "")
            if not declared:
                feed = feed.replace(' encoding=""', "")
            ctype = "application/rss+xml; charset=windows-1256" if declared else "application/rss+xml"
            return 200, {"Content-Type": ctype}, feed.encode("cp1256", errors="xmlcharrefreplace")
        if path.startswith("/feeds/") and path.endswith(".xml"):
            outlet = path[len("/feeds/"):-4]
            if outlet not in self.items:
                return 404, {"Content-Type": "text/plain"}, b"no such feed"
            body = render_feed(FORMATS[outlet], NAMES[outlet], self.base, self.items[outlet]).replace("{ENC}", "utf-8")
            data = body.encode("utf-8")
            etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
            last_mod = format_datetime(parsedate_to_datetime(self.items[outlet][0].time).astimezone(timezone.utc), usegmt=True)
            if lower.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
            ctype = {"rss": "application/rss+xml", "atom": "application/atom+xml", "rdf": "application/rdf+xml"}[FORMATS[outlet]]
            return 200, {"Content-Type": f"{ctype}; charset=utf-8", "ETag": etag, "Last-Modified": last_mod}, data
        if path.startswith(("/articles/cp1256/", "/articles/cp1256-bare/")):
            variant, name = path.split("/")[2:4]
            item = self.cp1256_items[int(name.split(".")[0])]
            page = render_page(self._cp_item(item, variant), self.base, "windows-1256", meta_late=True)
            # no charset in the header: only the late <meta> tells
            return 200, {"Content-Type": "text/html"}, page.encode("cp1256", errors="xmlcharrefreplace")
        if path.startswith("/articles/"):
            if path in self.fail_pages:
                return 503, {"Content-Type": "text/plain", "Retry-After": "120"}, b"busy"
            for items in self.items.values():
                for item in items:
                    if item.path == path:
                        return 200, {"Content-Type": "text/html; charset=utf-8"}, render_page(item, self.base).encode("utf-8")
            return 404, {"Content-Type": "text/plain"}, b"not found"
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _cp_item(self, item: Item, variant: str) -> Item:
        """A copy of a BBC item under the windows-1256 feed *variant*'s own
        URLs (each feed its own articles) and without its keywords."""
        clone = Item(**{**item.__dict__})
        clone.docno = str(self.cp1256_items.index(item))
        clone.outlet = variant
        clone.keywords = []
        return clone
