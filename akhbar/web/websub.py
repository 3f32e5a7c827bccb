"""The WebSub callback: GET and POST /websub/{token} (akhbar.feeds.websub).

Included by akhbar.web.app (one include_router line). GET is the hub's
verification of intent; POST is content distribution: the body is read up
to AKHBAR_MAX_BYTES (413 past it), its signature checked, and the new
entries are ingested after the answer (hubs want a quick 2xx): queued for
the workers when a broker is configured, else stored by this process, by
the crawler of `akhbar run` when there is one.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from akhbar.feeds import websub

log = logging.getLogger(__name__)

MAX_TOKEN = 64
NO_STORE = {"Cache-Control": "no-store"}


@asynccontextmanager
async def lifespan(app):
    yield
    fetcher = getattr(app.state, "websub_fetcher", None)
    if fetcher is not None:
        app.state.websub_fetcher = None
        await fetcher.aclose()


router = APIRouter(lifespan=lifespan, include_in_schema=False)


def _answer(status: int, body: str = "") -> PlainTextResponse:
    # text/plain (with nosniff from the app's headers): an echoed challenge can never run as a page
    return PlainTextResponse(body, status_code=status, headers=NO_STORE)


@router.get("/websub/{token}")
def verify(request: Request, token: str) -> PlainTextResponse:
    """The hub's verification of intent: the challenge echoed, or 404."""
    if len(token) > MAX_TOKEN:
        return _answer(404)
    status, body = websub.verify_intent(request.app.state.storage, token, request.query_params)
    return _answer(status, body)


async def _read_bounded(request: Request, cap: int) -> bytes | None:
    """The request body, or None once it passes *cap* bytes (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return None
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/websub/{token}")
async def distribute(request: Request, token: str) -> PlainTextResponse:
    """Content distribution: 202 once received (signature and feed checked,
    ingestion after the answer); 410 for a subscription we do not hold."""
    app = request.app
    store, settings = app.state.storage, app.state.settings
    if len(token) > MAX_TOKEN or await run_in_threadpool(store.websub_by_token, token) is None:
        return _answer(410)  # before reading a byte of the body
    if request.headers.get("content-encoding", "identity").strip().lower() != "identity":
        return _answer(415, "Content-Encoding is not supported")
    body = await _read_bounded(request, settings.max_bytes)
    if body is None:
        log.warning("websub: push to %s… refused: larger than %d bytes", token[:6], settings.max_bytes)
        return _answer(413, f"larger than {settings.max_bytes} bytes")
    push = await run_in_threadpool(websub.accept_push, store, token, body, request.headers.get("content-type"),
                                   request.headers.get("x-hub-signature"))
    task = None
    if push.feed is not None and push.feed.entries:
        task = BackgroundTask(_ingest, app, push.source, push.feed.entries)
    # the reason stays in our logs: a prober learns nothing from the answer
    return PlainTextResponse("", status_code=push.status, headers=NO_STORE, background=task)


async def _ingest(app, source, entries) -> None:
    settings = app.state.settings
    try:
        if settings.broker_url:
            await websub.ingest_pushed(app.state.storage, settings, source, entries)
            return
        # `akhbar run` shares its crawler (one story engine per process); a web-only
        # process stores without grouping: the crawl process groups what it finds
        crawler = getattr(app.state, "crawler", None)
        if crawler is None:
            crawler = getattr(app.state, "websub_crawler", None)
            if crawler is None:
                from akhbar.crawl import Crawler

                crawler = app.state.websub_crawler = Crawler(app.state.storage, replace(settings, stories=False))
        fetcher = getattr(app.state, "websub_fetcher", None)
        if fetcher is None:
            from akhbar.fetching import Fetcher

            fetcher = app.state.websub_fetcher = Fetcher(settings)
        await websub.ingest_pushed(app.state.storage, settings, source, entries, crawler=crawler, fetcher=fetcher)
    except asyncio.CancelledError:
        raise
    except Exception:  # the safety-net poll picks up what a failed push left
        log.exception("websub: ingesting a push for source %s failed", source.id)
