"""Async HTTP fetching with the manners of a good crawler.

Bounded in every dimension (time, size, redirects, decompressed bytes),
limited per host, retried with exponential backoff, conditional (ETag /
Last-Modified) and obedient to Retry-After.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from akhbar.config import Settings
from akhbar.fetching.encoding import decode_body
from akhbar.fetching.guard import AddressGuard, BlockedAddress

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


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
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now or time.time()))


class Fetcher:
    """One per crawl; owns the connection pool and the per-host limits."""

    def __init__(self, settings: Settings, *, retry_base: float = 1.0, max_inline_wait: float = 30.0):
        self.settings = settings
        self.guard = AddressGuard(settings.allow_hosts)
        self.retry_base = retry_base
        self.max_inline_wait = max_inline_wait
        self._host_sems: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_limit)
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
            follow_redirects=False,  # each hop is checked by the guard
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=settings.concurrency * 2, max_keepalive_connections=settings.concurrency),
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
        for attempt in range(attempts):
            try:
                async with self._host_sems[host]:
                    result = await self._get_following(url, headers)
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
            if wait > self.max_inline_wait:
                # Too long to wait inside this crawl: the scheduler backs off.
                break
            log.info("retrying %s in %.1fs: %s", url, wait, last_error.reason)
            await asyncio.sleep(wait)
        assert last_error is not None
        raise last_error

    async def _get_following(self, url: str, headers: dict[str, str]) -> FetchResult:
        seen = set()
        for _hop in range(self.settings.max_redirects + 1):
            await self.guard.check(url)
            seen.add(url)
            req = self._client.build_request("GET", url, headers=headers)
            resp = await self._client.send(req, stream=True)
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
        raise FetchError(f"more than {self.settings.max_redirects} redirects")

    async def _read_capped(self, resp: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(f"response of {declared} bytes exceeds the {cap}-byte cap", resp.status_code)
        chunks: list[bytes] = []
        total = 0
        # aiter_bytes yields *decoded* bytes, so the cap bounds decompression too.
        async for chunk in resp.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise FetchError(f"response exceeds the {cap}-byte cap", resp.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

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


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc or type(exc).__name__}"
    text = str(exc) or type(exc).__name__
    return text
