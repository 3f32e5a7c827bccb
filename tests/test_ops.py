"""Operations endpoints: probes, Prometheus metrics, the admin's source health page,
JSON logs. Real storage (SQLite and PostgreSQL), real brokers on loopback."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from akhbar.config import load_settings
from akhbar.models import Article, Source
from akhbar.storage import PollResult
from akhbar.web import ops
from akhbar.web.app import create_app

TOKEN = "s3cret-admin-token"


def _client(tmp_path, store, **overrides) -> TestClient:
    values = dict(data_dir=tmp_path, database_url="sqlite://", admin_token=TOKEN)
    values.update(overrides)
    return TestClient(create_app(load_settings(**values), store))


def _fill(store):
    ok = store.add_source(Source(url="https://ok.example/feed", name="سليم"))
    bad = store.add_source(Source(url="https://bad.example/feed", name="Broken <b>"))
    store.record_poll(ok.id, PollResult(ok=True, status=200, next_poll_at=datetime.now(timezone.utc) + timedelta(minutes=5)))
    store.record_poll(bad.id, PollResult(ok=False, status=500, error="HTTP 500 <script>x</script>",
                                         next_poll_at=datetime.now(timezone.utc) + timedelta(hours=1)))
    now = datetime.now(timezone.utc)
    for i in range(3):
        store.save_article(Article(url=f"https://ok.example/{i}", url_key=f"ok.example/{i}", title=f"خبر {i}",
                                   source_id=ok.id, text="نص", published=now, fetched=now))
    return ok, bad


def test_probes(store, tmp_path):
    with _client(tmp_path, store) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        r = c.get("/readyz")
        assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "broker": "not configured"}


def test_readyz_fails_when_the_database_is_behind_or_away(tmp_path):
    from sqlalchemy import text

    from akhbar.storage import open_storage

    store = open_storage(f"sqlite:///{tmp_path / 'old.db'}")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    with _client(tmp_path, store) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and "0003" in r.json()["checks"]["database"]
    away = open_storage("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1", migrate=False)
    with _client(tmp_path, away) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["database"].startswith("unreachable")
        assert c.get("/healthz").status_code == 200  # the process itself is up
        assert "akhbar_database_up 0.0" in c.get("/metrics").text


@pytest.mark.parametrize("broker", ["redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672//"])
def test_readyz_and_queue_depth_with_a_real_broker(store, tmp_path, broker):
    import uuid

    from kombu import Connection

    queue = f"akhbar-ops-{uuid.uuid4().hex[:8]}"
    with Connection(broker, connect_timeout=3) as conn:
        q = conn.SimpleQueue(queue)
        for i in range(3):
            q.put({"n": i})
        try:
            with _client(tmp_path, store, broker_url=broker, queue=queue) as c:
                assert c.get("/readyz").json()["checks"]["broker"] == "ok"
                deadline = time.monotonic() + 5
                while True:  # RabbitMQ counts published messages a moment later
                    text = c.get("/metrics").text
                    if f'akhbar_queue_depth{{queue="{queue}"}} 3.0' in text or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                assert f'akhbar_queue_depth{{queue="{queue}"}} 3.0' in text
        finally:
            q.clear()
            q.close()
            for op in ("queue_delete", "exchange_delete"):  # leave the shared broker as we found it
                with Connection(broker, connect_timeout=3) as c2:
                    try:
                        getattr(c2.default_channel, op)(queue)
                    except Exception:
                        pass
            if broker.startswith("redis"):  # kombu keeps its exchange bindings in redis keys
                import redis

                redis.Redis.from_url(broker).delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    dead = broker.replace("6379", "1").replace("5672", "1")
    with _client(tmp_path, store, broker_url=dead, queue=queue) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["broker"].startswith("unreachable")


def test_metrics_count_requests_articles_and_sources(store, tmp_path):
    _fill(store)
    with _client(tmp_path, store) as c:
        for _ in range(3):
            assert c.get("/sources").status_code == 200
        c.get("/article/999999")
        r = c.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    count = re.search(r'akhbar_http_request_duration_seconds_count\{method="GET",route="/sources",status="200"\} (\d+)', text)
    assert count and int(float(count.group(1))) >= 3
    assert 'route="/article/{article_id}",status="404"' in text  # templates, never raw paths
    assert "akhbar_articles 3.0" in text
    assert re.search(r"akhbar_articles_per_second 0\.01", text)  # 3 articles in the last 300 s
    assert 'akhbar_sources{state="failing"} 1.0' in text and 'akhbar_sources{state="active"} 2.0' in text
    for name in ("akhbar_fetches_total", "akhbar_fetch_failures_total", "akhbar_articles_stored_total"):
        assert f"# TYPE {name} counter" in text


def test_admin_sources_needs_the_token(store, tmp_path):
    _fill(store)
    with _client(tmp_path, store) as c:
        r = c.get("/admin/sources")
        assert r.status_code == 401 and 'name="token"' in r.text and "Broken" not in r.text
        assert c.get("/admin/sources", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/admin/sources", cookies={ops.COOKIE: "9999999999.deadbeef"}).status_code == 401
        forged = ops.session_cookie("another-token")
        assert c.get("/admin/sources", cookies={ops.COOKIE: forged}).status_code == 401
        expired = ops.session_cookie(TOKEN, now=time.time() - ops.SESSION_SECONDS - 1)
        assert c.get("/admin/sources", cookies={ops.COOKIE: expired}).status_code == 401

        r = c.get("/admin/sources", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        body = r.text
        # the failing source first, escaped, with its error; the healthy one after it
        assert body.index("Broken &lt;b&gt;") < body.index("سليم")
        assert "HTTP 500 &lt;script&gt;" in body and "<script>x" not in body
        assert 'class="health-failing"' in body and 'class="health-ok"' in body

        bad = c.post("/admin/login", data={"token": "nope"}, follow_redirects=False)
        assert bad.status_code == 401 and ops.COOKIE not in bad.headers.get("set-cookie", "")
        ok = c.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
        assert TOKEN not in cookie
        assert c.get("/admin/sources").status_code == 200  # the browser's cookie now
        c.post("/admin/logout", follow_redirects=False)
        assert c.get("/admin/sources").status_code == 401
    with _client(tmp_path, store, admin_token="") as c:  # admin off: refused, never open
        assert c.get("/admin/sources").status_code == 403
        assert c.post("/admin/login", data={"token": ""}).status_code == 403
        assert c.get("/admin/sources", headers={"Authorization": "Bearer "}).status_code == 403


@pytest.mark.parametrize("ui", ["ar", "fr", "en"])
def test_admin_page_is_translated(store, tmp_path, ui):
    _fill(store)
    with _client(tmp_path, store) as c:
        r = c.get(f"/admin/sources?ui={ui}", headers={"Authorization": f"Bearer {TOKEN}"})
    title = {"ar": "صحة المصادر", "fr": "Santé des sources", "en": "Source health"}[ui]
    assert f"<h1>{title}</h1>" in r.text


def test_json_logs(capsys):
    from akhbar.workers.logs import configure_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("json", "INFO")
        logging.getLogger("akhbar.test").info("مصدر %s", "ok", extra={"source_id": 7})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("akhbar.test").exception("failed")
    finally:
        root.handlers[:], root.level = saved
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "مصدر ok" and lines[0]["level"] == "INFO" and lines[0]["source_id"] == 7
    assert lines[0]["logger"] == "akhbar.test" and lines[0]["time"].endswith("+00:00")
    assert "ValueError: boom" in lines[1]["exc"]


def test_worker_and_beat_commands_need_a_broker(cli):
    r = cli("worker", ok=False)
    assert r.exit_code != 0 and "AKHBAR_BROKER_URL" in r.output
    r = cli("beat", "--once", ok=False)
    assert r.exit_code != 0 and "AKHBAR_BROKER_URL" in r.output
