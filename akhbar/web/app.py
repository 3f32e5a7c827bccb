"""The web front: server-rendered pages, Arabic and right-to-left first.

Endpoints are plain `def`: storage calls are synchronous, so FastAPI
runs them in its thread pool.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from babel import Locale
from fastapi import FastAPI, Path as PathParam, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from akhbar import __version__
from akhbar.config import Settings, load_settings
from akhbar.dates.display import format_card_date, format_hijri_date, format_long_date, iso, localize_digits
from akhbar.extraction.sanitize import sanitize_html
from akhbar.sections import TAXONOMY, section_name
from akhbar.storage import Page, Storage, open_storage
from akhbar.text.hashtags import hashtag_key
from akhbar.web.caching import APICaching
from akhbar.web.ops import router as ops_router
from akhbar.web.pagecache import PageCache, PageCacheMiddleware, sources_with_counts
from akhbar.web.ratelimit import RateLimit
from akhbar.web.i18n import COOKIE, UI_LANGS, UI_NAMES, choose_ui, install_i18n, load_translations, text_dir

HERE = Path(__file__).parent
PAGE_SIZE = 20
EXCERPT_CHARS = 200
MAX_ID = 2**63 - 1  # a larger id would overflow SQLite INTEGER: a 500 instead of a 404
TRENDING_DAYS = 7
MAX_QUERY = 256
MAX_SEARCH_PAGE = 50
Id = Annotated[int, PathParam(ge=1, le=MAX_ID)]

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' https: http: data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


_SECURITY_RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, static and errors included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                # a new message: an app may hand over a tuple, or a list it keeps
                raw = list(message.get("headers", ()))
                have = {k.lower() for k, _ in raw}
                message = {**message, "headers": raw + [h for h in _SECURITY_RAW if h[0] not in have]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PageError(Exception):
    """An HTML page that cannot be shown; *kind* picks the message."""

    def __init__(self, status: int, kind: str = "page"):
        self.status, self.kind = status, kind


# -- template helpers that do not depend on the request ------------------

@lru_cache(maxsize=8192)  # a page links the same hashtags many times; quote() is slow
def tag_url(name: str) -> str:
    return "/tag/" + quote(name, safe="")


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links or images (no javascript:, no data:)."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def excerpt(article, limit: int = EXCERPT_CHARS) -> str:
    """Summary, or the start of the text, cut at a word boundary."""
    text = " ".join((article.summary or article.text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.،؛:") + "…"


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"\n+", text or "") if p.strip()]


def body_html(article) -> Markup:
    """The article body; sanitized again here although ingest already did it."""
    if article.html and article.html.strip():
        return Markup(sanitize_html(article.html))
    return Markup("").join(Markup("<p>%s</p>\n") % p for p in paragraphs(article.text))


def bdi(text: str | None) -> Markup:
    """Isolate a name of unknown direction inside a translated sentence."""
    return Markup("<bdi>%s</bdi>") % (text or "")


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_i18n(env)
    env.filters.update(tag_url=tag_url, safe_url=safe_url, excerpt=excerpt, text_dir=text_dir)
    env.globals.update(bdi=bdi, body_html=body_html, iso=iso, version=__version__)
    return env


# -- per-request rendering -------------------------------------------------

def ui_of(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return choose_ui(request.query_params.get("ui"), request.cookies.get(COOKIE), settings.default_ui)


def query_with(request: Request, **params) -> str:
    """A relative '?..' link to this page with some query parameters replaced."""
    query = {k: v for k, v in request.query_params.items() if k not in params}
    query.update({k: v for k, v in params.items() if v is not None})
    return "?" + urlencode(query)


def page_context(request: Request) -> dict:
    settings: Settings = request.app.state.settings
    ui, tz = ui_of(request), settings.timezone
    locale = Locale.parse(ui)
    return dict(
        request=request,
        ui=ui,
        ui_dir=text_dir(ui),
        translations=load_translations()[ui],
        card_date=lambda dt: format_card_date(dt, ui, tz),
        long_date=lambda dt: format_long_date(dt, ui, tz),
        hijri_date=lambda dt: format_hijri_date(dt, ui, tz),
        num=lambda n: localize_digits(str(n), ui),
        section_name=lambda slug: section_name(slug, ui),
        lang_name=lambda code: locale.languages.get(code or "", code),
        country_name=lambda code: locale.territories.get((code or "").upper(), code),
        sections=[(slug, sec.name(ui)) for slug, sec in TAXONOMY.items()],
        languages=[(code, UI_NAMES[code], query_with(request, ui=code)) for code in UI_LANGS],
    )


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    ctx = page_context(request)
    ctx.update(context)
    html = request.app.state.jinja.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status, headers={"Content-Language": ctx["ui"], "Vary": "Cookie"})
    asked = request.query_params.get("ui")
    if asked in UI_LANGS and asked != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True)
    return response


def atom(request: Request, title: str, html_path: str, items: list) -> Response:
    """An Atom 1.0 document of *items* (newest first) for the page at *html_path*."""
    base = str(request.base_url).rstrip("/")
    ctx = page_context(request)
    updated = iso(items[0].published) if items else iso(datetime(1970, 1, 1, tzinfo=timezone.utc))
    ctx.update(title=title, items=items, base=base, html_url=base + html_path,
               self_url=base + request.url.path, updated=updated)
    body = request.app.state.jinja.get_template("atom.xml").render(ctx)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def feed_out(request: Request, title: str, html_path: str, items: list) -> Response:
    """The feed the path's suffix asks for: feed.atom, feed.rss or feed.json."""
    from akhbar.web.feeds_out import feed_response

    if request.url.path.endswith(".atom"):
        return atom(request, title, html_path, items)
    return feed_response(request, title, html_path, items)


