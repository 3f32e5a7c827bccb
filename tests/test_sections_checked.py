"""Hand-checked training labels (eval/sections_train_checked.jsonl) and how
scripts/train_sections.py and scripts/eval_sections.py use them: ids and
labels only, never a gold evaluation article, never cleaned, and held out
with their outlet in leave-one-outlet-out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from akhbar.sections import TAXONOMY

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import eval_sections as es  # noqa: E402
import train_sections as ts  # noqa: E402

CHECKED = ROOT / "eval" / "sections_train_checked.jsonl"
GOLD = ROOT / "eval" / "sections_gold.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_checked_file_is_ids_and_labels_only():
    rows = _rows(CHECKED)
    assert len(rows) >= 300
    for r in rows:
        assert set(r) == {"docno", "outlet", "desk", "label"}, r
        assert r["label"] in TAXONOMY
        assert r["outlet"] in ts.MULTISOURCE_OUTLETS
        assert r["docno"].split("-")[1] == r["desk"]
    assert len({r["docno"] for r in rows}) == len(rows)
    # the sections desks cannot teach are what the file is for
    labels = [r["label"] for r in rows]
    for section in ("society", "health", "misc", "culture"):
        assert labels.count(section) >= 30, section


def test_checked_file_never_holds_a_gold_article():
    gold = {r["docno"] for r in _rows(GOLD)}
    assert not gold & {r["docno"] for r in _rows(CHECKED)}
    assert ts.load_checked() and len(ts.load_checked()) == len(_rows(CHECKED))


def test_checked_articles_are_in_the_corpus_and_share_no_text_with_gold(shared_data):
    docs, _ = ts.load_corpora(shared_data, log=lambda s: None)
    by_id = {d.docno: d for d in docs}
    checked = ts.load_checked()
    assert set(checked) <= set(by_id)
    for k in checked:
        assert by_id[k].desk == k.split("-")[1]
    gold = {r["docno"] for r in _rows(GOLD)}
    gold_keys = {ts.text_key(by_id[k]) for k in gold if k in by_id}
    assert not gold_keys & {ts.text_key(by_id[k]) for k in checked}


def test_load_checked_refuses_gold_articles_and_unknown_sections(tmp_path):
    gold_id = _rows(GOLD)[0]["docno"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"docno": gold_id, "outlet": "BBC", "desk": "culture", "label": "culture"}) + "\n")
    with pytest.raises(ValueError, match="gold"):
        ts.load_checked(bad)
    bad.write_text(json.dumps({"docno": "XX-culture-1", "outlet": "BBC", "desk": "culture", "label": "arts"}) + "\n")
    with pytest.raises(ValueError, match="not a section"):
        ts.load_checked(bad)
    assert ts.load_checked(None) == {} and ts.load_checked(tmp_path / "missing.jsonl") == {}


def _doc(docno, desk, title, text, outlet="BBC"):
    return ts.Doc(docno, "ant-multisource", outlet, desk, title, text, f"/x/{docno}.txt")


def test_checked_label_overrides_desk_and_seed_and_wins_duplicates():
    light = ts.get_analyzer("light-v1")
    docs = [
        _doc("BB-internationalNews-1", "internationalNews", "قمة", "اجتمع الرئيس مع الوزير لبحث الأزمة."),
        _doc("BB-internationalNews-2", "internationalNews", "نص مكرر", "نص واحد في مكتبين."),
        _doc("BB-technology-3", "technology", "نص مكرر", "نص واحد في مكتبين."),
    ]
    checked = {"BB-internationalNews-1": "society", "BB-technology-3": "misc"}
    labels, report = ts.initial_labels(docs, light, log=lambda s: None, checked=checked)
    assert labels[0] == "society"
    # duplicates: the checked copy is the one kept, with its checked label
    assert labels[1] is None and labels[2] == "misc"
    assert report["checked"]["articles"] == 2
    plain, _ = ts.initial_labels(docs, light, log=lambda s: None)
    assert plain[0] == "politics" and plain[1] == "politics" and plain[2] is None


def test_cleaning_never_moves_a_checked_label():
    classes = ["politics", "society"]
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.9, 0.1], [0.9, 0.1]])
    y = np.array([1, 1, 0, 0])  # two "society" labels the model confidently reads as politics
    new, _ = ts.clean_labels(probs, y, classes, fixed=np.array([True, False, False, False]))
    assert new[0] == 1 and new[1] == 0


def test_loso_holds_out_the_outlets_checked_articles(monkeypatch):
    """A leave-one-outlet-out split trains only on its training side's labels
    and counts as checked only the checked articles on that side."""
    docs = [_doc(f"BB-culture-{i}", "culture", "t", "x", "BBC") for i in range(3)]
    docs += [_doc(f"SK-technology-{i}", "technology", "t", "x", "SkyNews") for i in range(3)]
    labels = ["culture", "misc", "culture", "technology", "health", "technology"]
    monkeypatch.setattr(es, "CHECKED", {"BB-culture-1": "misc", "SK-technology-1": "health"})
    train_idx = [i for i, d in enumerate(docs) if d.outlet != "SkyNews"]
    lab, checked = es.training_side(docs, labels, train_idx, use_checked=True)
    assert checked == {"BB-culture-1"}
    assert lab == ["culture", "misc", "culture", None, None, None]
    assert es.training_side(docs, labels, train_idx, use_checked=False)[1] == set()


def test_relabel_world_moves_only_world_desk_politics_above_threshold():
    """--relabel-world: politics -> section where the out-of-fold probability
    reaches the threshold, only on world desks, never a checked label."""
    classes = ["health", "politics", "society"]
    probs = np.array([
        [0.05, 0.40, 0.55],  # world, politics, society 0.55 -> society
        [0.05, 0.60, 0.35],  # below the threshold: kept
        [0.05, 0.40, 0.55],  # not a world desk: kept
        [0.05, 0.40, 0.55],  # checked: kept
        [0.05, 0.40, 0.55],  # already society: untouched
        [0.70, 0.20, 0.10],  # health not in the rule: kept
    ])
    y = np.array([1, 1, 1, 1, 2, 1])
    world = np.array([True, True, False, True, True, True])
    fixed = np.array([False, False, False, True, False, False])
    new, moved, rep = ts.relabel_world(probs, y, classes, world, {"society": 0.5}, fixed)
    assert new.tolist() == [2, 1, 1, 1, 2, 1]
    assert moved.tolist() == [True, False, False, False, False, False]
    assert rep["relabelled"] == {"politics -> society": 1}
    new, _, _ = ts.relabel_world(probs, y, classes, world, {"society": 0.5, "health": 0.6}, fixed)
    assert new.tolist() == [2, 1, 1, 1, 2, 0]
    assert ts.parse_relabel("") == {} and ts.parse_relabel("society=0.5, health=0.6") == {"society": 0.5, "health": 0.6}
    with pytest.raises(ValueError):
        ts.parse_relabel("world=0.5")
    # the shipped rule (make train-sections): world-desk politics -> society at p >= 0.5
    assert ts.RELABEL_WORLD == {"society": 0.5}
