"""WebSub push subscriptions over real HTTP on 127.0.0.1 only.

A real hub (subscription requests answered 202, verification of intent
sent afterwards from its own thread, denial, signed content distribution),
a publisher whose feed names the hub, and akhbar as the subscriber: the app
under uvicorn, the real crawl, real storage (SQLite and PostgreSQL); at the
end `akhbar run`, and `akhbar serve` with Celery workers, as processes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import html
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from akhbar.config import load_settings
from akhbar.crawl import Crawler
from akhbar.feeds import parse_feed, websub
from akhbar.feeds.parser import parse_link_header, websub_links
from akhbar.fetching import Fetcher
from akhbar.models import Source
from akhbar.storage import open_storage
from akhbar.web.app import create_app
from tests.loopback import serve_get, stop

AKHBAR = str(Path(sys.executable).with_name("akhbar"))
HEADLINES = [
    "الحكومة تعلن خطة جديدة لدعم الاقتصاد الوطني",
    "وزير الخارجية يلتقي نظيره الفرنسي في باريس",
    "ارتفاع أسعار النفط في الأسواق العالمية",
    "افتتاح معرض الكتاب الدولي بمشاركة واسعة",
    "المنتخب الوطني يتأهل إلى نهائي البطولة",
    "البرلمان يصادق على قانون المالية الجديد",
    "إطلاق قمر صناعي لرصد التغيرات المناخية",
    "انطلاق موسم الحج وسط إجراءات تنظيمية مشددة",
    "البنك المركزي يبقي على سعر الفائدة دون تغيير",
    "توقيع اتفاقية تعاون في مجال الطاقة المتجددة",
    "مهرجان السينما العربية يكرم رواد الفن السابع",
    "تساقط الثلوج على المرتفعات وانخفاض درجات الحرارة",
]
T0 = datetime(2025, 5, 1, 8, 0, tzinfo=timezone.utc)


def wait_for(cond, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# -- the publisher: a feed that names its hub -----------------------------------------

class Publisher:
    """Serves /feed.xml (Atom; ETag and 304) naming *hub* in the document, or
    in a Link: header with via_header, and an HTML page per item."""

    def __init__(self, hub: str | None):
        self.hub, self.via_header, self.count = hub, False, 3
        self.httpd, self.base = serve_get(lambda h: self.respond(h.path, h.headers))
        self.feed_url = self.base + "/feed.xml"

    def stop(self):
        stop(self.httpd)

    def item_url(self, n: int) -> str:
        return f"{self.base}/news/{n}.html"

    def feed(self, numbers=None) -> bytes:
        """The feed with items *numbers* (default: the first self.count), newest first."""
        numbers = range(self.count) if numbers is None else numbers
        entries = "".join(
            f"<entry><title>{html.escape(HEADLINES[n])}</title><link href=\"{self.item_url(n)}\"/>"
            f"<id>urn:pub:{n}</id><updated>{(T0 + timedelta(hours=n)).isoformat()}</updated>"
            f"<summary>{html.escape(HEADLINES[n])}. تفاصيل الخبر رقم {n} كما نشرتها الوكالة.</summary></entry>"
            for n in sorted(numbers, reverse=True))
        links = "" if self.via_header or not self.hub else (
            f'<link rel="hub" href="{self.hub}"/><link rel="self" href="{self.feed_url}"/>')
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">'
                f"<title>وكالة المثال</title><id>{self.feed_url}</id><updated>{T0.isoformat()}</updated>"
                f"{links}{entries}</feed>").encode("utf-8")

    def respond(self, path: str, headers) -> tuple[int, dict, bytes]:
        if path == "/feed.xml":
            body = self.feed()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            out = {"Content-Type": "application/atom+xml; charset=utf-8", "ETag": etag}
            if self.via_header and self.hub:
                out["Link"] = f'<{self.hub}>; rel="hub", <{self.feed_url}>; rel="self"'
            if headers.get("If-None-Match") == etag:
                return 304, out, b""
            return 200, out, body
        if path.startswith("/news/"):
            n = int(path.split("/")[-1].split(".")[0])
            paras = "".join(f"<p>{HEADLINES[n]}. فقرة {k} من نص الخبر كما ورد في صفحة الوكالة الرسمية.</p>"
                            for k in range(4))
            page = (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{HEADLINES[n]}</title>'
                    f"</head><body><main><article><h1>{HEADLINES[n]}</h1>{paras}</article></main></body></html>")
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")
        return 404, {"Content-Type": "text/plain"}, b"no"


# -- the hub ----------------------------------------------------------------------------

class Hub:
    """A WebSub hub: answers subscription requests 202, then verifies intent
    from its own thread (as real hubs do) and keeps what was verified;
    distributes content signed with each subscriber's secret."""

    def __init__(self, host: str = "127.0.0.1", grant: int | None = None):
        self.requests: list[dict] = []  # every form POSTed to the hub
        self.verifications: list[dict] = []
        self.subs: dict[tuple[str, str], dict] = {}  # (topic, callback) -> secret, lease, expires
        self.grant = grant  # the lease granted (None: what was asked)
        self.lock = threading.Lock()
        hub = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode("utf-8")).items()}
                with hub.lock:
                    hub.requests.append(form)
                ok = form.get("hub.mode") in ("subscribe", "unsubscribe") and form.get("hub.topic") \
                    and form.get("hub.callback")
                self.send_response(202 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if ok:
                    threading.Thread(target=hub.verify, args=(form,), daemon=True).start()

            def do_GET(self):  # noqa: N802
                with hub.lock:
                    hub.requests.append({"GET": self.path})
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def verify(self, form: dict, mode: str | None = None) -> dict:
        mode = mode or form["hub.mode"]
        topic, callback = form["hub.topic"], form["hub.callback"]
        lease = self.grant or int(form.get("hub.lease_seconds") or 864000)
        challenge = secrets.token_urlsafe(24)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            params["hub.lease_seconds"] = str(lease)
        at = time.time()
        r = httpx.get(callback, params=params, timeout=10, trust_env=False)
        record = dict(mode=mode, topic=topic, callback=callback, status=r.status_code, at=at,
                      ok=r.status_code // 100 == 2 and r.text == challenge, content_type=r.headers.get("content-type"))
        with self.lock:
            self.verifications.append(record)
            if record["ok"] and mode == "subscribe":
                self.subs[(topic, callback)] = dict(secret=form.get("hub.secret"), lease=lease, expires=at + lease)
            elif record["ok"]:
                self.subs.pop((topic, callback), None)
        return record

    def verified(self, mode: str = "subscribe") -> list[dict]:
        with self.lock:
            return [v for v in self.verifications if v["mode"] == mode and v["ok"]]

    def subscribe_requests(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r.get("hub.mode") == "subscribe"]

    def publish(self, topic: str, body: bytes, *, algo: str = "sha256", secret: str | None = None, sign: bool = True,
                content=None, headers: dict | None = None) -> list[int]:
        """POST *body* to every verified subscriber of *topic*; their statuses."""
        out = []
        for (t, callback), sub in list(self.subs.items()):
            if t != topic:
                continue
            h = {"Content-Type": "application/atom+xml", "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"'}
            key = sub["secret"] if secret is None else secret
            if sign:
                h["X-Hub-Signature"] = f"{algo}=" + hmac.new(key.encode(), body, getattr(hashlib, algo)).hexdigest()
            h.update(headers or {})
            r = httpx.post(callback, content=body if content is None else content, headers=h, timeout=15,
                           trust_env=False)
            out.append(r.status_code)
        return out

    def deny(self, topic: str, callback: str, reason: str) -> int:
        return httpx.get(callback, params={"hub.mode": "denied", "hub.topic": topic, "hub.reason": reason},
                         timeout=10, trust_env=False).status_code


# -- akhbar, served for real -------------------------------------------------------------

class LiveServer:
    """uvicorn serving *app* on 127.0.0.1:*port*, in a thread."""

    def __init__(self, app, port: int):
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started or not self.thread.is_alive(), 15, "uvicorn")
        assert self.server.started, "uvicorn did not start"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(15)


def db_url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@dataclasses.dataclass
class World:
    store: object
    settings: object
    hub: Hub
    pub: Publisher
    port: int
    server: LiveServer | None = None
    source: Source | None = None

    def serve(self, store=None) -> None:
        self.server = LiveServer(create_app(self.settings, store or self.store), self.port)

    def crawl(self, *, due_only: bool = False):
        return asyncio.run(Crawler(self.store, self.settings).crawl_once(due_only=due_only))

    def sub(self):
        return self.store.websub_for_source(self.source.id)

    def titles(self) -> list[str]:
        return sorted(a.title for a in self.store.list_articles(limit=100).items)


def make_world(store, tmp_path, *, hub_host: str = "127.0.0.1", grant: int | None = None, **settings) -> World:
    hub = Hub(hub_host, grant)
    pub = Publisher(hub.url)
    port = free_port()
    values = dict(data_dir=tmp_path, database_url=db_url(store), allow_hosts=("127.0.0.1",), retries=0,
                  fetch_timeout=5.0, fetch_pages=False, stories=False, public_url=f"http://127.0.0.1:{port}",
                  max_bytes=256 * 1024, poll_min_interval=1.0)
    values.update(settings)
    world = World(store, load_settings(**values), hub, pub, port)
    world.source = store.add_source(Source(url=pub.feed_url, name="وكالة المثال", lang="ar"))
    return world


@pytest.fixture
def world(store, tmp_path):
    w = make_world(store, tmp_path)
    w.serve()
    yield w
    w.server.stop()
    w.hub.stop()
    w.pub.stop()


@pytest.fixture
def sqlite_world(tmp_path, request):
    store = open_storage(f"sqlite:///{tmp_path / 'w.db'}")
    w = make_world(store, tmp_path, **getattr(request, "param", {}))
    if w.settings.public_url:
        w.serve()
    yield w
    if w.server:
        w.server.stop()
    w.hub.stop()
    w.pub.stop()
    store.close()


# -- discovery: the parser ---------------------------------------------------------------

def test_hubs_and_self_from_atom_rss_rdf_json_feed_and_the_link_header():
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><link rel="hub" href="/hub"/>'
            b'<link rel="self" href="https://ex.org/feed.atom"/><link rel="alternate" href="https://ex.org/"/>'
            b'<link rel="hub" href="javascript:alert(1)"/><entry><title>a</title><link href="https://ex.org/1"/>'
            b"<id>1</id></entry></feed>")
    feed = parse_feed(atom, "https://ex.org/feed")
    assert feed.hubs == ["https://ex.org/hub"] and feed.self_url == "https://ex.org/feed.atom"
    rss = (b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>'
           b"<link>https://ex.org/</link><atom:link rel=\"hub\" href=\"https://pubsubhubbub.appspot.com/\"/>"
           b'<atom:link rel="hub" href="https://hub2.example/"/>'
           b'<atom:link rel="self" type="application/rss+xml" href="https://ex.org/rss"/>'
           b"<item><title>a</title><link>https://ex.org/1</link></item></channel></rss>")
    feed = parse_feed(rss, "https://ex.org/rss?x=1")
    assert feed.hubs == ["https://pubsubhubbub.appspot.com/", "https://hub2.example/"]
    assert websub_links(feed, {}, "https://ex.org/rss?x=1") == (feed.hubs, "https://ex.org/rss")
    rdf = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
           b'xmlns:atom="http://www.w3.org/2005/Atom"><channel rdf:about="x"><title>t</title><link>https://ex.org/</link>'
           b'<atom:link rel="hub" href="https://hub.example/"/></channel>'
           b'<item rdf:about="https://ex.org/1"><title>a</title><link>https://ex.org/1</link></item></rdf:RDF>')
    feed = parse_feed(rdf, "https://ex.org/rdf")
    # no rel="self": the topic is the URL the feed was fetched from
    assert websub_links(feed, {}, "https://ex.org/rdf") == (["https://hub.example/"], "https://ex.org/rdf")
    jf = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "feed_url": "/feed.json",
                     "hubs": [{"type": "WebSub", "url": "https://hub.example/"}, {"type": "rssCloud", "url": "x"},
                              "junk", {"type": "WebSub"}],
                     "items": [{"id": "1", "url": "https://ex.org/1", "title": "a"}]}).encode()
    feed = parse_feed(jf, "https://ex.org/feed.json")
    assert websub_links(feed, {}, "https://ex.org/feed.json") == (["https://hub.example/"], "https://ex.org/feed.json")
    # a feed without a hub offers no push
    plain = parse_feed(b'<rss version="2.0"><channel><title>t</title><item><title>a</title>'
                       b"<link>https://ex.org/1</link></item></channel></rss>", "https://ex.org/rss")
    assert plain.hubs == [] and websub_links(plain, {}, "https://ex.org/rss") == ([], "https://ex.org/rss")

    # the HTTP Link: header comes first, its rel="self" with it
    headers = {"link": '<https://h.example/hub>; rel="hub"; title="a, b; c", </canonical>; rel=self, '
                       '<https://ex.org/x>; rel="alternate"'}
    assert websub_links(feed, headers, "https://ex.org/feed.json") == (["https://h.example/hub"],
                                                                       "https://ex.org/canonical")
    assert parse_link_header('<a>; rel="hub self", junk, <b>;rel=hub', "https://ex.org/f") == [
        ("https://ex.org/a", {"hub", "self"}), ("https://ex.org/b", {"hub"})]
    assert parse_link_header("no links here") == [] and parse_link_header(None) == []
    assert websub_links(plain, {"link": "<ftp://x/>; rel=hub"}, "https://ex.org/rss") == ([], "https://ex.org/rss")


