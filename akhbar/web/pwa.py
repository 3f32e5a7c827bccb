"""The installable app and discovery: manifest, service worker, offline,
saved articles, "for you", about; sitemap.xml and robots.txt.

A FastAPI router that create_app includes. The pages here are shells:
/saved and /for-you are filled in the browser (static/app.js) from the
Cache Storage and from /api/v1, with what the reader keeps in
localStorage; nothing about the reader is sent to the server.

`python -m akhbar.web.pwa icons` redraws static/icons/*.png from the
geometry of static/icon.svg (needs Pillow, a development tool only).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from akhbar import __version__
from akhbar.dates.display import iso
from akhbar.sections import TAXONOMY

HERE = Path(__file__).parent
STATIC = HERE / "static"
ICONS = STATIC / "icons"
SAVED_CACHE = "akhbar-saved"  # the reader's saved articles: survives app updates
SITEMAP_ARTICLES = 1000
SITEMAP_TAGS = 200
THEME_COLOR = "#0d5c63"
BACKGROUND = "#fbfaf7"

# What the service worker stores on install, so that any page can fall back
# to something readable offline. The CSS and scripts carry ?v= as the
# templates write them; the fonts are referenced from the CSS without it.
SHELL_STATIC = [
    "/static/style.css?v={v}",
    "/static/theme.js?v={v}",
    "/static/app.js?v={v}",
    "/static/icon.svg",
    "/static/icons/icon-192.png",
    "/static/fonts/noto-naskh-arabic-arabic-400-normal.woff2",
    "/static/fonts/noto-naskh-arabic-arabic-700-normal.woff2",
    "/static/fonts/noto-naskh-arabic-latin-400-normal.woff2",
    "/static/fonts/noto-naskh-arabic-latin-700-normal.woff2",
]
SHELL_PAGES = ["/offline", "/saved", "/for-you"]

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def static_fingerprint() -> str:
    """A hash of every static file: a new deployment is a new service worker."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def manifest() -> dict:
    return {
        "name": "أخبار",
        "short_name": "أخبار",
        "description": "أحدث الأخبار من المصادر العربية والفرنسية، مع صفحة لكل وسم.",
        "lang": "ar",
        "dir": "rtl",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND,
        "theme_color": THEME_COLOR,
        "categories": ["news"],
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-maskable-192.png", "sizes": "192x192", "type": "image/png",
             "purpose": "maskable"},
            {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
        "shortcuts": [
            {"name": "متابعاتي", "url": "/for-you", "icons": [{"src": "/static/icons/icon-192.png", "sizes": "192x192"}]},
            {"name": "المحفوظة", "url": "/saved", "icons": [{"src": "/static/icons/icon-192.png", "sizes": "192x192"}]},
        ],
    }


