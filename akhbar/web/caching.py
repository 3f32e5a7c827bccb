"""HTTP caching for the JSON API: ETag, 304 and Cache-Control.

An API answer is small and built per request; hashing it costs far less
than sending it again to a mobile app that already has it. Clients send
the ETag back in If-None-Match and get 304 Not Modified with no body.
The page cache (akhbar.web.pagecache) sits outside this layer: an answer it
keeps carries its ETag, hashed once, and a hit answers 304 the same way.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders

API_PREFIX = "/api/v1/"
MAX_AGE = 30  # seconds: news changes, but not every second
MAX_BODY = 4 * 1024 * 1024  # larger answers stream through untouched


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names *etag* (weak or strong) or is '*'."""
    return etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")] or if_none_match.strip() == "*"


def not_modified_headers(raw: list) -> list:
    """The headers of a 304 for a 200 with these raw headers: no body, so no
    Content-Length or Content-Type."""
    return [(k, v) for k, v in raw if k.lower() not in (b"content-length", b"content-type")]


class APICaching:
    """ASGI middleware: GET answers of /api/v1 (except admin) get a strong
    ETag and Cache-Control; a matching If-None-Match gets 304."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD")
                or not path.startswith(API_PREFIX) or path.startswith(API_PREFIX + "admin")):
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []
        size = 0
        passthrough = False

        async def capture(message):
            nonlocal start, size, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:
                passthrough = True
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": message.get("more_body", False)})
                return
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(raw=list(start["headers"]))
            if start["status"] != 200:
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
            headers["ETag"] = etag
            headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
            if etag_matches(Headers(scope=scope).get("if-none-match", ""), etag):
                await send({"type": "http.response.start", "status": 304, "headers": not_modified_headers(headers.raw)})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
