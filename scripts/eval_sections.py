"""Evaluate the section classifier (``make eval-sections``).

    AKHBAR_DATA=../shared/data .venv/bin/python scripts/eval_sections.py [--quick]

(a) in-source: a random held-out split (20% of duplicate groups, plus every
    hand-checked article) of ANT multi-source + v1.1; the rest trains;
(b) leave-one-source-out over the four multi-source outlets: train on the
    other three (+ JawharaFM), test on the fourth.
Each is scored against the desk labels (mapped with `section_for_label`)
and against the hand-checked labels in eval/sections_gold.jsonl (which
never enter training), for:
  baseline    plain TF-IDF word 1-2 grams + char 3-5 grams, LinearSVC, desk labels
  desk        our features (analysed words, title words, frequent body bigrams;
              class weights balanced squared) + calibration/fallback, desk labels as they are
  seeded      + health seeding
  checked     cleaned + hand-checked training labels
              (eval/sections_train_checked.jsonl) over the desk/seed labels,
              never cleaned, weighted (tried, not shipped: see the model
              README). A checked article trains only when it is on the
              training side of the split: in leave-one-outlet-out the held-out
              outlet's checked articles are held out with it; held-out checked
              articles are scored against their labels ("checked_heldout").
  relabel     seeded + world-desk politics relabelled on the cleaning
              pass's out-of-fold probabilities with the rule given by
              --relabel-world (e.g. "society=0.5,health=0.6"), then cleaned;
              only the training side of the split is scored and relabelled,
              so in leave-one-outlet-out the held-out outlet is never seen
  cleaned     + world-desk relabelling with the shipped rule
              (train_sections.RELABEL_WORLD, society at p >= 0.5) and
              confident-learning cleaning (the shipped pipeline)
``--quick`` runs only baseline and cleaned; ``--methods cleaned,checked``
compares with and without the checked labels. ``--no-test`` leaves the gold
test split unscored (its articles still never train), for choices on dev.
Also: desk-label noise measured on the gold sample, confusion matrices, and
articles/s of the shipped artifact on one core. Results go to akhbar/sections/model/metrics.json.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_sections as ts  # noqa: E402

from akhbar.sections import section_for_label  # noqa: E402
from akhbar.sections.classifier import ARTIFACT, SectionClassifier, classify_jsonl  # noqa: E402

GOLD = ts.ROOT / "eval" / "sections_gold.jsonl"
METRICS = ARTIFACT.parent / "metrics.json"
ORDER = ["politics", "economy", "sports", "technology", "culture", "society", "health", "misc"]
# the sections the multi-source desks can express (articles hand-filed under
# society/health/misc are left out of the "desk_sections_only" figures)
DESK_SECTIONS = ORDER[:5]


def load_gold(path: Path = GOLD) -> dict[str, dict]:
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                out[rec["docno"]] = rec
    return out


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------


def accuracy(truth, pred) -> float:
    return float(np.mean([t == p for t, p in zip(truth, pred)])) if truth else float("nan")


def macro_f1(truth, pred) -> float:
    """Macro-F1 over the sections present in *truth* (a prediction outside
    them is simply an error for its article)."""
    f1s = []
    for c in sorted(set(truth)):
        tp = sum(t == c and p == c for t, p in zip(truth, pred))
        fp = sum(t != c and p == c for t, p in zip(truth, pred))
        fn = sum(t == c and p != c for t, p in zip(truth, pred))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s)) if f1s else float("nan")


def per_class(truth, pred) -> dict:
    out = {}
    for c in ORDER:
        n = sum(t == c for t in truth)
        if not n and not any(p == c for p in pred):
            continue
        tp = sum(t == c and p == c for t, p in zip(truth, pred))
        fp = sum(t != c and p == c for t, p in zip(truth, pred))
        fn = n - tp
        out[c] = {"support": n, "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                  "recall": round(tp / n, 3) if n else None,
                  "f1": round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else None}
    return out


def confusion(truth, pred) -> dict:
    m = defaultdict(Counter)
    for t, p in zip(truth, pred):
        m[t][p] += 1
    return {t: dict(m[t]) for t in ORDER if t in m}


def fmt_confusion(conf: dict) -> str:
    cols = [c for c in ORDER if any(c in row for row in conf.values())]
    head = "truth \\ pred".ljust(13) + "".join(c[:6].rjust(7) for c in cols)
    lines = [head]
    for t, row in conf.items():
        lines.append(t[:12].ljust(13) + "".join(str(row.get(c, "")).rjust(7) for c in cols))
    return "\n".join(lines)


# articles per (outlet, desk) in the corpora, set by main(): the hand-checked
# sample is stratified with the same count per outlet desk (16 dev + 10 test),
# so a plain mean over-weights the small desks (CNN technology, 187 articles)
# against the big ones (Sky News middleEast, 3,972). The population-weighted
# accuracy weights each article by its stratum's size / its count in the
# scored set: an unbiased estimate of accuracy on the outlets' article stream.
STRATUM_SIZES: Counter = Counter()


def stratum_weights(docnos, gold) -> list[float] | None:
    keys = [(gold[k]["outlet"], gold[k]["desk"]) for k in docnos]
    if not STRATUM_SIZES or not keys:
        return None
    count = Counter(keys)
    return [STRATUM_SIZES[k] / count[k] for k in keys]


def scores(truth, pred, alt=None, weights=None) -> dict:
    out = {"n": len(truth), "accuracy": round(accuracy(truth, pred), 4), "macro_f1": round(macro_f1(truth, pred), 4)}
    if alt is not None:
        out["accuracy_lenient"] = round(float(np.mean([p == t or p in a for t, p, a in zip(truth, pred, alt)])), 4)
    if weights is not None and len(weights) == len(truth) and truth:
        w = np.asarray(weights, dtype=float)
        ok = np.asarray([t == p for t, p in zip(truth, pred)], dtype=float)
        out["accuracy_weighted"] = round(float((w * ok).sum() / w.sum()), 4)
    return out


# ---------------------------------------------------------------------------
# predictors
# ---------------------------------------------------------------------------


def baseline_fit_predict(docs, train_idx, test_idx):
    """Plain TF-IDF (word 1-2 + char_wb 3-5) + LinearSVC on desk labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    def txt(d):
        return d.title + "\n" + d.text

    y = [section_for_label(docs[i].desk) for i in train_idx]
    vec = FeatureUnion([
        ("w", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=400_000, dtype=np.float32)),
        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                              max_features=400_000, dtype=np.float32)),
    ])
    X = vec.fit_transform([txt(docs[i]) for i in train_idx])
    svm = LinearSVC(C=1.0, max_iter=5000).fit(X, y)
    pred = svm.predict(vec.transform([txt(docs[i]) for i in test_idx]))
    return {i: (str(p), None) for i, p in zip(test_idx, pred)}


