"""The JSON API for native apps: ETag / 304, Cache-Control and CORS."""

from __future__ import annotations

from fastapi.testclient import TestClient

from akhbar.config import load_settings
from akhbar.models import Source
from akhbar.web.app import create_app
from tests.test_web import add


def _app(store, **settings):
    return create_app(load_settings(database_url="sqlite://", **settings), storage=store)


def test_api_answers_carry_an_etag_and_a_matching_if_none_match_gets_304(storage):
    src = storage.add_source(Source(url="https://a.example/rss", name="أ", lang="ar"))
    add(storage, src, 1)
    with TestClient(_app(storage)) as client:
        first = client.get("/api/v1/articles")
        etag = first.headers["etag"]
        assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=30"
        again = client.get("/api/v1/articles", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        # new news: the old ETag no longer matches
        add(storage, src, 2)
        fresh = client.get("/api/v1/articles", headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag and len(fresh.json()["items"]) == 2
        # errors and pages are not cached this way
        assert "etag" not in client.get("/api/v1/articles/999").headers
        assert "etag" not in client.get("/").headers


def test_cors_is_off_by_default_and_read_only_when_configured(storage):
    origin = {"Origin": "https://app.example"}
    with TestClient(_app(storage)) as client:
        assert "access-control-allow-origin" not in client.get("/api/v1/articles", headers=origin).headers
    with TestClient(_app(storage, cors_origins=("https://app.example",))) as client:
        r = client.get("/api/v1/articles", headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        assert "ETag" in r.headers["access-control-expose-headers"]
        other = client.get("/api/v1/articles", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = client.options("/api/v1/admin/aliases", headers={**origin, "Access-Control-Request-Method": "PUT"})
        assert pre.status_code == 400  # admin actions cannot be called cross-origin
