"""Arabic-aware search on SQLite FTS5 and PostgreSQL, same results on both."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from akhbar.models import Article, Source
from akhbar.search import SearchQuery
from akhbar.text.hashtags import hashtag_key

T0 = datetime(2025, 3, 13, 9, 0, tzinfo=timezone.utc)

DOCS = [
    # (n, source, lang, section, days_ago, title, text, tags)
    (1, "a", "ar", "politics", 0, "الحكومة الجزائرية تعلن خطة جديدة", "أعلنت الحكومة اليوم في الجزائر عن خطة لدعم الاقتصاد.", ["الجزائر"]),
    (2, "b", "ar", "politics", 5, "سفير الجزائر يتحدث لموقع ديفينس سكوب", "قال السفير بالجزائر إن المحادثات مع واشنطن تناولت صفقات السلاح.", ["ديفينس سكوب"]),
    (3, "a", "ar", "sports", 1, "المنتخب يفوز على تونس", "فاز المنتخب الوطني لكرة القدم على نظيره التونسي بهدفين.", []),
    (4, "b", "fr", "politics", 2, "L'ambassadeur d'Algérie et DefenseScoop", "Sabri Boukadoum a parlé des achats d'armes américaines.", ["DefenseScoop"]),
    (5, "a", "ar", "economy", 3, "وزير المالية: الحكومة ستخفض الضرائب", "قال وزير المالية إن حكومته ستخفض الضرائب على الشركات الصغيرة.", []),
    (6, "b", "en", "economy", 4, "Government to cut taxes", "The finance minister said the government would cut taxes.", []),
]


@pytest.fixture
def indexed(store):
    srcs = {k: store.add_source(Source(url=f"https://{k}.example/feed", name=name))
            for k, name in (("a", "الدفاع العربي"), ("b", "Tunisie Telegraph"))}
    ids = {}
    for n, src, lang, section, days, title, text, tags in DOCS:
        ids[n], _ = store.save_article(Article(
            url=f"https://{src}.example/{n}", url_key=f"{src}.example/{n}", title=title, text=text,
            source_id=srcs[src].id, lang=lang, section=section, tags=tags,
            published=datetime.now(timezone.utc) - timedelta(days=days)))
    return store, ids, srcs


def found(store, text, **kw):
    return [h.article.id for h in store.search(SearchQuery(text=text, **kw)).hits]


@pytest.mark.parametrize("query", ["حكومة", "الحكومة", "والحكومة", "للحكومة", "الحكومه", "الحُكومة"])
def test_clitics_and_spelling_variants_find_the_same_articles(indexed, query):
    store, ids, _ = indexed
    assert set(found(store, query)) >= {ids[1], ids[5]}


def test_prefix_and_hamza_variants(indexed):
    store, ids, _ = indexed
    assert set(found(store, "بالجزائر")) >= {ids[1], ids[2]}
    assert ids[1] in found(store, "اعلنت")  # أعلنت written without hamza


def test_phrase_or_and_exclusion(indexed):
    store, ids, _ = indexed
    assert found(store, '"وزير المالية"') == [ids[5]]
    assert set(found(store, "تونس OR السلاح")) == {ids[2], ids[3]}
    hits = found(store, "الحكومة -الضرائب")
    assert ids[1] in hits and ids[5] not in hits
    assert found(store, "-الحكومة") == []


def test_latin_names_inside_arabic_and_other_languages(indexed):
    store, ids, _ = indexed
    assert ids[4] in found(store, "DefenseScoop")
    assert ids[6] in found(store, "taxes")
    assert ids[4] in found(store, "algérie")


def test_filters(indexed):
    store, ids, srcs = indexed
    assert found(store, "الحكومة", section="economy") == [ids[5]]
    assert found(store, "الحكومة", source_id=srcs["a"].id, since=datetime.now(timezone.utc) - timedelta(days=1)) == [ids[1]]
    assert found(store, "الجزائر", tag_key=hashtag_key("ديفينسسكوب")) == [ids[2]]
    assert found(store, "Boukadoum", lang="ar") == []
    assert found(store, "Boukadoum", lang="fr") == [ids[4]]


def test_recency_breaks_ties_and_title_outweighs_body(indexed):
    store, ids, _ = indexed
    # both mention الحكومة in title and text; the fresher one ranks first
    assert found(store, "الحكومة")[:2] == [ids[1], ids[5]]


def test_snippets_mark_the_matching_words(indexed):
    store, ids, _ = indexed
    hit = store.search(SearchQuery(text="حكومة")).hits[0]
    assert "<mark>الحكومة</mark>" in hit.snippet


@pytest.mark.parametrize("query", ['"', "(", ")", "NEAR(a b)", "a AND OR NOT b", "*", "title:x", "\\", "'; DROP TABLE articles; --",
                                   "الحكومة" * 100, "-", '"unbalanced', "^x", "{x}", "", "   ", "و ال في من"])
def test_hostile_queries_never_fail(indexed, query):
    store, _, _ = indexed
    store.search(SearchQuery(text=query))
    assert store.count_articles() == len(DOCS)


def test_removed_source_leaves_no_search_rows(indexed):
    store, ids, srcs = indexed
    store.remove_source(srcs["a"].id)
    assert found(store, "الحكومة") == []


def test_reindex_rebuilds(indexed):
    store, ids, _ = indexed
    assert store.reindex() == len(DOCS)
    assert set(found(store, "حكومة")) >= {ids[1], ids[5]}


def test_cli_search_json(cli, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"url": "https://x.example/1", "title": "الحكومة تعلن", "text": "أعلنت الحكومة " * 20,
                                "published": "2025-03-13T09:00:00Z", "source": "مصدر"}, ensure_ascii=False) + "\n", encoding="utf-8")
    cli("replay", str(path))
    out = cli("search", "حكومة", "--json").output.strip().splitlines()
    hit = json.loads(out[-1])
    assert hit["title"] == "الحكومة تعلن" and hit["source"] == "مصدر" and hit["published"].startswith("2025-03-13")
    assert {"url", "score"} <= set(hit)


def test_search_page_and_api(indexed, settings):
    from fastapi.testclient import TestClient

    from akhbar.web.app import create_app

    store, ids, _ = indexed
    client = TestClient(create_app(settings, store))
    page = client.get("/search", params={"q": "حكومة"})
    assert page.status_code == 200
    assert "<mark>الحكومة</mark>" in page.text and f"/article/{ids[1]}" in page.text
    assert "<script" not in client.get("/search", params={"q": "<script>alert(1)</script>"}).text.split("</header>")[1]
    api = client.get("/api/v1/search", params={"q": "الحكومة", "limit": 1}).json()
    assert api["items"][0]["id"] == ids[1] and "<mark>" in api["items"][0]["snippet"]
    nxt = client.get(api["next"]).json()
    assert nxt["items"][0]["id"] == ids[5]
    assert client.get("/api/v1/search", params={"q": "x", "cursor": "abc"}).status_code == 400
    assert client.get("/api/v1/search", params={"q": "x" * 300}).status_code == 422
    assert client.get("/api/v1/search", params={"q": '"("'}).status_code == 200


def test_bounded_window_ranks_the_newest_and_widens_for_filters(indexed):
    store, ids, _ = indexed
    store.SEARCH_WINDOW = 1  # as if الحكومة matched more articles than are ranked exactly
    assert found(store, "الحكومة") == [ids[5]]  # the newest-ingested match only
    # a filter that rejects that one widens the window until it finds enough
    assert found(store, "الحكومة", section="politics") == [ids[1]]


def test_source_filter_finds_a_sources_matches_however_many_newer_matches_others_have(store):
    """The window of ranked matches is the newest of the asked source's own
    matches: with a window of 2 and no room to widen, the one old match of a
    quiet source behind newer matches of a busy one is still found."""
    busy = store.add_source(Source(url="https://busy.example/feed", name="busy"))
    quiet = store.add_source(Source(url="https://quiet.example/feed", name="quiet"))
    old_id, _ = store.save_article(Article(
        url="https://quiet.example/1", url_key="quiet.example/1", title="الحكومة تعلن الميزانية",
        text="أعلنت الحكومة الميزانية.", source_id=quiet.id, lang="ar",
        published=datetime.now(timezone.utc) - timedelta(days=3)))
    for i in range(6):
        store.save_article(Article(
            url=f"https://busy.example/{i}", url_key=f"busy.example/{i}", title=f"الحكومة والبرلمان {i}",
            text="ناقش البرلمان خطة الحكومة.", source_id=busy.id, lang="ar",
            published=datetime.now(timezone.utc) - timedelta(hours=i)))
    store.SEARCH_WINDOW = store.SEARCH_WINDOW_MAX = 2  # this instance only
    assert found(store, "الحكومة", source_id=quiet.id) == [old_id]
    assert len(found(store, "الحكومة", source_id=busy.id)) == 2  # its newest 2 matches
    assert found(store, "الحكومة", source_id=quiet.id, since=datetime.now(timezone.utc) - timedelta(days=1)) == []


def test_section_filter_finds_a_sections_matches_however_many_newer_matches_others_have(store):
    """As for a source: the ranked window is the newest of the asked
    section's own matches (a facet token on SQLite, an index on PostgreSQL)."""
    src = store.add_source(Source(url="https://a.example/feed", name="a"))
    old_id, _ = store.save_article(Article(
        url="https://a.example/old", url_key="a.example/old", title="الحكومة تدعم المستشفيات",
        text="أعلنت الحكومة دعم المستشفيات.", source_id=src.id, lang="ar", section="health",
        published=datetime.now(timezone.utc) - timedelta(days=3)))
    for i in range(6):
        store.save_article(Article(
            url=f"https://a.example/{i}", url_key=f"a.example/{i}", title=f"الحكومة والبرلمان {i}",
            text="ناقش البرلمان خطة الحكومة.", source_id=src.id, lang="ar", section="politics",
            published=datetime.now(timezone.utc) - timedelta(hours=i)))
    store.SEARCH_WINDOW = store.SEARCH_WINDOW_MAX = 2  # this instance only
    assert found(store, "الحكومة", section="health") == [old_id]
    assert len(found(store, "الحكومة", section="politics")) == 2
    # a section too large to intersect first (SQLite) is intersected once
    # filtering the newest matches has left too few
    store.FACET_MAX_SHARE = 0.0
    assert found(store, "الحكومة", section="health") == [old_id]
    assert found(store, "الحكومة", section="health", source_id=src.id) == [old_id]
    assert found(store, "الحكومة", section="sports") == []
    # a section is request input: quotes and FTS5 syntax in it match nothing and never fail
    assert found(store, "الحكومة", section='health" OR "x') == []
    assert found(store, "الحكومة", section="health) OR (*") == []