CHECKED: dict[str, str] = {}  # docno -> hand-checked training label (set by main)
CHECKED_WEIGHT = ts.CHECKED_WEIGHT
NO_TEST = False  # --no-test: gold test articles stay out of training but are not scored


RELABEL: dict[str, float] = {}  # --relabel-world rule for the "relabel" method (set by main)


def training_side(docs, labels, train_idx, use_checked=False):
    """What a split lets the model learn from: the labels of its training
    side (None elsewhere) and the hand-checked articles among them only."""
    lab = [None] * len(docs)
    for i in train_idx:
        lab[i] = labels[i]
    checked = {docs[i].docno for i in train_idx if docs[i].docno in CHECKED} if use_checked else set()
    return lab, checked


def ours_fit_predict(docs, feats, labels, train_idx, test_idx, clean, log, use_checked=False, relabel=None):
    lab, checked = training_side(docs, labels, train_idx, use_checked)
    model, report = ts.train_model(docs, feats, lab, clean=clean, log=log,
                                   meta={"analyzer": ANALYZER, "max_words": 400},
                                   checked=checked, checked_weight=CHECKED_WEIGHT,
                                   relabel=relabel if relabel is not None else {})
    clf = SectionClassifier(model)
    test_docs = [docs[i] for i in test_idx]
    preds = clf.predict_many([(d.title, d.text, "ar", None) for d in test_docs])
    raw = model.proba(model.decision([feats[i] for i in test_idx])).argmax(1)
    prior = clf.predict_many([(d.title, d.text, "ar", section_for_label(d.desk)) for d in test_docs])
    out = {}
    for k, i in enumerate(test_idx):
        out[i] = (preds[k][0], {"argmax": model.classes[raw[k]], "with_desk_prior": prior[k][0], "conf": preds[k][1]})
    return out, report


ANALYZER = "light-v1"


