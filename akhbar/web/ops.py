"""Operations: /healthz, /readyz, /metrics and the admin's per-source health page.

Included by akhbar.web.app (one include_router line). The router's
lifespan wraps the app in a small ASGI layer that times every request
into a Prometheus histogram (labelled by route template, never raw paths).

/admin/sources needs the admin token (AKHBAR_ADMIN_TOKEN): as a Bearer
header (akhbar.web.auth.require_admin) or, for a browser, a cookie set by
the login form there. The cookie holds an expiry and an HMAC of it keyed
by the token (never the token): changing the token ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from akhbar.web.auth import require_admin
from akhbar.web.pagecache import sources_with_counts
from akhbar.workers import metrics as _ingest_metrics  # noqa: F401  (fetch/failure/stored counters exist here too)

COOKIE = "akhbar_admin"
SESSION_SECONDS = 12 * 3600
RATE_WINDOW = 300.0  # articles/s is measured over the last five minutes
BROKER_TIMEOUT = 2.0

REQUEST_SECONDS = Histogram(
    "akhbar_http_request_duration_seconds", "Web request latency", ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestTimer:
    """ASGI: observe every HTTP request's duration under its route template."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}

        async def send_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "unmatched")
            REQUEST_SECONDS.labels(scope["method"], path, str(status["code"])).observe(time.perf_counter() - start)


@asynccontextmanager
async def lifespan(app):
    # Starlette builds the middleware stack before the lifespan runs; wrap it once.
    if app.middleware_stack is not None and not isinstance(app.middleware_stack, RequestTimer):
        app.middleware_stack = RequestTimer(app.middleware_stack)
    yield


router = APIRouter(lifespan=lifespan, include_in_schema=False)


# -- probes -----------------------------------------------------------------

@router.get("/healthz")
def healthz() -> dict:
    """The process is up (no dependency checked)."""
    return {"status": "ok"}


def broker_check(url: str) -> str | None:
    """None when the broker answers, else why not."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]


def queue_depth(url: str, queue: str) -> int | None:
    """Messages waiting in *queue* (ready, not yet delivered), None if unknown."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
            _name, count, _consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
            return int(count)
    except Exception:
        return None


@router.get("/readyz")
def readyz(request: Request):
    """Ready for traffic: the database answers and is migrated to this
    code's head; the broker answers when one is configured."""
    settings = request.app.state.settings
    checks: dict[str, str] = {}
    ok = True
    try:
        current, head = request.app.state.storage.schema_revision()
        checks["database"] = "ok" if current == head else f"at migration {current}, code expects {head}"
        ok &= current == head
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        ok = False
    if settings.broker_url:
        err = broker_check(settings.broker_url)
        checks["broker"] = "ok" if err is None else f"unreachable: {err}"
        ok &= err is None
    else:
        checks["broker"] = "not configured"
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


# -- metrics ----------------------------------------------------------------

class StoreCollector:
    """Gauges read at scrape time from the database (and the broker)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        store, settings = self.app.state.storage, self.app.state.settings
        now = datetime.now(timezone.utc)
        up = GaugeMetricFamily("akhbar_database_up", "1 when the database answered this scrape")
        try:
            total = store.count_articles()
            recent = store.count_fetched_since(now - timedelta(seconds=RATE_WINDOW))
            sources = store.list_sources(counts=False)  # (no counts: they read every article)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        g = GaugeMetricFamily("akhbar_articles", "Articles stored")
        g.add_metric([], total)
        yield g
        g = GaugeMetricFamily("akhbar_articles_per_second", f"Articles stored per second over the last {RATE_WINDOW:.0f} s")
        g.add_metric([], recent / RATE_WINDOW)
        yield g
        g = GaugeMetricFamily("akhbar_sources", "Sources by state", labels=["state"])
        g.add_metric(["active"], sum(1 for s in sources if s.status == "active"))
        g.add_metric(["paused"], sum(1 for s in sources if s.status != "active"))
        g.add_metric(["failing"], sum(1 for s in sources if s.error_count > 0))
        yield g
        if settings.broker_url:
            depth = queue_depth(settings.broker_url, settings.queue)
            if depth is not None:
                g = GaugeMetricFamily("akhbar_queue_depth", "Messages waiting in the worker queue", labels=["queue"])
                g.add_metric([settings.queue], depth)
                yield g


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text: this process's counters (requests; fetches and
    stored articles in `akhbar run`) plus database and broker gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(request.app))
    body = generate_latest(REGISTRY) + generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


# -- the admin page ---------------------------------------------------------

def _sign(token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"akhbar-admin:{expires}".encode(), hashlib.sha256).hexdigest()


def session_cookie(token: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_SECONDS)
    return f"{expires}.{_sign(token, expires)}"


def valid_session(token: str, value: str | None, now: float | None = None) -> bool:
    if not token or not value or "." not in value:
        return False
    raw, _, mac = value.partition(".")
    if not raw.isdigit() or int(raw) < (now or time.time()):
        return False
    return hmac.compare_digest(mac.encode(), _sign(token, int(raw)).encode())


def _render(request: Request, status: int, **ctx):
    from akhbar.web.app import render

    response = render(request, "admin_sources.html", status=status, **ctx)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _health(source, now: datetime) -> str:
    if source.status != "active":
        return "paused"
    if source.error_count:
        return "failing"
    if source.last_ok_at is None:
        return "new"
    if source.next_poll_at is not None and source.next_poll_at < now - timedelta(hours=1):
        return "late"
    return "ok"


@router.get("/admin/sources")
def admin_sources(request: Request):
    token = request.app.state.settings.admin_token
    if request.headers.get("authorization"):
        require_admin(request)  # 401/403 for a bad or disabled token
    elif not token:
        return _render(request, 403, sources=None, login=False, disabled=True)
    elif not valid_session(token, request.cookies.get(COOKIE)):
        return _render(request, 401, sources=None, login=True, failed=False)
    now = datetime.now(timezone.utc)
    rows = [(s, _health(s, now)) for s in sources_with_counts(request.app)]
    rows.sort(key=lambda r: ({"failing": 0, "late": 1, "new": 2, "ok": 3, "paused": 4}[r[1]], r[0].id))
    return _render(request, 200, sources=rows, login=False, now=now)


@router.post("/admin/login")
async def admin_login(request: Request):
    token = request.app.state.settings.admin_token
    if not token:
        return _render(request, 403, sources=None, login=False, disabled=True)
    body = (await request.body())[:4096].decode("utf-8", "replace")
    given = (parse_qs(body).get("token") or [""])[0]
    if not hmac.compare_digest(given.encode(), token.encode()):
        return _render(request, 401, sources=None, login=True, failed=True)
    response = RedirectResponse("/admin/sources", status_code=303)
    response.set_cookie(COOKIE, session_cookie(token), max_age=SESSION_SECONDS, path="/admin", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/admin/logout")
def admin_logout() -> Response:
    response = RedirectResponse("/admin/sources", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response
