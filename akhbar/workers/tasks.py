"""Celery tasks: dispatch due sources, poll a source, ingest an entry.

    dispatch_due (beat, every schedule_tick)
        claims due sources in the database (a lease: UPDATE .. WHERE the
        lease expired) and queues poll_source for each
    poll_source(source_id, lease)
        conditional GET of the feed, parse, skip what is stored, queue
        ingest_entry per new item, record the poll (adaptive interval,
        backoff on failure), release the lease
    ingest_entry(source_id, entry)
        fetch + extract the page, build_article (language, hashtags,
        section), save_article: ON CONFLICT on url_key / (source, guid), so
        a redelivered or concurrent copy stores nothing twice

    group_stories (beat, every group_tick, on the queue "<queue>.stories")
        files the stored, ungrouped articles under stories, oldest first,
        in the one process that holds the "stories" lock in the database
        (the story engine keeps a window of recent stories in memory, so
        grouping is a singleton; the lock's epoch tells a process whether
        someone else grouped since, and then it rebuilds its window)

A source's ETag/Last-Modified are stored only when its feed held nothing
new: while items are queued but not yet stored, the next poll reads the
whole feed again and re-queues what is still missing (a lost message
delays an article, never drops it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from dataclasses import asdict
from datetime import datetime, timezone

from sqlalchemy.exc import DBAPIError

from akhbar.config import Settings, load_settings
from akhbar.analysis import extract_fetched
from akhbar.crawl import FEED_ACCEPT, PAGE_ACCEPT, adaptive_interval, next_poll
from akhbar.feeds import FeedParseError, parse_feed, websub
from akhbar.fetching import FetchError, Fetcher
from akhbar.models import FeedEntry, Source
from akhbar.pipeline import build_article, url_key
from akhbar.storage import PollResult, Storage, open_storage
from akhbar.workers.app import app
from akhbar.workers.metrics import ARTICLES_STORED, FETCH_FAILURES, FETCHES, TASK_SECONDS

log = logging.getLogger(__name__)

RETRY_BASE = 2.0  # seconds before the first retry when the database is away
RETRY_MAX = 60.0


class _Runtime:
    """Per-process state: settings, storage, an event loop and a Fetcher.
    Rebuilt after a fork (prefork children never share connections)."""

    def __init__(self) -> None:
        self.pid: int | None = None

    def ensure(self) -> "_Runtime":
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.settings: Settings = load_settings()
            self.storage: Storage = open_storage(self.settings.database_url, migrate=False)
            self.loop = asyncio.new_event_loop()
            self.fetcher = Fetcher(self.settings)
        return self

    def run(self, coro):
        return self.loop.run_until_complete(coro)


_rt = _Runtime()


def runtime() -> _Runtime:
    return _rt.ensure()


def entry_to_dict(entry: FeedEntry) -> dict:
    d = asdict(entry)
    if entry.published is not None:
        d["published"] = entry.published.isoformat()
    return d


def entry_from_dict(d: dict) -> FeedEntry:
    d = dict(d)
    if d.get("published"):
        d["published"] = datetime.fromisoformat(d["published"])
    return FeedEntry(**d)


def _retry_delay(retries: int) -> float:
    return min(RETRY_BASE * 2 ** retries, RETRY_MAX)


# -- the schedule -----------------------------------------------------------

def dispatch(storage: Storage, settings: Settings, *, limit: int = 500) -> list[int]:
    """Claim the due sources and queue a poll for each; return their ids."""
    token = uuid.uuid4().hex
    claimed = storage.claim_due_sources(token, settings.lease_seconds, limit=limit)
    sent = []
    for src in claimed:
        try:
            poll_source.apply_async((src.id,), {"lease": token}, queue=settings.queue)
            sent.append(src.id)
        except Exception:
            storage.release_source_lease(src.id, token)  # the next tick tries again
            raise
    return sent


@app.task(name="akhbar.dispatch_due", acks_late=False)
def dispatch_due(limit: int = 500) -> int:
    rt = runtime()
    return len(dispatch(rt.storage, rt.settings, limit=limit))


# -- one source -------------------------------------------------------------

async def _fetch_feed(rt: _Runtime, source: Source):
    FETCHES.labels("feed").inc()
    result = await rt.fetcher.fetch(source.url, etag=source.etag, last_modified=source.last_modified,
                                    accept=FEED_ACCEPT)
    if result.not_modified:
        return result, None
    feed = await asyncio.to_thread(parse_feed, result.body, result.url, result.content_type)
    return result, feed


@app.task(bind=True, name="akhbar.poll_source", max_retries=None)
def poll_source(self, source_id: int, lease: str | None = None, force: bool = False) -> dict:
    """Poll one source under its lease. Returns what happened (for logs/tests)."""
    rt = runtime()
    st, settings = rt.storage, rt.settings
    holder = lease or self.request.id or uuid.uuid4().hex
    started = time.monotonic()
    try:
        if not st.acquire_source_lease(source_id, holder, settings.lease_seconds):
            return {"source": source_id, "skipped": "leased"}
        try:
            return _poll(rt, source_id, force)
        finally:
            st.release_source_lease(source_id, holder)
    except DBAPIError as exc:  # the database is away: try again later
        log.warning("poll of source %s: database unavailable (%s); retrying", source_id, type(exc).__name__)
        raise self.retry(exc=exc, countdown=_retry_delay(self.request.retries))
    finally:
        TASK_SECONDS.labels("poll_source").observe(time.monotonic() - started)


def _poll(rt: _Runtime, source_id: int, force: bool) -> dict:
    st, settings = rt.storage, rt.settings
    source = st.get_source(source_id)
    if source is None or source.status != "active":
        return {"source": source_id, "skipped": "gone"}
    now = datetime.now(timezone.utc)
    if not force and source.next_poll_at is not None and source.next_poll_at > now:
        return {"source": source_id, "skipped": "not due"}  # a redelivered poll that already ran
    try:
        result, feed = rt.run(_fetch_feed(rt, source))
    except (FetchError, FeedParseError) as exc:
        FETCH_FAILURES.labels("feed").inc()
        reason = exc.reason if isinstance(exc, FetchError) else str(exc)
        status = getattr(exc, "status", None)
        log.warning("source %s (%s) failed: %s", source.name, source.url, reason)
        st.record_poll(source.id, PollResult(
            ok=False, status=status, error=reason,
            next_poll_at=next_poll(settings, source.error_count + 1, getattr(exc, "retry_after", None))))
        return {"source": source_id, "error": reason}
    fresh: list[FeedEntry] = []
    if feed is not None:
        keys = {url_key(e.url): e for e in feed.entries}
        known = st.known_articles(source.id, list(keys), [e.guid for e in feed.entries if e.guid])
        fresh = [e for k, e in keys.items() if k not in known and (not e.guid or e.guid not in known)]
        for entry in fresh:
            ingest_entry.apply_async((source.id, entry_to_dict(entry)), queue=settings.queue)
    # WebSub: subscribe when the feed names a hub, renew a lease about to end; polled less while pushed
    interval = rt.run(websub.after_poll(st, settings, rt.fetcher, source, feed, result))
    if interval is None and settings.poll_adaptive:
        interval = adaptive_interval(settings, st.recent_published(source.id))
    st.record_poll(source.id, PollResult(
        ok=True, status=result.status,
        # validators only once everything the feed lists is stored (see module doc)
        etag=None if fresh else result.etag,
        last_modified=None if fresh else result.last_modified,
        next_poll_at=next_poll(settings, 0, interval=interval)))
    return {"source": source_id, "status": result.status, "queued": len(fresh)}


# -- one article ------------------------------------------------------------

async def _fetch_page(rt: _Runtime, entry: FeedEntry):
    FETCHES.labels("page").inc()
    try:
        res = await rt.fetcher.fetch(entry.url, accept=PAGE_ACCEPT)
        return await asyncio.to_thread(extract_fetched, res)
    except FetchError as exc:
        FETCH_FAILURES.labels("page").inc()
        log.info("page %s not fetched (%s); using the feed's text", entry.url, exc.reason)
        return None


def ingest(rt: _Runtime, source_id: int, entry: FeedEntry) -> tuple[int | None, bool]:
    """Fetch + extract, analyse (build_article) and store one entry:
    (article id, created). Idempotent."""
    st = rt.storage
    source = st.get_source(source_id)
    if source is None:
        return None, False
    if st.known_articles(source_id, [url_key(entry.url)], [entry.guid] if entry.guid else []):
        return None, False  # stored already (a redelivery, or another worker's copy)
    page = rt.run(_fetch_page(rt, entry)) if rt.settings.fetch_pages else None
    article = build_article(entry, page, source, datetime.now(timezone.utc))
    art_id, created = st.save_article(article)
    if created:
        ARTICLES_STORED.inc()
    return art_id, created


@app.task(bind=True, name="akhbar.ingest_entry", max_retries=30)
def ingest_entry(self, source_id: int, entry: dict) -> dict:
    rt = runtime()
    started = time.monotonic()
    item = entry_from_dict(entry)
    try:
        art_id, created = ingest(rt, source_id, item)
        return {"article": art_id, "created": created}
    except DBAPIError as exc:
        log.warning("item %s: database unavailable (%s); retrying", item.url, type(exc).__name__)
        raise self.retry(exc=exc, countdown=_retry_delay(self.request.retries))
    except Exception as exc:  # a bad item is logged and dropped, as in the crawl
        log.warning("item %s from source %s failed: %s: %s", item.url, source_id, type(exc).__name__, exc)
        return {"article": None, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        TASK_SECONDS.labels("ingest_entry").observe(time.monotonic() - started)



# -- stories: one grouping consumer -------------------------------------------

STORIES_LOCK = "stories"


class _Grouping:
    """This process's story grouper and the lock epoch its window belongs to."""

    def __init__(self) -> None:
        self.pid: int | None = None

    def ensure(self) -> "_Grouping":
        if self.pid != os.getpid():
            self.pid, self.holder, self.epoch, self.grouper = os.getpid(), uuid.uuid4().hex, None, None
        return self


