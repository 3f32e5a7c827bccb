"""The public API under generated input (schemathesis over /openapi.json) and
its rate limit.

The app runs in-process over a real SQLite store holding a few articles;
every operation gets a bounded number of generated requests and none may
answer 5xx. The rate limit is checked through the app itself (429 +
Retry-After, per client address, pages and static files exempt, off by
default) and once over real HTTP with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from akhbar.models import Article, Source
from akhbar.web.app import create_app
from akhbar.web.ratelimit import RateLimit

# valid requests: no 5xx and every answer matches its documented schema; invalid ones: no 5xx
CHECKS = {GenerationMode.POSITIVE: [not_a_server_error, response_schema_conformance],
          GenerationMode.NEGATIVE: [not_a_server_error]}
T0 = datetime(2025, 3, 13, 9, 0, tzinfo=timezone.utc)


def fill(store) -> None:
    a = store.add_source(Source(url="https://a.example/feed", name="الدفاع العربي", lang="ar"))
    b = store.add_source(Source(url="https://b.example/feed", name="Tunisie Telegraph", lang="fr"))
    rows = [
        (a, "الحكومة الجزائرية تعلن خطة جديدة", "أعلنت الحكومة اليوم عن خطة لدعم الاقتصاد.", ["الجزائر", "ديفينس سكوب"], "politics"),
        (a, "المنتخب يفوز على تونس", "فاز المنتخب الوطني لكرة القدم على نظيره التونسي.", ["رياضة"], "sports"),
        (b, "L'Algérie et le pétrole", "Le gouvernement annonce un plan.", ["Algérie"], "economy"),
        (b, "Government cuts taxes", "The minister said taxes fall.", [], None),
    ]
    for n, (src, title, text, tags, section) in enumerate(rows):
        store.save_article(Article(url=f"https://x.example/{n}", url_key=f"x.example/{n}", title=title, text=text,
                                   source_id=src.id, tags=tags, section=section, lang=src.lang,
                                   published=T0 - timedelta(hours=n)))


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    from akhbar.config import load_settings
    from akhbar.storage import open_storage

    path = tmp_path_factory.mktemp("api") / "api.db"
    store = open_storage(f"sqlite:///{path}")
    fill(store)
    app = create_app(load_settings(data_dir=path.parent, database_url=f"sqlite:///{path}"), store)
    yield app
    store.close()


@pytest.fixture(scope="module")
def api_schema(api_app):
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


# (schemathesis' own pytest plugin does not run under pytest 9: each operation
# is driven here through hypothesis with the strategies schemathesis builds)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_5xx(api_schema, mode):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert {"GET /api/v1/articles", "GET /api/v1/search", "GET /api/v1/sources"} <= {
        f"{op.method.upper()} {op.path}" for op in operations}
    seen: dict[str, set[int]] = {}
    for op in operations:
        label = f"{op.method.upper()} {op.path}"

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(op.as_strategy(generation_mode=mode))
        def run(case):
            response = case.call_and_validate(checks=CHECKS[mode])
            seen.setdefault(label, set()).add(response.status_code)

        try:
            run()
        except Unsatisfiable:
            # no invalid request exists for an operation without constrained input
            assert mode is GenerationMode.NEGATIVE, label
    assert len(seen) == len(operations) if mode is GenerationMode.POSITIVE else len(seen) >= 5, seen
    assert all(code < 500 for codes in seen.values() for code in codes), seen


# -- the rate limit ----------------------------------------------------------------

@pytest.fixture
def limited(api_app):
    """The same app with a limit of one request every 2 s and a burst of 5."""
    s = dataclasses.replace(api_app.state.settings, rate_limit=0.5, rate_burst=5)
    return create_app(s, api_app.state.storage)


def test_rate_limit_is_off_by_default(api_app):
    assert api_app.state.settings.rate_limit == 0
    client = TestClient(api_app)
    assert all(client.get("/api/v1/articles?limit=1").status_code == 200 for _ in range(60))


def test_rate_limit_answers_429_with_retry_after_per_client(limited):
    alice = TestClient(limited, client=("192.0.2.1", 1000))
    bob = TestClient(limited, client=("192.0.2.2", 1000))
    codes = [alice.get("/api/v1/articles?limit=1").status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and 429 in codes[5:]
    res = alice.get("/api/v1/search", params={"q": "الحكومة"})
    assert res.status_code == 429
    assert res.headers["retry-after"] in ("1", "2") and res.json()["detail"].startswith("Too many requests")
    assert res.headers["content-security-policy"]  # the security headers wrap the 429 too
    assert alice.get("/search", params={"q": "x"}).status_code == 429  # the search page counts
    # pages and static files do not count; another client has its own bucket
    assert alice.get("/").status_code == 200 and alice.get("/sources").status_code == 200
    assert bob.get("/api/v1/articles?limit=1").status_code == 200
    time.sleep(2.1)  # one token back at 0.5/s
    assert alice.get("/api/v1/articles?limit=1").status_code == 200


def test_rate_limit_table_is_bounded_and_refills():
    clock = [0.0]

    async def app(scope, receive, send):  # an ASGI app that answers 200
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    rl = RateLimit(app, rate=1.0, burst=2, max_clients=100, clock=lambda: clock[0])
    for i in range(1000):
        assert rl.take(f"10.0.{i // 256}.{i % 256}") == 0
    assert len(rl._buckets) == 100
    assert rl.take("x") == 0 and rl.take("x") == 0
    assert rl.take("x") == pytest.approx(1.0)
    clock[0] += 0.5
    assert rl.take("x") == pytest.approx(0.5)
    clock[0] += 10
    assert rl.take("x") == 0  # refilled, but never beyond the burst
    assert rl.take("x") == 0 and rl.take("x") > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rate_limit_over_real_http(limited):
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(limited, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as c:
            codes = [c.get("/api/v1/sources").status_code for _ in range(10)]
        assert codes.count(200) >= 5 and codes.count(429) >= 3, codes
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# -- the search page (not in the OpenAPI document) under generated input -------------

@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(q=st.text(max_size=400) | st.lists(st.sampled_from(['"', "(", ")", "-", "OR", "NOT", "NEAR", "*", ":", "{", "}",
                                                             "'; DROP TABLE articles; --", "الحكومة", "\\x00", "%"]),
                                           max_size=20).map(" ".join),
       page=st.integers(-10, 10**6).map(str) | st.text(max_size=5),
       source=st.integers(-1, 2**63 - 1).map(str) | st.text(max_size=4) | st.just(""))
def test_search_page_never_fails_on_any_query(api_app, q, page, source):
    client = TestClient(api_app)
    res = client.get("/search", params={"q": q, "page": page, "source": source})
    assert res.status_code in (200, 404, 422), (q, page, source, res.status_code)
    api = client.get("/api/v1/search", params={"q": q})
    assert api.status_code in (200, 422), (q, api.status_code)
    assert api_app.state.storage.count_articles() == 4


def test_search_page_with_a_source_id_past_sqlite_integers_is_not_a_500(api_app):
    res = TestClient(api_app, raise_server_exceptions=False).get("/search", params={"q": "الحكومة", "source": str(2**63)})
    assert res.status_code < 500
