"""Hashtags: keys across spellings and scripts, salient tags of real articles,
aliases in storage (both backends), trending, pages, API and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from akhbar.hashtags.canon import cldr_canonical, same_name, spelling_key, translit_keys
from akhbar.hashtags.salience import article_hashtags
from akhbar.hashtags.trending import burst
from akhbar.models import Article, FeedEntry, Source
from akhbar.pipeline import build_article
from akhbar.replay import parse_ant
from akhbar.text.hashtags import hashtag_key

NOW = datetime(2025, 3, 13, 12, tzinfo=timezone.utc)


# -- keys ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "a, b",
    [
        ("ديفينس سكوب", "ديفينسسكوب"),  # spaces
        ("ديفينس-سكوب", "#ديفينس_سكوب"),  # hyphens, underscores, '#'
        ("الجزائر", "جزائر"),  # the article ال
        ("أردوغان", "اردوغان"),  # hamza seat
        ("مصطفى", "مصطفي"),  # ى/ي
        ("غزة", "غزه"),  # ة/ه
        ("مُحَمَّد", "محمد"),  # tashkeel
        ("Algérie", "algerie"),  # accents and case
    ],
)
def test_spelling_variants_share_one_key(a, b):
    assert spelling_key(a) == spelling_key(b)


@pytest.mark.parametrize(
    "latin, arabic",
    [("DefenseScoop", "ديفينس سكوب"), ("Trump", "ترامب"), ("Boukadoum", "بوقادوم"), ("Macron", "ماكرون"),
     ("Hezbollah", "حزب الله"), ("Abdelmadjid Tebboune", "عبد المجيد تبون"), ("Mohamed Salah", "محمد صلاح")],
)
def test_latin_and_arabic_spellings_share_a_consonant_skeleton(latin, arabic):
    assert same_name(latin, arabic)


def test_different_names_do_not_match_and_short_skeletons_are_not_strong():
    assert not same_name("Macron", "ترامب")
    assert not same_name("Biden", "بوتين")
    # two different people whose skeletons collide: only weak evidence
    assert same_name("Ali Hassan", "علي حسين") and not same_name("Ali Hassan", "علي حسين", strong=True)
    assert translit_keys("DefenseScoop")[0] == "dfnskb"


def test_countries_in_any_language_map_to_their_arabic_cldr_name():
    assert cldr_canonical("Algeria") == cldr_canonical("Algérie") == cldr_canonical("الجزائر") == "الجزائر"
    assert cldr_canonical("États-Unis") == cldr_canonical("United States") == "الولاياتالمتحدة"
    assert cldr_canonical("Palestine") == "فلسطين"
    assert cldr_canonical("Boukadoum") is None


# -- salient hashtags -----------------------------------------------------------

def _ant(shared_data, rel):
    rec = parse_ant((shared_data / "ant-multisource" / rel).read_text(encoding="utf-8"))
    return rec.entry.title, rec.entry.summary


def test_real_articles_get_their_names_as_hashtags(shared_data):
    title, text = _ant(shared_data, "CNN/economy/CN-economy-103-20180508.txt")
    tags = article_hashtags(title, text, "ar").tags
    # "ترامب" in the title and "الرئيس الأمريكي، دونالد ترامب" in the text are
    # one person; "بأمريكا" is the United States, clitic and all
    assert "دونالدترامب" in tags and "ترامب" not in tags
    assert "الولاياتالمتحدة" in tags and "بأمريكا" not in tags

    title, text = _ant(shared_data, "SkyNews/internationalNews/SK-internationalNews-3487-20181014.txt")
    found = article_hashtags(title, text, "ar")
    # 'حلف شمال الأطلسي "الناتو"': the quoted short name is the hashtag, the
    # long one its alias
    assert found.tags[:2] == ["الناتو", "روسيا"]
    assert ("حلفشمالالأطلسي", "الناتو") in found.aliases

    title, text = _ant(shared_data, "SkyNews/internationalNews/SK-internationalNews-169-20180227.txt")
    assert article_hashtags(title, text, "ar").tags == ["ديفيدغولدفين"]


def test_generic_words_and_adjectives_of_origin_never_become_hashtags(shared_data):
    text = ("قال السفير الجزائري صبري بوقادوم إن الحكومة والوزارة تدرسان العرض. "
            "وأضاف بوقادوم أن الرئيس والبرلمان سيبحثان الأمر اليوم في الجزائر.")
    tags = article_hashtags("الحكومة تدرس عرضا من الجزائر", text, "ar").tags
    assert "صبريبوقادوم" in tags and "الجزائر" in tags
    assert not {"الحكومة", "الوزارة", "الرئيس", "البرلمان", "اليوم", "الجزائري"} & set(tags)


def test_a_latin_gloss_joins_its_arabic_name_and_is_recorded_as_an_alias():
    text = "قال السفير صبري بوقادوم لموقع ديفينس سكوب (DefenseScoop) إن الجزائر تتفاوض مع واشنطن."
    found = article_hashtags("سفير الجزائر لموقع ديفينس سكوب", text, "ar")
    assert "ديفينسسكوب" in found.tags and "DefenseScoop" not in found.tags
    assert ("DefenseScoop", "ديفينسسكوب") in found.aliases
    assert {"text": "DefenseScoop", "type": "ORG"} in [{"text": e.text, "type": e.type} for e in found.entities]


def test_french_and_english_articles_get_names_and_countries():
    fr = article_hashtags(
        "L'Algérie négocie des achats d'armes avec les États-Unis",
        "L'ambassadeur d'Algérie aux États-Unis, Sabri Boukadoum, a déclaré au site DefenseScoop que "
        "l'Algérie discute avec Washington. Boukadoum a précisé que Donald Trump a salué.",
        "fr",
    )
    assert {"الجزائر", "الولاياتالمتحدة", "SabriBoukadoum", "DonaldTrump"} <= set(fr.tags)
    en = article_hashtags("Algeria in talks with US over arms", "Algeria's ambassador Sabri Boukadoum told "
                          "DefenseScoop that President Trump welcomed the talks. Boukadoum said more.", "en")
    assert "الجزائر" in en.tags and "SabriBoukadoum" in en.tags and "PresidentTrump" not in en.tags
    # a possessive is not part of the name: one hashtag for Donald Trump, whichever way he is written
    en = article_hashtags("Donald Trump's tariffs", "Donald Trump's tariffs hit Canada. Critics of Donald "
                          "Trump’s plan and of the Democrats' answer spoke out.", "en")
    names = {e.text for e in en.entities}
    assert "DonaldTrump" in en.tags and not any(t.startswith("DonaldTrumps") for t in en.tags)
    # nor is a capitalized word that only opens the sentence ("Critics of ...")
    assert "Critics of Donald Trump" not in names and "Democrats" in names
    assert "Bank of England" in {e.text for e in article_hashtags(
        "Rates", "Bank of England raised rates. The Bank of England said so.", "en").entities}


def test_an_outlet_is_not_a_topic_of_its_own_article():
    text = "قالت بي بي سي إن المحكمة العليا في الهند أفرجت عن سلمان خان. وقال سلمان خان للصحفيين إنه سعيد."
    with_src = article_hashtags("الإفراج عن سلمان خان", text, "ar", source_name="بي بي سي")
    assert "سلمانخان" in with_src.tags and "بيبيسي" not in with_src.tags


# -- the same analysis under every string-hash seed ------------------------------

# Real articles whose hashtags, tag kinds or surnames changed with
# PYTHONHASHSEED before entity types were tie-broken in a fixed order
# (found by scripts/check_hash_seed.py), and a few others.
HASH_SEED_ARTICLES = [
    # hashtags changed
    "Alarabia/internationalNews/AL-internationalNews-1314-20180525.txt",
    "Alarabia/internationalNews/AL-internationalNews-1326-20180525.txt",
    "Alarabia/internationalNews/AL-internationalNews-787-20180404.txt",
    "Alarabia/internationalNews/AL-internationalNews-857-20180409.txt",
    "Alarabia/internationalNews/AL-internationalNews-176-20180223.txt",
    "CNN/internationalNews/CN-internationalNews-281-20180424.txt",
    "BBC/culture/BB-culture-169-20180524.txt",
    "BBC/internationalNews/BB-internationalNews-316-20180408.txt",
    "BBC/internationalNews/BB-internationalNews-895-20180730.txt",
    "BBC/internationalNews/BB-internationalNews-977-20180815.txt",
    "BBC/middleEast/BB-middleEast-279-20180402.txt",
    "BBC/middleEast/BB-middleEast-72-20180221.txt",
    "BBC/sport/BB-sport-186-20180604.txt",
    "SkyNews/internationalNews/SK-internationalNews-3478-20181014.txt",
    "SkyNews/sport/SK-sport-1846-20180624.txt",
    "SkyNews/sport/SK-sport-968-20180502.txt",
    # tag kinds (and so surnames) changed
    "Alarabia/culture/AL-culture-357-20180513.txt",
    "Alarabia/culture/AL-culture-602-20180721.txt",
    "Alarabia/economy/AL-economy-355-20180331.txt",
    "Alarabia/sport/AL-sport-284-20180227.txt",
    "BBC/economy/BB-economy-98-20180409.txt",
    "BBC/middleEast/BB-middleEast-1057-20181005.txt",
    "BBC/technology/BB-technology-210-20180512.txt",
    "CNN/economy/CN-economy-48-20180311.txt",
    "CNN/sport/CN-sport-318-20180529.txt",
    "SkyNews/internationalNews/SK-internationalNews-3218-20180912.txt",
    "SkyNews/middleEast/SK-middleEast-1532-20180509.txt",
    # the articles of test_real_articles_get_their_names_as_hashtags
    "CNN/economy/CN-economy-103-20180508.txt",
    "SkyNews/internationalNews/SK-internationalNews-3487-20181014.txt",
    "SkyNews/internationalNews/SK-internationalNews-169-20180227.txt",
]

# build_article on each input (JSON on stdin), everything it returns and the
# raw entities it found, as JSON on stdout: run under a given PYTHONHASHSEED.
_ANALYSE = r"""
import dataclasses, json, sys
from datetime import datetime, timezone
import akhbar.pipeline as pipeline
from akhbar.models import FeedEntry, Source
from akhbar.replay import ANT_OUTLETS, parse_ant

