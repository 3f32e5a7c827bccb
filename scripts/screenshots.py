"""Screenshots of every page at phone (390x844) and desktop (1280x900) widths.

    .venv/bin/python scripts/screenshots.py                 # sample news in a temporary database
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000 --article 12 --tag الجزائر --source 1

Writes screenshots/<page>-<phone|desktop>-<light|dark>.png (the folder is not
tracked). Without --url the real app is served by uvicorn on 127.0.0.1 over a
temporary SQLite database filled through the storage API with a few Arabic and
French articles. Drives Debian's Chromium (apt-get install chromium) through
Playwright (pip install playwright; no `playwright install` needed).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akhbar.config import load_settings  # noqa: E402
from akhbar.models import Article, Source  # noqa: E402
from akhbar.storage import open_storage  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
T0 = datetime(2025, 3, 13, 10, 0, tzinfo=timezone.utc)

AR_TEXT = [
    "عقد وزراء الدفاع العرب اجتماعهم السنوي في الجزائر العاصمة، وناقشوا سبل تعزيز التعاون العسكري "
    "وتبادل الخبرات في مجال مكافحة الإرهاب وتأمين الحدود المشتركة.",
    "وقال وزير الدفاع الجزائري في كلمته الافتتاحية إن «التحديات الأمنية في المنطقة تتطلب تنسيقًا أوثق "
    "بين الدول العربية»، مشيرًا إلى أن الاجتماع سيصدر بيانًا ختاميًا يوم الخميس.",
    "وشارك في الاجتماع ممثلون عن ١٨ دولة، إضافة إلى الأمين العام لجامعة الدول العربية، فيما غابت "
    "دولتان لأسباب لم يُعلن عنها. ويأتي الاجتماع بعد أسابيع من توقيع اتفاقية للتعاون الدفاعي.",
]
FR_TEXT = [
    "Les ministres de la Défense des pays arabes se sont réunis jeudi à Alger pour leur rencontre annuelle, "
    "consacrée à la coopération militaire et à la sécurité des frontières.",
    "« Les défis sécuritaires de la région exigent une coordination plus étroite », a déclaré le ministre "
    "algérien dans son discours d'ouverture. Un communiqué final est attendu dans la soirée.",
]


def seed(storage) -> dict:
    """A few sources and articles, stored through the real storage API."""
    ar = storage.add_source(Source(url="https://www.defense-arab.example/feed", name="الدفاع العربي", lang="ar",
                                   country="DZ", homepage="https://www.defense-arab.example/"))
    eco = storage.add_source(Source(url="https://iqtisad.example/rss", name="الاقتصاد اليوم", lang="ar", country="EG",
                                    homepage="https://iqtisad.example/"))
    fr = storage.add_source(Source(url="https://quotidien.example/rss", name="Le Quotidien d'Alger", lang="fr",
                                   country="DZ", homepage="https://quotidien.example/"))
    rows = [
        (ar, "اجتماع وزراء الدفاع العرب في الجزائر لبحث التعاون العسكري", "politics", ["ديفينسسكوب", "الجزائر"], AR_TEXT),
        (fr, "Alger accueille la réunion des ministres arabes de la Défense", "politics", ["Algérie", "Défense"], FR_TEXT),
        (eco, "البنك المركزي يبقي أسعار الفائدة دون تغيير للشهر الثالث", "economy", ["البنك_المركزي", "التضخم"],
         ["أبقى البنك المركزي على أسعار الفائدة الأساسية دون تغيير في اجتماعه الأخير، في ظل تباطؤ التضخم "
          "وتحسن احتياطيات النقد الأجنبي.", "وتوقع محللون أن يبدأ البنك خفض الفائدة في الربع المقبل."]),
        (ar, "صفقة لاقتناء طائرات مسيّرة جديدة", "politics", ["ديفينسسكوب"],
         ["أعلنت وزارة الدفاع عن توقيع صفقة لاقتناء طائرات مسيّرة متطورة لتعزيز قدرات المراقبة."]),
        (eco, "ارتفاع صادرات الغاز بنسبة ١٢٪ خلال العام الماضي", "economy", ["الغاز", "الجزائر"],
         ["سجلت صادرات الغاز ارتفاعًا ملحوظًا خلال العام الماضي بفضل زيادة الطلب الأوروبي."]),
        (fr, "Football : le MC Alger remporte le derby", "sports", ["Football"],
         ["Le MC Alger s'est imposé 2-1 face à l'USM Alger dans un derby disputé jusqu'à la dernière minute."]),
        (ar, "افتتاح معرض الكتاب الدولي بمشاركة ٤٠ دولة", "culture", ["معرض_الكتاب"],
         ["افتتح معرض الكتاب الدولي أبوابه أمام الزوار بمشاركة أكثر من ألف دار نشر من ٤٠ دولة."]),
    ]
    ids = []
    for n, (source, title, section, tags, paragraphs) in enumerate(rows):
        host = source.homepage.split("/")[2]
        aid, _ = storage.save_article(Article(
            url=f"https://{host}/news/{n}", url_key=f"{host}/news/{n}", source_id=source.id, title=title,
            text="\n".join(paragraphs), summary=paragraphs[0], lang=source.lang, section=section, tags=tags,
            author="مراسلنا" if source.lang == "ar" else None, published=T0 - timedelta(hours=n)))
        ids.append(aid)
    return {"article": ids[0], "french": ids[1], "tag": "ديفينسسكوب", "source": ar.id}


@contextmanager
def serve_sample():
    import uvicorn

    from akhbar.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'akhbar.db'}")
        storage = open_storage(settings.database_url)
        ids = seed(storage)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(settings, storage), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}", ids
        finally:
            server.should_exit = True
            thread.join(10)
            storage.close()


def pages(ids: dict) -> dict[str, str]:
    return {
        "home": "/",
        "article": f"/article/{ids['article']}",
        "article-fr": f"/article/{ids['french']}",
        "hashtag": "/tag/" + quote(ids["tag"], safe=""),
        "source": f"/source/{ids['source']}",
        "sources": "/sources",
        "section": "/section/politics",
        "search": "/search?q=" + quote("الجزائر"),
        "about": "/about",
        "for-you": "/for-you",
        "saved": "/saved",
        "offline": "/offline",
        "home-fr": "/?ui=fr",
    }


def shoot(base: str, ids: dict, out: Path, schemes: list[str], full_page: bool) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        for scheme in schemes:
            for size_name, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                              device_scale_factor=1, locale="ar",
                                              is_mobile=size_name == "phone", has_touch=size_name == "phone")
                page = context.new_page()
                # follow the hashtag and save the article first, so /for-you and /saved have something
                page.goto(base + pages(ids)["hashtag"])
                page.locator("button[data-follow-kind]").click()
                page.goto(base + pages(ids)["article"])
                page.locator("button[data-save-article]").click()
                page.wait_for_selector("button[data-save-article][aria-pressed=true]")
                for name, path in pages(ids).items():
                    page.goto(base + path, wait_until="networkidle")
                    page.evaluate("document.fonts.ready")
                    if name in ("for-you", "saved"):
                        page.wait_for_selector(f"#{name} .card", timeout=5000)
                    target = out / f"{name}-{size_name}-{scheme}.png"
                    page.screenshot(path=str(target), full_page=full_page)
                    written.append(target)
                context.close()
        browser.close()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--url", help="a running site instead of the built-in sample")
    parser.add_argument("--article", type=int, help="with --url: an article id")
    parser.add_argument("--french", type=int, help="with --url: a French article id")
    parser.add_argument("--tag", help="with --url: a hashtag")
    parser.add_argument("--source", type=int, help="with --url: a source id")
    parser.add_argument("--schemes", nargs="+", default=["light", "dark"], choices=["light", "dark"])
    parser.add_argument("--viewport-only", action="store_true", help="the first screen only, not the full page")
    args = parser.parse_args(argv)
    if args.url:
        ids = {"article": args.article or 1, "french": args.french or args.article or 1, "tag": args.tag or "",
               "source": args.source or 1}
        written = shoot(args.url.rstrip("/"), ids, args.out, args.schemes, not args.viewport_only)
    else:
        with serve_sample() as (base, ids):
            written = shoot(base, ids, args.out, args.schemes, not args.viewport_only)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
