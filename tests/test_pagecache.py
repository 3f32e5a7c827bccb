"""The page cache: kept pages change when the content does, whoever wrote it.

Real storage (SQLite file and PostgreSQL), writes by another Storage object
and by another process on the same database. The cache's clock is a fake
one moved by hand: the tests never depend on how fast anything runs.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from akhbar.config import load_settings
from akhbar.models import Article, Source
from akhbar.storage import PollResult, open_storage
from akhbar.web.app import create_app
from akhbar.web.pagecache import CHECK_EVERY, Entry, PageCache, cache_key

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc).replace(microsecond=0)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def url_of(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def app_for(store, **settings):
    """The real app over *store*, its cache on a hand-moved clock."""
    values = dict(database_url="sqlite://", timezone="UTC", default_ui="ar")
    values.update(settings)
    app = create_app(load_settings(**values), storage=store)
    clock = Clock()
    app.state.page_cache.clock = app.state.page_cache.version.clock = clock
    return app, clock


def article(src, n, *, tags=(), title=None, when=None) -> Article:
    return Article(url=f"https://a.example/{n}", url_key=f"a.example/{n}", source_id=src.id, lang="ar",
                   title=title or f"خبر رقم {n}", text="نص الخبر.", tags=list(tags),
                   published=when or NOW - timedelta(hours=1) + timedelta(minutes=n))


async def asgi_get(app, path: str) -> bytes:
    """The body of a plain GET of *path* sent straight to the ASGI *app*."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b"",
             "scheme": "http", "headers": [(b"host", b"t")]}
    out = []

    async def send(m):
        out.append(m)

    async def receive():
        return {"type": "http.request", "body": b""}

    await app(scope, receive, send)
    return out[1]["body"]


def lookups(result: str) -> float:
    return REGISTRY.get_sample_value("akhbar_page_cache_lookups_total", {"result": result}) or 0.0


@pytest.fixture
def other(store):
    """A second Storage on the same database, as another process would hold."""
    st = open_storage(url_of(store), migrate=False)
    yield st
    st.close()


def test_a_page_changes_after_another_process_stores_an_article(store):
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1, title="الخبر الأول"))
    app, clock = app_for(store)
    with TestClient(app) as client:
        assert "الخبر الأول" in client.get("/").text
        code = ("import sys; from datetime import datetime, timezone; from akhbar.models import Article; "
                "from akhbar.storage import open_storage; st = open_storage(sys.argv[1], migrate=False); "
                "st.save_article(Article(url='https://a.example/2', url_key='a.example/2', source_id=int(sys.argv[2]), "
                "title='الخبر الثاني', text='نص.', lang='ar', published=datetime.now(timezone.utc))); st.close()")
        subprocess.run([sys.executable, "-c", code, url_of(store), str(src.id)], check=True, cwd=ROOT, timeout=120)
        hits = lookups("hit")
        # within the check interval the kept page is served (it is a cache)...
        assert "الخبر الثاني" not in client.get("/").text
        assert lookups("hit") == hits + 1
        # ...and once the interval has passed, the new article is there
        clock.now += CHECK_EVERY
        page = client.get("/").text
        assert "الخبر الثاني" in page and "الخبر الأول" in page
        api = client.get("/api/v1/articles").json()["items"]
        assert [a["title"] for a in api] == ["الخبر الثاني", "الخبر الأول"]


def test_an_alias_set_elsewhere_shows_on_the_hashtag_page(store, other):
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1, tags=["فيفا"]))
    store.save_article(article(src, 2, tags=["الاتحادالدولي"]))
    app, clock = app_for(store)
    canonical, alias = "/tag/" + quote("فيفا"), "/tag/" + quote("الاتحادالدولي")
    with TestClient(app, follow_redirects=False) as client:
        page = client.get(canonical).text
        assert "خبر رقم 1" in page and "خبر رقم 2" not in page
        assert client.get(alias).status_code == 200
        assert client.get("/api/v1/tags/" + quote("فيفا")).json()["count"] == 1
        other.set_alias("الاتحادالدولي", "فيفا")
        clock.now += CHECK_EVERY
        page = client.get(canonical).text
        assert "خبر رقم 1" in page and "خبر رقم 2" in page and "#الاتحادالدولي" in page  # "also written"
        r = client.get(alias)
        assert r.status_code == 301 and r.headers["location"] == canonical
        assert client.get("/api/v1/tags/" + quote("فيفا")).json()["count"] == 2
        other.unset_alias("الاتحادالدولي")
        clock.now += CHECK_EVERY
        assert client.get("/api/v1/tags/" + quote("فيفا")).json()["aliases"] == []
        assert client.get(alias).status_code == 200


