"""Rendered pages and API answers, kept until the content changes.

A cache entry is a whole response (status, headers, body) of a GET, keyed
by everything the response depends on: scheme, Host and root path (pages
write absolute URLs), path, raw query string (links are built from it, in
its order) and, for pages, the interface-language cookie (it picks the
language and decides whether the response sets the cookie). Only the paths
in CACHED are cached, and only a complete 200 answer without Set-Cookie
and not marked no-store or private; a request carrying Authorization is
never answered from the cache. Pages that read anything else are not in
CACHED: the admin pages, /for-you, and /sources, /source/<id> and
/sitemap.xml, which show when each source was last polled.

An entry is valid while `Storage.content_version()` is the one it was
rendered under, and for at most MAX_AGE seconds (home, search and trending
also depend on the clock: time windows, recency). The version comes from
the database, so a write by any process (crawler, workers, CLI) counts.

Staleness bound: the version is re-read at most every CHECK_EVERY seconds
per process, and at once after a write committed through this process's
own Storage (unless those re-checks already took CHECK_BUDGET of the last
CHECK_EVERY, as on a large store written to all the time: then within
CHECK_EVERY). A change committed at time t is shown by
every request that starts after t + CHECK_EVERY (plus one version query);
clock-dependent lists lag the clock by at most MAX_AGE; the home page's
trending and popular hashtags (counts over days, recomputed at most once a
minute and every 30 s: PageCache.every) lag the content by that much more.
A request that arrives while its page is being rendered anew may get the
newest rendering there is instead: each bound above grows by at most two
renders (the one under way may have started before the change; the next
one shows it).

Hits are answered by an ASGI middleware before routing: inside the
security headers, CORS and the rate limit (a hit still spends a token),
outside the API's ETag layer (an entry keeps its ETag: a hit with a
matching If-None-Match gets 304). The route is put back in the scope so the
request histogram keeps its route label. One request at a time renders a
page; the others that come meanwhile get the newest rendering of that page
there is, whatever content version it was rendered under, if it is at most
2 x MAX_AGE old (an entry that only outlived MAX_AGE, or one of an earlier
version), and only wait for the render when there is none. A render that
finishes under a version the cache has since moved past is not kept as
current, but it is the newest rendering there is: it answers the requests
that waited for it and those arriving while the page is rendered again.
Keeping only the previous version's renderings was not enough: on a slow
machine a render of the home page at a million articles (0.1-0.3 s, more
under load) can outlast the gap between two stored articles, so the
version before had never been rendered, every request waited, and all of
them then rendered the page at once (p99 about 2 s at one article a second).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import anyio.to_thread
from prometheus_client import Counter
from starlette.requests import cookie_parser

from akhbar.web.caching import etag_matches, not_modified_headers
from akhbar.web.i18n import COOKIE, UI_LANGS

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds between two reads of the content version, per process
CHECK_BUDGET = 0.2  # s of version checks per CHECK_EVERY that writes by this process may cause
MAX_AGE = 60.0  # seconds an entry lives at most (clock-dependent lists)
MAX_ENTRIES = 4096
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024  # larger answers are served, not kept

# Paths whose answer depends only on the key and the stored content.
CACHED = re.compile(
    r"^/(?:$|tag/|story/|article/|section/|search$|about$|source/\d+/feed\.(?:atom|rss|json)$"
    r"|api/v1/(?:articles|tags/|stories|sections|search$|sources/\d+/articles$))"
)

LOOKUPS = Counter("akhbar_page_cache_lookups_total", "Page cache lookups", ["result"])
_HIT, _MISS = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")


@dataclass
class Entry:
    status: int
    headers: list  # raw (name, value) pairs as the app sent them, before outer middlewares
    body: bytes
    route: object  # scope["route"]: the metrics label of a hit
    version: object
    at: float

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class ContentVersion:
    """Storage.content_version(), memoized: re-read when older than *every*
    seconds, or when this process committed a write (within *budget*)."""

    def __init__(self, storage, every: float = CHECK_EVERY, budget: float = CHECK_BUDGET, clock=time.monotonic):
        self.storage, self.every, self.budget, self.clock = storage, every, budget, clock
        self.value = None
        self.checked = float("-inf")
        self.spent = 0.0  # seconds spent checking, decaying by half every *every* seconds
        self.local = None
        self._lock = threading.Lock()
        self._reading = False  # a current() read is under way (event loop only)

    def stale(self) -> bool:
        age = self.clock() - self.checked
        if age >= self.every:
            return True
        if self.storage.local_writes() != self.local:
            # our own write: show it on the next request, unless re-checking
            # already costs too much (a big store under constant writes)
            return self.spent * 0.5 ** (age / self.every) < self.budget
        return False

    def get(self):
        """The current version (None: unknown, cache nothing). Blocking: call
        from a thread, or use `current` on the event loop."""
        if not self.stale():
            return self.value
        with self._lock:
            if not self.stale():
                return self.value
            local = self.storage.local_writes()  # before reading: a later write re-triggers
            start = time.perf_counter()
            try:
                value = self.storage.content_version()
            except Exception as exc:
                if self.value is not None or self.checked == float("-inf"):  # once per outage, not per check
                    log.warning("content version unavailable, pages are not cached: %s: %s", type(exc).__name__, exc)
                value = None
            now = self.clock()
            decay = 0.5 ** ((now - self.checked) / self.every) if self.checked > float("-inf") else 0.0
            self.spent = self.spent * decay + time.perf_counter() - start
            self.value, self.local, self.checked = value, local, now
            return value

    async def current(self):
        if not self.stale():
            return self.value
        if self._reading and self.checked > float("-inf"):
            # another request is reading it: go on with the value we have
            # (one read older) instead of every request queueing a thread
            # behind that read the moment the check falls due
            return self.value
        self._reading = True
        try:
            return await anyio.to_thread.run_sync(self.get)
        finally:
            self._reading = False


class PageCache:
    """Bounded LRU of responses (by entries and bytes) and of computed
    values, both dropped when the content version moves."""

    def __init__(self, storage, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES,
                 max_age: float = MAX_AGE, check_every: float = CHECK_EVERY, clock=time.monotonic):
        self.version = ContentVersion(storage, every=check_every, clock=clock)
        self.max_entries, self.max_bytes, self.max_age, self.clock = max_entries, max_bytes, max_age, clock
        self.bytes = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()  # the current version's
        # the newest rendering of each page under any version (the current
        # entries too), bounded like the entries: answers only for requests
        # that arrive while their page is rendered anew (get(stale_ok))
        self._latest: OrderedDict[tuple, Entry] = OrderedDict()
        self._latest_bytes = 0
        # the entries of the version before the current one: answers for
        # requests that read that version (they raced a change, or the
        # content went back to it: an alias set then unset)
        self._previous: dict[tuple, Entry] = {}
        self._previous_version = None
        self._values: dict[tuple, tuple] = {}  # key -> (version, at, value)
        self._periodic: dict[tuple, tuple] = {}  # key -> (at, value): every(), whatever the version
        self._computing: dict[tuple, threading.Lock] = {}  # memo keys: a few fixed names
        self._seen = None  # the version the entries belong to
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def _sync(self, version) -> bool:
        """Caller holds the lock: a new version drops the current entries at
        once (they become the previous ones; the newest renderings stay, for
        stale answers; at most 3 x max_bytes in all, mostly the same
        objects). False for a request that read the version just before the
        current one (it raced a change): nothing moves back for it."""
        if version == self._previous_version and version != self._seen:
            return False
        if version != self._seen:
            self._previous = self._entries if self._seen is not None else {}
            self._previous_version = self._seen
            self._entries = OrderedDict()
            self._values.clear()
            self.bytes = 0
            self._seen = version
        return True

    def get(self, key: tuple, version, *, stale_ok: bool = False) -> Entry | None:
        """The entry of *key* rendered under *version*, if younger than
        max_age; with *stale_ok*, else the newest rendering of *key* under
        any version, if younger than twice max_age (kept for that: see
        PageCacheMiddleware)."""
        with self._lock:
            now = self.clock()
            if not self._sync(version):  # its own version's entries are the previous ones
                entry = self._previous.get(key)
                if entry is not None and now - entry.at <= self.max_age:
                    return entry
            else:
                entry = self._entries.get(key)
                if entry is not None:
                    if now - entry.at <= self.max_age:
                        self._entries.move_to_end(key)
                        return entry
                    self._drop(key)  # (still the newest rendering, if it is)
            if stale_ok:
                entry = self._latest.get(key)
                if entry is not None:
                    if now - entry.at <= 2 * self.max_age:
                        return entry
                    self._forget(key)
            return None

    def put(self, key: tuple, entry: Entry) -> bool:
        """Keep *entry* as the newest rendering of *key* (unless a newer one
        is kept) and, if rendered under the current version, as its entry.
        True when it became the current entry."""
        size = entry.size
        if size > MAX_ENTRY_BYTES or size > self.max_bytes:
            return False
        with self._lock:
            newest = self._latest.get(key)
            if newest is None or newest.at <= entry.at:
                if newest is not None:
                    self._forget(key)
                self._latest[key] = entry
                self._latest_bytes += size
                while len(self._latest) > self.max_entries or self._latest_bytes > self.max_bytes:
                    self._forget(next(iter(self._latest)))
            if self._seen is not None and entry.version != self._seen:
                # rendered under a version the cache has moved past (a slow
                # render): keeping it as current would drop the newer entries
                return False
            self._sync(entry.version)
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return True

    def _drop(self, key) -> None:
        self.bytes -= self._entries.pop(key).size

    def _forget(self, key) -> None:
        self._latest_bytes -= self._latest.pop(key).size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._latest.clear()
            self._previous, self._previous_version = {}, None
            self._values.clear()
            self._periodic.clear()
            self.bytes = self._latest_bytes = 0

    def memo(self, key: tuple, compute, max_age: float | None = None):
        """compute(), reused while the content version holds and for at most
        *max_age* seconds (MAX_AGE by default). Blocking (reads the version)."""
        version = self.version.get()
        if version is None:
            return compute()
        limit = self.max_age if max_age is None else max_age
        with self._lock:
            self._sync(version)
            hit = self._values.get(key)
            key_lock = self._computing.setdefault(key, threading.Lock())
        if hit is not None and self.clock() - hit[1] <= limit:
            return hit[2]
        with key_lock:  # concurrent requests compute it once
            with self._lock:
                hit = self._values.get(key) if self._seen == version else None
            if hit is not None and self.clock() - hit[1] <= limit:
                return hit[2]
            at = self.clock()
            value = compute()
            with self._lock:
                if self._seen == version:
                    self._values[key] = (version, at, value)
        return value

    def every(self, key: tuple, compute, ttl: float):
        """compute(), at most once per *ttl* seconds whatever the content
        version: for aggregates over days that one more article barely moves
        (trending and popular hashtags), which would otherwise be recomputed
        after every stored article. One caller recomputes when the value is
        due, the others get the value before meanwhile; only the very first
        call waits. Blocking."""
        with self._lock:
            hit = self._periodic.get(key)
            key_lock = self._computing.setdefault(("every",) + key, threading.Lock())
        if hit is not None and self.clock() - hit[0] <= ttl:
            return hit[1]
        if not key_lock.acquire(blocking=hit is None):
            return hit[1]
        try:
            with self._lock:
                hit = self._periodic.get(key)
            if hit is not None and self.clock() - hit[0] <= ttl:
                return hit[1]
            at = self.clock()
            value = compute()
            with self._lock:
                self._periodic[key] = (at, value)
            return value
        finally:
            key_lock.release()


def sources_with_counts(app) -> list:
    """Every source with its article count. The counts read the whole
    articles index (40-100 ms at a million articles), so they are kept while
    the content version holds (PageCache.memo); the sources themselves
    (status, last poll, errors) are read each time."""
    store = app.state.storage
    counts = app.state.page_cache.memo(("article_counts",), store.article_counts)
    sources = store.list_sources(counts=False)
    for src in sources:
        src.article_count = counts.get(src.id, 0)
    return sources


def _header(scope, name: bytes) -> bytes | None:
    for k, v in scope["headers"]:
        if k == name:
            return v
    return None


def cache_key(scope) -> tuple | None:
    """What the response depends on, or None when it must not be cached."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root):]
    if not CACHED.match(path) or _header(scope, b"authorization") is not None:
        return None
    ui = None
    if not path.startswith("/api/"):
        raw = _header(scope, b"cookie")
        if raw:
            # parsed as Request.cookies parses it; an unknown value acts as
            # no cookie at all (choose_ui, render)
            value = cookie_parser(raw.decode("latin-1")).get(COOKIE)
            ui = value if value in UI_LANGS else None
    return (scope.get("scheme", "http"), _header(scope, b"host"), root, path, scope.get("query_string", b""), ui)