def evaluate_split(name, docs, feats, labels_by_method, gold, train_idx, test_idx, methods, log) -> dict:
    res = {}
    desk_idx = [i for i in test_idx if docs[i].corpus == "ant-multisource"]

    def gold_ids(split, corpus):
        return [i for i in test_idx if docs[i].docno in gold and docs[i].corpus == corpus
                and (split is None or gold[docs[i].docno]["split"] == split)
                and not (NO_TEST and gold[docs[i].docno]["split"] == "test")]

    gold_sets = (("gold_test", gold_ids("test", "ant-multisource")), ("gold_dev", gold_ids("dev", "ant-multisource")),
                 ("gold", gold_ids(None, "ant-multisource")), ("gold_jawharafm", gold_ids(None, "ant-v1.1")))
    for m in methods:
        t = time.time()
        log(f"[{name}] {m}: training on {len(train_idx)} articles, testing on {len(test_idx)}")
        if m == "baseline":
            pred = baseline_fit_predict(docs, train_idx, test_idx)
            report = {}
        else:
            pred, report = ours_fit_predict(docs, feats, labels_by_method[m], train_idx, test_idx,
                                            clean=(m in ("cleaned", "checked", "relabel")), log=lambda s: log("    " + s),
                                            use_checked=(m == "checked"),
                                            relabel=RELABEL if m == "relabel" else ts.RELABEL_WORLD if m == "cleaned" else {})
        r = {"seconds": round(time.time() - t, 1)}
        truth = [section_for_label(docs[i].desk) for i in desk_idx]
        r["desk"] = scores(truth, [pred[i][0] for i in desk_idx])
        for tag, ids in gold_sets:
            if not ids:
                continue
            g = [gold[docs[i].docno]["gold"] for i in ids]
            alt = [gold[docs[i].docno].get("alt", []) for i in ids]
            p = [pred[i][0] for i in ids]
            w = stratum_weights([docs[i].docno for i in ids], gold)
            r[tag] = scores(g, p, alt, w)
            r[tag]["per_class"] = per_class(g, p)
            r[tag]["confusion"] = confusion(g, p)
            r[tag]["_pairs"] = list(zip([docs[i].docno for i in ids], g, p))
            five = [k for k, t in enumerate(g) if t in DESK_SECTIONS]
            r[tag]["desk_sections_only"] = scores([g[k] for k in five], [p[k] for k in five],
                                                  weights=[w[k] for k in five] if w else None)
            if m != "baseline":
                for extra, key in (("_argmax", "argmax"), ("_with_desk_prior", "with_desk_prior")):
                    pe = [pred[i][1][key] for i in ids]
                    r[tag + extra] = scores(g, pe, weights=w)
                    r[tag + extra]["_pairs"] = list(zip([docs[i].docno for i in ids], g, pe))
        held = [i for i in test_idx if docs[i].docno in CHECKED]
        if held:
            g = [CHECKED[docs[i].docno] for i in held]
            p = [pred[i][0] for i in held]
            r["checked_heldout"] = scores(g, p)
            r["checked_heldout"]["per_class"] = per_class(g, p)
            r["checked_heldout"]["_pairs"] = list(zip([docs[i].docno for i in held], g, p))
        if m != "baseline":
            r["desk_argmax"] = scores(truth, [pred[i][1]["argmax"] for i in desk_idx])
            r["misc_fallback_share"] = round(float(np.mean([pred[i][0] == "misc" for i in desk_idx])), 4)
            r["training"] = {k: report.get(k) for k in ("cleaning", "relabel_world", "temperature", "threshold", "features",
                                                          "dev_accuracy_before_fallback")}
        res[m] = r
        log(f"[{name}] {m}: desk acc {r['desk']['accuracy']:.4f} F1 {r['desk']['macro_f1']:.4f}"
            + "".join(f" | {tag} acc {r[tag]['accuracy']:.4f} F1 {r[tag]['macro_f1']:.4f} (n={r[tag]['n']})"
                      for tag in [t for t, _ in gold_sets] + ["checked_heldout"] if tag in r)
            + f"  [{r['seconds']}s]")
    return res


def noise_report(docs, gold) -> dict:
    """Share of hand-checked articles whose desk label maps to another section,
    for each gold split and both together."""
    out = {"all": _noise(docs, gold)}
    for split in sorted({r["split"] for r in gold.values()}):
        out[split] = _noise(docs, {k: r for k, r in gold.items() if r["split"] == split})
    return out


