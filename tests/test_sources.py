"""Sources: the shipped defaults, OPML fixtures (tests/fixtures/opml, each
stating in its `Expect:` JSON what parse_opml must return), OPML round
trips and importing into a real SQLite storage."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from akhbar.models import Source
from akhbar.sources import OPMLError, import_sources, load_default_sources, parse_opml, to_opml
from akhbar.storage import open_storage

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "opml").glob("*.opml"))
_EXPECT_RE = re.compile(r"Expect:\s*(\{.*?\})\s*-->", re.S)


def expectation(path: Path) -> dict:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # the ISO-8859-1 fixture keeps its Expect in ASCII
    m = _EXPECT_RE.search(text)
    assert m, f"{path.name} states no Expect"
    return json.loads(m.group(1))


# -- defaults ------------------------------------------------------------
def test_defaults_load_and_are_complete():
    sources = load_default_sources()
    assert 25 <= len(sources) <= 35
    urls = [s.url for s in sources]
    assert len(set(urls)) == len(urls), "duplicate feed URLs"
    for s in sources:
        assert isinstance(s, Source)
        assert s.name.strip() and s.lang in {"ar", "fr", "en"}
        for url in (s.url, s.homepage):
            assert urlparse(url).scheme == "https" and urlparse(url).netloc, url
        assert s.country and re.fullmatch(r"[A-Z]{2}", s.country), s
    langs = Counter(s.lang for s in sources)
    assert langs["ar"] > len(sources) / 2, langs
    assert langs["fr"] >= 4 and langs["en"] >= 4


def test_defaults_include_known_feeds_with_native_names():
    by_url = {s.url: s for s in load_default_sources()}
    assert by_url["https://feeds.bbci.co.uk/arabic/rss.xml"].name == "بي بي سي عربي"
    assert by_url["https://www.lemonde.fr/rss/une.xml"].lang == "fr"
    assert "https://rss.dw.com/rdf/rss-ar-all" in by_url
    assert len({s.country for s in by_url.values() if s.lang == "ar"}) >= 10


def test_defaults_are_fresh_objects():
    a, b = load_default_sources(), load_default_sources()
    a[0].name = "changed"
    assert b[0].name != "changed"


# -- OPML fixtures -------------------------------------------------------
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_opml_fixture(path: Path):
    expect = expectation(path)
    t0 = time.monotonic()
    try:
        found, error = parse_opml(path.read_bytes()), None
    except OPMLError as exc:
        found, error = None, exc
    assert time.monotonic() - t0 < expect.get("max_seconds", 2), "parsing must stay cheap on hostile input"
    if expect.get("error"):
        assert error is not None, "expected OPMLError"
        if "error_match" in expect:
            assert expect["error_match"] in str(error)
        return
    if expect.get("error_or_unexpanded"):
        if error is not None:
            return
    else:
        assert error is None, error
    by_url = {s.url: s for s in found}
    if "not_contains" in expect:
        text = " ".join(f"{s.name} {s.section} {s.homepage} {s.lang}" for s in found)
        assert expect["not_contains"] not in text
    if "count" in expect:
        assert len(found) == expect["count"]
    if "urls" in expect:
        assert [s.url for s in found] == expect["urls"]
    for key, attr in (("names", "name"), ("sections", "section"), ("homepages", "homepage"), ("langs", "lang")):
        for url, value in expect.get(key, {}).items():
            assert getattr(by_url[url], attr) == value, (url, attr)


def test_fixtures_are_present():
    names = {p.name for p in FIXTURES}
    assert {"reader_export_folders.opml", "opml1_lowercase_latin1.opml", "malformed.opml", "billion_laughs.opml"} <= names


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml at all", b"<opml version='2.0'><head/></opml>"])
def test_garbage_raises_opml_error(data):
    with pytest.raises(OPMLError):
        parse_opml(data)


# -- round trip ----------------------------------------------------------
def _key(s: Source):
    return (s.url, s.name, s.homepage, s.lang)


def test_round_trip_defaults_is_lossless():
    sources = load_default_sources()
    data = to_opml(sources, title="أخبار")
    assert data.startswith(b"<?xml") and b"UTF-8" in data[:60]
    assert "بي بي سي عربي".encode() in data  # written as UTF-8, not character references
    back = parse_opml(data)
    assert sorted(map(_key, back)) == sorted(map(_key, sources))
    assert {s.url: s.section for s in back} == {s.url: s.section for s in sources}


def test_to_opml_is_opml_2():
    from lxml import etree

    data = to_opml([Source(url="https://a.example/feed", name="خبر & <رأي>", lang="ar")], title="عنوان")
    root = etree.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "عنوان"
    assert re.match(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT", root.findtext("head/dateCreated"))
    (o,) = root.findall("body/outline")
    assert o.attrib == {"type": "rss", "text": "خبر & <رأي>", "title": "خبر & <رأي>",
                        "xmlUrl": "https://a.example/feed", "language": "ar"}
    assert parse_opml(data)[0].name == "خبر & <رأي>"


def test_round_trip_odd_values():
    sources = [
        Source(url="https://a.example/feed?x=1&y=2", name="  الاسم  مع مسافات", homepage="https://a.example/"),
        Source(url="https://b.example/rss", name="Presse \"française\" 'citée'", lang="fr-FR", section="Monde"),
        Source(url="https://c.example/rss", name="C", section="Monde"),
    ]
    back = parse_opml(to_opml(sources))
    assert [(s.url, s.name.strip(), s.homepage, s.lang, s.section) for s in back] == [
        (s.url, s.name.strip(), s.homepage, s.lang, s.section) for s in sources
    ]


# -- import ----------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    s = open_storage(f"sqlite:///{tmp_path / 't.db'}")
    yield s
    s.close()


def test_import_counts_and_is_idempotent(store):
    defaults = load_default_sources()
    assert import_sources(store, defaults) == (len(defaults), 0)
    assert import_sources(store, defaults) == (0, len(defaults))
    listed = store.list_sources()
    assert len(listed) == len(defaults)
    got = {s.url: s for s in listed}
    bbc = got["https://feeds.bbci.co.uk/arabic/rss.xml"]
    assert (bbc.name, bbc.lang, bbc.country, bbc.homepage) == ("بي بي سي عربي", "ar", "GB", "https://www.bbc.com/arabic")


def test_import_opml_mixes_new_and_existing(store):
    found = parse_opml((Path(__file__).parent / "fixtures" / "opml" / "reader_export_folders.opml").read_bytes())
    store.add_source(Source(url="https://www.hespress.com/feed", name="هسبريس"))
    assert import_sources(store, found) == (len(found) - 1, 1)
    assert import_sources(store, found) == (0, len(found))
    assert store.get_source_by_url("https://www.aljazeera.net/feed").section == "أخبار عربية"
    assert len(store.list_sources()) == len(found)