def test_a_story_assignment_elsewhere_shows_on_story_pages_and_cards(store, other):
    a = store.add_source(Source(url="https://a.example/rss", name="المصدر أ"))
    b = store.add_source(Source(url="https://b.example/rss", name="المصدر ب"))
    first = store.save_article(article(a, 1, title="الحدث من أ"))[0]
    second = store.save_article(Article(url="https://b.example/2", url_key="b.example/2", source_id=b.id, lang="ar",
                                        title="الحدث من ب", text="نص.", published=NOW - timedelta(minutes=30)))[0]
    sid = store.assign_story(first, "story-1")
    app, clock = app_for(store)
    with TestClient(app) as client:
        page = client.get(f"/story/{sid}").text
        assert "الحدث من أ" in page and "الحدث من ب" not in page
        assert client.get(f"/api/v1/stories/{sid}").json()["source_count"] == 1
        assert f'href="/story/{sid}"' not in client.get("/").text  # one source: no coverage link, no top story
        other.assign_story(second, "story-1")
        clock.now += CHECK_EVERY
        assert "الحدث من ب" in client.get(f"/story/{sid}").text
        assert client.get(f"/api/v1/stories/{sid}").json()["source_count"] == 2
        assert f'href="/story/{sid}"' in client.get("/").text


def test_a_source_paused_or_failing_elsewhere_moves_the_version_and_drops_kept_pages(store, other):
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1))
    app, clock = app_for(store)
    with TestClient(app) as client:
        assert "banner" not in client.get("/").text
        before = store.content_version()
        other.set_source_status(src.id, "paused")
        assert store.content_version() != before
        clock.now += CHECK_EVERY
        misses = lookups("miss")
        client.get("/")
        assert lookups("miss") == misses + 1  # rendered again, not served from before the pause
        other.record_poll(src.id, PollResult(ok=False, error="HTTP 503 from the feed"))
        clock.now += CHECK_EVERY
        assert "HTTP 503 from the feed" in client.get("/").text  # the home page's unreachable banner
        other.record_poll(src.id, PollResult(ok=True, status=200))
        clock.now += CHECK_EVERY
        assert "HTTP 503 from the feed" not in client.get("/").text



def test_article_counts_of_sources_are_kept_until_another_process_stores_one(store, other):
    """/sources and /api/v1/sources count every source's articles; the count
    (a read of the whole articles index) is kept per content version, while
    what the page shows of each source's polling is read each time."""
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1))
    app, clock = app_for(store)

    def api_count(client):
        return next(s["article_count"] for s in client.get("/api/v1/sources").json()["items"] if s["id"] == src.id)

    with TestClient(app) as client:
        assert api_count(client) == 1
        kept = app.state.page_cache.memo(("article_counts",), lambda: {"not": "read again"})
        assert kept == {src.id: 1}  # the value the request computed, not recomputed
        other.save_article(article(src, 2))
        other.save_article(article(src, 3))
        clock.now += CHECK_EVERY
        assert api_count(client) == 3
        assert "3 articles" in client.get("/sources", cookies={"akhbar_ui": "en"}).text
        # polling state is read each time, beside the kept counts
        other.record_poll(src.id, PollResult(ok=False, error="HTTP 503 from the feed"))
        clock.now += CHECK_EVERY
        item = next(s for s in client.get("/api/v1/sources").json()["items"] if s["id"] == src.id)
        assert item["last_error"] == "HTTP 503 from the feed" and item["article_count"] == 3

