"""The site in a real browser: Debian's Chromium driven by Playwright.

The real app runs under uvicorn on 127.0.0.1 over a temporary SQLite database
filled through the storage API; nothing is mocked and no traffic leaves the
loopback. Skipped only when /usr/bin/chromium (or playwright) is missing and
CI is not set; under CI that is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from akhbar.models import Article, Source
from akhbar.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "fixtures" / "axe" / "axe.min.js"
T0 = datetime(2025, 3, 13, 10, 0, tzinfo=timezone.utc)
TAG = "ديفينسسكوب"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


LAUNCH = dict(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(**LAUNCH)
    yield b
    b.close()


class LiveServer:
    """uvicorn serving *app* on a free loopback port, in a thread."""

    def __init__(self, app):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def site(settings, storage):
    """The real app over a fresh database with Arabic and French news in it."""
    ar = storage.add_source(Source(url="https://arabic.example/rss", name="وكالة المثال", lang="ar",
                                   homepage="https://arabic.example/"))
    fr = storage.add_source(Source(url="https://fr.example/rss", name="Le Quotidien", lang="fr",
                                   homepage="https://fr.example/"))
    ids = {}

    def add(key, source, n, **fields):
        values = dict(lang=source.lang, section="politics", tags=[])
        values.update(fields)
        ids[key] = storage.save_article(Article(
            url=f"https://{source.lang}.example/news/{n}", url_key=f"{source.lang}.example/news/{n}",
            source_id=source.id, published=T0 + timedelta(minutes=n), **values))[0]

    add("tagged", ar, 1, title="اجتماع وزراء الدفاع العرب", tags=[TAG, "الجزائر"],
        text="عقد وزراء الدفاع العرب اجتماعًا في الجزائر.\nوناقشوا التعاون في مجال الأمن.")
    add("tagged2", ar, 2, title="صفقة أسلحة جديدة", tags=[TAG], section="economy",
        text="أعلنت الوزارة عن صفقة أسلحة جديدة.")
    add("plain", ar, 3, title="مباراة كرة القدم", section="sports", text="فاز الفريق في المباراة النهائية.")
    add("french", fr, 4, title="La réunion des ministres", tags=["Algérie"],
        text="Les ministres se sont réunis à Alger.\nIls ont parlé de sécurité.")
    add("other", ar, 5, title="خبر لم يُزر", text="هذا الخبر لا يُفتح قبل انقطاع الاتصال.")
    with LiveServer(create_app(settings, storage)) as server:
        server.ids, server.sources = ids, {"ar": ar.id, "fr": fr.id}
        yield server


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="ar")
    yield ctx
    ctx.close()


def watch(page) -> list[str]:
    """Console errors and uncaught exceptions of *page*, as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


def main_pages(site) -> dict[str, str]:
    ids, tag = site.ids, quote(TAG, safe="")
    return {
        "home": "/", "article": f"/article/{ids['tagged']}", "french article": f"/article/{ids['french']}",
        "hashtag": f"/tag/{tag}", "source": f"/source/{site.sources['ar']}", "sources": "/sources",
        "section": "/section/politics", "search": "/search?q=" + quote("الدفاع"), "about": "/about",
        "for you": "/for-you", "saved": "/saved", "offline": "/offline", "french ui": "/?ui=fr",
    }


def wait_for_service_worker(page):
    """Until the service worker is activated and controls the page."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    return page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.ready;
        return {state: reg.active.state, scope: reg.scope, script: reg.active.scriptURL};
    }""")


# -- pages -------------------------------------------------------------------------

def test_main_pages_load_without_console_errors(site, context):
    page = context.new_page()
    errors = watch(page)
    for name, path in main_pages(site).items():
        response = page.goto(site.url + path, wait_until="load")
        assert response.status == 200, name
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.is_visible(), name
        assert not errors, f"{name}: {errors}"


