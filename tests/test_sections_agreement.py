"""scripts/sections_agreement.py: agreement and kappa on small hand-made
inputs with known answers, lenient matching, the join of the two files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import sections_agreement as sa  # noqa: E402


def test_perfect_agreement_gives_kappa_one():
    a = ["politics", "sports", "economy", "sports", "culture"]
    assert sa.raw_agreement(a, list(a)) == 1.0
    assert sa.cohen_kappa(a, list(a)) == pytest.approx(1.0)


def test_single_shared_label_gives_kappa_one():
    assert sa.cohen_kappa(["misc"] * 4, ["misc"] * 4) == 1.0


def test_known_two_by_two():
    # 50 items: both yes 20, first yes / second no 5, first no / second yes 10, both no 15.
    # p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2/0.5 = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert sa.raw_agreement(a, b) == pytest.approx(0.7)
    assert sa.cohen_kappa(a, b) == pytest.approx(0.4)
    assert sa.confusion(a, b) == {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}


def test_chance_and_systematic_disagreement():
    assert sa.cohen_kappa(["x", "x", "y", "y"], ["x", "y", "x", "y"]) == pytest.approx(0.0)
    assert sa.cohen_kappa(["x", "y"], ["y", "x"]) == pytest.approx(-1.0)


def test_three_labels():
    # p_o = 5/6; marginals first (a2, b2, c2), second (a3, b1, c2): p_e = (6 + 2 + 4) / 36 = 1/3;
    # kappa = (5/6 - 1/3) / (2/3) = 0.75.
    a = ["a", "a", "b", "b", "c", "c"]
    b = ["a", "a", "a", "b", "c", "c"]
    assert sa.raw_agreement(a, b) == pytest.approx(5 / 6)
    assert sa.cohen_kappa(a, b) == pytest.approx(0.75)


def test_lenient_agreement():
    rows = [
        ("politics", [], "politics", []),  # same
        ("economy", ["politics"], "politics", []),  # second in first's alt
        ("society", [], "sports", ["society"]),  # first in second's alt
        ("culture", ["misc"], "technology", ["economy"]),  # no match
    ]
    assert [sa.lenient_match(*r) for r in rows] == [True, True, True, False]
    assert sa.lenient_agreement(rows) == pytest.approx(0.75)


def test_bad_inputs():
    with pytest.raises(ValueError):
        sa.raw_agreement([], [])
    with pytest.raises(ValueError):
        sa.cohen_kappa(["a"], ["a", "b"])


def test_load_pairs_joins_on_docno(tmp_path, capsys):
    first = tmp_path / "first.jsonl"
    second = tmp_path / "second.jsonl"
    first.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"docno": "A", "gold": "sports", "split": "test"},
                {"docno": "B", "gold": "economy", "alt": ["politics"], "split": "test"},
                {"docno": "C", "gold": "culture", "split": "dev"},
            ]
        )
        + "\n"
    )
    second.write_text(json.dumps({"docno": "B", "second": "politics"}) + "\n" + json.dumps({"docno": "A", "second": "sports", "alt": []}) + "\n")
    pairs = sa.load_pairs(first, second)
    assert [p["docno"] for p in pairs] == ["B", "A"]
    assert pairs[0] == {"docno": "B", "first": "economy", "first_alt": ["politics"], "second": "politics", "second_alt": []}
    sa.main(["--first", str(first), "--second", str(second)])
    out = capsys.readouterr().out
    assert "raw agreement      0.500" in out and "lenient agreement  1.000" in out


def test_second_annotation_file_is_well_formed():
    path = ROOT / "eval" / "sections_gold_second.jsonl"
    if not path.exists():
        pytest.skip("no second annotation")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [json.loads(line) for line in (ROOT / "eval" / "sections_gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [r["docno"] for r in rows] == [g["docno"] for g in gold if g["split"] == "test"]
    for r in rows:
        assert r["second"] in sa.SECTIONS
        assert all(x in sa.SECTIONS and x != r["second"] for x in r.get("alt", []))
