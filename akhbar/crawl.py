"""The crawl: poll sources, fetch new articles' pages, store them.

This is the I/O edge around the pure stages: fetching -> feeds.parse_feed
-> extraction.extract_page -> pipeline.build_article -> storage. One bad
source or item is logged with its reason and never stops the rest.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from akhbar.config import Settings
from akhbar.feeds import FeedParseError, parse_feed, websub
from akhbar.fetching import FetchError, Fetcher
from akhbar.analysis import pool_for
from akhbar.grouping import StoryGrouper
from akhbar.models import FeedEntry, Source
from akhbar.pipeline import url_key
from akhbar.storage import PollResult, Storage

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_BACKOFF = timedelta(days=1)
MAX_RETRY_AFTER = timedelta(days=7)  # a server may ask for a week's rest, not for centuries
# Article pages of one poll may take this many fetch deadlines in all (5 min by
# default); past it the remaining items keep their feed text: a feed of 2,000
# dripping pages cannot hold the crawl round for hours.
POLL_PAGE_BUDGET = 5


@dataclass
class SourceReport:
    source_id: int
    name: str
    ok: bool = False
    status: int | None = None
    entries: int = 0
    new: int = 0
    failed_items: int = 0
    error: str | None = None


@dataclass
class CrawlReport:
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [r for r in self.sources if not r.ok]


def next_poll(settings: Settings, error_count: int, retry_after: float | None = None,
              interval: float | None = None) -> datetime:
    """When to poll again: the interval when healthy (*interval*, e.g. the
    source's adaptive one, else settings.poll_interval), exponential backoff
    (capped at a day) after failures, never sooner than Retry-After."""
    now = datetime.now(timezone.utc)
    delay = timedelta(seconds=interval or settings.poll_interval)
    if error_count:
        delay = min(delay * (2 ** min(error_count, 10)), MAX_BACKOFF)
    if retry_after:
        # a hostile Retry-After (1e400 s, year 9999) must neither crash the crawl nor park the source forever
        delay = max(delay, timedelta(seconds=min(retry_after, MAX_RETRY_AFTER.total_seconds())))
    return now + delay


def adaptive_interval(settings: Settings, published: list[datetime]) -> float:
    """Seconds between polls of a healthy source: the median gap between its
    recent articles' publication times, clamped to [poll_min_interval,
    poll_max_interval]; settings.poll_interval with fewer than 3 articles."""
    times = sorted({p for p in published if p is not None})
    if not settings.poll_adaptive or len(times) < 3:
        return settings.poll_interval
    gaps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:]))
    mid = len(gaps) // 2
    median = gaps[mid] if len(gaps) % 2 else (gaps[mid - 1] + gaps[mid]) / 2
    return min(max(median, settings.poll_min_interval), settings.poll_max_interval)


class Crawler:
    def __init__(self, storage: Storage, settings: Settings, *, fetcher: Fetcher | None = None):
        self.storage = storage
        self.settings = settings
        self._fetcher = fetcher
        self._page_slots = asyncio.Semaphore(settings.concurrency)
        self.grouper = StoryGrouper(storage) if settings.stories else None
        self._analysis = pool_for(settings.analysis_processes)

    async def crawl_once(
        self,
        sources: list[Source] | None = None,
        *,
        due_only: bool = False,
        on_source: Callable[[SourceReport], None] | None = None,
    ) -> CrawlReport:
        """Poll every active source once (or only those due) concurrently."""
        if sources is None:
            sources = await asyncio.to_thread(self.storage.list_sources, "active")
        sources = [s for s in sources if s.url.startswith(("http://", "https://"))]
        if due_only:
            now = datetime.now(timezone.utc)
            sources = [s for s in sources if s.next_poll_at is None or s.next_poll_at <= now]
        own = self._fetcher is None
        fetcher = self._fetcher or Fetcher(self.settings)
        report = CrawlReport()
        try:
            async def one(src: Source) -> None:
                rep = await self.poll_source(src, fetcher)
                report.sources.append(rep)
                if on_source:
                    on_source(rep)

            await asyncio.gather(*(one(s) for s in sources))
        finally:
            if own:
                await fetcher.aclose()
        if self.grouper is not None:
            # after the round, oldest first and batched: the same order (and
            # so the same stories) whatever order the pages came back in; it
            # also files what WebSub pushes and crashes left ungrouped (one
            # indexed query when there is nothing)
            try:
                await asyncio.to_thread(self.grouper.catch_up)
            except Exception:  # the articles stay stored; the next round retries
                log.exception("stories: grouping failed; the articles stay ungrouped until the next round")
        return report

    async def poll_source(self, source: Source, fetcher: Fetcher) -> SourceReport:
        rep = SourceReport(source.id, source.name)
        try:
            result = await fetcher.fetch(
                source.url, etag=source.etag, last_modified=source.last_modified, accept=FEED_ACCEPT
            )
            rep.status = result.status
            if result.not_modified:
                rep.ok = True
                push = await websub.after_poll(self.storage, self.settings, fetcher, source, None, result)
                await self._record(source, PollResult(ok=True, status=304), push)
                return rep
            feed = await asyncio.to_thread(parse_feed, result.body, result.url, result.content_type)
        except FetchError as exc:
            return await self._fail(source, rep, exc.reason, exc.status, exc.retry_after)
        except FeedParseError as exc:
            return await self._fail(source, rep, str(exc), rep.status)
        except Exception as exc:  # never let one source take the crawl down
            log.exception("unexpected failure polling %s", source.url)
            return await self._fail(source, rep, f"{type(exc).__name__}: {exc}", rep.status)

        if feed.bozo:
            log.info("source %s: malformed feed, kept what was readable (%s)", source.url, feed.bozo)
        rep.entries = len(feed.entries)
        rep.new, rep.failed_items = await self.ingest_entries(source, feed.entries, fetcher)
        rep.ok = True
        # WebSub: subscribe when the feed names a hub, renew a lease about to end
        push = await websub.after_poll(self.storage, self.settings, fetcher, source, feed, result)
        # Validators are stored only after every item is in: a crash before
        # this point means the next poll re-reads the feed and resumes.
        await self._record(
            source,
            PollResult(ok=True, status=result.status, etag=result.etag, last_modified=result.last_modified),
            push,
        )
        return rep

    async def ingest_entries(self, source: Source, entries: list[FeedEntry], fetcher: Fetcher) -> tuple[int, int]:
        """Store the entries not stored yet, their pages fetched within one
        poll's page budget: (new, failed). A poll's feed and a WebSub push
        both come through here."""
        keys = {url_key(e.url): e for e in entries}
        known = await asyncio.to_thread(
            self.storage.known_articles, source.id, list(keys), [e.guid for e in entries if e.guid]
        )
        fresh = [e for k, e in keys.items() if k not in known and (not e.guid or e.guid not in known)]
        budget_end = asyncio.get_running_loop().time() + POLL_PAGE_BUDGET * self.settings.fetch_deadline
        outcomes = await asyncio.gather(*(self._ingest(source, e, fetcher, budget_end) for e in fresh))
        return sum(1 for o in outcomes if o is True), sum(1 for o in outcomes if o is None)

    async def _ingest(self, source: Source, entry: FeedEntry, fetcher: Fetcher,
                      budget_end: float | None = None) -> bool | None:
        """Fetch, extract, build and store one item. True if new, False if
        already stored, None on failure (logged)."""
        try:
            res = None
            if self.settings.fetch_pages:
                async with self._page_slots:
                    try:
                        left = None if budget_end is None else budget_end - asyncio.get_running_loop().time()
                        if left is not None and left <= 0:
                            raise FetchError("the poll's page budget is spent")
                        try:
                            async with asyncio.timeout(left):
                                res = await fetcher.fetch(entry.url, accept=PAGE_ACCEPT)
                        except TimeoutError:
                            raise FetchError("the poll's page budget is spent") from None
                    except FetchError as exc:
                        log.info("page %s not fetched (%s); using the feed's text", entry.url, exc.reason)
                    # extraction + analysis: CPU-bound, off the event loop (akhbar.analysis)
                    article = await self._analysis.analyse(entry, res, source, datetime.now(timezone.utc))
            else:
                article = await self._analysis.analyse(entry, None, source, datetime.now(timezone.utc))
            _id, created = await asyncio.to_thread(self.storage.save_article, article)
            return created
        except Exception as exc:
            log.warning("item %s from source %s failed: %s: %s", entry.url, source.name, type(exc).__name__, exc)
            return None

    async def _fail(self, source, rep, reason, status=None, retry_after=None) -> SourceReport:
        rep.ok, rep.error, rep.status = False, reason, status
        log.warning("source %s (%s) failed: %s", source.name, source.url, reason)
        await self._record(
            source,
            PollResult(ok=False, status=status, error=reason,
                       next_poll_at=next_poll(self.settings, source.error_count + 1, retry_after)),
        )
        return rep

    async def _record(self, source: Source, result: PollResult, interval: float | None = None) -> None:
        """Store the poll's outcome; a healthy source is polled again after
        *interval* (while WebSub pushes arrive) or its adaptive interval."""
        await asyncio.to_thread(self._record_sync, source, result, interval)

    def _record_sync(self, source: Source, result: PollResult, interval: float | None) -> None:
        # one thread hop for both storage calls (a poll answered 304 makes no others)
        if result.ok:
            if interval is None and self.settings.poll_adaptive:
                interval = adaptive_interval(self.settings, self.storage.recent_published(source.id))
            result.next_poll_at = next_poll(self.settings, 0, interval=interval)
        self.storage.record_poll(source.id, result)

    async def run_forever(self, *, tick: float = 30.0, stop: asyncio.Event | None = None) -> None:
        """Poll sources as they fall due until *stop* is set."""
        stop = stop or asyncio.Event()
        fetcher = Fetcher(self.settings)
        self._fetcher = fetcher
        try:
            while not stop.is_set():
                try:
                    report = await self.crawl_once(due_only=True)
                    if report.sources:
                        log.info("crawl: %d sources, %d new articles, %d failed",
                                 len(report.sources), report.new, len(report.failed))
                except Exception:
                    log.exception("crawl round failed; retrying next tick")
                try:
                    await asyncio.wait_for(stop.wait(), timeout=tick)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._fetcher = None
            await fetcher.aclose()
