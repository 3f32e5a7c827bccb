"""Storage contract, run against SQLite and a real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from akhbar.models import Article, Source
from akhbar.storage import PollResult
from akhbar.text.hashtags import hashtag_key

T0 = datetime(2025, 3, 13, 9, 0, tzinfo=timezone.utc)


def art(src, n, *, tags=(), when=None, guid=None, key=None):
    return Article(url=f"https://ex.org/{n}", url_key=key or f"ex.org/{n}", title=f"خبر {n}", source_id=src.id,
                   guid=guid, published=when or T0 + timedelta(minutes=n), tags=list(tags), text="نص")


def test_sources_add_is_idempotent_and_lists_counts(store):
    a = store.add_source(Source(url="https://a.example/feed", name="أ", lang="ar"))
    again = store.add_source(Source(url="https://a.example/feed", name="other"))
    assert again.id == a.id and again.name == "أ"
    store.save_article(art(a, 1))
    [listed] = store.list_sources()
    assert listed.article_count == 1
    assert store.set_source_status(a.id, "paused") and store.list_sources("active") == []
    with pytest.raises(ValueError):
        store.set_source_status(a.id, "deleted")


def test_same_url_or_same_guid_is_stored_once(store):
    src = store.add_source(Source(url="https://a.example/feed"))
    first, created = store.save_article(art(src, 1, guid="g1"))
    assert created
    assert store.save_article(art(src, 1, guid="g1")) == (first, False)
    # same guid, different URL (tracking params, moved page): still one
    assert store.save_article(art(src, 2, guid="g1")) == (first, False)
    # same URL key, different guid: still one
    assert store.save_article(art(src, 3, guid="g3", key="ex.org/1")) == (first, False)
    assert store.count_articles() == 1
    assert store.known_articles(src.id, ["ex.org/1", "ex.org/9"], ["g1", "g9"]) == {"ex.org/1", "g1"}


def test_failed_save_leaves_nothing_half_written(store):
    src = store.add_source(Source(url="https://a.example/feed"))
    broken = art(src, 1, tags=["سياسة", None])  # the tag step fails after the article insert
    with pytest.raises(Exception):
        store.save_article(broken)
    assert store.count_articles() == 0 and store.get_tag(hashtag_key("سياسة")) is None
    assert store.save_article(art(src, 1, tags=["سياسة"]))[1]


def test_cursor_pages_cover_everything_once_even_with_equal_timestamps(store):
    src = store.add_source(Source(url="https://a.example/feed"))
    for n in range(45):
        store.save_article(art(src, n, when=T0 + timedelta(minutes=n // 3), tags=["ديفينسسكوب"] if n % 2 else []))
    seen, cursor, sizes = [], None, []
    while True:
        page = store.list_articles(limit=20, cursor=cursor)
        sizes.append(len(page.items))
        seen.extend(a.id for a in page.items)
        if not (cursor := page.next_cursor):
            break
    assert sizes == [20, 20, 5] and len(set(seen)) == 45
    stamps = [store.get_article(i).published for i in seen]
    assert stamps == sorted(stamps, reverse=True)
    tagged, cursor = [], None
    while True:
        page = store.list_articles(limit=7, cursor=cursor, tag_key=hashtag_key("ديفينس سكوب"))
        tagged.extend(a.id for a in page.items)
        if not (cursor := page.next_cursor):
            break
    assert len(tagged) == 22 == len(set(tagged))
    assert all("ديفينسسكوب" in store.get_article(i).tags for i in tagged)
    with pytest.raises(ValueError):
        store.list_articles(cursor="not-a-cursor")


def test_tags_are_shared_across_spellings_and_counted(store):
    src = store.add_source(Source(url="https://a.example/feed"))
    store.save_article(art(src, 1, tags=["أخبار"]))
    store.save_article(art(src, 2, tags=["اخبار", "رياضه"]))
    tag = store.get_tag(hashtag_key("إخبار"))
    assert tag.name == "أخبار" and tag.count == 2
    assert [t.name for t in store.top_tags(5)] == ["أخبار", "رياضه"]
    # only article 2 is recent enough: each of its tags counts once
    assert [(t.name, t.count) for t in store.top_tags(5, since=T0 + timedelta(minutes=2))] == [("أخبار", 1), ("رياضه", 1)]


def test_an_articles_hashtags_keep_the_analysis_order(store):
    # the card shows the first hashtags: the most salient, not the oldest tag
    src = store.add_source(Source(url="https://a.example/feed"))
    store.save_article(art(src, 1, tags=["تونس", "الجزائر"]))
    aid, _ = store.save_article(art(src, 2, tags=["ديفينسسكوب", "الجزائر", "تونس"]))
    assert store.get_article(aid).tags == ["ديفينسسكوب", "الجزائر", "تونس"]
    assert store.list_articles(limit=1).items[0].tags == ["ديفينسسكوب", "الجزائر", "تونس"]
    # a merge re-points the alias's rows and keeps their rank
    aid3, _ = store.save_article(art(src, 3, tags=["DefenseScoop", "المغرب"]))
    store.set_alias("DefenseScoop", "ديفينسسكوب")
    assert store.get_article(aid3).tags == ["ديفينسسكوب", "المغرب"]


def test_record_poll_and_remove_source(store):
    src = store.add_source(Source(url="https://a.example/feed"))
    store.record_poll(src.id, PollResult(ok=False, status=500, error="HTTP 500"))
    store.record_poll(src.id, PollResult(ok=False, status=500, error="HTTP 500"))
    s = store.get_source(src.id)
    assert s.error_count == 2 and s.last_error == "HTTP 500" and s.last_polled_at is not None
    store.record_poll(src.id, PollResult(ok=True, status=200, etag='"e1"', last_modified="Thu, 13 Mar 2025 09:00:00 GMT"))
    store.record_poll(src.id, PollResult(ok=True, status=304))
    s = store.get_source(src.id)
    assert (s.error_count, s.last_error, s.etag, s.last_status) == (0, None, '"e1"', 304)
    store.save_article(art(src, 1, tags=["x"]))
    assert store.remove_source(src.id)
    assert store.count_articles() == 0 and store.get_source(src.id) is None