found = {}
hashtags = pipeline.article_hashtags
def spy(*a, **k):
    found["tags"] = r = hashtags(*a, **k)
    return r
pipeline.article_hashtags = spy
out = {"hash": hash("akhbar")}
for item in json.load(sys.stdin):
    if "path" in item:
        rec = parse_ant(open(item["path"], encoding="utf-8").read(), item["path"])
        entry, name = rec.entry, ANT_OUTLETS[rec.source.lower()][0]
    else:
        entry = FeedEntry(url=item["url"], title=item["title"], content_html=item["html"], lang=item["lang"])
        name = "fixture"
    src = Source(url="replay:" + name, name=name, lang=entry.lang, id=1)
    art = pipeline.build_article(entry, None, src, datetime(2025, 3, 13, 12, tzinfo=timezone.utc))
    row = dataclasses.asdict(art)
    row["entities"] = [dataclasses.astuple(e) for e in found["tags"].entities]
    out[item["id"]] = row
json.dump(out, sys.stdout, ensure_ascii=False, default=str)
"""


def test_analysis_does_not_depend_on_the_string_hash_seed(shared_data):
    items = [{"id": rel, "path": str(shared_data / "ant-multisource" / rel)} for rel in HASH_SEED_ARTICLES]
    # French and English go through spaCy and the English rules instead of the CRF
    items += [
        {"id": "fr", "url": "https://fr.example/1", "lang": "fr",
         "title": "L'Algérie négocie des achats d'armes avec les États-Unis",
         "html": "<p>L'ambassadeur d'Algérie aux États-Unis, Sabri Boukadoum, a déclaré au site DefenseScoop que "
                 "l'Algérie discute avec Washington. Boukadoum a précisé que Donald Trump a salué.</p>"},
        {"id": "en", "url": "https://en.example/1", "lang": "en", "title": "Algeria in talks with US over arms",
         "html": "<p>Algeria's ambassador Sabri Boukadoum told DefenseScoop that President Trump welcomed the "
                 "talks. Boukadoum said more.</p>"},
    ]
    pages = shared_data / "extraction" / "readability" / "test-pages.tar.gz"
    if pages.is_file():  # a Libération page whose tags once changed with the seed
        with tarfile.open(pages) as tar:
            meta = json.load(tar.extractfile("test/test-pages/liberation-1/expected-metadata.json"))
            html = tar.extractfile("test/test-pages/liberation-1/expected.html").read().decode("utf-8")
        items.append({"id": "liberation-1", "url": "https://fr.example/2", "lang": "fr", "title": meta["title"],
                      "html": html})
    root = Path(__file__).resolve().parents[1]

    def start(seed):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        proc = subprocess.Popen([sys.executable, "-c", _ANALYSE], env=env, cwd=root, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        proc.stdin.write(json.dumps(items))
        proc.stdin.close()
        return proc

    procs = [start(seed) for seed in ("1", "2")]  # both at once: each loads its models for a few seconds
    results = []
    for proc in procs:
        out, err = proc.stdout.read(), proc.stderr.read()
        assert proc.wait(timeout=300) == 0, err[-3000:]
        results.append(json.loads(out))
    a, b = results
    assert a.pop("hash") != b.pop("hash")  # the seeds did take effect
    assert a.keys() == b.keys() and len(a) == len(items)
    diffs = {key: {f: (a[key][f], b[key][f]) for f in a[key] if a[key][f] != b[key][f]}
             for key in a if a[key] != b[key]}
    assert not diffs, json.dumps(diffs, ensure_ascii=False, indent=1)[:4000]


# -- storage: aliases -------------------------------------------------------------

def _source(store, name):
    return store.add_source(Source(url=f"https://{abs(hash(name)) % 10**8}.example/feed", name=name, lang="ar"))


def _save(store, src, n, title, text, when=NOW, tags=()):
    entry = FeedEntry(url=f"https://{src.id}.example/a/{n}", title=title, summary=text, published=when, tags=list(tags))
    art = build_article(entry, None, src, when)
    art_id, created = store.save_article(art)
    assert created
    return art_id, art


def test_end_to_end_two_sources_two_spellings_one_hashtag_page(store):
    """One outlet writes the name in Arabic with a space; the other in Latin
    script plus Arabic without the space. Both land on one hashtag page, and
    every alias URL redirects to it."""
    from akhbar.config import load_settings
    from akhbar.web.app import create_app

    tunisie = _source(store, "Tunisie Telegraph")
    difa3 = _source(store, "الدفاع العربي")
    a_id, a = _save(store, difa3, 1, "سفير الجزائر لموقع ديفينس سكوب: محادثات مع واشنطن بشأن الأسلحة",
                    "قال سفير الجزائر لدى الولايات المتحدة صبري بوقادوم لموقع ديفينس سكوب إن بلاده تجري "
                    "محادثات مع واشنطن بشأن شراء أسلحة أمريكية.", NOW - timedelta(hours=2))
    b_id, b = _save(store, tunisie, 1, "بوقادوم لـ DefenseScoop: الجزائر منفتحة على السلاح الأمريكي",
                    "أكد السفير الجزائري صبري بوقادوم في حوار مع ديفينسسكوب (DefenseScoop) الأمريكي أن "
                    "الجزائر منفتحة على التعاون العسكري مع الولايات المتحدة.", NOW - timedelta(hours=1))
    assert "ديفينسسكوب" in a.tags
    tag = store.resolve_tag("DefenseScoop")
    assert tag is not None and tag.name == "ديفينسسكوب" and tag.count == 2
    assert store.resolve_tag("ديفينس سكوب").id == tag.id
    assert "DefenseScoop" in [t.name for t in store.tag_aliases(tag.id)]

    app = create_app(load_settings(database_url="sqlite://", admin_token=""), storage=store)
    with TestClient(app) as client:
        page = client.get("/tag/ديفينسسكوب")
        assert page.status_code == 200
        assert f"/article/{a_id}" in page.text and f"/article/{b_id}" in page.text
        for alias in ("DefenseScoop", "ديفينس سكوب", "defensescoop"):
            r = client.get(f"/tag/{alias}", follow_redirects=False)
            assert r.status_code == 301, alias
            assert r.headers["location"] == "/tag/%D8%AF%D9%8A%D9%81%D9%8A%D9%86%D8%B3%D8%B3%D9%83%D9%88%D8%A8"
        api = client.get("/api/v1/tags/DefenseScoop").json()
        assert api["name"] == "ديفينسسكوب" and api["count"] == 2 and "DefenseScoop" in api["aliases"]
        ids = [i["id"] for i in client.get("/api/v1/tags/DefenseScoop/articles").json()["items"]]
        assert ids == [b_id, a_id]  # newest first


def test_cross_script_names_merge_on_shared_context_not_on_a_short_skeleton_alone(store):
    ar_src, fr_src = _source(store, "الشروق"), _source(store, "El Watan")
    _save(store, ar_src, 1, "الجزائر: بوقادوم يزور واشنطن", "قال وزير الخارجية صبري بوقادوم إن بوقادوم سيزور "
          "واشنطن. وأضاف بوقادوم أن الجزائر منفتحة.", NOW - timedelta(hours=3))
    # a French article naming him by surname only, and Algeria in French:
    # the surname's skeleton plus a shared tag (الجزائر = Algérie) link them
    _save(store, fr_src, 1, "Algérie : Boukadoum à Washington",
          "Le ministre Boukadoum a déclaré que l'Algérie est ouverte. Boukadoum ira à Washington.",
          NOW - timedelta(hours=2))
    tag = store.resolve_tag("Boukadoum")
    assert tag is not None and tag.name == "صبريبوقادوم"
    # the same skeleton with nothing shared stays apart (a different Ali)
    _save(store, ar_src, 2, "علي حسين يفوز بالسباق", "فاز العداء علي حسين بسباق الماراثون في نيروبي. وقال علي حسين إنه سعيد.")
    _save(store, fr_src, 2, "Ali Hassan à Paris", "Le footballeur Ali Hassan a signé à Paris. Ali Hassan est content.")
    assert store.resolve_tag("Ali Hassan").name != store.resolve_tag("علي حسين").name


def test_admin_aliases_merge_articles_and_can_be_undone(store):
    src = _source(store, "مصدر")
    a_id, _ = _save(store, src, 1, "عن الفيفا", "قال الاتحاد الدولي لكرة القدم إن الفيفا ستعلن القرار.", tags=["فيفا"])
    b_id, _ = _save(store, src, 2, "FIFA decision", "The FIFA said it would decide.", tags=["FIFA"])
    canon = store.set_alias("FIFA", "فيفا")
    # "الفيفا" (first seen, in the text) and "فيفا" are one spelling
    assert canon.key == hashtag_key("فيفا") and canon.count == 2
    assert store.resolve_tag("fifa").id == canon.id
    # swapping roles works: the former canonical becomes the alias
    assert store.set_alias("فيفا", "FIFA").name == "FIFA"
    assert store.resolve_tag("فيفا").name == "FIFA"
    with pytest.raises(ValueError):
        store.set_alias("FIFA", "fifa")
    assert store.unset_alias("فيفا")
    assert store.resolve_tag("فيفا").id == canon.id
    assert not store.unset_alias("فيفا")


def test_admin_alias_api_needs_the_token(store):
    from akhbar.config import load_settings
    from akhbar.web.app import create_app

    src = _source(store, "مصدر")
    _save(store, src, 1, "عن الفيفا", "نص.", tags=["فيفا"])
    _save(store, src, 2, "FIFA", "text.", tags=["FIFA"])
    body = {"alias": "FIFA", "canonical": "فيفا"}
    off = create_app(load_settings(database_url="sqlite://", admin_token=""), storage=store)
    with TestClient(off) as client:
        assert client.put("/api/v1/admin/aliases", json=body).status_code == 403
    app = create_app(load_settings(database_url="sqlite://", admin_token="s3cret-token"), storage=store)
    with TestClient(app) as client:
        assert client.put("/api/v1/admin/aliases", json=body).status_code == 401
        bad = {"Authorization": "Bearer wrong"}
        assert client.put("/api/v1/admin/aliases", json=body, headers=bad).status_code == 401
        assert store.resolve_tag("FIFA").name == "FIFA"
        ok = {"Authorization": "Bearer s3cret-token"}
        r = client.put("/api/v1/admin/aliases", json=body, headers=ok)
        assert r.status_code == 200 and hashtag_key(r.json()["name"]) == "فيفا" and r.json()["count"] == 2
        assert client.get("/tag/FIFA", follow_redirects=False).status_code == 301
        assert client.delete("/api/v1/admin/aliases/FIFA").status_code == 401
        assert client.delete("/api/v1/admin/aliases/FIFA", headers=ok).status_code == 204
        assert client.delete("/api/v1/admin/aliases/FIFA", headers=ok).status_code == 404


# -- trending and related -----------------------------------------------------------

def _tagged(store, src, n, when, tags):
    art = Article(url=f"https://t.example/{src.id}/{n}", url_key=f"t.example/{src.id}/{n}", title=f"خبر {n}",
                  source_id=src.id, published=when, fetched=when, lang="ar", tags=list(tags), text="نص")
    return store.save_article(art)[0]


def test_trending_is_a_burst_against_the_tags_own_baseline_across_sources(store):
    s1, s2, s3 = (_source(store, n) for n in ("مصدر أ", "مصدر ب", "مصدر ج"))
    n = 0
    # a busy tag, busy every day: never a burst
    for k in range(42):  # every four hours for a week
        n += 1
        _tagged(store, (s1, s2)[k % 2], n, NOW - timedelta(hours=4 * k + 1), ["فلسطين"])
    # a quiet tag that three outlets take up in the last hours
    for k in range(5):
        n += 1
        _tagged(store, (s1, s2, s3)[k % 3], n, NOW - timedelta(hours=k), ["زلزال", "فلسطين"] if k == 0 else ["زلزال"])
    # a burst from one outlet only does not trend
    for k in range(6):
        n += 1
        _tagged(store, s3, n, NOW - timedelta(hours=k, minutes=5), ["إعلان"])
    trending = store.trending_tags(now=NOW + timedelta(minutes=1), hours=6)
    names = [t.tag.name for t in trending]
    assert names[0] == "زلزال"
    assert "فلسطين" not in names and "إعلان" not in names
    top = trending[0]
    assert top.recent == 5 and top.sources == 3 and top.expected == 0
    # as of the newest news when the store has nothing recent
    assert [t.tag.name for t in store.trending_tags(now=NOW + timedelta(days=30))] == names
    related = store.related_tags(store.resolve_tag("فلسطين").id)
    assert related == []  # one shared article is not a relation
    assert burst(5, 0, 6, 168)[1] > burst(6, 168, 6, 168)[1]


def test_related_hashtags_come_from_the_tags_articles(store):
    src = _source(store, "مصدر")
    for k in range(4):
        _tagged(store, src, k, NOW - timedelta(hours=k), ["الجزائر", "بوقادوم"] + (["واشنطن"] if k < 2 else []))
    _tagged(store, src, 9, NOW, ["بوقادوم", "باريس"])
    rel = [t.name for t in store.related_tags(store.resolve_tag("بوقادوم").id)]
    assert rel == ["الجزائر", "واشنطن"]


def test_home_page_and_api_show_trending(store):
    from akhbar.config import load_settings
    from akhbar.web.app import create_app

    srcs = [_source(store, n) for n in ("أ", "ب", "ج")]
    for k in range(4):
        _tagged(store, srcs[k % 3], k, datetime.now(timezone.utc) - timedelta(minutes=10 * k), ["زلزال"])
    app = create_app(load_settings(database_url="sqlite://"), storage=store)
    with TestClient(app) as client:
        home = client.get("/").text
        assert "trending-now" in home and "#زلزال" in home
        items = client.get("/api/v1/tags/trending").json()["items"]
        assert items[0]["tag"]["name"] == "زلزال" and items[0]["sources"] == 3
        assert client.get("/api/v1/tags/trending?hours=0").status_code == 422


# -- CLI ---------------------------------------------------------------------------------

def test_cli_analyze_and_tags_canon(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a1", "title": "سفير الجزائر لموقع ديفينس سكوب",
                    "text": "قال السفير صبري بوقادوم لموقع ديفينس سكوب (DefenseScoop) إن الجزائر تتفاوض."},
                   ensure_ascii=False) + "\n" + "not json\n",
        encoding="utf-8",
    )
    r = cli("analyze", str(src))
    assert r.exit_code == 0, r.output
    line = json.loads(r.stdout.splitlines()[0])
    assert line["id"] == "a1" and line["lang"] == "ar"
    assert "ديفينسسكوب" in line["tags"] and "section" in line
    text = "قال السفير صبري بوقادوم لموقع ديفينس سكوب (DefenseScoop) إن الجزائر تتفاوض."
    for e in line["entities"]:
        assert text[e["start"]:e["end"]] == e["text"] and e["type"] in ("PERS", "LOC", "ORG", "MISC")
    assert "1 input lines skipped" in r.stderr

    r = cli("tags", "canon", "Algérie", "ديفينس سكوب", "Algeria")
    assert r.stdout.split() == ["#الجزائر", "#ديفينسسكوب", "#الجزائر"]