_grouping = _Grouping()


def group_pending(rt: _Runtime, *, limit: int | None = None) -> dict:
    """File the ungrouped articles if this process gets the stories lock."""
    from akhbar.grouping import StoryGrouper

    g = _grouping.ensure()
    st, lease = rt.storage, rt.settings.lease_seconds
    epoch = st.acquire_lock(STORIES_LOCK, g.holder, lease)
    if epoch is None:
        return {"skipped": "another process groups"}
    if g.grouper is None or epoch != g.epoch:
        # first run, or someone else held the lock since: our window is stale
        g.grouper, g.epoch = StoryGrouper(st), epoch
    lost = False

    def renew() -> bool:  # before each batch: never group without the lock
        nonlocal lost
        lost = st.acquire_lock(STORIES_LOCK, g.holder, lease) != g.epoch
        return not lost

    n = g.grouper.catch_up(limit=limit, before_batch=renew)
    if lost:
        g.grouper = None  # the window may have diverged; rebuild next time
        log.warning("stories: lost the grouping lock after %d articles", n)
    return {"grouped": n}


@app.task(bind=True, name="akhbar.group_stories", acks_late=False, max_retries=None)
def group_stories(self, limit: int | None = None) -> dict:
    rt = runtime()
    started = time.monotonic()
    try:
        return group_pending(rt, limit=limit)
    except DBAPIError as exc:
        log.warning("grouping: database unavailable (%s); the next tick retries", type(exc).__name__)
        _grouping.grouper = None  # a half-stored batch: rebuild the window from what was stored
        return {"error": type(exc).__name__}
    finally:
        TASK_SECONDS.labels("group_stories").observe(time.monotonic() - started)