def test_no_query_reaches_the_source_facet_tokens(tmp_path):
    """Facet tokens (SQLite) filter, never match: a query written like one
    finds nothing, and a source or section filter ranks exactly as the
    unfiltered search."""
    from akhbar.search.index import section_facet, source_facet
    from akhbar.storage import open_storage

    store = open_storage(f"sqlite:///{tmp_path / 'f.db'}")
    src = store.add_source(Source(url="https://a.example/feed", name="a"))
    for i in range(3):
        store.save_article(Article(url=f"https://a.example/{i}", url_key=f"a.example/{i}", title="خبر الحكومة",
                                   text="الحكومة " * (i + 1), source_id=src.id, lang="ar", section="politics",
                                   published=datetime.now(timezone.utc) - timedelta(hours=i)))
    token, sec = source_facet(src.id), section_facet("politics")
    for q in (token, f"src{src.id}", sec, "secpolitics", "politics"):
        assert found(store, q) == [], q
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM article_search WHERE facets = ?",
                                    (f"{token} {sec}",)).scalar() == 3
    plain = store.search(SearchQuery(text="الحكومة")).hits
    for kw in ({"source_id": src.id}, {"section": "politics"}, {"source_id": src.id, "section": "politics"}):
        filtered = store.search(SearchQuery(text="الحكومة", **kw)).hits
        assert [h.article.id for h in filtered] == [h.article.id for h in plain]
        assert [h.score for h in filtered] == pytest.approx([h.score for h in plain], rel=1e-9)