def test_signatures_sha1_sha256_sha384_sha512_and_nothing_else():
    body = "خبر".encode()
    for algo in ("sha1", "sha256", "sha384", "sha512"):
        sig = hmac.new(b"s3cret", body, getattr(hashlib, algo)).hexdigest()
        assert websub.signature_ok("s3cret", f"{algo}={sig}", body)
        assert websub.signature_ok("s3cret", f"{algo.upper()}={sig.upper()}", body)
        assert not websub.signature_ok("other", f"{algo}={sig}", body)
        assert not websub.signature_ok("s3cret", f"{algo}={sig}", body + b" ")
    md5 = hmac.new(b"s3cret", body, hashlib.md5).hexdigest()
    for header in (None, "", "sha256", "sha256=", f"md5={md5}", "=abc"):
        assert not websub.signature_ok("s3cret", header, body)


# -- subscribing, verifying, pushing ------------------------------------------------------

def test_a_feed_naming_a_hub_is_subscribed_verified_and_pushed_to(world, tmp_path):
    hub, pub, st = world.hub, world.pub, world.store
    report = world.crawl()
    assert report.new == 3 and world.titles() == sorted(HEADLINES[:3])

    # the poll saw the hub: one subscription request, then the hub's verification got its challenge back
    [req] = wait_for(hub.subscribe_requests, what="a subscription request")
    sub = world.sub()
    assert req["hub.topic"] == pub.feed_url == sub.topic and req["hub.callback"] == f"{world.server.url}/websub/{sub.token}"
    assert req["hub.secret"] == sub.secret and len(sub.secret) >= 64 and len(sub.token) >= 40
    assert int(req["hub.lease_seconds"]) == websub.REQUESTED_LEASE
    [check] = wait_for(hub.verified, what="verification of intent")
    assert check["status"] == 200 and check["content_type"].startswith("text/plain")
    sub = wait_for(lambda: (s := world.sub()).state == "active" and s, what="an active subscription")
    assert sub.lease_seconds == websub.REQUESTED_LEASE
    expected = datetime.fromtimestamp(check["at"], timezone.utc) + timedelta(seconds=sub.lease_seconds)
    assert abs((sub.lease_expires_at - expected).total_seconds()) < 5

    # pushed: still polled, but at the longest interval, as a safety net
    world.crawl()
    src = st.get_source(world.source.id)
    assert abs((src.next_poll_at - datetime.now(timezone.utc)).total_seconds() - world.settings.poll_max_interval) < 10
    assert len(hub.subscribe_requests()) == 1  # a lease far from its end is not renewed

    # verification for another topic, an unknown token, a mode we never asked for: 404, no echo
    cb = f"{world.server.url}/websub/{sub.token}"
    for params, token in ((dict(topic="https://evil.example/feed"), sub.token), ({}, "x" * 43),
                          (dict(mode="unsubscribe"), sub.token), (dict(challenge=""), sub.token),
                          (dict(challenge="c" * 2000), sub.token)):
        q = {"hub.mode": params.get("mode", "subscribe"), "hub.topic": params.get("topic", pub.feed_url),
             "hub.challenge": params.get("challenge", "abc"), "hub.lease_seconds": "100"}
        r = httpx.get(f"{world.server.url}/websub/{token}", params=q, trust_env=False)
        assert r.status_code == 404 and r.text == "", params
    assert world.sub().lease_seconds == websub.REQUESTED_LEASE  # none of them touched the lease

    # a signed push: the new entries are stored, the known ones skipped
    pub.count = 5
    assert hub.publish(pub.feed_url, pub.feed()) == [202]
    wait_for(lambda: st.count_articles() == 5, what="pushed articles stored")
    assert world.titles() == sorted(HEADLINES[:5])
    pushed = next(a for a in st.list_articles(limit=10).items if a.title == HEADLINES[4])
    assert pushed.source_id == world.source.id and pushed.url == pub.item_url(4)
    assert world.sub().last_push_at is not None

    # the same push again (hubs retry) stores nothing twice; nor does a diff of one old item
    assert hub.publish(pub.feed_url, pub.feed()) == [202]
    assert hub.publish(pub.feed_url, pub.feed([4])) == [202]
    # every signature method the spec names is accepted
    for n, algo in ((5, "sha1"), (6, "sha384"), (7, "sha512")):
        assert hub.publish(pub.feed_url, pub.feed([n]), algo=algo) == [202]
    wait_for(lambda: st.count_articles() == 8, what="sha1/384/512 pushes stored")
    time.sleep(0.5)
    assert st.count_articles() == 8 and world.titles() == sorted(HEADLINES[:8])

    # a bad signature, or none, is acknowledged (2xx, as the spec allows), logged and ignored
    assert hub.publish(pub.feed_url, pub.feed([8]), secret="not-the-secret") == [202]
    assert hub.publish(pub.feed_url, pub.feed([9]), sign=False) == [202]
    assert hub.publish(pub.feed_url, pub.feed([10]), algo="md5") == [202]
    assert "signature" in world.sub().last_error.lower()
    time.sleep(0.5)
    assert st.count_articles() == 8
    # a push to a token we do not hold: 410 Gone, so the hub may drop it
    r = httpx.post(f"{world.server.url}/websub/{'y' * 43}", content=pub.feed([11]), trust_env=False)
    assert r.status_code == 410

    # the subscription survives in storage: another storage object, another app on the
    # same address answers the hub's re-verification and stores the next push
    world.server.stop()
    again = open_storage(db_url(st))
    try:
        kept = again.websub_for_source(world.source.id)
        assert (kept.token, kept.secret, kept.state, kept.topic, kept.hub) == (sub.token, sub.secret, "active",
                                                                                 pub.feed_url, hub.url)
        assert abs((kept.lease_expires_at - sub.lease_expires_at).total_seconds()) < 1
        world.serve(again)
        assert hub.verify({"hub.mode": "subscribe", "hub.topic": pub.feed_url, "hub.callback": cb,
                           "hub.secret": sub.secret})["ok"]  # the hub re-confirms, as it may
        assert hub.publish(pub.feed_url, pub.feed([11])) == [202]
        wait_for(lambda: again.count_articles() == 9, what="a push after a restart")
    finally:
        again.close()


