"""Section classifier: the shipped artifact on real ANT articles read from
../shared/data (AKHBAR_DATA) at test time; no article text is stored here."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from akhbar.sections import TAXONOMY
from akhbar.sections.classifier import ARTIFACT, SectionClassifier, SectionModel, classify_jsonl

GOLD = Path(__file__).resolve().parent.parent / "eval" / "sections_gold.jsonl"
_FIELD = re.compile(r"<(TITLE|TEXT)>(.*?)</\1>", re.S)

# hand-checked (eval/sections_gold.jsonl): a Premier League match report and
# a Saudi stock-market report
FOOTBALL = "ant-multisource/BBC/sport/BB-sport-90-20180331.txt"
ECONOMY = "ant-multisource/CNN/economy/CN-economy-422-20181014.txt"


def read_ant(shared_data: Path, rel: str) -> tuple[str, str]:
    raw = (shared_data / rel).read_text(encoding="utf-8", errors="replace")
    fields = {m.group(1): m.group(2).strip() for m in _FIELD.finditer(raw)}
    return fields["TITLE"], fields["TEXT"]


def gold_articles(shared_data: Path, section: str, split: str = "test") -> list[tuple[str, str]]:
    out = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["gold"] == section and rec["split"] == split and rec["outlet"] != "JawharaFM":
            desk = rec["desk"]
            path = shared_data / "ant-multisource" / rec["outlet"] / desk / f"{rec['docno']}.txt"
            if path.is_file():
                out.append(read_ant(shared_data, str(path.relative_to(shared_data))))
    return out


@pytest.fixture(scope="module")
def clf() -> SectionClassifier:
    return SectionClassifier.load()


@pytest.fixture(scope="module")
def football(shared_data):
    return read_ant(shared_data, FOOTBALL)


@pytest.fixture(scope="module")
def economy(shared_data):
    return read_ant(shared_data, ECONOMY)


# -- the artifact ---------------------------------------------------------------


def test_artifact_is_plain_arrays_loaded_without_pickle():
    assert ARTIFACT.is_file(), "run `make train-sections`"
    assert ARTIFACT.stat().st_size < 5_000_000
    with zipfile.ZipFile(ARTIFACT) as zf:
        assert sorted(zf.namelist()) == ["coef.npy", "idf.npy", "intercept.npy", "meta.npy", "vocab.npy"]
    with np.load(ARTIFACT, allow_pickle=False) as z:  # raises on any object array
        for key in z.files:
            assert z[key].dtype != object
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        assert z["coef"].shape == (len(meta["classes"]), z["idf"].shape[0])
    assert set(meta["classes"]) <= set(TAXONOMY)
    assert "ANT" in meta["licence"] and "Apache-2.0" in meta["licence"]


def test_load_is_cached_and_analyser_unchanged(clf):
    assert SectionClassifier.load() is clf
    assert not clf.analyzer_drift, (
        f"the analyser {clf.analyzer.name!r} changed since the model was trained: run `make train-sections`"
    )
    assert 0.0 < clf.threshold < 1.0 and clf.prior_boost > 1.0


def test_model_round_trips(tmp_path, clf):
    path = tmp_path / "copy.npz"
    clf.model.save(path)
    again = SectionClassifier(SectionModel.read(path))
    title, text = "ارتفاع أسعار النفط في الأسواق العالمية", "ارتفعت أسعار النفط اليوم مع تراجع المخزونات الأمريكية"
    assert again.predict(title, text) == pytest.approx(clf.predict(title, text), abs=1e-6)


# -- real articles --------------------------------------------------------------


def test_football_article_is_sports(clf, football):
    slug, conf = clf.predict(*football)
    assert slug == "sports" and conf > 0.9


def test_economy_article_is_economy(clf, economy):
    slug, conf = clf.predict(*economy)
    assert slug == "economy" and conf > 0.9


@pytest.mark.parametrize("section", ["sports", "economy", "politics", "technology"])
def test_hand_checked_articles_mostly_right(clf, shared_data, section):
    articles = gold_articles(shared_data, section)
    assert len(articles) >= 10
    preds = [slug for slug, _ in clf.predict_many([(t, x, "ar", None) for t, x in articles])]
    assert sum(p == section for p in preds) / len(preds) >= 0.8


def test_predict_many_matches_predict(clf, football, economy):
    items = [(*football, None, None), (*economy, "ar", "politics"), ("Le match", "Le PSG a gagné", None, None)]
    assert clf.predict_many(items) == [clf.predict(*item) for item in items]


# -- prior ------------------------------------------------------------------------


def _mixtures(football, economy):
    """Articles stitched from the first sentences of both reports."""
    fs = [s for s in football[1].split("\n") if s.strip()]
    es = [s for s in economy[1].split("\n") if s.strip()]
    for i in range(1, 5):
        for j in range(1, 5):
            yield "\n".join(fs[:i] + es[:j])


def test_prior_settles_a_close_call(clf, football, economy):
    close = []
    for text in _mixtures(football, economy):
        p = clf.probabilities("", text)
        top2 = sorted(p, key=p.get, reverse=True)[:2]
        if set(top2) == {"sports", "economy"} and p[top2[0]] < clf.prior_boost * p[top2[1]] and p[top2[0]] < 0.8:
            close.append(text)
    assert close, "no ambiguous mixture found"
    for text in close:
        assert clf.predict("", text, prior="sports")[0] == "sports"
        assert clf.predict("", text, prior="economy")[0] == "economy"


def test_prior_does_not_override_a_confident_prediction(clf, football, economy):
    assert clf.predict(*football, prior="politics")[0] == "sports"
    assert clf.predict(*economy, prior="sports")[0] == "economy"
    assert clf.predict(*football, prior="رياضة") == clf.predict(*football, prior="sports")


def test_prior_accepts_outlet_labels(clf, football, economy):
    text = next(t for t in _mixtures(football, economy)
                if abs(clf.probabilities("", t)["sports"] - clf.probabilities("", t)["economy"]) < 0.5)
    assert clf.predict("", text, prior="Sport")[0] == "sports"  # mapped with section_for_label
    assert clf.predict("", text, prior="اقتصاد")[0] == "economy"
    assert clf.predict("", text, prior="not a section")[0] == clf.predict("", text)[0]


# -- low confidence, other languages ------------------------------------------------


def test_low_confidence_falls_back_to_misc(clf):
    slug, conf = clf.predict("خبر", "")  # "news": no section word, below the threshold
    assert slug == "misc" and conf < clf.threshold


def test_fallback_rule(clf, football, economy):
    """Below the threshold the answer is misc, above it the top section."""
    text = next(iter(_mixtures(football, economy)))
    top = max(clf.probabilities("", text).values())
    strict = SectionClassifier(clf.model)
    strict.threshold = min(0.999, top + 0.01)
    assert strict.predict("", text) == ("misc", pytest.approx(top, abs=1e-6))
    strict.threshold = top - 0.01
    assert strict.predict("", text)[0] != "misc"


def test_french_and_english_get_the_prior_or_misc(clf):
    fr = ("Le PSG remporte la Ligue 1", "Le club parisien a battu Lyon 3-0 dimanche au Parc des Princes.")
    en = ("Oil prices rise", "Brent crude rose on Monday as US inventories fell to a three-year low.")
    assert clf.predict(*fr) == ("misc", 0.0)
    assert clf.predict(*fr, prior="sports") == ("sports", 0.5)
    assert clf.predict(*en, lang="en", prior="Business") == ("economy", 0.5)
    assert clf.predict("", "") == ("misc", 0.0)


def test_declared_language_wins(clf, football):
    assert clf.predict(*football, lang="fr") == ("misc", 0.0)
    assert clf.predict(*football, lang="ar-TN")[0] == "sports"


# -- `akhbar classify` JSON lines contract -----------------------------------------------


def test_classify_jsonl_contract(clf, football, economy):
    lines = [
        json.dumps({"id": 1, "title": football[0], "text": football[1]}, ensure_ascii=False),
        json.dumps({"id": "b", "title": economy[0], "text": economy[1], "lang": "ar"}, ensure_ascii=False),
        "",
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"id": 5, "title": "Le PSG gagne", "text": "Le club a battu Lyon", "lang": "fr"}),
        json.dumps({"id": 6, "title": economy[0], "text": economy[1], "section": "economy"}, ensure_ascii=False),
        json.dumps({"id": 7}),
    ]
    out = io.StringIO()
    stats = classify_jsonl(io.StringIO("\n".join(lines) + "\n"), out, clf)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert stats == {"read": 7, "classified": 5, "errors": 2}
    assert [r.get("id") for r in rows] == [1, "b", None, None, 5, 6, 7]
    assert rows[0]["section"] == "sports" and rows[1]["section"] == "economy"
    assert "error" in rows[2] and "error" in rows[3]
    assert rows[4] == {"id": 5, "section": "misc", "confidence": 0.0}
    assert rows[6] == {"id": 7, "section": "misc", "confidence": 0.0}
    for r in rows:
        if "error" not in r:
            assert set(r) == {"id", "section", "confidence"}
            assert r["section"] in TAXONOMY and 0.0 <= r["confidence"] <= 1.0


def test_classify_jsonl_batches_keep_order(clf, football, economy):
    items = [football, economy] * 7
    src = "".join(json.dumps({"id": i, "title": t, "text": x}, ensure_ascii=False) + "\n" for i, (t, x) in enumerate(items))
    out = io.StringIO()
    classify_jsonl(io.StringIO(src), out, clf, batch=3)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == list(range(len(items)))
    assert [r["section"] for r in rows] == ["sports", "economy"] * 7


def test_cli_classify_contract():
    import json

    from click.testing import CliRunner

    from akhbar.cli import main

    lines = [json.dumps({"id": 1, "title": "ريال مدريد يفوز على برشلونة في الكلاسيكو",
                         "text": "سجل رونالدو هدفين في مباراة كرة القدم"}, ensure_ascii=False), "not json"]
    res = CliRunner().invoke(main, ["classify"], input="\n".join(lines) + "\n")
    assert res.exit_code == 0
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert out[0]["id"] == 1 and out[0]["section"] == "sports" and 0 < out[0]["confidence"] <= 1
    assert out[1]["id"] is None and "error" in out[1]


# -- `classify_article`: the pipeline's entry point ------------------------------------

import threading  # noqa: E402
import time  # noqa: E402

import akhbar.sections as sections  # noqa: E402
from akhbar.sections import classify_article  # noqa: E402


@pytest.fixture
def fresh_model_slot(monkeypatch):
    """classify_article as on a process's first call: nothing loaded yet."""
    monkeypatch.setattr(sections, "_classifier", None)
    monkeypatch.setattr(sections, "_load_error", None)
    monkeypatch.setattr(SectionClassifier, "_cache", {})