def _storable(status: int, headers: list) -> bool:
    if status != 200:
        return False
    for name, value in headers:
        name = name.lower()
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"no-store" in value.lower() or b"private" in value.lower()):
            return False
    return True


class PageCacheMiddleware:
    """ASGI: answer cached GETs before routing; keep what the app answers."""

    def __init__(self, app, cache: PageCache):
        self.app = app
        self.cache = cache
        self._inflight: dict[tuple, object] = {}  # key -> anyio.Event of the request rendering it

    async def __call__(self, scope, receive, send):
        key = cache_key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        version = await self.cache.version.current()
        if version is None:
            return await self.app(scope, receive, send)
        entry = self.cache.get(key, version)
        while entry is None and key in self._inflight:
            # the same page is being rendered: answer with the newest
            # rendering there is meanwhile, so a slow render (home at 1M
            # articles: 0.1-0.3 s) does not hold every client of that page;
            # with none, wait for the render and take what it made (even if
            # the version moved on meanwhile: rendering it again in every
            # waiting request at once is what would hold them all)
            entry = self.cache.get(key, version, stale_ok=True)
            if entry is None:
                await self._inflight[key].wait()
                entry = self.cache.get(key, version, stale_ok=True)
        if entry is not None:
            _HIT.inc()
            return await self._answer(scope, send, entry)
        _MISS.inc()
        leader = key not in self._inflight
        if leader:
            self._inflight[key] = anyio.Event()
        try:
            await self._render(scope, receive, send, key, version)
        finally:
            if leader:
                self._inflight.pop(key).set()

    async def _answer(self, scope, send, entry: Entry) -> None:
        if entry.route is not None:
            scope["route"] = entry.route
        headers = list(entry.headers)  # outer middlewares add to the list they get
        etag = next((v for k, v in headers if k == b"etag"), None)
        if etag is not None:
            wanted = _header(scope, b"if-none-match")
            if wanted is not None and etag_matches(wanted.decode("latin-1"), etag.decode("latin-1")):
                await send({"type": "http.response.start", "status": 304, "headers": not_modified_headers(headers)})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _render(self, scope, receive, send, key, version) -> None:
        # an entry's age counts from the start of its render: what it shows
        # was read from then on
        state = {"start": None, "chunks": [], "size": 0, "keep": True, "at": self.cache.clock()}

        async def capture(message):
            if state["keep"]:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    state["start"] = (message["status"], headers)
                    state["keep"] = _storable(message["status"], headers)
                elif message["type"] == "http.response.body":
                    body = message.get("body", b"")
                    state["size"] += len(body)
                    if state["size"] > MAX_ENTRY_BYTES:
                        state["keep"], state["chunks"] = False, []
                    else:
                        state["chunks"].append(body)
                        if not message.get("more_body", False):
                            status, headers = state["start"]
                            self.cache.put(key, Entry(status, headers, b"".join(state["chunks"]), scope.get("route"),
                                                      version, state["at"]))
                            state["keep"] = False
            await send(message)

        await self.app(scope, receive, capture)
