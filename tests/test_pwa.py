"""The installable app, feeds out and discovery, against a real SQLite database.

Manifest, service worker, offline/saved/for-you/about pages, RSS 2.0 and JSON
Feed beside Atom, sitemap.xml, robots.txt, canonical and social meta, and each
article text's own lang/dir. The browser side is in tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
import struct
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import lxml.html
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from akhbar.models import Article, Source
from akhbar.web.app import create_app

T0 = datetime(2025, 3, 13, 10, 0, tzinfo=timezone.utc)
TAG = "ديفينسسكوب"
WEB = Path(__file__).parent.parent / "akhbar" / "web"


@pytest.fixture
def client(settings, storage):
    with TestClient(create_app(settings, storage)) as c:
        yield c


@pytest.fixture
def src(storage):
    return storage.add_source(Source(url="https://arabic.example/rss", name="وكالة المثال", lang="ar",
                                     homepage="https://arabic.example/"))


def add(storage, source, n, **fields) -> int:
    values = dict(title=f"خبر رقم {n}", text="نص الخبر.", lang="ar", tags=[TAG], section="politics")
    values.update(fields)
    article = Article(url=f"https://arabic.example/news/{n}", url_key=f"arabic.example/news/{n}",
                      source_id=source.id, published=T0 + timedelta(minutes=n), **values)
    return storage.save_article(article)[0]


def doc(response):
    return lxml.html.fromstring(response.text)


# -- the app ---------------------------------------------------------------------

def test_manifest_is_arabic_rtl_with_png_and_maskable_icons(client):
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    m = json.loads(r.content)
    assert m["name"] == "أخبار" and m["short_name"] and m["lang"] == "ar" and m["dir"] == "rtl"
    assert m["start_url"] == "/" and m["scope"] == "/" and m["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", m["theme_color"]) and re.fullmatch(r"#[0-9a-f]{6}", m["background_color"])
    pngs = {(i["sizes"], i["purpose"]): i["src"] for i in m["icons"] if i["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(pngs)
    for (sizes, _purpose), src in pngs.items():
        icon = client.get(src)
        assert icon.status_code == 200 and icon.content[:8] == b"\x89PNG\r\n\x1a\n", src
        width, height = struct.unpack(">II", icon.content[16:24])
        assert f"{width}x{height}" == sizes, src
    # every page links it
    assert doc(client.get("/")).xpath('//link[@rel="manifest"]/@href') == ["/manifest.webmanifest"]


def test_service_worker_is_served_from_the_root_and_precaches_the_shell(client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    body = r.text
    assert "__VERSION__" not in body and "__SHELL__" not in body and "__SAVED_CACHE__" not in body
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))
    assert {"/offline", "/saved", "/for-you"} <= set(shell)
    assert any(u.startswith("/static/style.css") for u in shell)
    assert any(u.endswith(".woff2") for u in shell) and "/static/icons/icon-192.png" in shell
    for url in shell:  # a missing file would make the install fail
        assert client.get(url).status_code == 200, url
    # what the pages ask for is what is precached
    page = doc(client.get("/"))
    assert set(page.xpath("//link[@rel='stylesheet']/@href") + page.xpath("//script/@src")) <= set(shell)


def test_fonts_are_self_hosted_woff2_with_swap_and_their_licence(client):
    css = client.get("/static/style.css").text
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) == 4 and all("font-display: swap" in f for f in faces)
    urls = re.findall(r"url\((/static/fonts/[^)]+\.woff2)\)", css)
    assert len(urls) == 4
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200 and r.content[:4] == b"wOF2", url
    assert "SIL OPEN FONT LICENSE" in (WEB / "static" / "fonts" / "OFL.txt").read_text().upper()
    assert "http" not in "".join(re.findall(r"url\(([^)]*)\)", css))  # nothing from elsewhere


def test_pages_carry_scripts_only_as_same_origin_files(client, storage, src):
    """The CSP allows scripts from 'self' only: no inline script, no handler attribute, no style attribute."""
    aid = add(storage, src, 1, html='<p>نص</p><script>alert(1)</script><p onclick="alert(2)">ب</p>')
    for url in ["/", f"/article/{aid}", f"/tag/{quote(TAG)}", f"/source/{src.id}", "/sources", "/section/politics",
                "/search?q=نص", "/offline", "/saved", "/for-you", "/about", "/nope"]:
        r = client.get(url)
        page = doc(r)
        scripts = page.xpath("//script")
        assert scripts, url
        for s in scripts:
            assert s.get("src", "").startswith("/static/") and not (s.text or "").strip(), url
        assert not page.xpath("//@*[starts-with(name(), 'on')]") and "style=" not in r.text, url
        assert "alert(" not in r.text, url
        assert "script-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/offline", "/saved", "/for-you", "/about"])
def test_app_pages_render_in_each_interface_language(client, storage, src, path):
    add(storage, src, 1)
    r = client.get(path)
    assert r.status_code == 200 and '<html lang="ar" dir="rtl">' in r.text
    title = doc(r).findtext(".//h1")
    fr = client.get(path + "?ui=fr")
    assert '<html lang="fr" dir="ltr">' in fr.text and doc(fr).findtext(".//h1") != title


def test_for_you_and_saved_pages_have_the_card_template_and_states(client):
    for path, states in (("/for-you", {"empty", "loading", "nothing", "error", "list"}),
                         ("/saved", {"empty", "loading", "error", "list"})):
        page = doc(client.get(path))
        assert set(page.xpath("//*[@data-state]/@data-state")) == states, path
        assert page.xpath("//template[@id='card-template']"), path


def test_follow_and_save_buttons(client, storage, src):
    aid = add(storage, src, 1)
    [follow] = doc(client.get(f"/tag/{quote(TAG)}")).xpath("//button[@data-follow-kind]")
    assert follow.get("data-follow-kind") == "tag" and follow.get("data-follow-id") == TAG
    assert follow.get("hidden") is not None  # shown by app.js only: no dead button without it
    assert follow.get("data-label-off") == "متابعة"
    [follow] = doc(client.get(f"/source/{src.id}")).xpath("//button[@data-follow-kind]")
    assert follow.get("data-follow-kind") == "source" and follow.get("data-follow-id") == str(src.id)
    [save] = doc(client.get(f"/article/{aid}")).xpath("//button[@data-save-article]")
    assert save.get("data-save-article") == f"/article/{aid}" and save.get("hidden") is not None


def test_about_page_counts(client, storage, src):
    add(storage, src, 1)
    add(storage, src, 2)
    text = doc(client.get("/about")).text_content()
    assert "عن أخبار" in text and "٢" in text and "١" in text


# -- per-element direction -------------------------------------------------------------

def test_every_card_snippet_and_body_has_its_own_lang_and_dir(client, storage, src):
    fr = storage.add_source(Source(url="https://fr.example/rss", name="Le Quotidien", lang="fr"))
    fid = add(storage, fr, 2, lang="fr", title="Le titre", text="Premier paragraphe sur la réunion.", tags=["réunion"])
    aid = add(storage, src, 1, text="الفقرة الأولى عن الاجتماع.")
    unknown = add(storage, src, 3, lang=None, title="?", text="123")

    page = doc(client.get("/"))
    by_href = {c.xpath(".//h2/a/@href")[0]: c for c in page.xpath("//article[contains(@class, 'card')]")}
    for aid_, lang, direction in ((fid, "fr", "ltr"), (aid, "ar", "rtl"), (unknown, None, "auto")):
        card = by_href[f"/article/{aid_}"]
        [excerpt] = card.xpath(".//p[@class='excerpt']")
        for el in (card, excerpt):
            assert el.get("lang") == lang and el.get("dir") == direction, (aid_, el.tag)

    body = doc(client.get(f"/article/{fid}")).xpath("//div[@class='body']")[0]
    assert body.get("lang") == "fr" and body.get("dir") == "ltr"

    storage.reindex()
    hits = doc(client.get("/search?q=" + quote("réunion"))).xpath("//li[contains(@class, 'card')]")
    assert hits and hits[0].get("lang") == "fr" and hits[0].get("dir") == "ltr"
    assert hits[0].xpath(".//p[@class='excerpt']")[0].get("dir") == "ltr"


# -- head: canonical, alternates, social -------------------------------------------------

def test_canonical_on_every_page(client, storage, src):
    aid = add(storage, src, 1)
    pages = {
        "/": "http://testserver/",
        f"/article/{aid}?ui=fr": f"http://testserver/article/{aid}",
        "/tag/" + quote("ديفينس سكوب"): "http://testserver/tag/" + quote(TAG, safe=""),  # one page per tag
        f"/source/{src.id}?ui=en": f"http://testserver/source/{src.id}",
        "/section/politics": "http://testserver/section/politics",
        "/sources": "http://testserver/sources",
        "/search?q=" + quote("خبر") + "&page=2": "http://testserver/search?q=" + quote("خبر"),
        "/about": "http://testserver/about",
        "/for-you": "http://testserver/for-you",
        "/saved": "http://testserver/saved",
        "/offline": "http://testserver/offline",
    }
    for url, canonical in pages.items():
        assert doc(client.get(url)).xpath("//link[@rel='canonical']/@href") == [canonical], url


def test_feed_alternates_in_the_head(client, storage, src):
    add(storage, src, 1)
    for path in ("/tag/" + quote(TAG, safe=""), f"/source/{src.id}", "/section/politics"):
        links = doc(client.get(path)).xpath("//head/link[@rel='alternate']")
        assert {(l.get("type"), l.get("href")) for l in links} == {
            ("application/atom+xml", path + "/feed.atom"),
            ("application/rss+xml", path + "/feed.rss"),
            ("application/feed+json", path + "/feed.json"),
        }, path
        for l in links:
            assert client.get(l.get("href")).status_code == 200


def test_opengraph_and_twitter_meta(client, storage, src):
    aid = add(storage, src, 1, summary="ملخص الخبر", image="https://arabic.example/a.jpg")
    page = doc(client.get(f"/article/{aid}"))
    meta = {m.get("property") or m.get("name"): m.get("content") for m in page.xpath("//head/meta")}
    assert meta["og:type"] == "article" and meta["og:title"] == "خبر رقم 1"
    assert meta["og:description"] == "ملخص الخبر" and meta["og:image"] == "https://arabic.example/a.jpg"
    assert meta["og:url"] == f"http://testserver/article/{aid}" and meta["og:locale"] == "ar_AR"
    assert meta["twitter:card"] == "summary_large_image" and meta["article:published_time"].startswith("2025-03-13")
    for path, title in ((f"/tag/{quote(TAG)}", f"أحدث الأخبار مع #{TAG}"), (f"/source/{src.id}", "وكالة المثال")):
        meta = {m.get("property") or m.get("name"): m.get("content") for m in doc(client.get(path)).xpath("//head/meta")}
        assert meta["og:title"] == title and meta["twitter:card"] == "summary" and meta["og:image"].endswith(".png")


# -- feeds out ------------------------------------------------------------------------

FEEDS = ["/section/politics", "/tag/" + quote(TAG, safe=""), "/source/{id}"]


def test_rss_feeds_per_section_tag_and_source(client, storage, src):
    aid = add(storage, src, 1, title="سفير الجزائر & <واشنطن>", summary="ملخص", tags=[TAG, "سياسة"])
    add(storage, src, 0, title="أقدم")
    for path in (p.format(id=src.id) for p in FEEDS):
        r = client.get(path + "/feed.rss")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/rss+xml"), path
        rss = etree.fromstring(r.content)
        assert rss.tag == "rss" and rss.get("version") == "2.0"
        channel = rss.find("channel")
        assert channel.findtext("link") == "http://testserver" + path and channel.findtext("language") == "ar"
        self_link = channel.find("{http://www.w3.org/2005/Atom}link")
        assert self_link.get("rel") == "self" and self_link.get("href") == "http://testserver" + path + "/feed.rss"
        first, second = channel.findall("item")
        assert first.findtext("title") == "سفير الجزائر & <واشنطن>" and second.findtext("title") == "أقدم"
        assert first.findtext("link") == first.findtext("guid") == f"http://testserver/article/{aid}"
        assert first.findtext("pubDate") == "Thu, 13 Mar 2025 10:01:00 +0000"
        assert parsedate_to_datetime(first.findtext("pubDate")) == T0 + timedelta(minutes=1)
        assert first.findtext("description") == "ملخص" and first.findtext("source") == "وكالة المثال"
        assert [c.text for c in first.findall("category")] == ["سياسة", TAG, "سياسة"]  # section, then tags
    assert client.get("/section/nope/feed.rss").status_code == 404
    assert client.get("/tag/" + quote("مجهول") + "/feed.rss").status_code == 404
    assert client.get("/source/999/feed.rss").status_code == 404


def test_json_feeds_per_section_tag_and_source(client, storage, src):
    fr = storage.add_source(Source(url="https://fr.example/rss", name="Le Quotidien", lang="fr"))
    aid = add(storage, fr, 1, lang="fr", title="Le titre", summary="Résumé", image="https://fr.example/i.jpg")
    for path in ["/section/politics", "/tag/" + quote(TAG, safe=""), f"/source/{fr.id}"]:
        r = client.get(path + "/feed.json")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/feed+json"), path
        feed = json.loads(r.content)
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["home_page_url"] == "http://testserver" + path
        assert feed["feed_url"] == "http://testserver" + path + "/feed.json"
        [item] = feed["items"]
        assert item["id"] == item["url"] == f"http://testserver/article/{aid}"
        assert item["title"] == "Le titre" and item["summary"] == "Résumé" and item["language"] == "fr"
        assert item["external_url"] == "https://arabic.example/news/1" and item["image"] == "https://fr.example/i.jpg"
        assert item["date_published"] == "2025-03-13T10:01:00+00:00"
        assert item["authors"] == [{"name": "Le Quotidien", "url": f"http://testserver/source/{fr.id}"}]
        assert item["tags"] == ["politics", TAG]
    assert client.get("/section/nope/feed.json").status_code == 404


def test_feed_functions_are_pure():
    from akhbar.web.feeds_out import json_feed, rfc822, rss

    a = Article(url="https://x.example/1", url_key="x.example/1", title="عنوان", id=7, source_id=2,
                source_name="X", published=datetime(2025, 1, 5, 23, 30, tzinfo=timezone(timedelta(hours=3))))
    common = dict(title="T", html_url="https://h/", self_url="https://h/f", base="https://h", lang="ar")
    assert rfc822(a.published) == "Sun, 05 Jan 2025 20:30:00 +0000"
    assert etree.fromstring(rss([a], **common)).findtext("channel/item/guid") == "https://h/article/7"
    assert json.loads(json_feed([], **common))["items"] == []
    assert etree.fromstring(rss([], **common)).find("channel/item") is None


# -- discovery ---------------------------------------------------------------------------

def test_sitemap_lists_articles_sections_sources_and_top_hashtags(client, storage, src):
    ids = [add(storage, src, n) for n in range(3)]
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = etree.fromstring(r.content)
    locs = root.xpath("//s:url/s:loc/text()", namespaces=ns)
    assert len(locs) == len(set(locs))
    assert {f"http://testserver/article/{i}" for i in ids} <= set(locs)
    assert {"http://testserver/", "http://testserver/section/politics", f"http://testserver/source/{src.id}",
            "http://testserver/tag/" + quote(TAG, safe="")} <= set(locs)
    lastmod = root.xpath(f"//s:url[s:loc='http://testserver/article/{ids[0]}']/s:lastmod/text()", namespaces=ns)
    assert lastmod == ["2025-03-13T10:00:00+00:00"]
    for loc in locs:
        assert client.get(loc.removeprefix("http://testserver")).status_code == 200, loc


def test_robots_txt_points_to_the_sitemap(client):
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert "User-agent: *" in lines and "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /api/" in lines and "Disallow: /search" in lines


def test_app_routes_stay_out_of_the_openapi_document(client):
    paths = set(client.get("/openapi.json").json()["paths"])
    assert not paths & {"/manifest.webmanifest", "/sw.js", "/sitemap.xml", "/robots.txt", "/about", "/saved"}
    assert not any(p.endswith((".rss", ".json")) for p in paths)


# -- translations -------------------------------------------------------------------------

def test_english_catalog_lists_every_template_message():
    """en.po may leave msgstr empty (the ids are English), but must know every message."""
    from babel.messages.pofile import read_po

    from tests.test_web import template_messages

    with (WEB / "locales" / "en.po").open("rb") as f:
        catalog = read_po(f)
    missing = [m for m in template_messages() if not catalog.get(m if isinstance(m, str) else m[0])]
    assert not missing, f"not in en.po: {missing}"


def test_error_pages_have_no_canonical(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and not doc(r).xpath("//link[@rel='canonical']")