def test_every_kind_of_content_write_moves_the_version_seen_by_another_store(store, other):
    def moved(write) -> bool:
        before = store.content_version()
        write()
        return store.content_version() != before

    src = other.add_source(Source(url="https://a.example/rss", name="المصدر"))
    assert moved(lambda: other.add_source(Source(url="https://b.example/rss", name="ب")))
    ids = []
    assert moved(lambda: ids.append(other.save_article(article(src, 1, tags=["تونس", "Tunisie"]))[0]))
    assert not moved(lambda: other.save_article(article(src, 1)))  # already stored: nothing new
    assert moved(lambda: other.assign_story(ids[0], "s1"))
    assert moved(lambda: other.set_alias("قرطاج", "تونس"))
    assert moved(lambda: other.unset_alias("قرطاج"))
    assert moved(lambda: other.set_source_status(src.id, "paused"))
    assert moved(lambda: other.set_source_status(src.id, "active"))
    assert moved(lambda: other.record_poll(src.id, PollResult(ok=False, error="down")))
    assert moved(lambda: other.record_poll(src.id, PollResult(ok=False, error="still down")))
    assert moved(lambda: other.record_poll(src.id, PollResult(ok=True, status=200)))
    # what no page shows does not drop the cache
    assert not moved(lambda: other.record_poll(src.id, PollResult(ok=True, status=304)))
    assert not moved(lambda: other.acquire_source_lease(src.id, "worker-1", 60))
    assert moved(lambda: other.remove_source(src.id))


def test_interface_languages_do_not_leak_into_each_other(store):
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1))
    app, _ = app_for(store)
    with TestClient(app) as client:
        for _ in range(2):  # the second round is served from the cache
            assert '<html lang="ar"' in client.get("/").text
            fr = client.get("/", cookies={"akhbar_ui": "fr"})
            assert '<html lang="fr"' in fr.text and "set-cookie" not in fr.headers
            assert '<html lang="en"' in client.get("/", cookies={"akhbar_ui": "en"}).text
            assert '<html lang="ar"' in client.get("/", cookies={"akhbar_ui": "xx"}).text
            # asking by ?ui= sets the cookie: such an answer is never kept, and
            # never given to a request that would not set it
            asked = client.get("/?ui=en")
            assert '<html lang="en"' in asked.text and "akhbar_ui=en" in asked.headers["set-cookie"]
            kept = client.get("/?ui=en", cookies={"akhbar_ui": "en"})
            assert '<html lang="en"' in kept.text and "set-cookie" not in kept.headers
            client.cookies.clear()


def test_private_pages_and_cookie_setting_answers_are_never_kept(store):
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1))
    app, _ = app_for(store, admin_token="s3cret")
    cache = app.state.page_cache

    def scope(path, query=b"", headers=()):
        return {"type": "http", "method": "GET", "path": path, "query_string": query, "root_path": "",
                "scheme": "http", "headers": [(b"host", b"testserver"), *headers]}

    for path in ("/for-you", "/saved", "/admin/sources", "/api/v1/admin/aliases", "/sources", "/source/1",
                 "/api/v1/sources", "/sitemap.xml", "/metrics", "/readyz", "/static/style.css", "/sw.js"):
        assert cache_key(scope(path)) is None, path
    assert cache_key(scope("/", headers=[(b"authorization", b"Bearer s3cret")])) is None
    assert cache_key({**scope("/"), "method": "POST"}) is None
    assert cache_key(scope("/tag/x")) is not None and cache_key(scope("/api/v1/articles")) is not None
    with TestClient(app) as client:
        for path in ("/for-you", "/admin/sources", "/sources", f"/source/{src.id}", "/?ui=fr"):
            client.cookies.clear()
            assert client.get(path).status_code in (200, 401)
            assert len(cache) == 0, path
        r = client.get("/admin/sources", headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200 and len(cache) == 0
        client.cookies.clear()
        client.get("/")
        assert len(cache) == 1


def test_the_cache_stays_bounded_by_entries_and_bytes(store):
    clock = Clock()
    cache = PageCache(store, max_entries=3, max_bytes=10_000, clock=clock)
    version = ("v",)
    for i in range(10):
        cache.put(("k", i), Entry(200, [], b"x" * 1000, None, version, clock.now))
    assert len(cache) == 3 and cache.get(("k", 9), version) is not None and cache.get(("k", 0), version) is None
    for i in range(10):
        cache.put(("big", i), Entry(200, [], b"x" * 4000, None, version, clock.now))
    assert cache.bytes <= 10_000 and len(cache) == 2
    assert not cache.put(("huge",), Entry(200, [], b"x" * 20_000, None, version, clock.now)) and len(cache) == 2
    clock.now += cache.max_age + 1  # and an entry lives max_age at most
    assert cache.get(("big", 9), version) is None
    # (kept a while to answer requests while it is rendered anew, never longer than 2 x max_age)
    assert cache.get(("big", 9), version, stale_ok=True) is not None
    clock.now += cache.max_age
    assert cache.get(("big", 9), version, stale_ok=True) is None and len(cache) == 1
    # a new content version empties it
    assert cache.get(("big", 8), ("w",)) is None and len(cache) == 0 and cache.bytes == 0

    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    ids = [store.save_article(article(src, n))[0] for n in range(12)]
    app, _ = app_for(store)
    app.state.page_cache.max_entries = 5
    with TestClient(app) as client:
        for i in ids:
            assert client.get(f"/article/{i}").status_code == 200
        assert len(app.state.page_cache) == 5
        assert app.state.page_cache.bytes <= app.state.page_cache.max_bytes


def test_hits_keep_security_headers_etag_304_metrics_and_the_rate_limit(store):
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1, tags=["تونس"]))
    app, clock = app_for(store, rate_limit=0.001, rate_burst=4)
    app.state.page_cache.max_age = 1e9
    path = "/tag/" + quote("تونس")

    def observed() -> float:
        return REGISTRY.get_sample_value("akhbar_http_request_duration_seconds_count",
                                         {"method": "GET", "route": "/tag/{hashtag}", "status": "200"}) or 0.0

    with TestClient(app) as client:
        before, hits = observed(), lookups("hit")
        first, second = client.get(path), client.get(path)
        assert lookups("hit") == hits + 1 and first.text == second.text
        assert "default-src 'self'" in second.headers["content-security-policy"]
        third = client.get(path)  # the replayed header list is not added to on every hit
        assert len(third.headers.get_list("content-security-policy")) == 1
        assert len(third.headers.get_list("x-content-type-options")) == 1
        assert len(third.headers.raw) == len(first.headers.raw)
        assert second.headers["content-language"] == "ar"
        assert observed() == before + 3  # the hits are timed under their route, not "unmatched"
        api = client.get("/api/v1/articles")
        again = client.get("/api/v1/articles", headers={"If-None-Match": api.headers["etag"]})
        assert again.status_code == 304 and again.headers["etag"] == api.headers["etag"]
        for _ in range(2):  # hits, spending the 3rd and 4th token of the burst
            assert client.get("/api/v1/articles").status_code == 200
        # past the burst: kept or not, an /api answer is limited
        assert client.get("/api/v1/articles").status_code == 429