def test_an_oversized_push_is_refused_and_stores_nothing(sqlite_world):
    w = sqlite_world
    w.crawl()
    wait_for(lambda: (s := w.sub()) and s.state == "active", what="an active subscription")
    before = w.store.count_articles()
    cap = w.settings.max_bytes
    padding = "<!-- " + "x" * cap + " -->"
    big = w.pub.feed([5]).replace(b"<title>", padding.encode() + b"<title>", 1)
    assert len(big) > cap
    # declared too big: refused before the body is read
    assert w.hub.publish(w.pub.feed_url, big) == [413]

    # no length declared (chunked): refused once the bytes pass the cap
    def chunks():
        for i in range(0, len(big), 16384):
            yield big[i:i + 16384]

    assert w.hub.publish(w.pub.feed_url, big, content=chunks()) == [413]
    # a compressed body is not inflated by us
    assert w.hub.publish(w.pub.feed_url, w.pub.feed([5]), headers={"Content-Encoding": "gzip"}) == [415]
    # a signed body that is not a feed: acknowledged, recorded, nothing stored
    assert w.hub.publish(w.pub.feed_url, b"<html><body>no feed</body></html>") == [202]
    assert "not a feed" in w.sub().last_error
    # just under the cap is fine
    small = w.pub.feed([6])
    assert w.hub.publish(w.pub.feed_url, small) == [202]
    wait_for(lambda: w.store.count_articles() == before + 1, what="the push under the cap")
    assert HEADLINES[5] not in w.titles()


