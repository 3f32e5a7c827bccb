"""Arabic named-entity recognizer: people, places, organizations, other names.

Two linear-chain CRFs over the features of ``features.py``: a first pass,
then a second pass that also sees what the first said about the same words
elsewhere in the document. Trained with crfsuite by ``scripts/train_ner.py``
on CLEANANERCorp; the shipped artifact lives in ``akhbar/entities/model/``
(see its README for the data licence, how it was trained and its held-out
figures). Tags are BIO over PERS, LOC, ORG, MISC.

    ner = ArabicNER.load()
    ner.tag(["قال", "الرئيس", "عبد", "المجيد", "تبون"])
    ner.entities("قال الرئيس الجزائري عبد المجيد تبون في الجزائر العاصمة")

Nothing is downloaded. The weights are plain numpy arrays (``.npz`` read
with ``allow_pickle=False``), the word clusters and gazetteers gzip'd TSV and
JSON; tagging needs numpy only (crfsuite is a training-time dependency).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Sequence

import numpy as np

from akhbar.entities.features import OWN_KEYS, FeatureExtractor, doc_extras, tokenize
from akhbar.entities.gazetteer import Gazetteer, bio_spans, from_bioes

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = "ner.npz"
STAGE2_FILE = "ner-doc.npz"
CLUSTER_FILE = "clusters.tsv.gz"
GAZETTEER_FILE = "gazetteer.json.gz"
FORMAT = "akhbar-ner/1"
TYPES = ("PERS", "LOC", "ORG", "MISC")


@dataclass(frozen=True)
class Entity:
    text: str
    type: str
    start: int
    end: int


def load_clusters(path: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 6:
                out[parts[0]] = tuple(parts[1:6])
    return out


class LinearCRF:
    """A first-order linear-chain CRF's weights (numpy only): state weights
    per (attribute, label), transition weights per (label, label). Trained
    with crfsuite, exported to ``ner.npz`` / ``ner-doc.npz`` (decoded by
    ``viterbi_batch``; crfsuite is not needed at run time)."""

    def __init__(self, labels: Sequence[str], attrs: Sequence[str], W: np.ndarray, T: np.ndarray) -> None:
        self.labels = list(labels)
        self.index = {a: i for i, a in enumerate(attrs)}
        self.W = np.ascontiguousarray(W, dtype=np.float32)
        self.T = np.ascontiguousarray(T, dtype=np.float32)
        self.zero = np.zeros(len(self.labels), dtype=np.float32)

    @classmethod
    def from_crfsuite(cls, path: Path) -> "LinearCRF":
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        labels = sorted(info.labels, key=lambda lab: (lab != "O", lab[2:], "BIES".find(lab[:1])))
        lix = {lab: i for i, lab in enumerate(labels)}
        attrs = sorted({a for a, _ in info.state_features})
        aix = {a: i for i, a in enumerate(attrs)}
        W = np.zeros((len(attrs), len(labels)), dtype=np.float32)
        for (a, lab), w in info.state_features.items():
            W[aix[a], lix[lab]] = w
        T = np.zeros((len(labels), len(labels)), dtype=np.float32)
        for (x, y), w in info.transitions.items():
            T[lix[x], lix[y]] = w
        tagger.close()
        return cls(labels, attrs, W, T)

    def save(self, path: Path, header: dict) -> None:
        attrs = sorted(self.index, key=self.index.__getitem__)
        head = {**header, "labels": self.labels}
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                header=np.frombuffer(json.dumps(head, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                attrs=np.frombuffer("\n".join(attrs).encode("utf-8"), dtype=np.uint8),
                W=self.W,
                T=self.T,
            )

    @classmethod
    def load(cls, path: Path) -> tuple["LinearCRF", dict]:
        with np.load(path, allow_pickle=False) as z:
            head = json.loads(z["header"].tobytes().decode("utf-8"))
            attrs = z["attrs"].tobytes().decode("utf-8").split("\n")
            W = z["W"].astype(np.float32)
            T = z["T"].astype(np.float32)
        if head.get("format") != FORMAT:
            raise ValueError(f"{path}: not an {FORMAT} model")
        return cls(head["labels"], attrs, W, T), head


class _Scorer:
    """Emission scores and decoding for one CRF over the shared features.

    The score of a token is a sum of feature weights. What depends on one
    word form only (its own features, and what it contributes to each
    neighbour at -2..+2, see ``features.CTX_KEYS``) is summed once per
    distinct word and cached; the rest (``FeatureExtractor.local``) is added
    per token. Sentences are scored and decoded in batches with numpy."""

    CACHE_MAX = 100_000  # distinct word forms (about 0.3 KB each); emptied when full

    def __init__(self, crf: LinearCRF, extractor: FeatureExtractor) -> None:
        self.crf = crf
        self.extractor = extractor
        self.window = extractor.WINDOW
        L = crf.W.shape[1]
        slots = 1 + len(self.window)
        prefixes = {f"{o}:": k for k, o in enumerate(self.window, start=1)}
        # feature x -> row of U = [weight of x | of "-2:x" | "-1:x" | "1:x" | "2:x"]
        key_index: dict[str, int] = {}
        entries: list[tuple[int, int, int]] = []
        for attr, row in crf.index.items():
            head, sep, rest = attr.partition(":")
            k = prefixes.get(head + sep) if sep else None
            key, slot = (rest, k) if k is not None else (attr, 0)
            kind = key[: key.find("=")] if "=" in key else key
            if kind not in OWN_KEYS:
                continue  # a local feature, looked up per token
            r = key_index.setdefault(key, len(key_index))
            entries.append((r, slot, row))
        U = np.zeros((len(key_index) + 1, slots, L), dtype=np.float32)  # last row: zeros
        if entries:
            e = np.array(entries)
            U[e[:, 0], e[:, 1]] = crf.W[e[:, 2]]
        self.U = U
        self.key_index = key_index
        self._vecs: dict[str, np.ndarray] = {}

    def word(self, word: str) -> np.ndarray:
        """slots x labels: the word's own score, then what it adds to the
        token at each offset of WINDOW from it."""
        m = self._vecs.get(word)
        if m is None:
            ki = self.key_index
            rows = [r for r in map(ki.get, self.extractor.own(word)) if r is not None]
            m = self.U[rows].sum(axis=0) if rows else self.U[-1]
            if len(self._vecs) >= self.CACHE_MAX:
                self._vecs.clear()
            self._vecs[word] = m
        return m

    def emissions(self, sents: Sequence[Sequence[str]], local: Sequence[Sequence[Sequence[str]]]) -> list[np.ndarray]:
        """Emission matrices (tokens x labels) of non-empty sentences, given
        their local features."""
        lengths = np.array([len(s) for s in sents])
        M = np.stack([self.word(t) for s in sents for t in s])
        N = M.shape[0]
        E = M[:, 0].copy()
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        pos = np.arange(N) - starts
        sent_len = np.repeat(lengths, lengths)
        for k, o in enumerate(self.window, start=1):
            # "-1:w=x" on token i means "token i-1 is x": slot k of the word
            # at i+o is added to token i, inside the same sentence
            ok = np.nonzero((pos + o >= 0) & (pos + o < sent_len))[0]
            E[ok] += M[ok + o, k]
        index = self.crf.index
        rows: list[int] = []
        idx: list[int] = []
        i = 0
        for feats_s in local:
            for feats in feats_s:
                for f in feats:
                    j = index.get(f)
                    if j is not None:
                        rows.append(i)
                        idx.append(j)
                i += 1
        if idx:
            np.add.at(E, np.array(rows), self.crf.W[idx])
        return np.split(E, np.cumsum(lengths)[:-1])

    def decode(self, sents: Sequence[Sequence[str]], local) -> list[list[str]]:
        labels = self.crf.labels
        Es = self.emissions(sents, local)
        return [[labels[i] for i in path] for path in viterbi_batch(Es, self.crf.T)]


def viterbi_batch(Es: Sequence[np.ndarray], T: np.ndarray, batch: int = 128) -> list[list[int]]:
    """Best label paths of several sentences at once (sentences sorted by
    length and decoded *batch* at a time, padded to the longest)."""
    out: list[list[int]] = [[] for _ in Es]
    order = sorted(range(len(Es)), key=lambda i: len(Es[i]))
    L = T.shape[0]
    for b0 in range(0, len(order), batch):
        ids = order[b0 : b0 + batch]
        lens = np.array([len(Es[i]) for i in ids])
        n = int(lens.max())
        B = len(ids)
        Ep = np.zeros((B, n, L), dtype=np.float32)
        for r, i in enumerate(ids):
            Ep[r, : lens[r]] = Es[i]
        score = Ep[:, 0].copy()
        back = np.zeros((B, n, L), dtype=np.intp)
        for t in range(1, n):
            cand = score[:, :, None] + T[None]
            b = cand.argmax(axis=1)
            new = cand.max(axis=1) + Ep[:, t]  # the value at b (take_along_axis costs ~5x more)
            active = (lens > t)[:, None]
            score = np.where(active, new, score)
            back[:, t] = b
        last = score.argmax(axis=1)
        for r, i in enumerate(ids):
            k = int(last[r])
            path = [k]
            bk = back[r]
            for t in range(int(lens[r]) - 1, 0, -1):
                k = int(bk[t, k])
                path.append(k)
            path.reverse()
            out[i] = path
    return out


DOC_WINDOW = 8  # sentences either side that count as the same document


class ArabicNER:
    """Tagger over the shipped (or a given) model directory: a first CRF
    pass, then a second pass that also sees what the first said about the
    same words elsewhere in the document (``features.doc_extras``)."""

    def __init__(
        self, crf: LinearCRF, extractor: FeatureExtractor, meta: dict | None = None, stage2: LinearCRF | None = None
    ) -> None:
        self.extractor = extractor
        self.meta = meta or {}
        self.window = int(self.meta.get("doc_window", DOC_WINDOW))
        self._s1 = _Scorer(crf, extractor)
        self._s2 = _Scorer(stage2, extractor) if stage2 is not None else None

    @classmethod
    def load(cls, model_dir: Path | str | None = None) -> "ArabicNER":
        d = Path(model_dir) if model_dir is not None else MODEL_DIR
        for name in (MODEL_FILE, CLUSTER_FILE, GAZETTEER_FILE):
            if not (d / name).exists():
                raise FileNotFoundError(f"NER model incomplete: {d / name} missing (run `make train-ner`)")
        crf, head = LinearCRF.load(d / MODEL_FILE)
        stage2 = None
        if (d / STAGE2_FILE).exists():
            stage2, _ = LinearCRF.load(d / STAGE2_FILE)
        extractor = FeatureExtractor(load_clusters(d / CLUSTER_FILE), Gazetteer.load(d / GAZETTEER_FILE))
        return cls(crf, extractor, head, stage2)

    # -- tagging -------------------------------------------------------------

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """BIO tags (PERS/LOC/ORG/MISC) for one tokenized sentence (its own
        document)."""
        return self.tag_sentences([tokens])[0]

    def tag_sentences(self, sentences: Iterable[Sequence[str]]) -> list[list[str]]:
        """BIO tags for consecutive sentences of one text or stream (the
        second pass looks DOC_WINDOW sentences either side)."""
        sents = [list(s) for s in sentences]
        full = [s for s in sents if s]
        out: list[list[str]] = [[] for _ in sents]
        if not full:
            return out
        local = [self.extractor.local(s) for s in full]
        first = self._s1.decode(full, local)
        if self._s2 is None:
            tagged = first
        else:
            info = self.extractor.info
            stems = [[info(t)[2] for t in s] for s in full]
            extras = doc_extras(stems, first, self.window)
            local2 = [[f + x for f, x in zip(fs, xs)] for fs, xs in zip(local, extras)]
            tagged = self._s2.decode(full, local2)
        it = iter(tagged)
        for k, s in enumerate(sents):
            if s:
                out[k] = _repair(from_bioes(next(it)))
        return out

    def entities(self, text: str) -> list[Entity]:
        """Named entities of a raw text, with character offsets into it."""
        out: list[Entity] = []
        sents = _sentences(tokenize(text))
        tagged = self.tag_sentences([[t for t, _, _ in sent] for sent in sents])
        for sent, tags in zip(sents, tagged):
            for typ, s, e in bio_spans(tags):
                start, end = sent[s][1], sent[e - 1][2]
                out.append(Entity(text[start:end], typ, start, end))
        return out


def _repair(tags: Sequence[str]) -> list[str]:
    """Make the output valid BIO: an I-X not continuing an X span becomes B-X."""
    out = list(tags)
    prev = "O"
    for i, t in enumerate(out):
        if t.startswith("I-") and prev[2:] != t[2:]:
            out[i] = "B-" + t[2:]
        prev = out[i]
    return out


_SENT_END = {".", "!", "?", "؟", "\n"}
MAX_SENT = 120


def _sentences(tokens: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    """Cut a token stream into sentences at final punctuation (and every
    MAX_SENT tokens, so one run-on text does not become one huge sequence)."""
    out: list[list[tuple[str, int, int]]] = []
    cur: list[tuple[str, int, int]] = []
    for tok in tokens:
        cur.append(tok)
        if tok[0] in _SENT_END or len(cur) >= MAX_SENT:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


# --- CoNLL I/O --------------------------------------------------------------


def conll_io(in_stream: IO[str], out_stream: IO[str], ner: ArabicNER | None = None) -> int:
    """The ``akhbar ner --conll`` contract: read one token per line (blank
    line between sentences; any further column is ignored), write one
    ``token TAG`` line per input line, blank lines kept. The input is one
    document (the second pass uses neighbouring sentences). Returns the
    number of sentences tagged."""
    ner = ner or ArabicNER.load()
    lines: list[str | None] = []  # token, or None for a blank line
    sents: list[list[str]] = []
    cur: list[str] = []
    for line in in_stream:
        parts = line.split()
        if parts:
            cur.append(parts[0])
            lines.append(parts[0])
        else:
            if cur:
                sents.append(cur)
                cur = []
            lines.append(None)
    if cur:
        sents.append(cur)
    tags = iter([t for s in ner.tag_sentences(sents) for t in s])
    for tok in lines:
        if tok is None:
            out_stream.write("\n")
        else:
            out_stream.write(f"{tok} {next(tags)}\n")
    return len(sents)


# --- data helpers shared by training, evaluation and tests ------------------


def read_conll(path: Path | str) -> list[list[tuple[str, str]]]:
    """Sentences of (token, tag) from a two-column CoNLL file."""
    sents: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if not parts:
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            cur.append((parts[0], parts[1] if len(parts) > 1 else "O"))
    if cur:
        sents.append(cur)
    return sents


BLOCK = 40  # consecutive sentences per block (an ANERcorp article is ~12)
FOLDS = 6  # block b is held out if b % FOLDS == TEST_FOLD, dev if == DEV_FOLD
TEST_FOLD = 5
DEV_FOLD = 2


def split(sents: Sequence[list[tuple[str, str]]]) -> dict[str, list[list[tuple[str, str]]]]:
    """Deterministic block split of ANERcorp: blocks of BLOCK consecutive
    sentences, every FOLDS-th block held out for testing, another for
    development; held-out (and dev) sentences whose exact text also occurs
    in the part used for training are dropped (ANERcorp repeats a few
    articles). Returns {"train", "dev", "test", "train_full"} where
    train_full = train + dev (what the shipped model is trained on)."""
    parts: dict[str, list] = {"train": [], "dev": [], "test": []}
    for i, s in enumerate(sents):
        b = (i // BLOCK) % FOLDS
        parts["test" if b == TEST_FOLD else "dev" if b == DEV_FOLD else "train"].append(s)

    def text(s):
        return " ".join(t for t, _ in s)

    train_text = {text(s) for s in parts["train"]}
    full_text = train_text | {text(s) for s in parts["dev"]}
    parts["dev"] = [s for s in parts["dev"] if len(s) <= 3 or text(s) not in train_text]
    parts["test"] = [s for s in parts["test"] if len(s) <= 3 or text(s) not in full_text]
    parts["train_full"] = parts["train"] + parts["dev"]
    return parts


def evaluate(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, dict[str, float]]:
    """Entity-level precision/recall/F1 (exact span and type), conlleval
    style, per type and micro over all; also the macro average of F1."""
    tp: dict[str, int] = {t: 0 for t in TYPES}
    ng: dict[str, int] = {t: 0 for t in TYPES}
    npred: dict[str, int] = {t: 0 for t in TYPES}
    for g, p in zip(gold, pred):
        gs = set(bio_spans(g))
        ps = set(bio_spans(p))
        for typ, _, _ in gs:
            ng[typ] = ng.get(typ, 0) + 1
        for typ, _, _ in ps:
            npred[typ] = npred.get(typ, 0) + 1
        for span in gs & ps:
            tp[span[0]] = tp.get(span[0], 0) + 1

    def prf(t, g, p):
        pr = t / p if p else 0.0
        rc = t / g if g else 0.0
        f = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        return {"precision": pr, "recall": rc, "f1": f, "support": g}

    res = {typ: prf(tp[typ], ng[typ], npred[typ]) for typ in TYPES}
    res["micro"] = prf(sum(tp.values()), sum(ng.values()), sum(npred.values()))
    res["macro"] = {
        "precision": sum(res[t]["precision"] for t in TYPES) / len(TYPES),
        "recall": sum(res[t]["recall"] for t in TYPES) / len(TYPES),
        "f1": sum(res[t]["f1"] for t in TYPES) / len(TYPES),
        "support": sum(ng.values()),
    }
    return res