def _noise(docs, gold) -> dict:
    sizes = Counter((d.outlet, d.desk) for d in docs)
    by_stratum = defaultdict(lambda: [0, 0])
    for rec in gold.values():
        k = (rec["outlet"], rec["desk"])
        by_stratum[k][0] += 1
        by_stratum[k][1] += section_for_label(rec["desk"]) != rec["gold"]
    out = {"by_desk": {}, "by_outlet": {}}
    for scope, outlets in (("multisource", ts.MULTISOURCE_OUTLETS), ("jawharafm", ("JawharaFM",))):
        ks = [k for k in by_stratum if k[0] in outlets]
        if not ks:
            continue
        n = sum(by_stratum[k][0] for k in ks)
        bad = sum(by_stratum[k][1] for k in ks)
        tot = sum(sizes[k] for k in ks)
        weighted = sum(sizes[k] / tot * by_stratum[k][1] / by_stratum[k][0] for k in ks)
        out[scope] = {"sampled": n, "wrong_desk": bad, "sample_rate": round(bad / n, 4),
                      "population_weighted_rate": round(weighted, 4)}
    for o in ts.MULTISOURCE_OUTLETS + ("JawharaFM",):
        ks = [k for k in by_stratum if k[0] == o]
        if not ks:
            continue
        tot = sum(sizes[k] for k in ks)
        out["by_outlet"][o] = {
            "sampled": sum(by_stratum[k][0] for k in ks),
            "wrong_desk": sum(by_stratum[k][1] for k in ks),
            "population_weighted_rate": round(sum(sizes[k] / tot * by_stratum[k][1] / by_stratum[k][0] for k in ks), 4),
        }
    for k in sorted(by_stratum):
        out["by_desk"][f"{k[0]}/{k[1]}"] = {"sampled": by_stratum[k][0], "wrong_desk": by_stratum[k][1],
                                             "articles": sizes[k]}
    truth = Counter()
    for rec in gold.values():
        truth[(section_for_label(rec["desk"]), rec["gold"])] += 1
    out["desk_to_gold"] = {f"{a} -> {b}": n for (a, b), n in sorted(truth.items()) if a != b}
    return out


def throughput(docs, n=3000, seed=0) -> dict:
    """Articles/s of the shipped artifact on this (single-threaded) process."""
    if not ARTIFACT.is_file():
        return {"error": f"{ARTIFACT} missing: run make train-sections"}
    rng = np.random.default_rng(seed)
    pick = [docs[i] for i in rng.choice(len(docs), size=min(n, len(docs)), replace=False)]
    SectionClassifier._cache.clear()
    t = time.perf_counter()
    clf = SectionClassifier.load()
    load_s = time.perf_counter() - t
    clf.predict(pick[0].title, pick[0].text)  # warm
    # CPU time of this (single-threaded) process = throughput on one core,
    # whatever else the machine runs; wall-clock figures are given too.
    w, c = time.perf_counter(), time.process_time()
    for d in pick:
        clf.predict(d.title, d.text)
    single = (len(pick) / (time.process_time() - c), len(pick) / (time.perf_counter() - w))
    lines = "".join(json.dumps({"id": d.docno, "title": d.title, "text": d.text}, ensure_ascii=False) + "\n" for d in pick)
    # fresh analyser cache so the batch figure is not helped by the loop above
    clf.analyzer = type(clf.analyzer)()
    out = io.StringIO()
    w, c = time.perf_counter(), time.process_time()
    classify_jsonl(io.StringIO(lines), out, clf)
    batch = (len(pick) / (time.process_time() - c), len(pick) / (time.perf_counter() - w))
    mean_chars = float(np.mean([len(d.title) + len(d.text) for d in pick]))
    return {"articles": len(pick), "mean_chars": round(mean_chars), "load_seconds": round(load_s, 3),
            "predict_per_cpu_second": round(single[0]), "predict_per_wall_second": round(single[1]),
            "classify_jsonl_per_cpu_second": round(batch[0]), "classify_jsonl_per_wall_second": round(batch[1]),
            "cold_cache": "classify_jsonl starts with an empty analyser cache",
            "artifact_bytes": ARTIFACT.stat().st_size}