def test_long_queries_scored_at_once_rank_as_when_counted_first(store):
    """SQLite scores a query of many words at once, forwards, where a short
    one is counted first: the same articles in the same order either way,
    whether the matches fit in the window or not, with or without filters."""
    if not hasattr(store, "SCORE_AT_ONCE_GROUPS"):
        pytest.skip("SQLite's search path")
    a = store.add_source(Source(url="https://a.example/feed", name="a"))
    b = store.add_source(Source(url="https://b.example/feed", name="b"))
    now = datetime.now(timezone.utc)
    ids = []
    for i in range(8):
        ids.append(store.save_article(Article(
            url=f"https://x.example/{i}", url_key=f"x.example/{i}", title="الحكومة تعلن خطة لدعم الاقتصاد",
            text="أعلنت الحكومة خطة الاقتصاد. " * (1 + i % 3), source_id=(a if i % 2 else b).id, lang="ar",
            section="health" if i == 1 else "politics", published=now - timedelta(days=8 - i)))[0])
    query = "الحكومة تعلن خطة الاقتصاد"
    cases = [{}, {"section": "health"}, {"section": "sports"}, {"source_id": a.id}, {"lang": "en"},
             {"since": now - timedelta(days=3)}]

    def ranked(**kw):
        return [(h.article.id, round(h.score, 6)) for h in store.search(SearchQuery(text=query, **kw)).hits]

    for window in (1000, 2):
        store.SEARCH_WINDOW = store.SEARCH_WINDOW_MAX = window
        for kw in cases:
            store.SCORE_AT_ONCE_GROUPS = 99  # counted first
            counted = ranked(**kw)
            store.SCORE_AT_ONCE_GROUPS = 1
            assert ranked(**kw) == counted, (window, kw)
    # with a window of 2, only the two newest matches are ranked
    assert sorted(i for i, _ in ranked()) == sorted(ids[-2:])
    store.SEARCH_WINDOW = store.SEARCH_WINDOW_MAX = 1000
    assert len(ranked()) == 8 and [i for i, _ in ranked(section="health")] == [ids[1]]
    assert ranked(lang="en") == [] and ranked(section="sports") == []
