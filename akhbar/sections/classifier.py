"""Section classifier: files an article under one of `TAXONOMY`'s slugs.

A linear model (TF-IDF over analysed words and title words, one weight
vector per section) trained by ``scripts/train_sections.py`` on the ANT
corpora, with noisy desk labels cleaned before training (see
``akhbar/sections/model/README.md``). The shipped artifact is a plain
``.npz`` of numbers and UTF-8 bytes, read with ``allow_pickle=False``:
vocabulary, idf weights, the coefficient matrix and a JSON header. Inference
is numpy only (no scikit-learn at run time).

Confidence is a calibrated probability (softmax of the decision scores
with a temperature fitted on out-of-fold predictions). Below the threshold
chosen on development data the answer is ``misc``: an unsure guess is filed
under منوعات rather than under a wrong section. A section given by the feed
or configured for the source is a *prior*: it multiplies that section's
probability by a fixed factor, enough to settle a close call, never enough
to overturn a confident prediction.

The model reads Arabic. French or English text gets the prior (if any) or
``misc``, with low confidence: there is no fr/en training data.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Callable, Iterable, Sequence

import numpy as np

from akhbar.sections import TAXONOMY, section_for_label

MODEL_DIR = Path(__file__).resolve().parent / "model"
ARTIFACT = MODEL_DIR / "sections.npz"
FORMAT = "akhbar-sections/1"

# ---------------------------------------------------------------------------
# Text analysis (shared by training and inference: the model is only valid
# with the analyser it was trained with, recorded in the artifact header).
# ---------------------------------------------------------------------------

# Everything `normalize_key` folds for Arabic, done with C-speed string
# methods (this runs on every article): invisible marks removed, letter
# variants unified, digits mapped, lower-cased.
_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u061c\ufeff\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]"
)
_LETTERS = (
    ("\u0622", "\u0627"), ("\u0623", "\u0627"), ("\u0625", "\u0627"), ("\u0671", "\u0627"),  # آ أ إ ٱ -> ا
    ("\u0624", "\u0648"),  # ؤ -> و
    ("\u0626", "\u064a"), ("\u0649", "\u064a"), ("\u06cc", "\u064a"),  # ئ ى ی -> ي
    ("\u0629", "\u0647"), ("\u06c1", "\u0647"), ("\u06d5", "\u0647"), ("\u06c0", "\u0647"),  # ة ہ ە ۀ -> ه
    ("\u06a9", "\u0643"),  # ک -> ك
)
_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]")
_TOKEN = re.compile(r"\w+")
_DIGIT_RUN = re.compile(r"\d+")


def fold(text: str) -> str:
    """Arabic key folding, equivalent to `normalize_key` on Arabic text
    (tashkeel/tatweel/invisible controls dropped, alef and hamza seats
    unified, ى->ي, ة->ه, Persian letters and digits mapped, lower-cased)
    but several times faster; NFKC only when presentation forms occur."""
    if _PRESENTATION.search(text):
        text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text)
    for a, b in _LETTERS:
        if a in text:
            text = text.replace(a, b)
    if _DIGITS.search(text):
        text = _DIGITS.sub(lambda m: str(unicodedata.digit(m.group())), text)
    if "_" in text:  # hashtags: #طرد_دبلوماسيين_روس
        text = text.replace("_", " ")
    return text.lower()


_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "هم", "ه", "ي")


def light_stem(word: str) -> str:
    """Light Arabic stemmer (Light10-style): conjunction و, the article and
    its proclitic forms, and one common suffix, keeping at least two letters."""
    if len(word) >= 4 and word[0] == "و":
        word = word[1:]
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            word = word[len(p):]
            break
    for s in _SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 2:
            word = word[: -len(s)]
            break
    return word


class _StemCache(dict):
    """token -> stem, filled on first sight (numbers -> '#', '##', ... by length)."""

    def __missing__(self, tok: str) -> str:
        if tok.isdigit():
            s = "#" * min(len(tok), 4)
        elif any(ch.isdigit() for ch in tok):
            s = _DIGIT_RUN.sub("#", tok)
        else:
            s = light_stem(tok)
        self[tok] = s
        return s


class _LightAnalyzer:
    """fold + tokenise + light stem, numbers reduced to their length."""

    name = "light-v1"

    def __init__(self) -> None:
        self._stems = _StemCache()

    def __call__(self, text: str) -> list[str]:
        if len(self._stems) > 400_000:  # bound the cache in long-running processes
            self._stems = _StemCache()
        return list(map(self._stems.__getitem__, _TOKEN.findall(fold(text))))


class _TermCache(dict):
    """raw token -> tuple of the text engine's terms for it, filled on first sight."""

    def __init__(self, analyze: Callable[[str, str], list[str]]) -> None:
        super().__init__()
        self._analyze = analyze

    def __missing__(self, tok: str) -> tuple[str, ...]:
        terms = tuple("#" * min(len(t), 4) if t.isdigit() else t for t in self._analyze(tok, "ar"))
        self[tok] = terms
        return terms


