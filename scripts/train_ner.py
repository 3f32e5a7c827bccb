"""Train the Arabic named-entity recognizer shipped in akhbar/entities/model/.

    AKHBAR_DATA=../shared/data .venv/bin/python scripts/train_ner.py [--tune]

Data: CLEANANERCorp (``$AKHBAR_DATA/anercorp/cleananercorp_TRAIN.txt``,
GPL-3.0), split by ``akhbar.entities.ner.split``: blocks of 40 consecutive
sentences, every 6th block held out for ``scripts/eval_ner.py`` and never
looked at here; another 6th is the development part used for choices
(``--tune`` trains on the rest and scores on it). The shipped model is
trained on training + development.

Word clusters come from ``scripts/cluster_words.py`` (unlabeled ANT text,
already in the model directory); gazetteers from CLDR via babel plus the
names of the training part. Names-from-training features are computed
out-of-fold (5 folds) for the training sentences, so the CRF learns how far
such a list can be trusted on unseen text.

Two passes (stacking): the first CRF; then five first-pass models trained
on 4/5 of the training sentences tag the remaining fifth, and a second CRF
learns from those out-of-fold tags (the token's, its neighbours', and what
they say about the same words elsewhere in the document) on top of the
first-pass features. ``--no-stack`` trains the first pass only.

Needs python-crfsuite at training time only: the CRFs are exported to
plain numpy arrays. Writes ner.npz, ner-doc.npz and gazetteer.json.gz to the
model directory (clusters.tsv.gz is written by cluster_words.py). About 9
minutes on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pycrfsuite  # noqa: E402

from akhbar.config import shared_data_dir  # noqa: E402
from akhbar.entities.features import FeatureExtractor, doc_extras  # noqa: E402
from akhbar.entities.gazetteer import Gazetteer, cldr_lists, to_bioes, train_lists  # noqa: E402
from akhbar.entities.ner import (  # noqa: E402
    BLOCK,
    CLUSTER_FILE,
    FORMAT,
    GAZETTEER_FILE,
    MODEL_DIR,
    MODEL_FILE,
    STAGE2_FILE,
    DOC_WINDOW,
    ArabicNER,
    LinearCRF,
    evaluate,
    load_clusters,
    read_conll,
    split,
)

JACKKNIFE = 5
PARAMS = {"c1": 0.01, "c2": 0.1, "max_iterations": 200}
SCHEME = "BIO"  # labels the CRF is trained on (output is always BIO)
FOLD_ITERATIONS = 100  # the out-of-fold first-pass models only feed the second pass


def data_file() -> Path:
    path = shared_data_dir() / "anercorp" / "cleananercorp_TRAIN.txt"
    if not path.exists():
        sys.exit(f"ANERcorp not found at {path} (set AKHBAR_DATA to the shared/data folder)")
    return path


def featurize_train(sents, clusters, cldr) -> tuple[list[list[list[str]]], list[int], list[FeatureExtractor]]:
    """Features of the training sentences, names-from-training lists built
    out-of-fold (fold = block index mod JACKKNIFE)."""
    folds = [(i // BLOCK) % JACKKNIFE for i in range(len(sents))]
    xs: list = [None] * len(sents)
    extractors = []
    for k in range(JACKKNIFE):
        others = [s for s, f in zip(sents, folds) if f != k]
        lists = dict(cldr)
        lists.update(train_lists(others))
        fx = FeatureExtractor(clusters, Gazetteer(lists))
        extractors.append(fx)
        for i, (s, f) in enumerate(zip(sents, folds)):
            if f == k:
                xs[i] = fx.sentence([t for t, _ in s])
    return xs, folds, extractors


def fit(xs, ys, path: Path, params: dict) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(xs, ys):
        trainer.append(x, y)
    trainer.select("lbfgs")
    trainer.set_params({**params, "feature.possible_transitions": True})
    trainer.train(str(path))


def train(sents, clusters, cldr, workdir: Path, params: dict, stack: bool = True, fold_iterations: int = FOLD_ITERATIONS):
    """Train on *sents*; returns (first-pass CRF, second-pass CRF or None,
    gazetteer with CLDR + the names of all of *sents*)."""
    t0 = time.time()
    xs, folds, extractors = featurize_train(sents, clusters, cldr)
    ys = [to_bioes([tag for _, tag in s]) if SCHEME == "BIOES" else [tag for _, tag in s] for s in sents]
    print(f"  features built in {time.time() - t0:.0f}s; training {params} ...", flush=True)
    fit(xs, ys, workdir / "stage1.crfsuite", params)
    crf1 = LinearCRF.from_crfsuite(workdir / "stage1.crfsuite")
    print(f"  first pass trained ({time.time() - t0:.0f}s, {len(crf1.index)} attributes)", flush=True)
    crf2 = None
    if stack:
        # out-of-fold first-pass tags for the second pass to learn from
        oof: list = [None] * len(sents)
        for k in range(JACKKNIFE):
            path = workdir / f"fold{k}.crfsuite"
            fit(
                [x for x, f in zip(xs, folds) if f != k],
                [y for y, f in zip(ys, folds) if f != k],
                path,
                {**params, "max_iterations": min(fold_iterations, params["max_iterations"])},
            )
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            for i, f in enumerate(folds):
                if f == k:
                    oof[i] = tagger.tag(xs[i])
            tagger.close()
            print(f"  fold {k} done ({time.time() - t0:.0f}s)", flush=True)
        info = extractors[0].info
        stems = [[info(t)[2] for t, _ in s] for s in sents]
        extras = doc_extras(stems, oof, DOC_WINDOW)
        xs2 = [[f + e for f, e in zip(x, ex)] for x, ex in zip(xs, extras)]
        fit(xs2, ys, workdir / "stage2.crfsuite", params)
        crf2 = LinearCRF.from_crfsuite(workdir / "stage2.crfsuite")
        print(f"  second pass trained ({time.time() - t0:.0f}s, {len(crf2.index)} attributes)", flush=True)
    lists = dict(cldr)
    lists.update(train_lists(sents))
    return crf1, crf2, Gazetteer(lists)


def score(crf1, crf2, gaz: Gazetteer, clusters, sents) -> dict:
    ner = ArabicNER(crf1, FeatureExtractor(clusters, gaz), stage2=crf2)
    pred = ner.tag_sentences([[t for t, _ in s] for s in sents])
    return evaluate([[tag for _, tag in s] for s in sents], pred)


def fmt(res: dict) -> str:
    return " ".join(f"{k}={res[k]['f1'] * 100:.1f}" for k in ("PERS", "LOC", "ORG", "MISC", "micro", "macro"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tune", action="store_true", help="train on train, score on dev; write nothing")
    ap.add_argument("--c1", type=float, nargs="*", default=None)
    ap.add_argument("--c2", type=float, nargs="*", default=None)
    ap.add_argument("--iterations", type=int, default=PARAMS["max_iterations"])
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--no-stack", action="store_true", help="first pass only (no document-context pass)")
    args = ap.parse_args()

    parts = split(read_conll(data_file()))
    print(
        "split: "
        + ", ".join(f"{k} {len(v)} sentences / {sum(len(s) for s in v)} tokens" for k, v in parts.items())
    )
    clusters = load_clusters(MODEL_DIR / CLUSTER_FILE)
    cldr = cldr_lists()

    if args.tune:
        import tempfile

        c1s = args.c1 or [PARAMS["c1"]]
        c2s = args.c2 or [PARAMS["c2"]]
        with tempfile.TemporaryDirectory() as tmp:
            for c1 in c1s:
                for c2 in c2s:
                    params = {"c1": c1, "c2": c2, "max_iterations": args.iterations}
                    crf1, crf2, gaz = train(parts["train"], clusters, cldr, Path(tmp), params, stack=not args.no_stack)
                    res = score(crf1, None, gaz, clusters, parts["dev"])
                    print(f"dev c1={c1} c2={c2} first pass: {fmt(res)}", flush=True)
                    if crf2 is not None:
                        res = score(crf1, crf2, gaz, clusters, parts["dev"])
                        print(f"dev c1={c1} c2={c2} two passes: {fmt(res)}", flush=True)
        return

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    params = {
        "c1": (args.c1 or [PARAMS["c1"]])[0],
        "c2": (args.c2 or [PARAMS["c2"]])[0],
        "max_iterations": args.iterations,
    }
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        crf1, crf2, gaz = train(parts["train_full"], clusters, cldr, Path(tmp), params, stack=not args.no_stack)
    gaz.save(out / GAZETTEER_FILE)
    if out != MODEL_DIR:
        import shutil

        shutil.copy(MODEL_DIR / CLUSTER_FILE, out / CLUSTER_FILE)
    header = {
        "format": FORMAT,
        "trained_on": "CLEANANERCorp cleananercorp_TRAIN.txt, training+development blocks (akhbar.entities.ner.split)",
        "sentences": len(parts["train_full"]),
        "tokens": sum(len(s) for s in parts["train_full"]),
        "scheme": SCHEME,
        "crf": {"trainer": "python-crfsuite", "algorithm": "lbfgs", **params, "fold_iterations": FOLD_ITERATIONS},
        "licence": "GPL-3.0 (derived from CLEANANERCorp/ANERcorp); see README.md",
    }
    crf1.save(out / MODEL_FILE, {**header, "doc_window": DOC_WINDOW, "stage": 1})
    if crf2 is not None:
        crf2.save(out / STAGE2_FILE, {**header, "doc_window": DOC_WINDOW, "stage": 2})
    elif (out / STAGE2_FILE).exists():
        (out / STAGE2_FILE).unlink()
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
