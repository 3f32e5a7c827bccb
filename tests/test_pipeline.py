"""build_article: how feed entry and page merge (pure, no I/O)."""

from datetime import datetime, timezone

from akhbar.models import ExtractedPage, FeedEntry, Source
from akhbar.pipeline import build_article, content_hash, url_key

NOW = datetime(2025, 3, 13, 12, tzinfo=timezone.utc)
SRC = Source(url="https://da.example/feed", name="الدفاع العربي", id=1, lang="ar")
BODY = "قال السفير الجزائري صبري بوقادوم في حديث لموقع ديفينس سكوب إن بلاده تدرس شراء معدات عسكرية أمريكية. " * 3


def test_url_key_ignores_scheme_www_tracking_and_fragment():
    assert url_key("https://www.Example.org/a/1/?utm_source=rss&id=3#top") == url_key("http://example.org/a/1?id=3")
    assert url_key("https://example.org/a/1?id=3") != url_key("https://example.org/a/1?id=4")


def test_page_text_wins_and_feed_text_is_the_fallback():
    entry = FeedEntry(url="https://da.example/a/1", title="عنوان", summary="ملخص قصير", tags=["سياسة", "ديفينس سكوب"])
    page = ExtractedPage(url=entry.url, title="عنوان - الموقع", text=BODY, html="<p>x</p>", author="فلان")
    a = build_article(entry, page, SRC, NOW)
    assert a.extracted and a.text == BODY and a.author == "فلان" and a.title == "عنوان"
    # the feed's "سياسة" is the section; the names in the text are hashtags
    assert a.section == "politics" and "ديفينسسكوب" in a.tags and "صبريبوقادوم" in a.tags
    assert "سياسة" not in a.tags and "الجزائري" not in a.tags
    assert a.published == NOW  # no date anywhere: the time we saw it
    b = build_article(entry, None, SRC, NOW)
    assert not b.extracted and b.text == "ملخص قصير" and "<p>" in b.html


def test_foreign_canonical_url_is_ignored():
    entry = FeedEntry(url="https://da.example/a/1", title="عنوان")
    page = ExtractedPage(url=entry.url, text=BODY, canonical_url="https://victim.example/story")
    assert build_article(entry, page, SRC, NOW).url_key == url_key(entry.url)
    page.canonical_url = "https://www.da.example/a/1-canonical"
    assert build_article(entry, page, SRC, NOW).url_key == "da.example/a/1-canonical"


def test_content_hash_ignores_diacritics_and_spacing():
    assert content_hash("عنوان", "مُحَمَّد  قال") == content_hash("عنوان", "محمد قال")