def test_classify_article_real_articles(football, economy):
    slug, conf = classify_article(*football, "ar")
    assert slug == "sports" and isinstance(conf, float) and 0.9 < conf <= 1.0
    slug, conf = classify_article(*economy, None)  # language undeclared: Arabic script decides
    assert slug == "economy" and conf > 0.9
    assert classify_article(*football, "ar-TN") == classify_article(*football, "ar")
    assert classify_article(*football, "arz") == classify_article(*football, "ar")  # py3langid's Egyptian


def test_classify_article_matches_the_model_on_hand_checked_articles(clf, shared_data):
    articles = gold_articles(shared_data, "technology") + gold_articles(shared_data, "culture")
    assert len(articles) >= 20
    for title, text in articles:
        slug, conf = classify_article(title, text, "ar")
        want_slug, want_conf = clf.predict(title, text, "ar")
        assert slug == want_slug and conf == pytest.approx(want_conf, abs=1e-6)
        assert slug in TAXONOMY and 0.0 <= conf <= 1.0


def test_classify_article_prior(clf, football, economy):
    # a confident prediction is not overturned; outlet labels are accepted as priors
    assert classify_article(*football, "ar", prior="politics")[0] == "sports"
    assert classify_article(*economy, "ar", prior="رياضة")[0] == "economy"
    text = next(t for t in _mixtures(football, economy)
                if abs(clf.probabilities("", t)["sports"] - clf.probabilities("", t)["economy"]) < 0.5)
    assert classify_article("", text, "ar", prior="sports")[0] == "sports"
    assert classify_article("", text, "ar", prior="Business")[0] == "economy"
    assert classify_article("", text, "ar", prior="no such section") == classify_article("", text, "ar")


