"""`akhbar replay`: ANT folders and JSON lines through the same pipeline."""

from __future__ import annotations

import json
import shutil

from akhbar.replay import parse_ant, replay
from akhbar.storage import open_storage


def _db(tmp_path):
    return open_storage(f"sqlite:///{tmp_path / 'akhbar.db'}")


def test_ant_folder_replays_once_and_keeps_fields(cli, shared_data, tmp_path):
    folder = shared_data / "ant-multisource" / "SkyNews" / "technology"
    n_files = len(list(folder.glob("*.txt")))
    first = cli("replay", str(folder))
    store = _db(tmp_path)
    stored = store.count_articles()
    assert f"{n_files} records:" in first.output
    assert stored >= n_files - 5  # a few files in each set are malformed and reported
    again = cli("replay", str(folder))
    assert store.count_articles() == stored
    assert "0 new" in again.output
    art = store.list_articles(limit=1).items[0]
    assert art.source_name == "سكاي نيوز عربية"
    assert art.section == "technology" and art.lang == "ar"
    assert art.published.year == 2018


def test_malformed_ant_files_are_reported_not_dropped_silently(tmp_path, shared_data):
    folder = tmp_path / "ant"
    folder.mkdir()
    good = next((shared_data / "ant-multisource" / "BBC" / "sport").glob("*.txt"))
    shutil.copy(good, folder / "good.txt")
    (folder / "no_text.txt").write_text("<DOC><URL>http://x/1</URL><TITLE>عنوان</TITLE></DOC>", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\xff\xfe garbage")
    report = replay(_db(tmp_path), folder)
    assert report.seen == 3 and report.new == 1
    reasons = " ".join(r for _w, r in report.errors)
    assert "no_text.txt: missing TEXT" in reasons and "binary.txt" in reasons


def test_jsonl_replay_with_tags_sections_and_errors(cli, tmp_path):
    path = tmp_path / "items.jsonl"
    rows = [
        {"url": "https://example.org/a", "title": "سفير الجزائر يتحدث عن صفقات السلاح", "text": "قال السفير " * 30,
         "published": "2025-03-13T09:00:00+01:00", "source": "الدفاع العربي", "section": "سياسة",
         "tags": ["ديفينس سكوب", "الجزائر"]},
        {"url": "https://example.org/b", "title": "L'ambassadeur d'Algérie et les armes", "text": "Le texte " * 40,
         "published": "Thu, 13 Mar 2025 10:00:00 GMT", "source": "Tunisie Telegraph", "tags": ["DefenseScoop"]},
        {"title": "no url"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken json\n", encoding="utf-8")
    out = cli("replay", str(path)).output
    assert "4 records: 2 new, 0 already stored, 2 skipped" in out
    store = _db(tmp_path)
    arts = {a.url: a for a in store.list_articles().items}
    a = arts["https://example.org/a"]
    assert a.section == "politics" and set(a.tags) == {"ديفينسسكوب", "الجزائر"} and a.lang == "ar"
    assert a.published.isoformat() == "2025-03-13T08:00:00+00:00"
    b = arts["https://example.org/b"]
    assert b.lang == "fr" and b.source_name == "Tunisie Telegraph"


def test_parse_ant_reads_all_fields(shared_data):
    f = next((shared_data / "ant-multisource" / "BBC" / "culture").glob("*.txt"))
    rec = parse_ant(f.read_text(encoding="utf-8"))
    assert rec.source == "BBC" and rec.entry.url.startswith("http")
    assert rec.entry.section == "culture" and rec.entry.published is not None