@pytest.mark.parametrize("sqlite_world", [dict(grant=6)], indirect=True)
def test_the_lease_is_renewed_before_it_expires(sqlite_world):
    w = sqlite_world
    w.crawl()
    wait_for(lambda: (s := w.sub()) and s.state == "active", what="an active subscription")
    first = w.sub()
    assert first.lease_seconds == 6
    # the safety-net poll is due before the lease ends, at the renewal point (a tenth of the lease left)
    w.crawl()
    src = w.store.get_source(w.source.id)
    renew_at = first.lease_expires_at - timedelta(seconds=0.6)
    assert abs((src.next_poll_at - renew_at).total_seconds()) < 1.5
    assert src.next_poll_at < first.lease_expires_at
    # when it falls due, the poll (a 304: the feed did not change) renews
    wait_for(lambda: datetime.now(timezone.utc) >= w.store.get_source(w.source.id).next_poll_at, 10, "the poll")
    report = w.crawl(due_only=True)
    assert [r.status for r in report.sources] == [304]
    renewal = wait_for(lambda: len(w.hub.verified()) >= 2 and w.hub.verified()[1], what="the renewal")
    requests = w.hub.subscribe_requests()
    assert len(requests) == 2 and requests[1]["hub.callback"] == requests[0]["hub.callback"]
    assert datetime.fromtimestamp(renewal["at"], timezone.utc) < first.lease_expires_at  # before it lapsed
    renewed = wait_for(lambda: (s := w.sub()).lease_expires_at > first.lease_expires_at and s, what="a longer lease")
    assert renewed.state == "active" and renewed.token == first.token


