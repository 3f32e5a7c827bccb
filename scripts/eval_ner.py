"""Evaluate the shipped Arabic NER on the held-out part of CLEANANERCorp.

    AKHBAR_DATA=../shared/data .venv/bin/python scripts/eval_ner.py [--json FILE]

Held-out part: ``akhbar.entities.ner.split`` (every 6th block of 40
consecutive sentences; sentences repeated from the training part dropped);
the model never saw it, nor were any choices made on it.

Prints entity-level precision, recall and F1 (exact span and type,
conlleval-style) per type, micro over all entities and the macro average,
for:
 * the shipped model (both passes), and its first pass alone;
 * a dictionary baseline: every span seen as an entity in the training part,
   tagged with its most frequent type, longest match first, left to right
   (tokens compared after normalization).
Then tagging speed on one core over the held-out sentences: a freshly
loaded model (empty caches) and the same model again (warm caches), in CPU
time of this single-threaded process and in wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from train_ner import data_file  # noqa: E402  (scripts/ is on sys.path when run)
from akhbar.entities.features import norm  # noqa: E402
from akhbar.entities.gazetteer import bio_spans  # noqa: E402
from akhbar.entities.ner import TYPES, ArabicNER, evaluate, read_conll, split  # noqa: E402


class DictionaryBaseline:
    """Spans seen as entities in training, with their most frequent type."""

    def __init__(self, train_sents) -> None:
        counts: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        for sent in train_sents:
            toks = [norm(t) for t, _ in sent]
            for typ, s, e in bio_spans([tag for _, tag in sent]):
                counts[tuple(toks[s:e])][typ] += 1
        self.spans = {k: c.most_common(1)[0][0] for k, c in counts.items()}
        self.maxlen = max(len(k) for k in self.spans)

    def tag(self, tokens) -> list[str]:
        toks = [norm(t) for t in tokens]
        out = ["O"] * len(toks)
        i = 0
        while i < len(toks):
            for n in range(min(self.maxlen, len(toks) - i), 0, -1):
                typ = self.spans.get(tuple(toks[i : i + n]))
                if typ is not None:
                    out[i] = "B-" + typ
                    for j in range(i + 1, i + n):
                        out[j] = "I-" + typ
                    i += n
                    break
            else:
                i += 1
        return out


def table(name: str, res: dict) -> str:
    lines = [f"{name}", f"  {'type':<6} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}"]
    for key in (*TYPES, "micro", "macro"):
        r = res[key]
        lines.append(
            f"  {key:<6} {r['precision'] * 100:6.1f} {r['recall'] * 100:6.1f} {r['f1'] * 100:6.1f} {r['support']:8d}"
        )
    return "\n".join(lines)


def speed(make, sents) -> dict:
    ner = make()
    out = {}
    for label in ("cold", "warm"):
        c0, w0 = time.process_time(), time.perf_counter()
        ner.tag_sentences(sents)
        c1, w1 = time.process_time(), time.perf_counter()
        out[label] = {"cpu_sent_per_s": len(sents) / (c1 - c0), "wall_sent_per_s": len(sents) / (w1 - w0)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    try:  # one core: keep numpy's BLAS (unused for these tiny arrays anyway) single-threaded
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass

    parts = split(read_conll(data_file()))
    test = parts["test"]
    tokens = [[t for t, _ in s] for s in test]
    gold = [[tag for _, tag in s] for s in test]
    print(
        f"held-out: {len(test)} sentences, {sum(map(len, tokens))} tokens, "
        f"{sum(len(bio_spans(g)) for g in gold)} entities "
        f"(training part: {len(parts['train_full'])} sentences)\n"
    )

    ner = ArabicNER.load(args.model)
    results = {"model": evaluate(gold, ner.tag_sentences(tokens))}
    if ner._s2 is not None:
        first = ArabicNER(ner._s1.crf, ner.extractor, ner.meta)
        results["first_pass"] = evaluate(gold, first.tag_sentences(tokens))
    base = DictionaryBaseline(parts["train_full"])
    results["baseline"] = evaluate(gold, [base.tag(s) for s in tokens])

    print(table("model (two passes: CRF, then CRF with document context)", results["model"]))
    if "first_pass" in results:
        print(table("first pass alone", results["first_pass"]))
    print(table("dictionary baseline (training spans, most frequent type, longest match)", results["baseline"]))

    sp = speed(lambda: ArabicNER.load(args.model), tokens)
    results["speed"] = sp
    print("\nspeed on one core over the held-out sentences (sentences/s):")
    for label, r in sp.items():
        print(f"  {label:<5} caches: {r['cpu_sent_per_s']:7.0f} (CPU time)  {r['wall_sent_per_s']:7.0f} (wall)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