class _EngineAnalyzer:
    """The text engine's Arabic analysis (`akhbar.text.analyze.analyze`:
    clitics, light stemming, stop words), applied word by word through a
    cache so that it costs a dict lookup per word at steady state. Splitting
    on word characters first and analysing each word gives the same terms
    as ``analyze(text, 'ar')`` (the engine splits a word into several terms
    itself, e.g. 2018م -> 2018 م); numbers are then reduced to their length."""

    name = "akhbar.text.analyze"

    def __init__(self) -> None:
        from akhbar.text.analyze import analyze  # noqa: PLC0415 (imported only when used)

        self._analyze = analyze
        self._terms = _TermCache(analyze)

    def __call__(self, text: str) -> list[str]:
        if len(self._terms) > 400_000:  # bound the cache in long-running processes
            self._terms = _TermCache(self._analyze)
        if _PRESENTATION.search(text):
            text = unicodedata.normalize("NFKC", text)
        words = _TOKEN.findall(_MARKS.sub("", text))
        return list(chain.from_iterable(map(self._terms.__getitem__, words)))


_ANALYZERS: dict[str, Callable[[], Callable[[str], list[str]]]] = {
    _LightAnalyzer.name: _LightAnalyzer,
    _EngineAnalyzer.name: _EngineAnalyzer,
}


# A fixed text whose analysis is recorded in the artifact: if the analyser
# changes after training (the text engine is shared with search), loading
# warns and `analyzer_drift` is set, so tests and `make eval-sections` notice.
PROBE = (
    "أعلنت وزارة الصحة، اليوم الأربعاء، أن المستشفيات استقبلت 120 مريضاً، "
    "وقال المدرب إن اللاعبين سيلعبون بالملعب الجديد. ارتفعت أسعار النفط والذهب "
    "بالأسواق العالمية، وكشفت شركة آبل عن هاتفها، فيما فاز الفيلم بجائزة المهرجان."
)


def analyzer_fingerprint(analyzer: Callable[[str], list[str]]) -> str:
    return hashlib.sha1(" ".join(analyzer(PROBE)).encode("utf-8")).hexdigest()[:16]


def get_analyzer(name: str) -> Callable[[str], list[str]]:
    try:
        return _ANALYZERS[name]()
    except KeyError:
        raise ValueError(f"unknown analyzer {name!r}") from None


def engine_available() -> bool:
    try:
        _EngineAnalyzer()
    except Exception:  # noqa: BLE001 (ImportError, or a module still being written)
        return False
    return True


def analyse_article(
    analyzer: Callable[[str], list[str]], title: str, text: str, max_words: int = 400
) -> tuple[list[str], list[str]]:
    """(title tokens, body tokens): the body cut to its first *max_words*."""
    return analyzer(title or ""), analyzer((text or "")[: max_words * 8])[:max_words]


def article_features(
    analyzer: Callable[[str], list[str]], title: str, text: str, max_words: int = 400, bigrams: bool = True
) -> list[str]:
    """Feature strings for one article (the training-side view): words of
    title and body in the ``w:`` namespace, title words again under ``t:``,
    and (*bigrams*) pairs of consecutive body terms under ``b:`` ("b:a b";
    only the frequent ones are kept in the vocabulary)."""
    title_toks, body_toks = analyse_article(analyzer, title, text, max_words)
    feats = ["w:" + t for t in title_toks] + ["w:" + t for t in body_toks] + ["t:" + t for t in title_toks]
    if bigrams:
        feats += ["b:" + a + " " + b for a, b in zip(body_toks, body_toks[1:])]
    return feats


