"""Does the analysis of an article depend on Python's string-hash seed?

Runs `akhbar.pipeline.build_article` (language, section, entities,
hashtags) over the same real articles in one subprocess per PYTHONHASHSEED
value and reports every article for which any Article field, the raw
entities or the section confidence differ between seeds, with the values.

Articles: ANT multi-source files (evenly spread over the four outlets, read
as `akhbar replay` reads them); the same outlets' articles as the crawl and
worker tests' newsroom (tests/newsroom.py) serves them, through parse_feed
and extract_page (feed categories and keywords, page text); and French and
English text: the repo's own fixtures (tests/fixtures/feeds/atom_french.xml,
the texts of tests/test_hashtags.py), English headline roundups
(../shared/data/stories/allsides-roundups) and the French pages of the
Readability test set.

    .venv/bin/python scripts/check_hash_seed.py          # 2,000 ANT + 400 newsroom + fr/en, seeds 0 1 2 3 random
    .venv/bin/python scripts/check_hash_seed.py --articles 400 --newsroom 0 --seeds 0 7 --jobs 2
    .venv/bin/python scripts/check_hash_seed.py --json diffs.json --keep out/   # differences; each seed's output

Subprocesses run under `nice -n 10` (about 2-3 minutes per seed for the
default set on one core). Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTLETS = ("Alarabia", "BBC", "CNN", "SkyNews")
FETCHED = datetime(2025, 3, 13, 12, tzinfo=timezone.utc)


def _data_dir() -> Path:
    sys.path.insert(0, str(ROOT))
    from akhbar.config import shared_data_dir

    return shared_data_dir()


# -- choosing the articles (parent process) ------------------------------------


def ant_specs(data: Path, total: int) -> list[dict]:
    """*total* ANT files, an even spread of each outlet's sorted files."""
    per = -(-total // len(OUTLETS))
    out: list[dict] = []
    if per <= 0:
        return out
    for outlet in OUTLETS:
        files = sorted((data / "ant-multisource" / outlet).rglob("*.txt"))
        step = max(1, len(files) // per)
        for f in files[::step][:per]:
            out.append({"id": f"ant:{f.relative_to(data / 'ant-multisource')}", "kind": "ant", "path": str(f)})
    return out[:total]


NEWSROOM_BASE = "http://newsroom.test"


def newsroom_specs(data: Path, per_outlet: int) -> tuple[list[dict], dict[str, str]]:
    """What tests/newsroom.py serves (the crawl and worker tests' input): each
    outlet's feed (RSS, Atom or RSS 1.0, with categories and keywords) and
    article pages, analysed the way the crawler does (parse_feed,
    extract_page, build_article)."""
    sys.path.insert(0, str(ROOT))
    from tests.newsroom import FORMATS, NAMES, load_items, render_feed, render_page

    items = load_items(data, per_outlet)
    feeds, out = {}, []
    for outlet, its in items.items():
        feeds[outlet] = render_feed(FORMATS[outlet], NAMES[outlet], NEWSROOM_BASE, its).replace("{ENC}", "utf-8")
        for item in its:
            out.append({"id": f"newsroom:{outlet}/{item.docno}", "kind": "page", "outlet": outlet,
                        "url": NEWSROOM_BASE + item.path, "page": render_page(item, NEWSROOM_BASE)})
    return out, feeds


# French and English texts the repository's tests use (tests/test_hashtags.py)
_FIXTURE_TEXTS = [
    ("fr", "L'Algérie négocie des achats d'armes avec les États-Unis",
     "L'ambassadeur d'Algérie aux États-Unis, Sabri Boukadoum, a déclaré au site DefenseScoop que "
     "l'Algérie discute avec Washington. Boukadoum a précisé que Donald Trump a salué."),
    ("en", "Algeria in talks with US over arms",
     "Algeria's ambassador Sabri Boukadoum told DefenseScoop that President Trump welcomed the talks. "
     "Boukadoum said more."),
]


def other_specs(data: Path, english: int) -> list[dict]:
    out: list[dict] = []
    for n, (lang, title, text) in enumerate(_FIXTURE_TEXTS):
        out.append({"id": f"fixture:test_hashtags:{lang}{n}", "kind": "text", "lang": lang, "title": title,
                    "text": text, "source": "fixture"})
    atom = ROOT / "tests" / "fixtures" / "feeds" / "atom_french.xml"
    if atom.is_file():
        out.append({"id": "fixture:atom_french.xml", "kind": "feed", "path": str(atom)})
    roundups = data / "stories" / "allsides-roundups" / "neus_docs.jsonl"
    if roundups.is_file() and english:
        with roundups.open(encoding="utf-8") as fh:
            lines = fh.readlines()
        step = max(1, len(lines) // english)
        for line in lines[::step][:english]:
            doc = json.loads(line)
            out.append({"id": f"allsides:{doc['doc_id']}", "kind": "text", "lang": "en", "title": doc["title"],
                        "text": doc["text"], "source": "allsides"})
    pages = data / "extraction" / "readability" / "test-pages.tar.gz"
    if pages.is_file():
        with tarfile.open(pages) as tar:
            members = {m.name: m for m in tar.getmembers()}
            for name, m in sorted(members.items()):
                if not name.endswith("/expected-metadata.json"):
                    continue
                meta = json.load(tar.extractfile(m))
                body = members.get(name.replace("expected-metadata.json", "expected.html"))
                if (meta.get("lang") or "").startswith("fr") and body is not None:
                    out.append({"id": f"readability:{name.split('/')[-2]}", "kind": "html", "lang": "fr",
                                "title": meta.get("title") or "", "html": tar.extractfile(body).read().decode("utf-8"),
                                "source": "readability"})
    return out


# -- analysing them (one subprocess per seed) ---------------------------------


def _jsonable(v):
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def worker(spec_path: str, out_path: str) -> None:
    """Analyse every article of *spec_path*, one JSON line each to *out_path*."""
    sys.path.insert(0, str(ROOT))
    import akhbar.pipeline as pipeline
    from akhbar.extraction import extract_page
    from akhbar.feeds import parse_feed
    from akhbar.models import FeedEntry, Source
    from akhbar.replay import ANT_OUTLETS, parse_ant

    # what build_article computes but does not keep: raw entities (with
    # offsets) and the section classifier's confidence
    seen: dict = {}
    orig_tags, orig_section = pipeline.article_hashtags, pipeline.classify_article

    def tags(*a, **k):
        seen["tags"] = r = orig_tags(*a, **k)
        return r

    def section(*a, **k):
        seen["section"] = r = orig_section(*a, **k)
        return r

    pipeline.article_hashtags, pipeline.classify_article = tags, section
    bundle = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    specs, feeds = bundle["items"], bundle["feeds"]
    feed_entries: dict[str, dict] = {}
    sources: dict[str, Source] = {}
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"id": "__hash__", "value": hash("akhbar")}) + "\n")
        for spec in specs:
            page = None
            if spec["kind"] == "page":
                outlet = spec["outlet"]
                if outlet not in feed_entries:
                    parsed = parse_feed(feeds[outlet].encode("utf-8"), f"{NEWSROOM_BASE}/feeds/{outlet}.xml")
                    feed_entries[outlet] = {e.url: e for e in parsed.entries}
                entry = feed_entries[outlet][spec["url"]]
                page = extract_page(spec["page"], spec["url"])
                name = display = f"{outlet} عربي"  # as tests/test_workers.py names the sources
                lang = "ar"
            elif spec["kind"] == "ant":
                rec = parse_ant(Path(spec["path"]).read_text(encoding="utf-8", errors="replace"), spec["path"])
                entry, name = rec.entry, rec.source
                display = ANT_OUTLETS.get(name.lower(), (name,))[0]
                lang = "ar"
            elif spec["kind"] == "feed":
                entry = parse_feed(Path(spec["path"]).read_bytes(), "https://fixture.example/feed").entries[0]
                name = display = "fixture"
                lang = entry.lang
            else:
                body = spec.get("html") or "".join(f"<p>{p}</p>" for p in spec["text"].split("\n") if p.strip())
                entry = FeedEntry(url=f"https://{spec['source']}.example/{spec['id'].split(':', 1)[1]}",
                                  title=spec["title"], content_html=body, lang=spec["lang"], guid=spec["id"])
                name = display = spec["source"]
                lang = spec["lang"]
            src = sources.get(name)
            if src is None:
                src = sources[name] = Source(url=f"replay:{name}", name=display, lang=lang, id=len(sources) + 1)
            seen.clear()
            art = pipeline.build_article(entry, page, src, FETCHED)
            row = {k: _jsonable(v) for k, v in dataclasses.asdict(art).items()}
            found = seen.get("tags")
            row["entities"] = [[e.text, e.type, e.start, e.end] for e in found.entities] if found else None
            sec = seen.get("section")
            row["section_confidence"] = repr(sec[1]) if sec else None
            out.write(json.dumps({"id": spec["id"], "value": row}, ensure_ascii=False) + "\n")


