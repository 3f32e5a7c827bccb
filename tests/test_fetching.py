"""Fetcher behaviour against a real loopback server: guard, caps, redirects,
retries, Retry-After, conditional GET."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time

import pytest

from akhbar.config import load_settings
from akhbar.fetching import FetchError, Fetcher
from akhbar.fetching.fetcher import parse_retry_after
from tests.loopback import serve_get, stop


class Server:
    """Tiny scripted server: routes map a path to a function(handler) -> (status, headers, body)."""

    def __init__(self):
        self.routes = {}
        self.log: list[tuple[str, dict]] = []
        def respond(handler):
            self.log.append((handler.path, dict(handler.headers.items())))
            return self.routes.get(handler.path, lambda h: (404, {}, b""))(handler)

        self.httpd, self.base = serve_get(respond)

    def paths(self):
        return [p for p, _ in self.log]


@pytest.fixture
def server():
    s = Server()
    yield s
    stop(s.httpd)


def fetch(settings, url, **kw):
    async def go():
        async with Fetcher(settings, retry_base=0.05) as f:
            return await f.fetch(url, **kw)

    return asyncio.run(go())


def allowed(**kw):
    return load_settings(**{"allow_hosts": ("127.0.0.1",), "retries": 1, "fetch_timeout": 3.0, **kw})


def test_loopback_is_refused_unless_allowed_and_server_sees_nothing(server):
    server.routes["/feed"] = lambda h: (200, {}, b"ok")
    strict = load_settings(allow_hosts=(), retries=0)
    with pytest.raises(FetchError, match="blocked: .*non-public address 127.0.0.1"):
        fetch(strict, server.base + "/feed")
    with pytest.raises(FetchError, match="blocked"):
        fetch(strict, server.base.replace("127.0.0.1", "localhost") + "/feed")
    assert server.log == []
    assert fetch(allowed(), server.base + "/feed").body == b"ok"


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.0.1/", "ftp://example.org/x",
    "file:///etc/passwd",
])
def test_private_link_local_and_odd_schemes_are_refused_without_connecting(url):
    # The guard decides from the address alone; no packet leaves the machine.
    with pytest.raises(FetchError, match="blocked"):
        fetch(load_settings(retries=0), url)


def test_cidr_allow_list(server):
    server.routes["/x"] = lambda h: (200, {}, b"x")
    assert fetch(load_settings(allow_hosts=("127.0.0.0/8",), retries=0), server.base + "/x").body == b"x"


def test_redirect_to_loopback_is_checked_at_every_hop(server):
    # Allowed origin redirecting into a refused range: the second hop is blocked.
    server.routes["/hop"] = lambda h: (302, {"Location": "http://169.254.169.254/latest"}, b"")
    with pytest.raises(FetchError, match="blocked"):
        fetch(allowed(), server.base + "/hop")


def test_redirects_are_followed_bounded_and_loops_detected(server):
    server.routes["/a"] = lambda h: (301, {"Location": "/b"}, b"")
    server.routes["/b"] = lambda h: (200, {}, b"final")
    res = fetch(allowed(), server.base + "/a")
    assert res.body == b"final" and res.url.endswith("/b")
    server.routes["/loop1"] = lambda h: (302, {"Location": "/loop2"}, b"")
    server.routes["/loop2"] = lambda h: (302, {"Location": "/loop1"}, b"")
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(allowed(), server.base + "/loop1")
    for i in range(10):
        server.routes[f"/r{i}"] = (lambda n: lambda h: (302, {"Location": f"/r{n + 1}"}, b""))(i)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(allowed(), server.base + "/r0")


def test_size_cap_applies_to_declared_and_streamed_and_decompressed_bytes(server):
    big = b"a" * 50_000
    server.routes["/declared"] = lambda h: (200, {}, big)
    with pytest.raises(FetchError, match="exceeds the 10000-byte cap"):
        fetch(allowed(max_bytes=10_000), server.base + "/declared")
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 KB on the wire, 5 MB inflated
    server.routes["/bomb"] = lambda h: (200, {"Content-Encoding": "gzip"}, bomb)
    with pytest.raises(FetchError, match="cap"):
        fetch(allowed(max_bytes=100_000), server.base + "/bomb")


def test_retries_with_backoff_then_succeeds(server):
    calls = []

    def flaky(h):
        calls.append(1)
        return (503, {}, b"") if len(calls) < 2 else (200, {}, b"ok")

    server.routes["/flaky"] = flaky
    assert fetch(allowed(), server.base + "/flaky").body == b"ok"
    assert len(calls) == 2


def test_retry_after_is_honoured(server):
    calls = []

    def limited(h):
        calls.append(time.monotonic())
        return (429, {"Retry-After": "1"}, b"") if len(calls) == 1 else (200, {}, b"ok")

    server.routes["/limited"] = limited
    assert fetch(allowed(), server.base + "/limited").body == b"ok"
    assert calls[1] - calls[0] >= 0.95


def test_long_retry_after_is_reported_not_waited(server):
    server.routes["/later"] = lambda h: (503, {"Retry-After": "3600"}, b"")
    t0 = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(allowed(retries=3), server.base + "/later")
    assert time.monotonic() - t0 < 2
    assert info.value.status == 503 and info.value.retry_after == 3600


def test_client_errors_are_not_retried(server):
    server.routes["/gone"] = lambda h: (404, {}, b"")
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(allowed(retries=3), server.base + "/gone")
    assert server.paths().count("/gone") == 1


def test_conditional_get_sends_validators(server):
    def cond(h):
        if h.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Tue, 20 Feb 2018 01:44:01 GMT"}, b"<rss/>"

    server.routes["/cond"] = cond
    first = fetch(allowed(), server.base + "/cond")
    assert first.etag == '"v1"' and first.last_modified.startswith("Tue")
    second = fetch(allowed(), server.base + "/cond", etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    assert server.log[-1][1]["If-Modified-Since"] == first.last_modified


def test_timeout_on_a_silent_server(server):
    def slow(h):
        time.sleep(2)
        return 200, {}, b"late"

    server.routes["/slow"] = slow
    with pytest.raises(FetchError, match="timed out"):
        fetch(load_settings(allow_hosts=("127.0.0.1",), retries=0, fetch_timeout=0.5), server.base + "/slow")


def test_parse_retry_after_forms():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_pooled_connection_reused_while_open_and_dropped_once_server_closed_it():
    """A kept-alive connection is reused; one the server has since closed is
    seen as such (our cheap readability check in the guarded backend) and
    replaced, instead of failing the next request."""
    import socket

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    port = lsock.getsockname()[1]
    accepted: list[int] = []
    close_after = {"n": 1}  # requests answered per connection before the server closes it

    def serve():
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            accepted.append(1)
            with conn:
                for _ in range(close_after["n"]):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{port}/x"

    async def go(n):
        async with Fetcher(allowed(retries=0), retry_base=0.05) as f:
            bodies = []
            for _ in range(n):
                bodies.append((await f.fetch(url)).body)
                await asyncio.sleep(0.05)  # the server's FIN arrives
            return bodies

    try:
        assert asyncio.run(go(3)) == [b"ok"] * 3
        assert len(accepted) == 3  # each closed connection was replaced, no request failed
        accepted.clear()
        close_after["n"] = 3
        assert asyncio.run(go(3)) == [b"ok"] * 3
        assert len(accepted) == 1  # an open one is reused
    finally:
        lsock.close()
