"""Workers at scale: real Celery worker processes, real brokers (a private
redis-server, the loopback RabbitMQ), real PostgreSQL, the loopback newsroom.

Storage-level guarantees (leases, one copy per article under concurrency)
run on SQLite and PostgreSQL; the process-level tests need PostgreSQL and
the brokers and fail (never skip) under CI when those are missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from akhbar.crawl import adaptive_interval, next_poll
from akhbar.models import Article, FeedEntry, Source
from akhbar.storage import open_storage

ROOT = Path(__file__).resolve().parent.parent
AKHBAR = str(Path(sys.executable).with_name("akhbar"))
RABBIT = os.environ.get("AKHBAR_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
OUTLETS = ("BBC", "CNN", "Alarabia", "SkyNews")


def _unavailable(what: str, exc: Exception):
    if os.environ.get("CI"):
        pytest.fail(f"{what} not available: {exc}")
    pytest.skip(f"{what} not available: {exc}")


# -- storage guarantees, both backends ---------------------------------------------

def _sources(store, n):
    return [store.add_source(Source(url=f"https://s{i}.example/feed", name=f"s{i}")) for i in range(n)]


def test_claims_are_exclusive_under_concurrency(store):
    _sources(store, 12)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: [s.id for s in store.claim_due_sources(f"h{i}", 60)], range(8)))
    flat = [sid for ids in got for sid in ids]
    assert sorted(flat) == sorted(set(flat)) and len(flat) == 12  # each source claimed exactly once
    assert store.claim_due_sources("late", 60) == []  # every lease still runs


def test_lease_acquire_renew_release_and_expiry(store):
    a, b = _sources(store, 2)
    assert store.acquire_source_lease(a.id, "w1", 60)
    assert not store.acquire_source_lease(a.id, "w2", 60)  # held by w1
    assert store.acquire_source_lease(a.id, "w1", 60)  # w1 renews (a redelivered task keeps its lease)
    assert not store.release_source_lease(a.id, "w2")
    assert store.release_source_lease(a.id, "w1")
    assert store.acquire_source_lease(a.id, "w2", 60)
    later = datetime.now(timezone.utc) + timedelta(seconds=61)
    assert store.acquire_source_lease(a.id, "w3", 60, now=later)  # an expired lease is taken over
    assert not store.acquire_source_lease(9999, "w1", 60)  # no such source
    # a claimed source is not claimed again; a source not due is never claimed
    from akhbar.storage import PollResult

    store.record_poll(b.id, PollResult(ok=True, status=200, next_poll_at=later + timedelta(hours=1)))
    assert store.claim_due_sources("x", 60) == []
    assert [s.id for s in store.claim_due_sources("y", 60, now=later + timedelta(seconds=61))] == [a.id]


def test_named_lock_one_holder_epoch_counts_changes_of_holder(store):
    assert store.acquire_lock("stories", "p1", 60) == 1
    assert store.acquire_lock("stories", "p2", 60) is None  # p1 holds it
    assert store.acquire_lock("stories", "p1", 60) == 1  # renewal keeps the epoch
    later = datetime.now(timezone.utc) + timedelta(seconds=61)
    assert store.acquire_lock("stories", "p1", 60, now=later) == 1  # back after expiry, nobody between
    much_later = later + timedelta(seconds=61)
    assert store.acquire_lock("stories", "p2", 60, now=much_later) == 2  # a new holder: p1's state is stale
    assert not store.release_lock("stories", "p1")
    assert store.release_lock("stories", "p2")
    assert store.acquire_lock("stories", "p1", 60) == 3
    assert store.acquire_lock("other", "p2", 60) == 1  # locks are independent
    with ThreadPoolExecutor(8) as pool:  # concurrent takers after expiry: exactly one wins
        got = list(pool.map(lambda i: store.acquire_lock("race", f"h{i}", 60), range(8)))
    assert sum(e is not None for e in got) == 1


def test_two_writers_never_store_two_copies(store):
    src = store.add_source(Source(url="https://x.example/feed", name="x"))
    now = datetime.now(timezone.utc)

    def save(i):
        art = Article(url="https://x.example/a?utm_source=z", url_key="x.example/a", title="خبر", source_id=src.id,
                      text="نص الخبر", published=now, fetched=now, tags=["الجزائر", "تونس"], lang="ar")
        return store.save_article(art)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(save, range(16)))
    assert sum(created for _id, created in results) == 1
    assert len({_id for _id, _c in results}) == 1
    assert store.count_articles() == 1
    assert store.get_article(results[0][0]).tags == ["الجزائر", "تونس"]


def test_schema_is_at_head_with_leases(store):
    current, head = store.schema_revision()
    assert current == head
    assert "source_leases" in sa.inspect(store.engine).get_table_names()


# -- adaptive polling ------------------------------------------------------------------

def test_interval_follows_the_median_gap_between_articles_clamped(settings):
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    every = lambda minutes, n=10: [t0 + timedelta(minutes=minutes * i) for i in range(n)]
    assert adaptive_interval(settings, every(20)) == 1200  # publishes every 20 min -> polled every 20 min
    assert adaptive_interval(settings, every(1)) == settings.poll_min_interval == 300  # never below 5 min
    assert adaptive_interval(settings, every(60 * 24 * 3)) == settings.poll_max_interval == 86400  # nor above a day
    assert adaptive_interval(settings, every(20, 2)) == settings.poll_interval  # too few articles to tell
    assert adaptive_interval(replace(settings, poll_adaptive=False), every(20)) == settings.poll_interval
    # healthy: the interval; failing: exponential backoff from it, capped at a day; never before Retry-After
    now = datetime.now(timezone.utc)
    assert abs((next_poll(settings, 0, interval=1200) - now).total_seconds() - 1200) < 5
    assert abs((next_poll(settings, 2, interval=1200) - now).total_seconds() - 4800) < 5
    assert abs((next_poll(settings, 9, interval=1200) - now).total_seconds() - 86400) < 5
    assert (next_poll(settings, 0, retry_after=7200, interval=1200) - now).total_seconds() >= 7195


def test_entries_travel_as_json_and_come_back_equal():
    from akhbar.workers.tasks import entry_from_dict, entry_to_dict
    import json

    e = FeedEntry(url="https://a.example/1", title="عنوان", guid="g1", published=datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc),
                  tags=["الجزائر"], section="sport")
    assert entry_from_dict(json.loads(json.dumps(entry_to_dict(e)))) == e


# -- real workers ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free loopback port, to stop and start at will."""

    def __init__(self, workdir: Path):
        self.port, self.dir, self.proc = _free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        exe = shutil.which("redis-server")
        if not exe:
            _unavailable("redis-server", FileNotFoundError("redis-server"))
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def redis_broker(tmp_path):
    r = PrivateRedis(tmp_path).start()
    yield r
    r.stop()