def test_an_aged_or_outdated_page_answers_others_while_one_request_renders_it_anew(store):
    """Past MAX_AGE, or after a content change, one request renders the page
    again; the requests that come meanwhile get the previous rendering
    instead of waiting, and once it is rendered nobody gets the old page.
    A page with no previous rendering makes them wait."""
    import asyncio

    from akhbar.web.pagecache import PageCacheMiddleware

    clock = Clock()
    cache = PageCache(store, clock=clock)
    cache.version.clock = clock
    renders: list[int] = []
    gate: dict[int, asyncio.Event] = {}  # render n waits for gate[n] ...
    started: dict[int, asyncio.Event] = {}  # ... once it has set started[n]

    async def inner(scope, receive, send):  # the app behind the cache: numbered renders, some held
        n = len(renders) + 1
        renders.append(n)
        if n in gate:
            started[n].set()
            await gate[n].wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": f"render {n}".encode()})

    mw = PageCacheMiddleware(inner, cache)

    async def get(path: str = "/") -> bytes:
        return await asgi_get(mw, path)

    async def scenario():
        assert await get() == b"render 1"
        assert await get() == b"render 1" and renders == [1]  # kept
        clock.now += cache.max_age + 1
        gate[2], started[2] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get())  # renders anew, held
        await asyncio.wait_for(started[2].wait(), 5)
        assert await asyncio.wait_for(get(), 5) == b"render 1"  # not held behind the render
        gate[2].set()
        assert await leader == b"render 2"
        assert await get() == b"render 2" and renders == [1, 2]
        # a content change: the first request renders anew, the others get
        # the page of the version before meanwhile, and the new one after it
        src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
        store.save_article(article(src, 1))
        clock.now += CHECK_EVERY + 1
        gate[3], started[3] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get())
        await asyncio.wait_for(started[3].wait(), 5)
        assert await asyncio.wait_for(get(), 5) == b"render 2"
        gate[3].set()
        assert await leader == b"render 3"
        assert await get() == b"render 3" and renders == [1, 2, 3]
        # a page never rendered before: nothing to give meanwhile, they wait
        gate[4], started[4] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get("/about"))
        await asyncio.wait_for(started[4].wait(), 5)
        follower = asyncio.create_task(get("/about"))
        for _ in range(20):  # give it every chance to answer early
            await asyncio.sleep(0)
        assert not follower.done()
        gate[4].set()
        assert await leader == await follower == b"render 4" and renders == [1, 2, 3, 4]
        # two changes later the newest rendering is still the one given
        # meanwhile, whatever version it was rendered under
        store.save_article(article(src, 2))
        clock.now += CHECK_EVERY + 1
        assert await get("/about") == b"render 5"  # (moves the cache to this version)
        store.save_article(article(src, 3))
        clock.now += CHECK_EVERY + 1
        gate[6], started[6] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get())  # "/" was last rendered two versions ago (render 3)
        await asyncio.wait_for(started[6].wait(), 5)
        assert await asyncio.wait_for(get(), 5) == b"render 3"
        gate[6].set()
        assert await leader == b"render 6" and await get() == b"render 6"
        # but never one older than 2 x MAX_AGE: then they wait
        store.save_article(article(src, 4))
        clock.now += 2 * cache.max_age + 1
        gate[7], started[7] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get())
        await asyncio.wait_for(started[7].wait(), 5)
        follower = asyncio.create_task(get())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not follower.done()
        gate[7].set()
        assert await leader == await follower == b"render 7"

    asyncio.run(scenario())


