"""Feed fixtures (tests/fixtures/feeds): each file states what it tests and,
in its `Expect:` JSON, what parse_feed must return."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from akhbar.feeds import FeedParseError, parse_feed
from akhbar.fetching import decode_body

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "feeds").iterdir())
_EXPECT_RE = re.compile(r"Expect:\s*(\{.*?\})\s*(?:-->|\"\s*,|$)", re.S)


def expectation(path: Path) -> dict:
    text = decode_body(path.read_bytes())[0]
    m = _EXPECT_RE.search(text)
    assert m, f"{path.name} states no Expect"
    return json.loads(m.group(1).replace('\\"', '"'))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture(path: Path):
    expect = expectation(path)
    t0 = time.monotonic()
    feed = parse_feed(path.read_bytes(), f"https://fixture.example/{path.name}")
    assert time.monotonic() - t0 < 2, "parsing must stay cheap on hostile input"
    e0 = feed.entries[0] if feed.entries else None
    if "entries" in expect:
        assert len(feed.entries) == expect["entries"]
    if "lang" in expect:
        assert (feed.lang or "").startswith(expect["lang"])
    if "title0" in expect:
        assert e0.title == expect["title0"]
    if "tags0" in expect:
        assert e0.tags == expect["tags0"]
    if "image0" in expect:
        assert e0.image == expect["image0"]
    if "published0" in expect:
        assert e0.published.isoformat() == expect["published0"]
    if "content0_contains" in expect:
        assert expect["content0_contains"] in e0.content_html
        assert "<script" not in e0.content_html
    if "bozo" in expect:
        assert bool(feed.bozo) == expect["bozo"]
    if "max_title_len" in expect:
        assert all(len(e.title) <= expect["max_title_len"] for e in feed.entries)
    if "not_contains" in expect:
        assert all(expect["not_contains"] not in (e.title + e.summary) for e in feed.entries)


def test_html_is_not_a_feed():
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"<html><body><p>hello</p></body></html>", "https://x.example/")


def test_summaries_become_plain_text():
    feed = parse_feed((Path(__file__).parent / "fixtures" / "feeds" / "rss2_arabic_categories.xml").read_bytes())
    assert feed.entries[0].summary.startswith("قال السفير صبري بوقادوم")
    assert "<" not in feed.entries[0].summary


def test_references_to_surrogates_or_past_unicode_do_not_break_the_parser():
    # found by hypothesis: feedparser's loose parser raised UnicodeEncodeError on &#xd800;
    for ref in ("&#xd800;", "&#55296;", "&#x110000;", "&#99999999999;"):
        body = (f'<rss version="2.0"><channel><title>t{ref}</title><item><title>خبر {ref} عاجل</title>'
                f'<link>https://x.example/a</link></item></channel></rss>').encode()
        feed = parse_feed(body, "https://x.example/feed", "application/rss+xml")
        [entry] = feed.entries
        assert entry.title.startswith("خبر") and entry.title.endswith("عاجل") and "\ud800" not in entry.title