def run_seed(seed: str, spec_path: Path, tmp: Path) -> tuple[str, dict, float]:
    out = tmp / f"seed-{seed}.jsonl"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    t0 = time.perf_counter()
    subprocess.run(["nice", "-n", "10", sys.executable, __file__, "--worker", str(spec_path), str(out)],
                   env=env, check=True, cwd=ROOT)
    rows = {}
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            rows[obj["id"]] = obj["value"]
    return seed, rows, time.perf_counter() - t0


def compare(base: dict, other: dict) -> dict[str, dict[str, tuple]]:
    """id -> {field: (base value, other value)} for every differing field."""
    diffs: dict[str, dict[str, tuple]] = {}
    for key, row in base.items():
        if key == "__hash__":
            continue
        got = other.get(key)
        if got is None:
            diffs[key] = {"<missing>": (True, False)}
            continue
        d = {f: (row[f], got.get(f)) for f in row if row[f] != got.get(f)}
        if d:
            diffs[key] = d
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=2000, help="ANT articles, spread over the four outlets")
    ap.add_argument("--english", type=int, default=100, help="English roundup articles (0: none)")
    ap.add_argument("--no-extra", action="store_true", help="no French/English articles")
    ap.add_argument("--newsroom", type=int, default=100,
                    help="articles per outlet as the test newsroom serves them (feed + page; 0: none)")
    ap.add_argument("--seeds", nargs="+", default=["0", "1", "2", "3", "random"],
                    help="PYTHONHASHSEED values; 'random' draws one (printed, so it can be rerun)")
    ap.add_argument("--jobs", type=int, default=1, help="seeds analysed at once (default 1)")
    ap.add_argument("--json", type=Path, help="write the differences to this file")
    ap.add_argument("--keep", type=Path, help="keep each seed's output (seed-N.jsonl) in this folder")
    ap.add_argument("--worker", nargs=2, metavar=("SPECS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0

    seeds = [str(random.SystemRandom().randrange(4, 2**32 - 1)) if s == "random" else s for s in args.seeds]
    if len(seeds) < 2:
        ap.error("need at least two seeds")
    data = _data_dir()
    if not (data / "ant-multisource").is_dir():
        ap.error(f"shared data not found at {data} (set AKHBAR_DATA to the shared/data folder)")
    specs = ant_specs(data, args.articles)
    feeds: dict[str, str] = {}
    if args.newsroom:
        pages, feeds = newsroom_specs(data, args.newsroom)
        specs += pages
    if not args.no_extra:
        specs += other_specs(data, args.english)
    kinds = {"ant": 0, "page": 0}
    for spec in specs:
        kinds[spec["kind"]] = kinds.get(spec["kind"], 0) + 1
    print(f"{len(specs)} articles ({kinds['ant']} ANT files, {kinds['page']} newsroom feed+page, "
          f"{len(specs) - kinds['ant'] - kinds['page']} French/English), seeds {' '.join(seeds)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="hashseed-") as tmpd:
        tmp = Path(tmpd)
        if args.keep:
            tmp = args.keep
            tmp.mkdir(parents=True, exist_ok=True)
        spec_path = tmp / "specs.json"
        spec_path.write_text(json.dumps({"items": specs, "feeds": feeds}, ensure_ascii=False), encoding="utf-8")
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda s: run_seed(s, spec_path, tmp), seeds))
    for seed, rows, secs in results:
        print(f"  seed {seed:>10}: {len(rows) - 1} articles in {secs:.0f} s (hash('akhbar') = {rows['__hash__']})")
    base_seed, base, _ = results[0]
    report: dict[str, dict] = {}
    varying: set[str] = set()
    for seed, rows, _ in results[1:]:
        diffs = compare(base, rows)
        report[seed] = diffs
        varying |= diffs.keys()
        fields: dict[str, int] = {}
        for d in diffs.values():
            for f in d:
                fields[f] = fields.get(f, 0) + 1
        summary = ", ".join(f"{f} {n}" for f, n in sorted(fields.items(), key=lambda kv: (-kv[1], kv[0])))
        print(f"seed {seed} vs {base_seed}: {len(diffs)} of {len(base) - 1} articles differ" +
              (f" ({summary})" if summary else ""))
    for key in sorted(varying):
        print(f"\n{key}")
        for seed, diffs in report.items():
            for f, (a, b) in diffs.get(key, {}).items():
                if f in ("text", "html", "summary"):
                    a, b = f"<{len(a or '')} chars>", f"<{len(b or '')} chars>"
                print(f"  {f}: seed {base_seed} {json.dumps(a, ensure_ascii=False)}")
                print(f"  {f}: seed {seed} {json.dumps(b, ensure_ascii=False)}")
    if args.json:
        args.json.write_text(json.dumps({"base_seed": base_seed, "seeds": seeds, "articles": len(specs),
                                         "differences": report}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\n{len(varying)} of {len(specs)} articles vary with the hash seed")
    return 1 if varying else 0


if __name__ == "__main__":
    sys.exit(main())