def test_versions_changing_faster_than_a_render_do_not_make_every_request_render(store):
    """On a slow machine a render can outlast the gap between two stored
    articles. The render under way then finishes under a version the cache
    has moved past: the requests that waited for it get what it made (not
    each a render of its own, all at once), the next request renders the
    page anew while the others get that newest rendering, and only one
    render of a page runs at a time."""
    import asyncio

    from akhbar.web.pagecache import PageCacheMiddleware

    clock = Clock()
    cache = PageCache(store, clock=clock)
    cache.version.clock = clock
    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    renders: list[int] = []
    running = [0, 0]  # renders running now, most at once
    gate: dict[int, asyncio.Event] = {}
    started: dict[int, asyncio.Event] = {}

    async def inner(scope, receive, send):
        n = len(renders) + 1
        renders.append(n)
        running[0] += 1
        running[1] = max(running)
        try:
            if n in gate:
                started[n].set()
                await gate[n].wait()
            else:
                await asyncio.sleep(0)
        finally:
            running[0] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": f"render {n}".encode()})

    mw = PageCacheMiddleware(inner, cache)

    async def get() -> bytes:
        return await asgi_get(mw, "/")

    async def change(n):  # another article stored, and the version read anew
        store.save_article(article(src, n))
        clock.now += CHECK_EVERY + 0.1
        await cache.version.current()

    async def scenario():
        # the very first render is slow, and two changes land while it runs
        gate[1], started[1] = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(get())
        await asyncio.wait_for(started[1].wait(), 5)
        await change(1)
        waiting = [asyncio.create_task(get()) for _ in range(10)]  # nothing rendered yet: they wait
        await change(2)
        waiting += [asyncio.create_task(get()) for _ in range(10)]
        for _ in range(20):
            await asyncio.sleep(0)
        assert not any(w.done() for w in waiting)
        gate[1].set()
        # everyone gets render 1 (the version moved past it, but it is the
        # newest rendering there is), and nobody rendered the page meanwhile
        assert await first == b"render 1"
        assert set(await asyncio.wait_for(asyncio.gather(*waiting), 5)) == {b"render 1"}
        assert renders == [1]
        # the next request renders it under the current version; others
        # arriving during that render, and a change later, get render 1
        gate[2], started[2] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get())
        await asyncio.wait_for(started[2].wait(), 5)
        await change(3)
        assert set(await asyncio.wait_for(asyncio.gather(*[get() for _ in range(10)]), 5)) == {b"render 1"}
        gate[2].set()
        assert await leader == b"render 2"
        # render 2 was of a version the cache has moved past: not current,
        # so the next request renders again, but it is now the newest rendering
        gate[3], started[3] = asyncio.Event(), asyncio.Event()
        leader = asyncio.create_task(get())
        await asyncio.wait_for(started[3].wait(), 5)
        assert await asyncio.wait_for(get(), 5) == b"render 2"
        gate[3].set()
        assert await leader == b"render 3" and await get() == b"render 3"
        assert renders == [1, 2, 3] and running[1] == 1

    asyncio.run(scenario())