def main(argv=None) -> int:
    global ANALYZER, CHECKED_WEIGHT, NO_TEST, RELABEL
    ap = argparse.ArgumentParser(description="Evaluate the section classifier")
    ap.add_argument("--data")
    ap.add_argument("--quick", action="store_true", help="only baseline and the shipped pipeline")
    ap.add_argument("--skip-loso", action="store_true")
    ap.add_argument("--in-source-from", metavar="METRICS_JSON",
                    help="take the in-source results from an earlier run's metrics file (same code, gold and "
                         "seeds give the same figures) and run only leave-one-outlet-out")
    ap.add_argument("--methods", help="comma-separated subset of baseline,desk,seeded,cleaned,checked,relabel")
    ap.add_argument("--checked", default=str(ts.CHECKED), help="hand-checked training labels (jsonl)")
    ap.add_argument("--checked-weight", type=float, default=ts.CHECKED_WEIGHT)
    ap.add_argument("--relabel-world", default="society=0.5",
                    help="rule of the 'relabel' method: world-desk politics -> section where the "
                         "out-of-fold p >= threshold, e.g. 'society=0.5,health=0.6'")
    ap.add_argument("--no-test", action="store_true",
                    help="do not print or save the gold test split's figures (for choices made on dev)")
    ap.add_argument("--out", default=str(METRICS))
    ap.add_argument("--analyzer", default=None, help="default: the shipped artifact's analyser")
    args = ap.parse_args(argv)
    log = lambda s: print(s, flush=True)  # noqa: E731

    data = ts.data_dir(args.data)
    docs, errors = ts.load_corpora(data, log=lambda s: None)
    STRATUM_SIZES.update((d.outlet, d.desk) for d in docs)
    log(f"loaded {len(docs)} articles, {len(errors)} malformed files skipped (listed by train_sections)")
    gold = load_gold()
    known = {d.docno for d in docs}
    missing = [k for k in gold if k not in known]
    if missing:
        log(f"warning: {len(missing)} gold articles not found in the corpus: {missing[:5]}")
    if args.analyzer:
        ANALYZER = args.analyzer
    elif ARTIFACT.is_file():
        ANALYZER = SectionClassifier.load().model.meta.get("analyzer", "light-v1")
    log(f"analyzer: {ANALYZER}")

    CHECKED.update(ts.load_checked(Path(args.checked) if args.checked else None))
    CHECKED_WEIGHT = args.checked_weight
    RELABEL = ts.parse_relabel(args.relabel_world)
    NO_TEST = args.no_test
    gold_keys = {g for d, g in zip(docs, ts.group_keys(docs)) if d.docno in gold}
    leak = [d.docno for d, g in zip(docs, ts.group_keys(docs)) if d.docno in CHECKED and g in gold_keys]
    if leak:
        raise SystemExit(f"checked training articles with the same text as a gold article: {leak}")
    log(f"checked training labels: {len(CHECKED)} articles {dict(Counter(CHECKED.values()))}, weight {CHECKED_WEIGHT}")
    light = ts.get_analyzer("light-v1")
    seeded, _ = ts.initial_labels(docs, light, log=lambda s: None)
    with_checked, _ = ts.initial_labels(docs, light, log=lambda s: None, checked=CHECKED)
    desk_only = [ts.desk_slug(d) if s is not None else None for d, s in zip(docs, seeded)]
    labels_by_method = {"desk": desk_only, "seeded": seeded, "cleaned": seeded, "checked": with_checked,
                        "relabel": seeded}
    # the shipped pipeline last: per-outlet lines and gold_predictions report methods[-1]
    methods = ["baseline", "cleaned"] if args.quick else ["baseline", "desk", "seeded", "checked", "cleaned"]
    if args.methods:
        methods = args.methods.split(",")
    feats = ts.featurize(docs, ANALYZER, 400)

    metrics: dict = {"analyzer": ANALYZER, "malformed_files": len(errors), "gold_articles": len(gold)}
    metrics["desk_label_noise"] = noise_report(docs, {k: r for k, r in gold.items()
                                                      if not (NO_TEST and r["split"] == "test")})
    if NO_TEST:
        metrics["no_test"] = "gold test split not scored (--no-test)"
    for split, nz in metrics["desk_label_noise"].items():
        line = (f"desk-label noise ({split}): multi-source {nz['multisource']['wrong_desk']}/"
                f"{nz['multisource']['sampled']} = {nz['multisource']['sample_rate']:.1%} "
                f"(population-weighted {nz['multisource']['population_weighted_rate']:.1%})")
        if "jawharafm" in nz:
            line += (f"; JawharaFM {nz['jawharafm']['wrong_desk']}/{nz['jawharafm']['sampled']} = "
                     f"{nz['jawharafm']['sample_rate']:.1%} (weighted {nz['jawharafm']['population_weighted_rate']:.1%})")
        log(line)

    # (a) in-source held-out split, group-aware; gold articles always tested
    groups = ts.group_keys(docs)
    rng = np.random.default_rng(2024)
    uniq = sorted(set(groups))
    test_groups = {uniq[k] for k in rng.permutation(len(uniq))[: len(uniq) // 5]}
    test_groups |= {g for d, g in zip(docs, groups) if d.docno in gold}
    test_idx = [i for i, g in enumerate(groups) if g in test_groups]
    train_idx = [i for i, g in enumerate(groups) if g not in test_groups]
    reused = json.loads(Path(args.in_source_from).read_text(encoding="utf-8")) if args.in_source_from else None
    if reused:
        log(f"in-source results reused from {args.in_source_from}")
        metrics["in_source"] = {m: reused["in_source"][m] for m in methods}
        metrics["in_source_from"] = args.in_source_from
    else:
        metrics["in_source"] = evaluate_split("in-source", docs, feats, labels_by_method, gold, train_idx, test_idx,
                                              methods, log)

    # (b) leave one multi-source outlet out
    if not args.skip_loso:
        loso = {}
        for outlet in ts.MULTISOURCE_OUTLETS:
            test_idx = [i for i, d in enumerate(docs) if d.outlet == outlet]
            train_idx = [i for i, d in enumerate(docs) if d.outlet != outlet]
            loso[outlet] = evaluate_split(f"LOSO {outlet}", docs, feats, labels_by_method, gold, train_idx, test_idx, methods, log)
        pooled = {}
        for m in methods:
            pooled[m] = {
                "desk_mean_accuracy": round(float(np.mean([loso[o][m]["desk"]["accuracy"] for o in loso])), 4),
                "desk_mean_macro_f1": round(float(np.mean([loso[o][m]["desk"]["macro_f1"] for o in loso])), 4),
            }
            for tag in ("gold_test", "gold_dev", "gold"):
                pairs = [p for o in loso for p in loso[o][m].get(tag, {}).get("_pairs", [])]
                if not pairs:
                    continue
                g = [p[1] for p in pairs]
                pr = [p[2] for p in pairs]
                alt = [gold[p[0]].get("alt", []) for p in pairs]
                five = [k for k, t in enumerate(g) if t in DESK_SECTIONS]
                w = stratum_weights([p[0] for p in pairs], gold)
                pooled[m][tag] = {**scores(g, pr, alt, w), "per_class": per_class(g, pr), "confusion": confusion(g, pr),
                                  "desk_sections_only": scores([g[k] for k in five], [pr[k] for k in five],
                                                               weights=[w[k] for k in five] if w else None)}
            pairs = [p for o in loso for p in loso[o][m].get("checked_heldout", {}).get("_pairs", [])]
            if pairs:
                g = [p[1] for p in pairs]
                pr = [p[2] for p in pairs]
                pooled[m]["checked_heldout"] = {**scores(g, pr), "per_class": per_class(g, pr),
                                                "confusion": confusion(g, pr)}
            for extra in ("gold_argmax", "gold_with_desk_prior"):
                if extra in loso[ts.MULTISOURCE_OUTLETS[0]][m]:
                    # pooled from per-outlet counts
                    n = sum(loso[o][m][extra]["n"] for o in loso)
                    pooled[m][extra + "_accuracy"] = round(
                        sum(loso[o][m][extra]["accuracy"] * loso[o][m][extra]["n"] for o in loso) / n, 4)
                    pairs = [p for o in loso for p in loso[o][m].get(extra, {}).get("_pairs", [])]
                    if pairs:
                        g = [p[1] for p in pairs]
                        pr = [p[2] for p in pairs]
                        pooled[m][extra] = scores(g, pr, weights=stratum_weights([p[0] for p in pairs], gold))
        metrics["loso"] = loso
        metrics["loso_pooled"] = pooled

    # per-article answers on the hand-checked set (docno -> predicted slug), for
    # error analysis without rerunning: baseline and the shipped pipeline
    preds: dict = {}
    for m in dict.fromkeys(["baseline", methods[-1]]):
        if m not in metrics["in_source"]:
            continue
        r = metrics["in_source"][m]
        preds.setdefault("in_source", {})[m] = {k: p for tag in ("gold", "gold_jawharafm") for k, _, p in r.get(tag, {}).get("_pairs", [])}
        if "loso" in metrics:
            preds.setdefault("loso", {})[m] = {k: p for o in metrics["loso"] for k, _, p in metrics["loso"][o][m].get("gold", {}).get("_pairs", [])}
    if reused:
        preds["in_source"] = reused.get("gold_predictions", {}).get("in_source", {})
    metrics["gold_predictions"] = preds
    metrics["throughput"] = throughput([d for d in docs if d.corpus == "ant-multisource"])
    # drop bulky per-article pairs from the saved file
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k != "_pairs"}
        return o
    Path(args.out).write_text(json.dumps(strip(metrics), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    # ---- human-readable summary ----
    log("\n=== summary (accuracy / macro-F1 [population-weighted accuracy]) ===")
    def g(r, tag):
        if tag not in r:
            return "   -   "
        x = r[tag]
        wt = f" [{x['accuracy_weighted']:.4f}]" if "accuracy_weighted" in x else ""
        return f"{x['accuracy']:.4f}/{x['macro_f1']:.4f}{wt}"

    for m in methods:
        r = metrics["in_source"][m]
        log(f"in-source {m:9s} desk {g(r, 'desk')}  gold-test {g(r, 'gold_test')}  gold-dev {g(r, 'gold_dev')}"
            f"  gold-all {g(r, 'gold')}  gold-JawharaFM {g(r, 'gold_jawharafm')}")
    for m in methods:
        r = metrics["in_source"][m]
        log(f"in-source {m:9s} gold on the 5 desk sections only: test {g(r.get('gold_test', {}), 'desk_sections_only')}"
            f"  all {g(r['gold'], 'desk_sections_only')} (n={r['gold']['desk_sections_only']['n']})")
        if m != "baseline":
            log(f"in-source {m:9s} argmax (no misc fallback): test {g(r, 'gold_test_argmax')} all {g(r, 'gold_argmax')};"
                f" desk label as prior: test {g(r, 'gold_test_with_desk_prior')} all {g(r, 'gold_with_desk_prior')}")
    if "loso_pooled" in metrics:
        for m in methods:
            p = metrics["loso_pooled"][m]
            log(f"LOSO      {m:9s} desk(mean of 4) {p['desk_mean_accuracy']:.4f}/{p['desk_mean_macro_f1']:.4f}"
                f"  gold-test {g(p, 'gold_test')}  gold-dev {g(p, 'gold_dev')}  gold-all {g(p, 'gold')}"
                f" (n={p['gold']['n']}, lenient acc {p['gold']['accuracy_lenient']:.4f})"
                + (f"  checked-heldout {g(p, 'checked_heldout')} (n={p['checked_heldout']['n']})"
                   if "checked_heldout" in p else ""))
        for m in methods:
            p = metrics["loso_pooled"][m]
            log(f"LOSO      {m:9s} gold on the 5 desk sections only: test {g(p.get('gold_test', {}), 'desk_sections_only')}"
                f"  all {g(p['gold'], 'desk_sections_only')} (n={p['gold']['desk_sections_only']['n']})")
            if m != "baseline":
                log(f"LOSO      {m:9s} gold-all argmax (no misc fallback) {g(p, 'gold_argmax')};"
                    f" desk label as prior {g(p, 'gold_with_desk_prior')}")
        for o in ts.MULTISOURCE_OUTLETS:
            r = metrics["loso"][o][methods[-1]]
            log(f"  {o:9s} desk {g(r, 'desk')}  gold-all {g(r, 'gold')} (n={r['gold']['n']})")
        for m in dict.fromkeys(["baseline", methods[-1]]):
            if m in metrics["loso_pooled"]:
                log(f"\nLOSO pooled gold-all confusion ({m}):")
                log(fmt_confusion(metrics["loso_pooled"][m]["gold"]["confusion"]))
    for m in dict.fromkeys(["baseline", methods[-1]]):
        if m in metrics["in_source"]:
            log(f"\nin-source gold-all confusion ({m}, multi-source):")
            log(fmt_confusion(metrics["in_source"][m]["gold"]["confusion"]))
    log(f"\nthroughput: {metrics['throughput']}")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