@pytest.mark.parametrize("strict", [False, True])
def test_a_hub_at_a_refused_address_gets_no_request(tmp_path, strict):
    """The feed names a hub on 127.0.0.2 (not allowed), or strict mode refuses
    loopback altogether: the hub sees nothing; the refusal is recorded."""
    store = open_storage(f"sqlite:///{tmp_path / 'h.db'}")
    w = make_world(store, tmp_path, hub_host="127.0.0.2" if not strict else "127.0.0.1")
    w.serve()
    try:
        if not strict:
            w.crawl()
        else:
            # strict mode would refuse the loopback feed too: the feed is read by
            # an ordinary fetcher, the hub request goes through a strict one
            async def poll():
                async with Fetcher(w.settings) as plain:
                    res = await plain.fetch(w.pub.feed_url)
                feed = parse_feed(res.body, res.url, res.content_type)
                async with Fetcher(dataclasses.replace(w.settings, ssrf_strict=True)) as strict_fetcher:
                    return await websub.after_poll(store, w.settings, strict_fetcher, w.source, feed, res)

            assert asyncio.run(poll()) is None
        sub = w.sub()
        assert sub.state == "denied" and "blocked" in sub.last_error
        assert ("strict" in sub.last_error) == strict
        time.sleep(0.3)
        assert w.hub.requests == [] and w.hub.verifications == []
        # and it is not asked again at every poll
        w.crawl()
        assert w.hub.requests == [] and w.sub().state == "denied"
    finally:
        w.server.stop()
        w.hub.stop()
        w.pub.stop()
        store.close()


