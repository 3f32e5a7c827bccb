"""Run the CPU-bound stage of ingest off the event loop.

Extraction (trafilatura) and ``build_article`` (language, entities,
hashtags, section) are pure Python and hold the GIL: in one process they
serialise the whole crawl and stall the web server that ``akhbar run``
hosts beside it. So the crawl hands them to a pool of
``AKHBAR_ANALYSIS_PROCESSES`` worker processes (default: the CPU count, at
most 4), shared by every Crawler of the process; 0 keeps them in a thread
of this process. The result is the same either way: both run
``analyse_item`` on the same inputs.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from akhbar.extraction import extract_page
from akhbar.fetching import FetchResult
from akhbar.models import Article, FeedEntry, Source
from akhbar.pipeline import build_article

log = logging.getLogger(__name__)


def extract_fetched(page: FetchResult):
    """The article in a fetched page (decoded by its charset)."""
    return extract_page(page.text(), page.url)


def analyse_item(entry: FeedEntry, page: FetchResult | None, source: Source, now: datetime) -> Article:
    """Extract the fetched page (if any) and build the article."""
    return build_article(entry, extract_fetched(page) if page is not None else None, source, now)


def _warm() -> None:
    # load the models (NER, spaCy, section classifier) once per process, not in the first article's time
    from datetime import timezone

    try:
        analyse_item(FeedEntry(url="https://warm.invalid/", title="خبر عن الجزائر وتونس",
                               summary="قال الرئيس في باريس إن الاقتصاد ينمو."), None,
                     Source(url="https://warm.invalid/feed", name="warm"), datetime.now(timezone.utc))
    except Exception:  # a warm-up must never stop the pool
        log.debug("analysis warm-up failed", exc_info=True)


class AnalysisPool:
    """A lazily started process pool (or none, for *processes* = 0)."""

    def __init__(self, processes: int):
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver: children never inherit the parent's threads and
                # locks (the event loop, uvicorn, SQLite connections)
                ctx = multiprocessing.get_context("forkserver")
                self._pool = ProcessPoolExecutor(self.processes, mp_context=ctx, initializer=_warm)
            return self._pool

    async def analyse(self, entry: FeedEntry, page: FetchResult | None, source: Source, now: datetime) -> Article:
        if self.processes <= 0:
            return await asyncio.to_thread(analyse_item, entry, page, source, now)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), analyse_item, entry, page, source, now)
        except BrokenProcessPool:
            # a child died (OOM killer, a signal): start a new pool next
            # time and do this item here rather than lose it
            log.warning("analysis pool broke; restarting it (item %s done in-process)", entry.url)
            self.shutdown()
            return await asyncio.to_thread(analyse_item, entry, page, source, now)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_pools: dict[int, AnalysisPool] = {}
_pools_lock = threading.Lock()


def default_processes() -> int:
    return min(os.cpu_count() or 1, 4)


def pool_for(processes: int) -> AnalysisPool:
    """The process-wide pool of that size (one per size, started on first use)."""
    with _pools_lock:
        if processes not in _pools:
            _pools[processes] = AnalysisPool(processes)
        return _pools[processes]