@pytest.fixture
def rabbit():
    from kombu import Connection

    queue = f"akhbar-test-{uuid.uuid4().hex[:8]}"
    try:
        with Connection(RABBIT, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        _unavailable("RabbitMQ", exc)
    yield RABBIT, queue
    for op in ("queue_delete", "exchange_delete"):  # leave the shared broker as we found it
        with Connection(RABBIT, connect_timeout=3) as conn:
            try:
                getattr(conn.default_channel, op)(queue)
            except Exception:
                pass


class Cluster:
    """Worker and beat subprocesses sharing one environment."""

    def __init__(self, tmp_path: Path, db_url: str, broker: str, queue: str, **env):
        self.tmp, self.procs = tmp_path, []
        self.env = {**os.environ, "AKHBAR_DATABASE_URL": db_url, "AKHBAR_BROKER_URL": broker, "AKHBAR_QUEUE": queue,
                    "AKHBAR_DATA_DIR": str(tmp_path), "AKHBAR_ALLOW_HOSTS": "127.0.0.1", "AKHBAR_RETRIES": "1",
                    "AKHBAR_FETCH_TIMEOUT": "5", "AKHBAR_STORIES": "0", "AKHBAR_LEASE_SECONDS": "30",
                    "AKHBAR_SCHEDULE_TICK": "1", "AKHBAR_LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT), **env}

    def spawn(self, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"{args[0]}-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen([AKHBAR, *args], env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def worker(self, concurrency: int = 1) -> subprocess.Popen:
        return self.spawn("worker", "-c", str(concurrency), "--without-gossip", "--without-mingle", "-n",
                          f"w{len(self.procs)}-{uuid.uuid4().hex[:4]}@%h")

    def kill(self, proc, sig=signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                self.kill(p, signal.SIGTERM)

    def logs(self) -> str:
        return "\n".join(f"== {f.name}\n" + f.read_text("utf-8", "replace")[-3000:] for f in sorted(self.tmp.glob("*.log")))


def _add_sources(store, newsroom):
    for outlet in OUTLETS:
        store.add_source(Source(url=newsroom.url(f"/feeds/{outlet}.xml"), name=f"{outlet} عربي", lang="ar"))
    # two windows-1256 outlets republishing three BBC articles: wire copies
    # that grouping folds into the BBC article's story
    for feed in ("cp1256", "cp1256-bare"):
        store.add_source(Source(url=newsroom.url(f"/feeds/{feed}.xml"), name=feed, lang="ar"))
    store.add_source(Source(url=newsroom.url("/feeds/broken.xml"), name="Broken"))
    store.add_source(Source(url=newsroom.url("/feeds/notafeed.xml"), name="NotAFeed"))


def _snapshot(store) -> dict:
    out, cursor = {}, None
    while True:
        page = store.list_articles(limit=100, cursor=cursor)
        out.update({a.url_key: (a.title, a.section, a.lang, frozenset(a.tags)) for a in page.items})
        cursor = page.next_cursor
        if not cursor:
            return out


def assert_same_articles(store, ref_store, *, logs=lambda: "") -> None:
    """The same url_keys, titles, sections, languages and hashtags. Filing a
    spelling under another tag uses evidence from articles stored earlier,
    so arrival order may make a tag an alias on one side: a tag found on
    one side only must be filed, on the other side, under one of that
    article's tags."""
    got, ref = _snapshot(store), _snapshot(ref_store)
    assert sorted(got) == sorted(ref), logs()
    assert store.count_articles() == len(ref)  # one row per article: no copies
    for key, (title, section, lang, tags) in ref.items():
        g_title, g_section, g_lang, g_tags = got[key]
        assert (g_title, g_section, g_lang) == (title, section, lang), key
        for tag in tags - g_tags:
            canon = store.resolve_tag(tag)
            assert canon is not None and canon.name in g_tags, (key, tag, tags, g_tags)
        for tag in g_tags - tags:
            canon = ref_store.resolve_tag(tag)
            assert canon is not None and canon.name in tags, (key, tag, tags, g_tags)


@pytest.fixture(scope="module")
def reference(newsroom, tmp_path_factory):
    """What one process (`akhbar crawl --once`: Crawler.crawl_once) stores from the newsroom."""
    tmp = tmp_path_factory.mktemp("ref")
    url = f"sqlite:///{tmp / 'ref.db'}"
    store = open_storage(url)
    _add_sources(store, newsroom)
    env = {**os.environ, "AKHBAR_DATABASE_URL": url, "AKHBAR_DATA_DIR": str(tmp), "AKHBAR_ALLOW_HOSTS": "127.0.0.1",
           "AKHBAR_RETRIES": "1", "AKHBAR_FETCH_TIMEOUT": "5", "AKHBAR_STORIES": "1"}
    subprocess.run([AKHBAR, "crawl", "--once"], env=env, cwd=tmp, check=False, capture_output=True, timeout=120)
    assert store.count_articles() == sum(len(v) for v in newsroom.items.values()) + 2 * len(newsroom.cp1256_items)
    yield store
    store.close()


def _stories(store) -> set[frozenset]:
    """The stories as sets of url_keys (story ids derive from article ids,
    which differ between two stores)."""
    by_story, cursor = {}, None
    while True:
        page = store.list_articles(limit=100, cursor=cursor)
        for a in page.items:
            by_story.setdefault(a.story_id, set()).add(a.url_key)
        cursor = page.next_cursor
        if not cursor:
            break
    assert None not in by_story, f"ungrouped: {by_story.get(None)}"
    return {frozenset(v) for v in by_story.values()}


def _wait_grouped(store, cluster: Cluster, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not store.ungrouped_articles(datetime(1970, 1, 1, tzinfo=timezone.utc), limit=1):
            return
        time.sleep(0.5)
    pytest.fail(f"articles still ungrouped after {timeout}s\n{cluster.logs()}")


def _wait_for(store, expected: int, cluster: Cluster, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store.count_articles() >= expected:
            return
        time.sleep(0.25)
    state = [(s.name, s.next_poll_at, s.error_count, s.last_error, s.etag) for s in store.list_sources()]
    pytest.fail(f"{store.count_articles()}/{expected} articles after {timeout}s\n{state}\n{cluster.logs()}")


@pytest.fixture
def slow_pages(newsroom):
    """Article pages answer after 0.3 s, so a kill or an outage lands mid-crawl."""
    original = newsroom.respond

    def respond(path, headers):
        if path.startswith("/articles/"):
            time.sleep(0.3)
        return original(path, headers)

    newsroom.respond = respond
    yield
    newsroom.respond = original


def test_several_workers_store_exactly_what_one_process_stores(newsroom, reference, pg_url, redis_broker, tmp_path):
    store = open_storage(pg_url)
    _add_sources(store, newsroom)
    cluster = Cluster(tmp_path, pg_url, redis_broker.url, "akhbar", AKHBAR_STORIES="1", AKHBAR_GROUP_TICK="1")
    try:
        for _ in range(3):
            cluster.worker(concurrency=2)
        cluster.spawn("beat")
        _wait_for(store, reference.count_articles(), cluster)
        time.sleep(1.5)  # let stragglers (duplicate deliveries, re-polls) finish
        assert_same_articles(store, reference, logs=cluster.logs)
        # Two grouping consumers (the lock lets one group at a time), started
        # once the round is stored, as `akhbar crawl --once` groups after its
        # round: online clustering depends on the order articles reach it, and
        # both file what is pending oldest first, so they must agree exactly.
        for _ in range(2):
            cluster.spawn("worker", "--stories", "--without-gossip", "--without-mingle", "-n",
                          f"g{len(cluster.procs)}-{uuid.uuid4().hex[:4]}@%h")
        _wait_grouped(store, cluster)
        assert _stories(store) == _stories(reference), cluster.logs()
        assert sum(len(st) == 3 for st in _stories(reference)) >= len(newsroom.cp1256_items)  # wire copies folded
        by_name = {s.name: s for s in store.list_sources()}
        assert by_name["Broken"].error_count >= 1 and by_name["Broken"].last_error == "HTTP 500"
        assert by_name["BBC عربي"].last_error is None and by_name["BBC عربي"].next_poll_at > datetime.now(timezone.utc)
        # each feed was polled once per scheduled round: never two polls of one source at once
        feed_hits = newsroom.hits("/feeds/BBC.xml")
        assert 1 <= len(feed_hits) <= 3
    finally:
        cluster.stop()
        store.close()


def test_a_worker_killed_mid_task_loses_nothing_and_duplicates_nothing(newsroom, reference, pg_url, rabbit,
                                                                        slow_pages, tmp_path):
    url, queue = rabbit
    store = open_storage(pg_url)
    _add_sources(store, newsroom)
    cluster = Cluster(tmp_path, pg_url, url, queue)
    try:
        victim = cluster.worker(concurrency=2)
        cluster.spawn("beat", "--once").wait(60)
        _wait_for(store, 3, cluster)
        cluster.kill(victim, signal.SIGKILL)  # the whole worker, pool children included: no ack, no goodbye
        partial = store.count_articles()
        assert partial < reference.count_articles(), "the kill came too late to test anything"
        cluster.worker(concurrency=2)  # RabbitMQ requeued the unacked messages when the connection dropped
        _wait_for(store, reference.count_articles(), cluster)
        time.sleep(1.5)
        assert_same_articles(store, reference, logs=cluster.logs)
    finally:
        cluster.stop()
        store.close()


def test_the_broker_going_away_and_coming_back_is_survived(newsroom, reference, pg_url, redis_broker, slow_pages,
                                                          tmp_path):
    store = open_storage(pg_url)
    _add_sources(store, newsroom)
    # short intervals: queued messages die with this redis (no persistence); the re-poll re-queues what is missing
    cluster = Cluster(tmp_path, pg_url, redis_broker.url, "akhbar",
                      AKHBAR_POLL_INTERVAL="3", AKHBAR_POLL_MIN_INTERVAL="2", AKHBAR_POLL_MAX_INTERVAL="3")
    try:
        cluster.worker(concurrency=2)
        cluster.worker(concurrency=1)
        cluster.spawn("beat")
        _wait_for(store, 3, cluster)
        redis_broker.stop()
        time.sleep(3)
        assert store.count_articles() < reference.count_articles()
        redis_broker.start()
        _wait_for(store, reference.count_articles(), cluster, timeout=90)
        time.sleep(1.5)
        assert_same_articles(store, reference, logs=cluster.logs)
    finally:
        cluster.stop()
        store.close()


class Cuttable:
    """A loopback TCP relay to PostgreSQL that can drop every connection
    and refuse new ones: the database "goes down" for the workers only."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target, self.port = target, _free_port()
        self.up, self.conns, self.lock = False, [], threading.Lock()
        self.srv = socket.create_server(("127.0.0.1", self.port))
        self.srv.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.srv is not None:
            try:
                c, _ = self.srv.accept()
            except (socket.timeout, OSError):
                continue
            if not self.up:
                c.close()
                continue
            try:
                u = socket.create_connection(self.target)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.up = False
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.conns = []

    def close(self):
        self.cut()
        srv, self.srv = self.srv, None
        srv.close()


def test_the_database_going_away_and_coming_back_is_survived(newsroom, reference, pg_url, redis_broker, slow_pages,
                                                            tmp_path):
    relay = Cuttable()
    relay.up = True
    via_relay = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    store = open_storage(pg_url)
    _add_sources(store, newsroom)
    cluster = Cluster(tmp_path, via_relay, redis_broker.url, "akhbar")
    try:
        cluster.worker(concurrency=2)
        cluster.spawn("beat")
        _wait_for(store, 3, cluster)
        relay.cut()
        time.sleep(3)
        assert store.count_articles() < reference.count_articles()
        relay.up = True
        _wait_for(store, reference.count_articles(), cluster, timeout=90)
        time.sleep(1.5)
        assert_same_articles(store, reference, logs=cluster.logs)
    finally:
        cluster.stop()
        store.close()
        relay.close()