@pytest.mark.parametrize("sqlite_world", [dict(public_url="")], indirect=True)
def test_websub_is_off_without_a_public_url(sqlite_world):
    w = sqlite_world
    assert w.crawl().new == 3
    time.sleep(0.3)
    assert w.hub.requests == [] and w.store.list_websub() == []


def test_link_header_discovery_denial_and_unsubscribe_when_the_hub_leaves(sqlite_world):
    w = sqlite_world
    w.pub.via_header = True  # the hub is named in the Link: header only
    w.crawl()
    [req] = wait_for(w.hub.subscribe_requests, what="a subscription request")
    assert req["hub.topic"] == w.pub.feed_url
    sub = wait_for(lambda: (s := w.sub()) and s.state == "active" and s, what="an active subscription")
    cb = f"{w.server.url}/websub/{sub.token}"

    # the hub may deny at any time: recorded, no lease, no more pushes accepted
    assert w.hub.deny("https://other.example/feed", cb, "wrong topic") == 404
    assert w.hub.deny(w.pub.feed_url, cb, "quota exceeded") == 200
    denied = w.sub()
    assert denied.state == "denied" and "quota exceeded" in denied.last_error and denied.lease_expires_at is None
    assert w.hub.publish(w.pub.feed_url, w.pub.feed([5])) == [410]

    # a day later the poll asks again; then the publisher drops the hub: unsubscribed, and verified
    w.store.update_websub(sub.token, updated_at=datetime.now(timezone.utc) - timedelta(days=2))
    w.pub.count = 4  # a changed feed (200, not 304)
    w.crawl()
    wait_for(lambda: len(w.hub.verified()) == 2, what="the renewed subscription")
    assert w.sub().state == "active"
    w.pub.hub, w.pub.count = None, 5
    w.crawl()
    [unsub] = wait_for(lambda: w.hub.verified("unsubscribe"), what="verified unsubscription")
    assert unsub["callback"] == cb and w.sub().state == "unsubscribed"
    assert w.hub.subs == {}
    assert httpx.post(cb, content=w.pub.feed([6]), trust_env=False).status_code == 410