def test_classify_article_cannot_judge_gives_prior_or_none(football):
    fr = ("Le PSG remporte la Ligue 1", "Le club parisien a battu Lyon 3-0 dimanche au Parc des Princes.")
    assert classify_article(*fr, "fr") == (None, 0.0)
    assert classify_article(*fr, None) == (None, 0.0)  # undeclared, Latin script
    assert classify_article(*fr, "fr", prior="sports") == ("sports", 0.5)
    assert classify_article("Oil prices rise", "Brent crude rose.", "en", prior="Business") == ("economy", 0.5)
    assert classify_article(*football, "fr") == (None, 0.0)  # declared language wins
    for empty in (("", "", None), ("", "", "ar"), (None, None, None), ("  ", "\n", "ar")):
        assert classify_article(*empty) == (None, 0.0)
        assert classify_article(*empty, prior="culture") == ("culture", 0.5)


def test_classify_article_unsure_goes_to_misc(clf):
    slug, conf = classify_article("خبر", "", "ar")
    assert slug == "misc" and 0.0 < conf < clf.threshold


def test_classify_article_loads_once_across_threads(fresh_model_slot, monkeypatch, football, economy):
    real_load = SectionClassifier.load.__func__
    loads = []

    def counting_load(cls, path=None):
        loads.append(threading.get_ident())
        time.sleep(0.05)  # widen the race window
        return real_load(cls, path)

    monkeypatch.setattr(SectionClassifier, "load", classmethod(counting_load))
    barrier = threading.Barrier(8)
    results: list = []

    def work(i):
        barrier.wait()
        results.append(classify_article(*(football if i % 2 else economy), "ar"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert sorted(s for s, _ in results) == ["economy"] * 4 + ["sports"] * 4
    assert sections._classifier is not None


def test_classify_article_without_a_model_never_crashes(fresh_model_slot, monkeypatch, football, caplog):
    def missing(cls, path=None):
        raise FileNotFoundError("section model not found (run `make train-sections`)")

    monkeypatch.setattr(SectionClassifier, "load", classmethod(missing))
    assert classify_article(*football, "ar") == (None, 0.0)
    assert classify_article(*football, "ar", prior="Sport") == ("sports", 0.5)
    assert "section model unavailable" in caplog.text


def test_classify_article_is_fast(shared_data, football):
    """Runs on every ingested article: at least 1,000 articles/s of CPU time
    on real articles (measured about 3,000/s; `make eval-sections` reports it)."""
    docs = []
    for p in sorted((shared_data / "ant-multisource" / "CNN" / "internationalNews").glob("*.txt"))[:300]:
        raw = p.read_text(encoding="utf-8", errors="replace")
        f = {m.group(1): m.group(2).strip() for m in _FIELD.finditer(raw)}
        docs.append((f.get("TITLE", ""), f.get("TEXT", "")))
    classify_article(*football, "ar")  # loaded
    for d in docs:  # analyser cache warm, as in a long-running crawler
        classify_article(*d, "ar")
    t = time.process_time()
    for d in docs:
        classify_article(*d, "ar")
    assert len(docs) / max(time.process_time() - t, 1e-9) >= 1000