def list_page(store: Storage, **kwargs) -> Page:
    """storage.list_articles, with a bad cursor as a 400 page rather than a 500."""
    try:
        return store.list_articles(limit=PAGE_SIZE, **kwargs)
    except ValueError as exc:
        raise PageError(400, "cursor") from exc


def older_link(request: Request, page: Page) -> str | None:
    return query_with(request, cursor=page.next_cursor, ui=None) if page.next_cursor else None


def story_context(store: Storage, story, ui: str) -> dict:
    """What a story page shows besides the story row: its timeline with wire
    copies folded under the article they copy, its sources, languages and
    most common hashtags."""
    from collections import Counter

    arts = store.story_articles(story.id)
    by_id = {a.id: a for a in arts}
    copies: dict[int, list] = {}
    timeline = []
    for a in arts:
        if a.duplicate_of in by_id:
            copies.setdefault(a.duplicate_of, []).append(a)
        else:
            timeline.append(a)
    sources = Counter((a.source_name or "", a.source_id) for a in arts)
    tags = Counter(t for a in arts for t in a.tags)
    langs = Counter(a.lang for a in arts if a.lang)
    names = Locale.parse(ui).languages
    return dict(
        timeline=[(a, copies.get(a.id, [])) for a in timeline],
        sources=[(name, sid, n) for (name, sid), n in sources.most_common()],
        tags=[t for t, _ in tags.most_common(8)],
        story_languages=[names.get(code, code) for code, _ in langs.most_common()],
        summary_lang=langs.most_common(1)[0][0] if langs else None,
    )


TRENDING_TTL = 60.0  # seconds a computed trending list is served before it is recomputed
POPULAR_TTL = 30.0  # the same for the week's popular hashtags on the home page


def trending_tags(app) -> list:
    """Trending hashtags, computed at most once a minute per process (the
    query groups every tag of the last week: 0.15-0.3 s at a million
    articles), whatever is stored meanwhile."""
    return app.state.page_cache.every(("trending",), lambda: app.state.storage.trending_tags(limit=10), TRENDING_TTL)


def _is_api(request: Request) -> bool:
    return request.url.path.removeprefix(request.scope.get("root_path", "")).startswith("/api/")


# -- the app ---------------------------------------------------------------