# -- the run modes, as processes ------------------------------------------------------------

def _spawn(args, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen([AKHBAR, *args], env=env, cwd=log.parent, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"== {f.name}\n" + f.read_text("utf-8", "replace")[-3000:] for f in sorted(tmp_path.glob("*.log")))


def test_akhbar_run_subscribes_and_stores_pushes_in_process(tmp_path):
    """One process (`akhbar run`): its crawl subscribes, its web answers the
    hub, its crawler stores the pushed entries (pages fetched, stories grouped)."""
    hub = Hub()
    pub = Publisher(hub.url)
    port = free_port()
    url = f"sqlite:///{tmp_path / 'run.db'}"
    store = open_storage(url)
    src = store.add_source(Source(url=pub.feed_url, name="وكالة المثال", lang="ar"))
    env = {**os.environ, "AKHBAR_DATABASE_URL": url, "AKHBAR_DATA_DIR": str(tmp_path), "AKHBAR_ALLOW_HOSTS": "127.0.0.1",
           "AKHBAR_PUBLIC_URL": f"http://127.0.0.1:{port}", "AKHBAR_RETRIES": "0", "AKHBAR_FETCH_TIMEOUT": "5"}
    env.pop("AKHBAR_BROKER_URL", None)
    proc = _spawn(["run", "--host", "127.0.0.1", "--port", str(port), "--tick", "1"], env, tmp_path / "run.log")
    try:
        wait_for(lambda: hub.verified() or proc.poll() is not None, 90, "the hub's verification")
        assert proc.poll() is None, _logs(tmp_path)
        assert store.count_articles() == 3
        # the pushed item is not in the feed the poll reads: only the push can bring it
        assert hub.publish(pub.feed_url, pub.feed([3, 2])) == [202]
        wait_for(lambda: store.count_articles() == 4, 60, "the pushed article")
        art = next(a for a in store.list_articles(limit=10).items if a.title == HEADLINES[3])
        assert art.source_id == src.id and art.extracted and "فقرة 3" in art.text  # its page was fetched
        wait_for(lambda: store.get_article(art.id).story_id is not None, 30, "the pushed article's story")
        assert store.websub_for_source(src.id).state == "active"
    finally:
        _stop(proc, signal.SIGINT)
        hub.stop()
        pub.stop()
        store.close()


def test_with_workers_pushes_are_queued_as_ingest_tasks(pg_url, tmp_path):
    """`akhbar serve` + `akhbar worker` on PostgreSQL and a private Redis: a
    worker's poll subscribes, the web process answers the hub and queues
    ingest_entry for the pushed entries, a worker stores them."""
    from akhbar.web.ops import queue_depth
    from tests.test_workers import PrivateRedis

    redis = PrivateRedis(tmp_path).start()
    hub = Hub()
    pub = Publisher(hub.url)
    port = free_port()
    queue = f"akhbar-ws-{uuid.uuid4().hex[:6]}"
    store = open_storage(pg_url)
    src = store.add_source(Source(url=pub.feed_url, name="وكالة المثال", lang="ar"))
    env = {**os.environ, "AKHBAR_DATABASE_URL": pg_url, "AKHBAR_BROKER_URL": redis.url, "AKHBAR_QUEUE": queue,
           "AKHBAR_DATA_DIR": str(tmp_path), "AKHBAR_ALLOW_HOSTS": "127.0.0.1", "AKHBAR_RETRIES": "0",
           "AKHBAR_FETCH_TIMEOUT": "5", "AKHBAR_STORIES": "0", "AKHBAR_FETCH_PAGES": "0",
           "AKHBAR_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    worker_args = ["worker", "-c", "1", "--without-gossip", "--without-mingle"]
    procs = [_spawn(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "serve.log"),
             _spawn(worker_args + ["-n", "w1@%h"], env, tmp_path / "worker-1.log")]
    try:
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).status_code == 200
                 if _listening(port) else False, 60, "akhbar serve")
        _spawn(["beat", "--once"], env, tmp_path / "beat.log").wait(60)
        wait_for(lambda: hub.verified(), 90, f"the hub's verification\n{_logs(tmp_path)}")
        wait_for(lambda: store.count_articles() == 3, 60, "the polled articles")
        assert store.websub_for_source(src.id).state == "active"
        # no worker: the web process queues, it does not store
        _stop(procs[1])
        assert hub.publish(pub.feed_url, pub.feed([4, 3, 2])) == [202]
        wait_for(lambda: queue_depth(redis.url, queue) == 2, 30, "two queued ingest_entry tasks")
        assert store.count_articles() == 3
        procs.append(_spawn(worker_args + ["-n", "w2@%h"], env, tmp_path / "worker-2.log"))
        wait_for(lambda: store.count_articles() == 5, 90, f"the pushed articles\n{_logs(tmp_path)}")
        assert {a.title for a in store.list_articles(limit=10).items} == set(HEADLINES[:5])
    finally:
        for p in procs:
            _stop(p)
        redis.stop()
        hub.stop()
        pub.stop()
        store.close()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False