# Language codes read as Arabic: ISO 639-1/2 and the ISO 639-3 Arabic
# varieties language identifiers return (py3langid gives "arz" for Egyptian).
ARABIC_CODES = frozenset(
    "ar ara arb arz apc ajp apd acm acq acw acx acy aeb afb aao abh abv adf aec arq ars ary auz avl ayh "
    "ayl ayn ayp pga shu ssh".split()
)


def lang_code(lang: object) -> str:
    """'ar-TN' -> 'ar', 'fr_FR' -> 'fr', 'arz' -> 'arz'; '' when undeclared."""
    if not isinstance(lang, str):
        return ""
    return lang.strip().replace("_", "-").split("-")[0].lower()


def arabic_share(tokens: Sequence[str]) -> float:
    """Share of word tokens written in Arabic script (numbers ignored)."""
    arabic = other = 0
    for t in tokens:
        c = t[0]
        if "\u0621" <= c <= "\u06ff":
            arabic += 1
        elif c != "#":
            other += 1
    return arabic / (arabic + other) if arabic + other else 0.0


# ---------------------------------------------------------------------------
# The artifact
# ---------------------------------------------------------------------------


@dataclass
class SectionModel:
    classes: list[str]
    vocab: list[str]
    idf: np.ndarray  # (F,) float32
    coef: np.ndarray  # (C, F) decision weights
    intercept: np.ndarray  # (C,)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Feature columns by namespace, so inference maps tokens straight to
        # columns without building the "w:"/"t:" strings.
        self.word_col: dict[str, int] = {}
        self.title_col: dict[str, int] = {}
        self.bigram_col: dict[tuple[str, str], int] = {}  # (a, b) -> column (empty for unigram-only artifacts)
        for j, f in enumerate(self.vocab):
            if f.startswith("w:"):
                self.word_col[f[2:]] = j
            elif f.startswith("t:"):
                self.title_col[f[2:]] = j
            else:  # "b:a b"
                a, _, b = f[2:].partition(" ")
                self.bigram_col[(a, b)] = j
        self._wt = np.ascontiguousarray(self.coef.T.astype(np.float32))  # (F, C)
        self._idf = self.idf.astype(np.float32)
        self._b = self.intercept.astype(np.float32)

    # -- persistence (no pickle anywhere) ---------------------------------
    def save(self, path: Path) -> None:
        meta = dict(self.meta, format=FORMAT, classes=list(self.classes))
        vocab_bytes = "\n".join(self.vocab).encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8"), dtype=np.uint8),
            vocab=np.frombuffer(vocab_bytes, dtype=np.uint8),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
        )

    @classmethod
    def read(cls, path: Path) -> "SectionModel":
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: not a {FORMAT} artifact")
            vocab = z["vocab"].tobytes().decode("utf-8").split("\n")
            return cls(
                classes=list(meta["classes"]),
                vocab=vocab,
                idf=z["idf"],
                coef=z["coef"].astype(np.float32),
                intercept=z["intercept"],
                meta=meta,
            )

    # -- scoring -----------------------------------------------------------
    def decision(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Decision scores (n, C) for feature-string lists (training view)."""
        pairs = []
        for feats in docs:
            title = [f[2:] for f in feats if f.startswith("t:")]
            words = [f[2:] for f in feats if f.startswith("w:")]
            # the body is what follows the title's words in the w: namespace
            pairs.append((title, words[len(title):], words))
        return self._decision(pairs)

    def decision_tokens(self, docs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> np.ndarray:
        """Decision scores (n, C) for (title tokens, body tokens) pairs:
        TF-IDF with sublinear tf and l2 norm, then the linear layer."""
        return self._decision([(title, body, None) for title, body in docs])

    def _decision(self, docs) -> np.ndarray:
        wget, tget, bget = self.word_col.get, self.title_col.get, self.bigram_col.get
        cols_all: list[np.ndarray] = []  # per article: its distinct columns, and their counts
        tfs_all: list[np.ndarray] = []
        bounds = [0]
        for title, body, words in docs:
            # one column per occurrence (w:, t: and b: columns are disjoint),
            # then counted by numpy: cheaper than three Counters of strings
            cols = [j for j in map(wget, words if words is not None else chain(title, body)) if j is not None]
            cols += [j for j in map(tget, title) if j is not None]
            if self.bigram_col and len(body) > 1:
                cols += [j for j in map(bget, zip(body, body[1:])) if j is not None]
            u, c = np.unique(np.asarray(cols, dtype=np.int64), return_counts=True)
            cols_all.append(u)
            tfs_all.append(c)
            bounds.append(bounds[-1] + len(u))
        n = len(docs)
        if bounds[-1] == 0:
            return np.tile(self._b, (n, 1))
        idx = np.concatenate(cols_all)
        val = (1.0 + np.log(np.concatenate(tfs_all).astype(np.float32))) * self._idf[idx]
        if n == 1:  # fewer numpy calls for the common one-article case
            return (self._b + (val @ self._wt[idx]) / np.sqrt(val @ val))[None, :]
        out = np.tile(self._b, (n, 1))
        b = np.asarray(bounds)
        lengths = np.diff(b)
        nonempty = lengths > 0
        starts = b[:-1][nonempty]
        norms = np.sqrt(np.add.reduceat(val * val, starts))
        val /= np.repeat(norms, lengths[nonempty])
        out[nonempty] += np.add.reduceat(self._wt[idx] * val[:, None], starts, axis=0)
        return out

    def proba(self, scores: np.ndarray) -> np.ndarray:
        z = scores * float(self.meta.get("temperature", 1.0))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class SectionClassifier:
    """Loads the shipped artifact once; `predict` one article or many."""

    _cache: dict[Path, "SectionClassifier"] = {}
    _lock = threading.Lock()

    def __init__(self, model: SectionModel) -> None:
        self.model = model
        meta = model.meta
        self.analyzer = get_analyzer(meta.get("analyzer", _LightAnalyzer.name))
        expected = meta.get("analyzer_fingerprint")
        self.analyzer_drift = bool(expected) and analyzer_fingerprint(self.analyzer) != expected
        if self.analyzer_drift:
            warnings.warn(
                f"section model: analyser {self.analyzer.name!r} no longer gives the output it was "
                "trained with; predictions may degrade (run `make train-sections`)",
                RuntimeWarning,
                stacklevel=2,
            )
        self.max_words = int(meta.get("max_words", 400))
        self.threshold = float(meta.get("threshold", 0.5))
        self.prior_boost = float(meta.get("prior_boost", 4.0))
        self.min_arabic = float(meta.get("min_arabic_share", 0.5))
        self.classes = list(model.classes)
        self._col = {c: i for i, c in enumerate(self.classes)}

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SectionClassifier":
        """The classifier from the shipped artifact (or *path*), cached."""
        p = Path(path).resolve() if path else ARTIFACT
        with cls._lock:
            clf = cls._cache.get(p)
            if clf is None:
                if not p.is_file():
                    raise FileNotFoundError(f"section model not found at {p} (run `make train-sections`)")
                clf = cls._cache[p] = cls(SectionModel.read(p))
            return clf

    # -- helpers -------------------------------------------------------------
    def tokens(self, title: str, text: str) -> tuple[list[str], list[str]]:
        return analyse_article(self.analyzer, title, text, self.max_words)

    @staticmethod
    def _prior_slug(prior: str | None) -> str | None:
        if not prior:
            return None
        return prior if prior in TAXONOMY else section_for_label(prior)

    def _decide(self, probs: np.ndarray, prior: str | None) -> tuple[str, float]:
        p = probs
        if prior is not None and prior in self._col:
            p = p.copy()
            p[self._col[prior]] *= self.prior_boost
            p /= p.sum()
        k = int(np.argmax(p))
        conf = float(p[k])
        slug = self.classes[k]
        if conf < self.threshold:
            # unsure: file under misc, reporting how unsure we were
            return "misc", conf
        return slug, conf

    # -- public API ------------------------------------------------------------
    def predict(
        self, title: str, text: str, lang: str | None = None, prior: str | None = None
    ) -> tuple[str, float]:
        """Return ``(slug, confidence)``; see the module docstring."""
        return self.predict_many([(title, text, lang, prior)])[0]

    def predict_many(
        self, items: Iterable[tuple[str, str, str | None, str | None]]
    ) -> list[tuple[str, float]]:
        """`predict` for many ``(title, text, lang, prior)`` at once (faster)."""
        items = list(items)
        results: list[tuple[str, float] | None] = [None] * len(items)
        todo, toks = [], []
        for i, (title, text, lang, prior) in enumerate(items):
            code = lang_code(lang)
            if code and code not in ARABIC_CODES:
                results[i] = self._not_arabic(prior)
                continue
            tt, bt = self.tokens(title or "", text or "")
            if not code and arabic_share(tt + bt[:60]) < self.min_arabic:
                results[i] = self._not_arabic(prior)
                continue
            todo.append(i)
            toks.append((tt, bt))
        if todo:
            probs = self.model.proba(self.model.decision_tokens(toks))
            for row, i in enumerate(todo):
                results[i] = self._decide(probs[row], self._prior_slug(items[i][3]))
        return results  # type: ignore[return-value]

    def classify(
        self, title: str, text: str, lang: str | None = None, prior: str | None = None
    ) -> tuple[str | None, float]:
        """Like `predict`, but an article the model cannot judge (declared
        non-Arabic ``lang``, less than half of the words in Arabic script, no
        words at all) gets ``(prior slug, 0.5)`` or ``(None, 0.0)``, never
        ``misc``: "no section" rather than a guess. Judged articles get
        ``(slug, p)``, ``("misc", p)`` when below the fallback threshold."""
        title = title if isinstance(title, str) else ""
        text = text if isinstance(text, str) else ""
        prior_slug = self._prior_slug(prior)
        code = lang_code(lang)
        if code and code not in ARABIC_CODES:
            return (prior_slug, 0.5) if prior_slug else (None, 0.0)
        tt, bt = self.tokens(title, text)
        if arabic_share(tt + bt[:60]) < self.min_arabic:
            return (prior_slug, 0.5) if prior_slug else (None, 0.0)
        probs = self.model.proba(self.model.decision_tokens([(tt, bt)]))[0]
        return self._decide(probs, prior_slug)

    def _not_arabic(self, prior: str | None) -> tuple[str, float]:
        """No model for this language (or no text): the prior, else misc."""
        p = self._prior_slug(prior)
        return (p, 0.5) if p else ("misc", 0.0)

    def probabilities(self, title: str, text: str) -> dict[str, float]:
        """Calibrated per-section probabilities (no prior, no fallback)."""
        probs = self.model.proba(self.model.decision_tokens([self.tokens(title, text)]))[0]
        return {c: float(probs[i]) for i, c in enumerate(self.classes)}


def classify_jsonl(
    in_stream: IO[str], out_stream: IO[str], classifier: SectionClassifier | None = None, batch: int = 256
) -> dict[str, int]:
    """`akhbar classify`: JSON lines ``{id, title, text, lang?, section?}`` in,
    ``{id, section, confidence}`` out, one line per input line, in order.

    ``section`` (optional) is used as the prior. A line that is not a JSON
    object gets ``{"id": null, "error": ...}`` and the run goes on.
    Returns counts ``{"read", "classified", "errors"}``.
    """
    clf = classifier or SectionClassifier.load()
    stats = {"read": 0, "classified": 0, "errors": 0}
    pending: list[tuple[object, tuple[str, str, str | None, str | None]]] = []

    def flush() -> None:
        if not pending:
            return
        preds = clf.predict_many([item for _, item in pending])
        for (ident, _), (slug, conf) in zip(pending, preds):
            out_stream.write(json.dumps({"id": ident, "section": slug, "confidence": round(conf, 4)}, ensure_ascii=False) + "\n")
        stats["classified"] += len(pending)
        pending.clear()

    for line in in_stream:
        if not line.strip():
            continue
        stats["read"] += 1
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            flush()
            out_stream.write(json.dumps({"id": None, "error": f"line {stats['read']}: {exc}"}) + "\n")
            stats["errors"] += 1
            continue
        pending.append(
            (
                obj.get("id"),
                (str(obj.get("title") or ""), str(obj.get("text") or ""), obj.get("lang"), obj.get("section")),
            )
        )
        if len(pending) >= batch:
            flush()
    flush()
    return stats