def create_app(settings: Settings | None = None, storage: Storage | None = None) -> FastAPI:
    """The web application: HTML pages, /api/v1 JSON and /static files."""
    from akhbar.web.api import router as api_router

    settings = settings or load_settings()
    ZoneInfo(settings.timezone)  # a bad AKHBAR_TIMEZONE fails here, not on every page
    app = FastAPI(
        title="akhbar",
        version=__version__,
        description="News from Arabic and French-language sources: articles, hashtags, sources.",
        docs_url=None,  # Swagger UI needs a CDN and inline script; /openapi.json stays
        redoc_url=None,
        # akhbar exports Prometheus metrics, not OpenTelemetry: without this
        # FastAPI looks the global OTel providers up on every request (~20% of
        # answering a cached page)
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.storage = storage if storage is not None else open_storage(settings.database_url)
    app.state.jinja = make_env()
    app.state.page_cache = PageCache(app.state.storage)
    load_translations()  # parse the .po files now, not on the first request
    # innermost first: the ETag layer, then the page cache (so a kept API
    # answer keeps its ETag), then the rate limit (a cache hit still counts)
    app.add_middleware(APICaching)
    app.add_middleware(PageCacheMiddleware, cache=app.state.page_cache)
    app.add_middleware(RateLimit, settings=settings)  # off unless AKHBAR_RATE_LIMIT
    if settings.cors_origins:
        # read-only requests only: admin actions (PUT/DELETE) stay same-origin
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET"],
                           allow_headers=["If-None-Match"], expose_headers=["ETag"], max_age=3600)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api_router)
    from akhbar.web.pwa import router as pwa_router  # manifest, /sw.js, offline, saved, for-you, about, sitemap

    app.include_router(pwa_router)
    app.include_router(ops_router)  # /healthz /readyz /metrics /admin/sources
    from akhbar.web.websub import router as websub_router  # WebSub callback: GET/POST /websub/{token}

    app.include_router(websub_router)

    @app.exception_handler(PageError)
    def page_error(request: Request, exc: PageError):
        return render(request, "error.html", status=exc.status, kind=exc.kind, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _is_api(request):
            return await http_exception_handler(request, exc)
        kind = "page" if exc.status_code == 404 else "http"
        return render(request, "error.html", status=exc.status_code, kind=kind, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        # /article/abc names no article: for a reader that is "not found"
        return render(request, "error.html", status=404, kind="page", status_code=404)

    html = dict(response_class=HTMLResponse, include_in_schema=False)

    @app.get("/", **html)
    def home(request: Request, cursor: str | None = None):
        store: Storage = request.app.state.storage
        cache = request.app.state.page_cache  # the lists below, shared by every language and page
        memo = cache.memo
        page = list_page(store, cursor=cursor)
        # no article counts: the banner does not show them, and counting reads every article
        unreachable = memo(("unreachable",), lambda: [
            s for s in store.list_sources(counts=False) if s.last_error or s.error_count > 0])

        def popular():
            since = datetime.now(timezone.utc) - timedelta(days=TRENDING_DAYS)
            # a replayed archive has nothing recent: fall back to all-time tags
            return store.top_tags(limit=20, since=since) or store.top_tags(limit=20)

        # the week's counts move little with one more article; recomputed
        # after every one, they were most of a render under constant writes
        # (30-90 ms at a million articles)
        tags = cache.every(("top_tags",), popular, POPULAR_TTL)
        trending = trending_tags(request.app) if not cursor else []
        top = memo(("top_stories",), lambda: store.top_stories(limit=6)) if not cursor else []
        return render(request, "index.html", page=page, older=older_link(request, page),
                      unreachable=unreachable, top_tags=tags, trending=trending, top_stories=top,
                      first_page=not cursor)

    @app.get("/tag/{hashtag}", **html)
    def tag_page(request: Request, hashtag: str, cursor: str | None = None):
        store: Storage = request.app.state.storage
        tag = store.resolve_tag(hashtag, count=False)  # the page does not show the count
        if tag is None:
            raise PageError(404, "tag")
        if hashtag != tag.name:
            # every alias and spelling of a hashtag has one canonical page
            target = tag_url(tag.name) + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(target, status_code=301)
        page = list_page(store, tag_key=tag.key, cursor=cursor)
        return render(request, "tag.html", tag=tag, page=page, older=older_link(request, page),
                      related=store.related_tags(tag.id, limit=12), aliases=store.tag_aliases(tag.id))

    @app.get("/story/{story_id}", **html)
    def story_page(request: Request, story_id: Id):
        store: Storage = request.app.state.storage
        story = store.get_story(story_id)
        if story is None or (story.article_count == 0 and not story.merged_into):
            raise PageError(404, "story")
        if story.merged_into:
            # a story folded into an older one lives on at the older one's page
            return RedirectResponse(f"/story/{story.merged_into}", status_code=301)
        return render(request, "story.html", story=story, **story_context(store, story, ui_of(request)))

    @app.get("/story/{story_id}/feed.atom", include_in_schema=False)
    @app.get("/story/{story_id}/feed.rss", include_in_schema=False)
    @app.get("/story/{story_id}/feed.json", include_in_schema=False)
    def story_feed(request: Request, story_id: Id):
        store: Storage = request.app.state.storage
        story = store.get_story(story_id)
        if story is None or story.merged_into or story.article_count == 0:
            raise PageError(404, "story")
        items = list(reversed(store.story_articles(story_id)))[:PAGE_SIZE]
        return feed_out(request, story.headline, f"/story/{story_id}", items)

    @app.get("/article/{article_id}", **html)
    def article_page(request: Request, article_id: Id):
        store: Storage = request.app.state.storage
        article = store.get_article(article_id)
        if article is None:
            raise PageError(404, "article")
        return render(request, "article.html", article=article, source=store.get_source(article.source_id))

    @app.get("/source/{source_id}", **html)
    def source_page(request: Request, source_id: Id, cursor: str | None = None):
        store: Storage = request.app.state.storage
        source = store.get_source(source_id)
        if source is None:
            raise PageError(404, "source")
        page = list_page(store, source_id=source_id, cursor=cursor)
        source.article_count = store.count_articles(source_id)
        return render(request, "source.html", source=source, page=page, older=older_link(request, page))

    @app.get("/sources", **html)
    def sources_page(request: Request):
        return render(request, "sources.html", sources=sources_with_counts(request.app))

    @app.get("/section/{slug}", **html)
    def section_page(request: Request, slug: str, cursor: str | None = None):
        if slug not in TAXONOMY:
            raise PageError(404, "section")
        page = list_page(request.app.state.storage, section=slug, cursor=cursor)
        return render(request, "section.html", slug=slug, current_section=slug, page=page,
                      older=older_link(request, page))

    # -- feeds out: Atom, RSS 2.0 and JSON Feed 1.1 for every section, hashtag and source
    @app.get("/section/{slug}/feed.atom", include_in_schema=False)
    @app.get("/section/{slug}/feed.rss", include_in_schema=False)
    @app.get("/section/{slug}/feed.json", include_in_schema=False)
    def section_feed(request: Request, slug: str):
        if slug not in TAXONOMY:
            raise PageError(404, "section")
        page = list_page(request.app.state.storage, section=slug)
        return feed_out(request, section_name(slug, ui_of(request)), f"/section/{slug}", page.items)

    @app.get("/tag/{hashtag}/feed.atom", include_in_schema=False)
    @app.get("/tag/{hashtag}/feed.rss", include_in_schema=False)
    @app.get("/tag/{hashtag}/feed.json", include_in_schema=False)
    def tag_feed(request: Request, hashtag: str):
        store: Storage = request.app.state.storage
        tag = store.resolve_tag(hashtag, count=False)
        if tag is None:
            raise PageError(404, "tag")
        page = list_page(store, tag_key=tag.key)
        return feed_out(request, f"#{tag.name}", tag_url(tag.name), page.items)

    @app.get("/source/{source_id}/feed.atom", include_in_schema=False)
    @app.get("/source/{source_id}/feed.rss", include_in_schema=False)
    @app.get("/source/{source_id}/feed.json", include_in_schema=False)
    def source_feed(request: Request, source_id: Id):
        store: Storage = request.app.state.storage
        source = store.get_source(source_id)
        if source is None:
            raise PageError(404, "source")
        page = list_page(store, source_id=source_id)
        return feed_out(request, source.name, f"/source/{source_id}", page.items)

    @app.get("/search", **html)
    def search_page(request: Request, q: str = "", section: str = "", lang: str = "", tag: str = "",
                    source: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, page: int = 1):
        from akhbar.search import SearchQuery

        store: Storage = request.app.state.storage
        q = q.strip()[:MAX_QUERY]
        page = max(1, min(page, MAX_SEARCH_PAGE))
        offset = (page - 1) * PAGE_SIZE
        results = None
        if q:
            results = store.search(SearchQuery(
                text=q, limit=PAGE_SIZE, offset=offset, section=section or None,
                lang=lang or None, tag_key=hashtag_key(tag) if tag else None, source_id=source))
        more = query_with(request, page=str(page + 1), ui=None) if results and results.has_more else None
        prev = query_with(request, page=str(page - 1), ui=None) if page > 1 else None
        return render(request, "search.html", q=q, section=section, lang=lang, results=results,
                      offset=offset, more_link=more, prev_link=prev)

    return app