@router.get("/manifest.webmanifest")
def manifest_route():
    body = json.dumps(manifest(), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/manifest+json; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@lru_cache(maxsize=1)
def service_worker_source() -> str:
    shell = [u.format(v=__version__) for u in SHELL_STATIC] + SHELL_PAGES
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    return (source.replace("__VERSION__", static_fingerprint())
                  .replace("__SAVED_CACHE__", SAVED_CACHE)
                  .replace('"__SHELL__"', json.dumps(shell)))


@router.get("/sw.js")
def service_worker():
    # served from the root so that its scope is the whole site; never cached
    # by HTTP, so that a new deployment reaches readers on their next visit
    return Response(service_worker_source(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


def _render(request: Request, template: str, **context) -> HTMLResponse:
    from akhbar.web.app import render

    return render(request, template, **context)


@router.get("/offline", response_class=HTMLResponse)
def offline_page(request: Request):
    return _render(request, "offline.html")


@router.get("/saved", response_class=HTMLResponse)
def saved_page(request: Request):
    return _render(request, "saved.html", saved_cache=SAVED_CACHE)


@router.get("/for-you", response_class=HTMLResponse)
def for_you_page(request: Request):
    return _render(request, "for_you.html")


@router.get("/about", response_class=HTMLResponse)
def about_page(request: Request):
    store = request.app.state.storage
    return _render(request, "about.html", source_count=len(store.list_sources(counts=False)),
                   article_count=store.count_articles())


# -- discovery ---------------------------------------------------------------

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap_xml(base: str, articles: list, sources: list, tags: list) -> bytes:
    """A sitemap of the newest articles, every section and source, the top hashtags."""
    from akhbar.web.app import tag_url

    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})

    def url(path: str, lastmod: datetime | None = None, changefreq: str | None = None):
        el = ET.SubElement(root, "url")
        ET.SubElement(el, "loc").text = base + path
        if lastmod:
            ET.SubElement(el, "lastmod").text = iso(lastmod)
        if changefreq:
            ET.SubElement(el, "changefreq").text = changefreq

    newest = articles[0].published if articles else None
    url("/", newest, "hourly")
    for slug in TAXONOMY:
        url(f"/section/{slug}", None, "hourly")
    url("/sources", None, "daily")
    url("/about", None, "monthly")
    for s in sources:
        url(f"/source/{s.id}", s.last_ok_at, "hourly")
    for t in tags:
        url(tag_url(t.name), None, "daily")
    for a in articles:
        url(f"/article/{a.id}", a.published, None)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


@router.get("/sitemap.xml")
def sitemap(request: Request):
    store = request.app.state.storage
    articles, cursor = [], None
    while len(articles) < SITEMAP_ARTICLES:
        page = store.list_articles(limit=100, cursor=cursor)
        articles += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    sources = [s for s in store.list_sources(counts=False) if s.id is not None]
    body = sitemap_xml(str(request.base_url).rstrip("/"), articles[:SITEMAP_ARTICLES], sources,
                       store.top_tags(limit=SITEMAP_TAGS))
    return Response(body, media_type="application/xml; charset=utf-8")


@router.get("/robots.txt")
def robots(request: Request):
    base = str(request.base_url).rstrip("/")
    body = "\n".join([
        "User-agent: *",
        "Allow: /",
        "Disallow: /search",  # endless combinations of queries and filters
        "Disallow: /api/",
        "Disallow: /saved",
        "Disallow: /for-you",
        "Disallow: /offline",
        f"Sitemap: {base}/sitemap.xml",
        "",
    ])
    return Response(body, media_type="text/plain; charset=utf-8")


# -- icons (development tool) ---------------------------------------------------

def draw_icon(size: int, maskable: bool = False):
    """static/icon.svg drawn with Pillow: a rounded teal square with three white
    lines (viewBox 32). The maskable variant fills the square and keeps the
    lines inside the central safe circle (radius 40%)."""
    from PIL import Image, ImageDraw

    scale = 4  # draw large, then downsample: smooth edges
    big = size * scale
    unit = big / 32
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=THEME_COLOR)
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=7 * unit, fill=THEME_COLOR)
    shrink = 0.8 if maskable else 1.0

    def at(x: float) -> float:  # svg coordinate -> pixels, shrunk around the centre
        return (16 + (x - 16) * shrink) * unit

    width = 3 * unit * shrink
    for x0, x1, y in ((8, 24, 22), (8, 24, 16), (8, 18, 10)):
        draw.line([(at(x0), at(y)), (at(x1), at(y))], fill="white", width=round(width))
        for x in (x0, x1):  # round caps
            r = width / 2
            draw.ellipse([at(x) - r, at(y) - r, at(x) + r, at(y) + r], fill="white")
    return img.resize((size, size), Image.LANCZOS)


def write_icons(folder: Path = ICONS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-192.png", 192, True), ("icon-maskable-512.png", 512, True),
                                 ("apple-touch-icon.png", 180, True)):
        path = folder / name
        draw_icon(size, maskable).save(path, optimize=True)
        out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["icons"]:
        for p in write_icons():
            print(p)
    else:
        sys.exit("usage: python -m akhbar.web.pwa icons")