def test_direction_is_rtl_for_the_arabic_ui_and_ltr_for_a_french_article(site, context):
    page = context.new_page()
    page.goto(site.url + "/")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('.sections')).direction") == "rtl"
    french_card = page.locator("article.card[lang=fr]")
    assert french_card.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert french_card.locator(".excerpt").evaluate("el => getComputedStyle(el).direction") == "ltr"
    # the Arabic cards' text is set in the site's own Arabic face, once it has loaded
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('18px \"Noto Naskh Arabic\"', 'خبر')")
    family = page.locator("article.card[lang=ar] .card-title").first.evaluate("el => getComputedStyle(el).fontFamily")
    assert family.startswith('"Noto Naskh Arabic"')

    page.goto(site.url + f"/article/{site.ids['french']}")
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    assert page.locator(".story .body").evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert page.locator(".story h1").evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert page.locator(".story .meta").evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert not page.locator(".story .body").evaluate("el => getComputedStyle(el).fontFamily").startswith('"Noto Naskh')

    page.goto(site.url + "/?ui=fr")
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert page.locator("article.card[lang=ar]").first.evaluate("el => getComputedStyle(el).direction") == "rtl"


def test_theme_toggle_is_remembered(site, browser):
    ctx = browser.new_context(color_scheme="light")
    try:
        page = ctx.new_page()
        page.goto(site.url + "/")
        background = "getComputedStyle(document.body).backgroundColor"
        light = page.evaluate(background)
        toggle = page.locator(".theme-toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == "true"
        dark = page.evaluate(background)
        assert dark != light
        page.reload()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert page.evaluate(background) == dark
    finally:
        ctx.close()
    # no choice stored: the system's preference
    ctx = browser.new_context(color_scheme="dark")
    try:
        page = ctx.new_page()
        page.goto(site.url + "/")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark
        assert page.locator(".theme-toggle").get_attribute("aria-pressed") == "true"
    finally:
        ctx.close()


# -- the app ----------------------------------------------------------------------------

def test_manifest_is_valid_and_the_service_worker_activates(site, context):
    page = context.new_page()
    errors = watch(page)
    page.goto(site.url + "/")
    manifest = page.request.get(site.url + "/manifest.webmanifest").json()
    for field in ("name", "short_name", "start_url", "display", "icons", "lang", "dir", "theme_color"):
        assert manifest.get(field), field
    assert manifest["lang"] == "ar" and manifest["dir"] == "rtl"
    # Chromium's own reading of the manifest: no parse errors, the icons it will install
    cdp = context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["url"] == site.url + "/manifest.webmanifest"
    assert parsed["errors"] == [], parsed["errors"]
    for icon in manifest["icons"]:
        assert page.request.get(site.url + icon["src"]).ok, icon["src"]

    worker = wait_for_service_worker(page)
    assert worker == {"state": "activated", "scope": site.url + "/", "script": site.url + "/sw.js"}
    shell = page.evaluate("""async () => {
        const names = await caches.keys();
        const shell = names.find((n) => n.startsWith('akhbar-shell-'));
        return (await (await caches.open(shell)).keys()).map((r) => new URL(r.url).pathname);
    }""")
    assert {"/offline", "/saved", "/static/style.css", "/static/fonts/noto-naskh-arabic-arabic-400-normal.woff2"} <= set(shell)
    assert not errors, errors


def test_chromium_would_install_the_app(site, playwright, tmp_path):
    """Installability needs a real (not incognito) profile: a persistent context of its own."""
    ctx = playwright.chromium.launch_persistent_context(tmp_path / "profile", **LAUNCH)
    try:
        page = ctx.new_page()
        page.goto(site.url + "/")
        wait_for_service_worker(page)
        cdp = ctx.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        ctx.close()


def test_saved_article_opens_offline(site, context):
    page = context.new_page()
    errors = watch(page)
    saved_url = site.url + f"/article/{site.ids['tagged']}"
    page.goto(saved_url)
    wait_for_service_worker(page)
    button = page.locator("button[data-save-article]")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    page.wait_for_selector("button[data-save-article][aria-pressed=true]")
    # forget the recently-visited pages: what follows comes from the saved articles only
    page.evaluate("""async () => {
        for (const name of await caches.keys()) if (name.startsWith('akhbar-pages-')) await caches.delete(name);
    }""")

    context.set_offline(True)
    try:
        page.goto(saved_url)
        assert page.locator(".story h1").inner_text() == "اجتماع وزراء الدفاع العرب"
        assert "عقد وزراء الدفاع العرب" in page.locator(".story .body").inner_text()
        assert page.locator("button[data-save-article]").get_attribute("aria-pressed") == "true"
        # a page never visited nor saved: the offline page
        page.goto(site.url + f"/article/{site.ids['other']}")
        assert page.locator("h1").inner_text() == "أنت غير متصل"
        # the saved list is built from the cache, offline too
        page.goto(site.url + "/saved")
        page.wait_for_selector("#saved .card")
        assert page.locator("#saved .card-title a").all_inner_texts() == ["اجتماع وزراء الدفاع العرب"]
        assert page.locator("#saved .card").get_attribute("dir") == "rtl"
    finally:
        context.set_offline(False)
    # a page visited online is kept among the recent pages and opens offline as well
    page.goto(site.url + f"/article/{site.ids['plain']}")
    page.wait_for_function("""async () => {
        for (const name of await caches.keys())
            if (name.startsWith('akhbar-pages-') && await (await caches.open(name)).match(location.href)) return true;
        return false;
    }""")
    context.set_offline(True)
    try:
        page.goto(site.url + f"/article/{site.ids['plain']}")
        assert page.locator(".story h1").inner_text() == "مباراة كرة القدم"
    finally:
        context.set_offline(False)
    # removing it from the saved list
    page.goto(site.url + "/saved")
    page.locator("#saved .card .remove").click()
    page.wait_for_selector("#saved [data-state=empty]:not([hidden])")
    assert not [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e], errors


def test_following_a_hashtag_changes_the_for_you_page(site, context):
    page = context.new_page()
    errors = watch(page)
    page.goto(site.url + "/for-you")
    assert page.locator("#for-you [data-state=empty]").is_visible()
    assert page.locator("#for-you .card").count() == 0

    page.goto(site.url + "/tag/" + quote(TAG, safe=""))
    follow = page.locator("button[data-follow-kind=tag]")
    assert follow.is_visible() and follow.inner_text() == "متابعة"
    follow.click()
    assert follow.get_attribute("aria-pressed") == "true" and "تتابعه" in follow.inner_text()

    page.goto(site.url + "/for-you")
    page.wait_for_selector("#for-you .card")
    assert page.locator("#for-you .card-title a").all_inner_texts() == ["صفقة أسلحة جديدة", "اجتماع وزراء الدفاع العرب"]
    assert page.locator("#for-you [data-state=empty]").is_hidden()
    assert page.locator("#for-you .following a").all_inner_texts() == [f"#{TAG}"]

    # a followed source adds its news, newest first; the French one reads ltr
    page.goto(site.url + f"/source/{site.sources['fr']}")
    page.locator("button[data-follow-kind=source]").click()
    page.goto(site.url + "/for-you")
    page.wait_for_selector("#for-you .card[lang=fr]")
    titles = page.locator("#for-you .card-title a").all_inner_texts()
    assert titles == ["La réunion des ministres", "صفقة أسلحة جديدة", "اجتماع وزراء الدفاع العرب"]
    assert page.locator("#for-you .card[lang=fr]").evaluate("el => getComputedStyle(el).direction") == "ltr"
    href = page.locator("#for-you .card-title a").first.get_attribute("href")
    assert href == f"/article/{site.ids['french']}"

    # unfollowing the hashtag takes its news away
    page.goto(site.url + "/tag/" + quote(TAG, safe=""))
    page.locator("button[data-follow-kind=tag]").click()
    page.goto(site.url + "/for-you")
    page.wait_for_selector("#for-you .card")
    assert page.locator("#for-you .card-title a").all_inner_texts() == ["La réunion des ministres"]
    assert not errors, errors


# -- accessibility ------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(site, browser, scheme):
    # axe is injected as an inline script, which the site's CSP rightly refuses: bypass it here only
    ctx = browser.new_context(bypass_csp=True, color_scheme=scheme, locale="ar")
    try:
        page = ctx.new_page()
        pages = main_pages(site)
        report = {}
        for name in ("home", "article", "french article", "hashtag", "search", "for you", "about"):
            page.goto(site.url + pages[name])
            page.wait_for_load_state("networkidle")
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
            if bad:
                report[name] = bad
        assert not report, report
    finally:
        ctx.close()
