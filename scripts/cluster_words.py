"""Learn word clusters for the NER from unlabeled Arabic news (no labels used).

    AKHBAR_DATA=../shared/data .venv/bin/python scripts/cluster_words.py

Reads the ANT corpora (ant-multisource v2.1 and ant-v1.1, Apache-2.0, see
their READMEs for the citation request) from $AKHBAR_DATA, folds every text
with the NER's own normalization and tokenizer, and writes
``akhbar/entities/model/clusters.tsv.gz``: one line per frequent word

    word <TAB> c_coarse <TAB> c_mid <TAB> c_fine <TAB> freq_bucket <TAB> al_bucket

Method (numpy/scipy/scikit-learn, training time only):
 1. vocabulary: the most frequent words (count >= MIN_COUNT, at most VOCAB);
 2. positional co-occurrence counts with the CONTEXTS most frequent words
    at offsets -2, -1, +1, +2 (separate columns per offset, so the vectors
    capture syntax as Brown clusters do; sentence/document boundaries are a
    context of their own);
 3. positive PMI with context-distribution smoothing (0.75), truncated SVD
    to DIM dimensions, rows L2-normalized;
 4. k-means at three granularities (K_COARSE, K_MID, K_FINE clusters).
Also per word: log2 frequency bucket and how often the word takes the
article ال in the corpus (a proper-noun cue: لبنان vs الحكومة).

Deterministic (fixed seeds); a few minutes on one core.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from akhbar.config import shared_data_dir  # noqa: E402
from akhbar.entities.features import TOKEN_RE, norm_text  # noqa: E402

OUT = ROOT / "akhbar" / "entities" / "model" / "clusters.tsv.gz"
VOCAB = 80_000
MIN_COUNT = 8
CONTEXTS = 3000
DIM = 100
K_COARSE, K_MID, K_FINE = 64, 256, 1024
OFFSETS = (-2, -1, 1, 2)

_FIELD = re.compile(r"<(TITLE|TEXT)>(.*?)</\1>", re.S)
_SENT_SPLIT = re.compile(r"[.!?؟\n]+")


def data_dir() -> Path:
    return shared_data_dir()


def iter_texts(base: Path):
    """Title and body of every ANT article; malformed files reported."""
    seen: set[bytes] = set()
    bad = 0
    files = sorted((base / "ant-multisource").rglob("*.txt")) + sorted((base / "ant-v1.1").rglob("*.txt"))
    if not files:
        sys.exit(f"no ANT files under {base} (set AKHBAR_DATA to the shared/data folder)")
    for path in files:
        try:
            raw = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            print(f"  unreadable {path}: {exc}", file=sys.stderr)
            bad += 1
            continue
        parts = [m.group(2) for m in _FIELD.finditer(raw)]
        if not parts:
            bad += 1
            continue
        text = "\n".join(parts)
        h = hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()
        if h in seen:
            continue
        seen.add(h)
        yield text
    print(f"  {len(files)} files, {len(seen)} distinct articles, {bad} without title/text", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    from scipy import sparse
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD

    t0 = time.time()
    sents: list[list[str]] = []
    counts: Counter[str] = Counter()
    for text in iter_texts(data_dir()):
        for piece in _SENT_SPLIT.split(norm_text(text)):
            toks = TOKEN_RE.findall(piece)
            if len(toks) >= 3:
                sents.append(toks)
                counts.update(toks)
    ntok = sum(counts.values())
    print(f"read {len(sents)} sentences, {ntok} tokens, {len(counts)} types in {time.time() - t0:.0f}s")

    vocab = [w for w, c in counts.most_common(VOCAB) if c >= MIN_COUNT]
    index = {w: i for i, w in enumerate(vocab)}
    V = len(vocab)
    C = CONTEXTS
    BOUND, UNK = C, C + 1
    width = C + 2
    # one int array for the whole corpus, a boundary id between sentences
    ids = np.fromiter(
        (i for s in sents for i in ([index.get(t, -1) for t in s] + [-2])),
        dtype=np.int32,
    )
    del sents
    target = ids
    ctx = np.where(ids == -2, BOUND, np.where((ids >= 0) & (ids < C), ids, UNK)).astype(np.int32)
    M = None
    for k, o in enumerate(OFFSETS):
        if o > 0:
            t, c = target[:-o], ctx[o:]
        else:
            t, c = target[-o:], ctx[:o]
        keep = t >= 0
        part = sparse.coo_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (t[keep], c[keep] + k * width)),
            shape=(V, width * len(OFFSETS)),
        ).tocsr()
        M = part if M is None else M + part
    M.sum_duplicates()
    print(f"co-occurrence {M.shape}, {M.nnz} non-zeros ({time.time() - t0:.0f}s)")

    # PPMI with smoothed context distribution
    total = M.sum()
    row = np.asarray(M.sum(axis=1)).ravel()
    col = np.asarray(M.sum(axis=0)).ravel() ** 0.75
    col = col / col.sum()
    M = M.tocoo()
    pmi = np.log(M.data / total) - np.log(row[M.row] / total) - np.log(col[M.col])
    keep = pmi > 0
    P = sparse.csr_matrix((pmi[keep].astype(np.float32), (M.row[keep], M.col[keep])), shape=M.shape)
    svd = TruncatedSVD(n_components=DIM, n_iter=7, random_state=0)
    X = svd.fit_transform(P)  # = U * S
    X = X / np.sqrt(np.maximum(svd.singular_values_, 1e-9))  # U * S^0.5
    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-9)
    print(f"SVD {X.shape} ({time.time() - t0:.0f}s)")

    labels = []
    for k in (K_COARSE, K_MID, K_FINE):
        if k <= 256:
            km = KMeans(n_clusters=k, n_init=2, random_state=0, max_iter=100)
        else:
            km = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=0, batch_size=4096, max_iter=100)
        labels.append(km.fit_predict(X))
        print(f"k-means k={k} ({time.time() - t0:.0f}s)")

    def al_bucket(w: str) -> str:
        if w.startswith("ال") and len(w) > 4:
            with_al, bare = counts[w], counts.get(w[2:], 0)
        else:
            with_al, bare = counts.get("ال" + w, 0), counts[w]
        r = with_al / max(1, with_al + bare)
        return "0" if r < 0.05 else "1" if r < 0.25 else "2" if r < 0.5 else "3" if r < 0.8 else "4"

    args.out.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, w in enumerate(vocab):
        fb = str(min(int(math.log2(counts[w])), 16))
        lines.append(f"{w}\t{labels[0][i]}\t{labels[1][i]}\t{labels[2][i]}\t{fb}\t{al_bucket(w)}\n")
    data = "".join(lines).encode("utf-8")
    # fixed mtime in the gzip header: same input -> same bytes
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as fh:
        fh.write(data)
    print(f"wrote {args.out} ({V} words, {args.out.stat().st_size / 1024:.0f} KB) in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
