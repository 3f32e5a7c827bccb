"""Async HTTP fetching with the manners of a good crawler.

Bounded in every dimension (time, size, redirects, decompressed bytes),
limited per host, retried with exponential backoff, conditional (ETag /
Last-Modified) and obedient to Retry-After.

Time: `fetch_timeout` bounds each connect and each read; `fetch_deadline`
bounds the whole fetch (every hop, every retry, every byte), so a server
that drips one byte a second cannot hold a crawl slot for hours.

Size: the body is decompressed here, not by httpx, with a bounded output
per call, so neither a gzip bomb nor a stack of nested encodings ever
holds more than `max_bytes` (+ one zlib window) in memory.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from akhbar.config import Settings
from akhbar.fetching.encoding import decode_body
from akhbar.fetching.guard import AddressGuard, BlockedAddress, GuardedBackend, Resolver

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_RETRY_AFTER = 30 * 24 * 3600.0  # seconds; longer asks are read as this
MAX_ENCODINGS = 2  # "gzip" or "deflate", possibly stacked once; more is an attack


class FetchError(Exception):
    """A fetch failed; .reason says why in words a user can act on."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass
class FetchResult:
    url: str  # final URL after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> str:
        return decode_body(self.body, self.content_type)[0]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait per a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
        seconds = when.timestamp() - (now or time.time())
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


