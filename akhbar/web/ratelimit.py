"""Per-client rate limit for the JSON API and search (ASGI middleware).

A token bucket per client IP: `rate` requests per second on average,
`burst` at once. A client over its budget gets 429 with Retry-After (whole
seconds until a token is back) and the X-RateLimit-* headers; nothing else
of the app runs for it. Off when `rate` is 0 (the default: set
AKHBAR_RATE_LIMIT, e.g. 5, and AKHBAR_RATE_BURST, e.g. 30).

Only paths under LIMITED_PREFIXES are counted: pages and static files are
cheap and cached, the API and search are what scrapers hammer. The client
is `scope["client"]`: behind a reverse proxy run uvicorn with
--proxy-headers and --forwarded-allow-ips so that it is the real client.
The table of buckets is bounded (least recently seen clients are forgotten
first), so a flood of spoofed addresses cannot grow memory without end.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict

LIMITED_PREFIXES = ("/api/", "/search")
MAX_CLIENTS = 10_000


class RateLimit:
    def __init__(self, app, settings=None, *, rate: float | None = None, burst: int | None = None,
                 prefixes: tuple[str, ...] = LIMITED_PREFIXES, max_clients: int = MAX_CLIENTS, clock=time.monotonic):
        self.app = app
        self.rate = float(rate if rate is not None else getattr(settings, "rate_limit", 0.0) or 0.0)
        self.burst = max(1, int(burst if burst is not None else getattr(settings, "rate_burst", 30) or 1))
        self.prefixes = prefixes
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # ip -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str) -> float:
        """Spend one token of *client*; 0 if allowed, else seconds until one is back."""
        now = self.clock()
        tokens, at = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            wait, tokens = 0.0, tokens - 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    async def __call__(self, scope, receive, send):
        if not self.enabled or scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if not path.startswith(self.prefixes):
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.take(client)
        if wait <= 0:
            return await self.app(scope, receive, send)
        retry = max(1, math.ceil(wait))
        body = json.dumps({"detail": f"Too many requests; retry in {retry} s"}).encode()
        await send({
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry).encode()),
                (b"x-ratelimit-limit", str(self.burst).encode()),
                (b"x-ratelimit-remaining", b"0"),
            ],
        })
        await send({"type": "http.response.body", "body": body})