def test_a_request_that_read_the_version_before_a_change_does_not_move_the_cache_back(store):
    """Two requests race a change: one read the old version, one the new.
    The late one gets the old version's page and neither empties the other's
    entries; a render finished under the old version is not kept."""
    clock = Clock()
    cache = PageCache(store, clock=clock)
    old, new = ("v1",), ("v2",)
    cache.put(("home",), Entry(200, [], b"old", None, old, clock.now))
    assert cache.get(("home",), new) is None  # the cache moves to v2
    assert cache.put(("home",), Entry(200, [], b"new", None, new, clock.now))
    assert cache.get(("home",), old).body == b"old"  # the late request: its own version's page
    assert cache.get(("home",), new).body == b"new"  # still there
    assert not cache.put(("tag",), Entry(200, [], b"late", None, old, clock.now))
    assert cache.get(("tag",), new) is None and len(cache) == 1


def test_requests_go_on_with_the_version_they_have_while_one_reads_it_anew(store):
    """When the version check falls due, one request reads it; the others
    answer with the value held so far instead of each waiting on a thread
    behind that read (a burst of waits on every check, under load)."""
    import asyncio
    import threading

    from akhbar.web.pagecache import ContentVersion

    release, reading = threading.Event(), threading.Event()

    class Held:  # the real storage; its version read is held open on demand
        hold = False

        def __getattr__(self, name):
            return getattr(store, name)

        def content_version(self):
            if self.hold:
                reading.set()
                release.wait(10)
            return store.content_version()

    clock = Clock()
    held = Held()
    cv = ContentVersion(held, clock=clock)

    async def scenario():
        first = await cv.current()
        src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
        store.save_article(article(src, 1))
        clock.now += CHECK_EVERY + 1
        held.hold = True
        reader = asyncio.create_task(cv.current())
        while not reading.is_set():
            await asyncio.sleep(0.01)
        assert await asyncio.wait_for(cv.current(), 5) == first  # not held behind the read
        release.set()
        assert await reader != first and await cv.current() != first

    asyncio.run(scenario())


def test_the_weeks_popular_hashtags_are_recomputed_at_most_once_per_ttl_whatever_is_stored(store, other):
    """The home page's popular hashtags (a week of counts) are not recomputed
    after every stored article, only once per POPULAR_TTL; the newest
    articles on the same page still show at once."""
    from akhbar.web.app import POPULAR_TTL

    src = store.add_source(Source(url="https://a.example/rss", name="المصدر"))
    store.save_article(article(src, 1, tags=["تونس"]))
    app, clock = app_for(store)
    with TestClient(app) as client:
        def popular(page: str) -> str:  # the aside, not the cards (they show their tags too)
            return page.split('<aside class="trending"', 1)[1].split("</aside>", 1)[0]

        page = client.get("/").text
        assert "#تونس" in popular(page) and "#الجزائر" not in popular(page)
        for n in range(2, 5):
            other.save_article(article(src, n, tags=["الجزائر"], title=f"خبر جديد {n}"))
        clock.now += CHECK_EVERY
        page = client.get("/").text
        assert "خبر جديد 4" in page  # the page itself is rendered anew...
        assert "#الجزائر" not in popular(page)  # ...with the week's counts of before
        clock.now += POPULAR_TTL  # due: the next rendering (after the next article) recomputes them
        other.save_article(article(src, 5, tags=["الجزائر"]))
        clock.now += CHECK_EVERY
        assert "#الجزائر" in popular(client.get("/").text)


def test_a_periodic_value_is_computed_once_per_ttl_and_others_get_the_one_before_meanwhile(store):
    import threading

    clock = Clock()
    cache = PageCache(store, clock=clock)
    calls: list[int] = []
    release, computing = threading.Event(), threading.Event()

    def compute():
        calls.append(1)
        if len(calls) == 2:
            computing.set()
            release.wait(10)
        return len(calls)

    assert cache.every(("k",), compute, 30) == 1
    assert cache.get(("page",), ("another version",)) is None  # a content change keeps it
    assert cache.every(("k",), compute, 30) == 1 and calls == [1]
    clock.now += 31
    worker = threading.Thread(target=lambda: cache.every(("k",), compute, 30))
    worker.start()
    assert computing.wait(10)
    assert cache.every(("k",), compute, 30) == 1  # not held behind the recomputation
    release.set()
    worker.join(10)
    assert cache.every(("k",), compute, 30) == 2 and calls == [1, 1]