class Fetcher:
    """One per crawl; owns the connection pool and the per-host limits."""

    def __init__(self, settings: Settings, *, retry_base: float = 1.0, max_inline_wait: float = 30.0,
                 resolver: Resolver | None = None):
        self.settings = settings
        self.guard = AddressGuard(settings.allow_hosts, strict=settings.ssrf_strict, resolver=resolver)
        self.retry_base = retry_base
        self.max_inline_wait = max_inline_wait
        self._host_sems: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_limit)
        )
        # Requests wait for a connection here, not in httpx's pool queue:
        # httpcore rescans its whole queue against every connection on each
        # connection event, which made a 10,000-feed poll spend ~1.4 ms of CPU
        # per request there (scripts/bench.py, section poll).
        self._slots = asyncio.Semaphore(max(1, settings.concurrency * 2))
        transport = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=settings.concurrency * 2, max_keepalive_connections=settings.concurrency),
            trust_env=False,
        )
        # Every TCP connection goes through the guard, at connect time, to
        # an address it checked (no DNS rebinding between check and connect).
        pool = transport._pool
        pool._network_backend = GuardedBackend(self.guard, pool._network_backend)
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
            follow_redirects=False,  # each hop is checked by the guard
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET *url*; raise FetchError with a clear reason on failure."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or ""
        attempts = self.settings.retries + 1
        last_error: FetchError | None = None
        loop = asyncio.get_running_loop()
        budget = self.settings.fetch_deadline
        deadline: float | None = None  # starts once a host slot is ours
        for attempt in range(attempts):
            try:
                async with self._host_sems[host], self._slots:
                    if deadline is None:
                        deadline = loop.time() + budget
                    try:
                        async with asyncio.timeout_at(deadline):
                            result = await self._get_following(url, headers)
                    except TimeoutError:
                        if loop.time() < deadline:
                            raise  # a socket timeout, not ours: handled below
                        raise FetchError(f"gave up after {budget:g} s (fetch deadline)") from None
            except FetchError as exc:
                last_error = exc
                if exc.status is not None and exc.status not in RETRY_STATUSES:
                    raise
            except BlockedAddress as exc:
                raise FetchError(f"blocked: {exc}") from exc
            except (httpx.TransportError, OSError) as exc:
                last_error = FetchError(_describe(exc))
            else:
                return result
            if attempt + 1 >= attempts:
                break
            wait = last_error.retry_after
            if wait is None:
                wait = self.retry_base * (2**attempt) * (0.5 + random.random())
            if wait > self.max_inline_wait or (deadline is not None and loop.time() + wait >= deadline):
                # Too long to wait inside this crawl: the scheduler backs off.
                break
            log.info("retrying %s in %.1fs: %s", url, wait, last_error.reason)
            await asyncio.sleep(wait)
        assert last_error is not None
        raise last_error

    async def post_form(self, url: str, data: dict[str, str]) -> FetchResult:
        """POST *data* as application/x-www-form-urlencoded (UTF-8), e.g. a
        WebSub hub request. The same guard (every hop), per-host limit, size
        cap and deadline as fetch(); 307/308 redirects are followed, others
        are errors; no retries (the caller asks again later)."""
        host = urlsplit(url).hostname or ""
        budget = self.settings.fetch_deadline
        try:
            async with self._host_sems[host], self._slots:
                async with asyncio.timeout(budget):
                    for _hop in range(self.settings.max_redirects + 1):
                        await self.guard.check(url)
                        req = self._client.build_request("POST", url, data=data)
                        resp = await self._client.send(req, stream=True)
                        try:
                            # a hub that moved says so with 307/308 and expects the same POST there
                            if resp.status_code in (307, 308) and resp.headers.get("location"):
                                url = urljoin(url, resp.headers["location"])
                                continue
                            body = await self._read_capped(resp)
                            if resp.status_code >= 300:
                                said = " ".join(body[:200].decode("utf-8", "replace").split())
                                raise FetchError(f"HTTP {resp.status_code}" + (f": {said}" if said else ""),
                                                 resp.status_code,
                                                 parse_retry_after(resp.headers.get("retry-after")))
                            return self._result(url, resp, body)
                        finally:
                            await resp.aclose()
                    raise FetchError(f"more than {self.settings.max_redirects} redirects")
        except TimeoutError:
            raise FetchError(f"gave up after {budget:g} s (fetch deadline)") from None
        except BlockedAddress as exc:
            raise FetchError(f"blocked: {exc}") from exc
        except (httpx.TransportError, OSError) as exc:
            raise FetchError(_describe(exc)) from exc

    async def _get_following(self, url: str, headers: dict[str, str]) -> FetchResult:
        seen = set()
        status = None
        for _hop in range(self.settings.max_redirects + 1):
            await self.guard.check(url)
            seen.add(url)
            req = self._client.build_request("GET", url, headers=headers)
            resp = await self._client.send(req, stream=True)
            status = resp.status_code
            try:
                if resp.status_code in REDIRECT_STATUSES:
                    location = resp.headers.get("location")
                    if not location:
                        raise FetchError(f"redirect {resp.status_code} without Location", resp.status_code)
                    nxt = urljoin(url, location)
                    if nxt in seen:
                        raise FetchError(f"redirect loop at {nxt}", resp.status_code)
                    url = nxt
                    continue
                if resp.status_code == 304:
                    return self._result(url, resp, b"")
                if resp.status_code >= 400:
                    raise FetchError(
                        f"HTTP {resp.status_code}",
                        resp.status_code,
                        parse_retry_after(resp.headers.get("retry-after")),
                    )
                body = await self._read_capped(resp)
                return self._result(url, resp, body)
            finally:
                await resp.aclose()
        # with the last status, so that it is not retried: the chain would be the same
        raise FetchError(f"more than {self.settings.max_redirects} redirects", status)

    async def _read_capped(self, resp: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(f"response of {declared} bytes exceeds the {cap}-byte cap", resp.status_code)
        decoder = BoundedDecoder(resp.headers.get("content-encoding", ""), cap, resp.status_code)
        # Raw wire bytes: we decompress ourselves, bounded (httpx would
        # inflate a whole chunk, or a stack of encodings, in one call).
        async for chunk in resp.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()

    @staticmethod
    def _result(url: str, resp: httpx.Response, body: bytes) -> FetchResult:
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return FetchResult(
            url=url,
            status=resp.status_code,
            headers=headers,
            body=body,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        )


class BoundedDecoder:
    """Undo Content-Encoding (gzip, deflate, stacked at most MAX_ENCODINGS
    deep) without ever producing more than *cap* bytes at any layer."""

    def __init__(self, header: str, cap: int, status: int | None = None):
        self.cap, self.status = cap, status
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > MAX_ENCODINGS:
            raise FetchError(f"refused {len(codings)} stacked Content-Encodings ({header})", status)
        for c in codings:
            if c not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(f"unsupported Content-Encoding {c!r}", status)
        # applied in order, so undone in reverse
        self.layers = [_Inflater(c, cap, status) for c in reversed(codings)]
        self.chunks: list[bytes] = []
        self.total = 0

    def _out(self, data: bytes) -> None:
        if not data:
            return
        self.total += len(data)
        if self.total > self.cap:
            raise FetchError(f"response exceeds the {self.cap}-byte cap", self.status)
        self.chunks.append(data)

    def feed(self, data: bytes) -> None:
        for layer in self.layers:
            data = layer.feed(data)
        self._out(data)

    def finish(self) -> bytes:
        data = b""
        for i, layer in enumerate(self.layers):
            data = layer.feed(data) + layer.flush()
            for later in self.layers[i + 1 :]:
                data = later.feed(data)
            self._out(data)
            data = b""
        return b"".join(self.chunks)


class _Inflater:
    def __init__(self, coding: str, cap: int, status: int | None):
        self.coding, self.cap, self.status = coding, cap, status
        self.total = 0
        self.raw_deflate = False
        self._new()

    def _new(self) -> None:
        if self.coding == "deflate":
            self.d = zlib.decompressobj(-zlib.MAX_WBITS if self.raw_deflate else zlib.MAX_WBITS)
        else:
            self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.started = False

    def _room(self) -> int:
        return self.cap - self.total + 1  # one byte more than allowed: detects the overflow

    def feed(self, data: bytes) -> bytes:
        out = []
        while data:
            if self.d.eof:
                # another gzip member (rare, legal); anything else after the end is ignored
                rest = self.d.unused_data
                if self.coding == "deflate" or not rest.startswith(b"\x1f\x8b"):
                    return b"".join(out)
                self._new()
                data = rest
            try:
                chunk = self.d.decompress(data, self._room())
            except zlib.error as exc:
                if self.coding == "deflate" and not self.started and not self.raw_deflate:
                    # servers send raw deflate under the zlib name
                    self.raw_deflate = True
                    self._new()
                    continue
                raise FetchError(f"corrupt {self.coding} body: {exc}", self.status) from exc
            self.started = True
            self.total += len(chunk)
            if self.total > self.cap:
                raise FetchError(f"response exceeds the {self.cap}-byte cap when decompressed", self.status)
            out.append(chunk)
            # the output buffer was not full, so all input was consumed
            data = self.d.unconsumed_tail
            if self.d.eof:
                data = self.d.unused_data
                if not data:
                    break
        return b"".join(out)

    def flush(self) -> bytes:
        try:
            chunk = self.d.flush()
        except zlib.error:
            return b""
        self.total += len(chunk)
        if self.total > self.cap:
            raise FetchError(f"response exceeds the {self.cap}-byte cap when decompressed", self.status)
        return chunk


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc or type(exc).__name__}"
    text = str(exc) or type(exc).__name__
    return text
