"""Agreement between two annotations of the sections gold test split.

    .venv/bin/python scripts/sections_agreement.py [--first-in politics,economy,...] [--disagreements]

Joins eval/sections_gold.jsonl (``gold``, ``alt``; first reader) with
eval/sections_gold_second.jsonl (``second``, ``alt``; second reader) on
``docno`` and prints raw agreement, Cohen's kappa, lenient agreement (the
labels match, or either label is in the other reader's ``alt``), per-section
agreement and the confusion matrix (first reader in rows, second in columns).
``--first-in`` keeps only the records whose first label is in the list.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from akhbar.sections import TAXONOMY  # noqa: E402

FIRST = ROOT / "eval" / "sections_gold.jsonl"
SECOND = ROOT / "eval" / "sections_gold_second.jsonl"
SECTIONS = list(TAXONOMY)


def raw_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of items on which the two label lists agree."""
    if len(a) != len(b) or not a:
        raise ValueError("need two non-empty label lists of the same length")
    return sum(x == y for x, y in zip(a, b)) / len(a)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa; 1.0 when both readers use one and the same label
    (where scikit-learn's is undefined)."""
    raw_agreement(a, b)  # the same checks
    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(cohen_kappa_score(a, b))


def lenient_match(first: str, first_alt: Sequence[str], second: str, second_alt: Sequence[str]) -> bool:
    """Same label, or either reader's label is among the other's alternatives."""
    return first == second or second in first_alt or first in second_alt


def lenient_agreement(rows: Sequence[tuple[str, Sequence[str], str, Sequence[str]]]) -> float:
    """Share of (first, first_alt, second, second_alt) rows that match leniently."""
    if not rows:
        raise ValueError("no rows")
    return sum(lenient_match(*r) for r in rows) / len(rows)


def confusion(a: Sequence[str], b: Sequence[str]) -> dict[tuple[str, str], int]:
    """Counts of (first label, second label) pairs."""
    return dict(Counter(zip(a, b)))


def _read(path: Path) -> dict[str, dict]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["docno"]: r for r in rows}


def load_pairs(first: Path = FIRST, second: Path = SECOND) -> list[dict]:
    """Records present in both files, in the second file's order."""
    f, s = _read(first), _read(second)
    missing = [d for d in s if d not in f]
    if missing:
        raise SystemExit(f"{len(missing)} docnos of {second} are not in {first}, e.g. {missing[0]}")
    return [
        {
            "docno": d,
            "first": f[d]["gold"],
            "first_alt": f[d].get("alt") or [],
            "second": r["second"],
            "second_alt": r.get("alt") or [],
        }
        for d, r in s.items()
    ]


def report(pairs: list[dict], show_disagreements: bool = False) -> None:
    a = [p["first"] for p in pairs]
    b = [p["second"] for p in pairs]
    n = len(pairs)
    raw = raw_agreement(a, b)
    lenient = lenient_agreement([(p["first"], p["first_alt"], p["second"], p["second_alt"]) for p in pairs])
    print(f"records            {n}")
    print(f"raw agreement      {raw:.3f} ({sum(x == y for x, y in zip(a, b))}/{n})")
    print(f"Cohen's kappa      {cohen_kappa(a, b):.3f}")
    print(f"lenient agreement  {lenient:.3f} ({round(lenient * n)}/{n})")
    labels = [s for s in SECTIONS if s in a or s in b] + sorted(set(a + b) - set(SECTIONS))
    cm = confusion(a, b)
    print("\nper section: first n, second n, both, first agreed (both / first n), specific agreement 2*both/(first+second)")
    ca, cb = Counter(a), Counter(b)
    for s in labels:
        both = cm.get((s, s), 0)
        first_rate = f"{both / ca[s]:.2f}" if ca[s] else "  - "
        print(f"  {s:<11}{ca[s]:>5}{cb[s]:>5}{both:>5}   {first_rate}   {2 * both / (ca[s] + cb[s]):.2f}")
    width = max(len(s) for s in labels) + 1
    print("\nconfusion: first (rows) x second (columns)")
    print(" " * width + "".join(f"{s[:5]:>6}" for s in labels))
    for r in labels:
        print(f"{r:<{width}}" + "".join(f"{cm.get((r, c), 0):>6}" for c in labels))
    if show_disagreements:
        print("\ndisagreements: docno, first [alt], second [alt], lenient")
        for p in pairs:
            if p["first"] != p["second"]:
                ok = lenient_match(p["first"], p["first_alt"], p["second"], p["second_alt"])
                print(f"  {p['docno']}  {p['first']} {p['first_alt']}  {p['second']} {p['second_alt']}  {'yes' if ok else 'no'}")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=Path, default=FIRST)
    ap.add_argument("--second", type=Path, default=SECOND)
    ap.add_argument("--first-in", default="", help="comma-separated sections: keep records whose first label is one")
    ap.add_argument("--disagreements", action="store_true", help="list the records the readers disagree on")
    args = ap.parse_args(argv)
    pairs = load_pairs(args.first, args.second)
    if args.first_in:
        keep = set(args.first_in.split(","))
        pairs = [p for p in pairs if p["first"] in keep]
    report(pairs, args.disagreements)


if __name__ == "__main__":
    main()
