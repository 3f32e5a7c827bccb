"""Token features for the Arabic named-entity recognizer.

One module, used by training (``scripts/train_ner.py``), evaluation and
inference alike, so the features a model sees at run time are exactly the
ones it was trained with. Everything a word form contributes on its own is
computed once per distinct form and cached (news text repeats its words);
the tagger (``ner._Scorer``) even caches the summed weights per form.

Features of token *i* (all binary, crfsuite attribute strings):

* ``own``: the normalized word (``norm``, the same folding as
  ``normalize_key``), its prefixes and suffixes (1-4 characters), the word
  with its proclitics stripped (و ف ب ل ك and the article ال/لل, a bare
  clitic only when the rest is a more frequent word) and the clitics
  themselves, shape (Arabic / Latin / capitalised Latin / digits /
  punctuation / mixed) and a length bucket; word clusters learned without
  labels from the ANT news corpora (``scripts/cluster_words.py``: k-means
  over positional co-occurrence vectors, three granularities) for the word
  and its stem, with the word's frequency bucket in that corpus and how
  often it takes the article ال there (proper nouns rarely do); gazetteer
  and cue-word membership (``gazetteer.py``);
* the ``CTX_KEYS`` kinds of those for the neighbours at -2..+2;
* ``local``: sentence start/end and padding, word bigrams and cluster
  bigrams/trigram around *i*, multi-token gazetteer matches (B/I/S, also
  for the neighbours), inside quotation marks (and first/last quoted
  word), inside a run of Latin-script words, 1-3 tokens after a cue word
  (الرئيس، وكالة، مدينة...);
* for the second pass, ``doc_extras``: what the first pass said about the
  same words elsewhere in the document.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

# ---------------------------------------------------------------------------
# Normalization and tokenization
# ---------------------------------------------------------------------------

_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u061c\ufeff\u00ad"
    "\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_LETTERS = str.maketrans(
    {
        "\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",  # آ أ إ ٱ
        "\u0624": "\u0648",  # ؤ
        "\u0626": "\u064a", "\u0649": "\u064a", "\u06cc": "\u064a",  # ئ ى ی
        "\u0629": "\u0647", "\u06c1": "\u0647", "\u06d5": "\u0647", "\u06c0": "\u0647",  # ة ہ ە ۀ
        "\u06a9": "\u0643",  # ک
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
_NEEDS_FULL = re.compile("[\ufb50-\ufdff\ufe70-\ufefe\u00c0-\u024f\u1e00-\u1eff]")


@lru_cache(maxsize=100_000)
def norm(word: str) -> str:
    """Comparison key of one token: the same folding as
    ``akhbar.text.normalize.normalize_key`` (which it calls for anything
    beyond plain Arabic/ASCII), with a fast path for the common case."""
    if _NEEDS_FULL.search(word):
        from akhbar.text.normalize import normalize_key

        return normalize_key(word)
    return _MARKS.sub("", word).translate(_LETTERS).casefold().strip()


def norm_text(text: str) -> str:
    """``norm`` over a whole text (used to fold the unlabeled corpora)."""
    if _NEEDS_FULL.search(text):
        text = unicodedata.normalize("NFKC", text)
        text = "".join(
            ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
        )
    return _MARKS.sub("", text).translate(_LETTERS).casefold()


_WORDCH = r"\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d"
# A word (letters, digits, Arabic marks, tatweel, ZWNJ/ZWJ), with decimal or
# thousands parts kept inside numbers; otherwise one non-space character.
TOKEN_RE = re.compile(rf"\d+(?:[.,\u066b\u066c]\d+)*|[{_WORDCH}]+|\S")


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split *text* the way ANERcorp is tokenized (punctuation apart, clitics
    attached); each token with its character offsets into *text*."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


# ---------------------------------------------------------------------------
# Word-level analysis
# ---------------------------------------------------------------------------

_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")


def strip_clitics(w: str, freq: Callable[[str], int] | None = None) -> tuple[str, str]:
    """(proclitics, stem) of a normalized Arabic word: a conjunction و/ف,
    then a preposition ب/ل/ك, then the article ال (ل+ال written لل).

    The article after a preposition is unambiguous; a bare و/ف or ب/ل/ك is
    stripped only when the rest is at least as frequent a word in the
    unlabeled corpus as the whole (*freq*: word -> log-frequency bucket,
    -1 when unknown): ولبنان -> لبنان but لبنان, وزير, بريطانيا stay whole.
    Non-Arabic words are returned whole."""
    if len(w) < 3 or not _ARABIC_LETTER.match(w):
        return "", w
    f = freq or (lambda x: -1)
    pre = ""
    rest = w
    if rest[0] in "وف" and len(rest) > 3:
        r = rest[1:]
        if r.startswith("ال") or (r[0] in "بلك" and r[1:3] == "ال") or r.startswith("لل") or f(r) >= max(f(rest), 0):
            pre, rest = rest[0], r
    if rest[0] in "بلك" and len(rest) > 3:
        if rest[0] == "ل" and rest.startswith("لل") and len(rest) > 4:
            return pre + "لل", rest[2:]
        if rest[1:3] == "ال" and len(rest) > 4:
            return pre + rest[0] + "ال", rest[3:]
        r = rest[1:]
        if f(r) > max(f(rest), 0):
            return pre + rest[0], r
    if rest.startswith("ال") and len(rest) > 4:
        return pre + "ال", rest[2:]
    return pre, rest


def shape(word: str) -> str:
    if word.isdigit():
        return "D"
    if _PUNCT_ONLY.match(word):
        return "P"
    has_ar = bool(_ARABIC_LETTER.search(word))
    has_lat = bool(_LATIN_LETTER.search(word))
    has_dig = any(c.isdigit() for c in word)
    if has_ar and not has_lat:
        return "AD" if has_dig else "A"
    if has_lat and not has_ar:
        if word[:1].isupper():
            return "LU" if not word.isupper() or len(word) == 1 else "LUU"
        return "LL"
    return "X"


QUOTES_OPEN = {'"', "«", "“", "„", "'"}
QUOTES_CLOSE = {'"', "»", "”", "'"}


# kinds of a word's own features that its neighbours also see (decided by
# the kind alone, which lets the tagger pre-sum them per word form)
CTX_KEYS = frozenset("w s p sh pf2 sf2 sf3 c1 c2 c3 al sc2 sc3 c g".split())
# every kind of feature `FeatureExtractor.own` produces
OWN_KEYS = CTX_KEYS | frozenset("b len pf1 pf3 pf4 sf1 sf4 spf2 spf3 ssf2 ssf3 fq sfq sal".split())


class FeatureExtractor:
    """Turns token lists into crfsuite attribute lists.

    *clusters*: normalized word -> (c_coarse, c_mid, c_fine, freq_bucket,
    al_bucket) strings. *gaz*: a ``gazetteer.Gazetteer``.
    """

    WINDOW = (-2, -1, 1, 2)
    # per-word caches, emptied when full: word analyses are small, feature
    # lists (a few KB a word) are only needed until the tagger has summed
    # their weights (it keeps its own cache) or while training
    INFO_CACHE = 100_000
    FEATURE_CACHE = 40_000

    def __init__(self, clusters: Mapping[str, Sequence[str]], gaz) -> None:
        self.clusters = clusters
        self.gaz = gaz
        self._own: dict[str, list[str]] = {}
        self._ctx: dict[str, dict[int, list[str]]] = {}
        self._info: dict[str, tuple] = {}

    def _freq(self, w: str) -> int:
        row = self.clusters.get(w)
        return int(row[3]) if row is not None else -1

    # -- per word form (cached) -------------------------------------------

    def info(self, word: str) -> tuple:
        """(normalized, proclitics, stem, shape, gazetteer tags, cluster
        row, stem's cluster row, word class)."""
        got = self._info.get(word)
        if got is not None:
            return got
        w = norm(word)
        pre, stem = strip_clitics(w, self._freq)
        sh = shape(word)
        cl = self.clusters.get(w)
        stem_cl = self.clusters.get(stem) if stem != w else None
        gtags = self.gaz.word_tags(w, stem, pre)
        # a coarse class for class bigrams: mid-size cluster, or the stem's, or the shape
        wcls = cl[1] if cl is not None else ("s" + stem_cl[1]) if stem_cl is not None else sh
        got = (w, pre, stem, sh, gtags, cl, stem_cl, wcls)
        if len(self._info) >= self.INFO_CACHE:
            self._info.clear()  # bounded memory in a long-running process
        self._info[word] = got
        return got

    def own(self, word: str) -> list[str]:
        got = self._own.get(word)
        if got is not None:
            return got
        w, pre, stem, sh, gtags, cl, stem_cl, _ = self.info(word)
        f = ["b", "w=" + w, "s=" + stem, "p=" + pre, "sh=" + sh, "len=" + str(min(len(w), 8))]
        for k in (1, 2, 3, 4):
            if len(w) > k:
                f.append(f"pf{k}=" + w[:k])
                f.append(f"sf{k}=" + w[-k:])
        if stem != w:
            for k in (2, 3):
                if len(stem) > k:
                    f.append(f"spf{k}=" + stem[:k])
                    f.append(f"ssf{k}=" + stem[-k:])
        if cl is not None:
            f.extend(("c1=" + cl[0], "c2=" + cl[1], "c3=" + cl[2], "fq=" + cl[3], "al=" + cl[4]))
        else:
            f.append("c=none")
        if stem_cl is not None:
            f.extend(("sc2=" + stem_cl[1], "sc3=" + stem_cl[2], "sal=" + stem_cl[4], "sfq=" + stem_cl[3]))
        f.extend("g=" + g for g in gtags)
        if len(self._own) >= self.FEATURE_CACHE:
            self._own.clear()
        self._own[word] = f
        return f

    def ctx_base(self, word: str) -> list[str]:
        """What a word tells its neighbours (before the offset prefix): its
        own features whose kind is in CTX_KEYS."""
        keys = CTX_KEYS
        return [f for f in self.own(word) if f[: f.find("=")] in keys]

    def ctx(self, word: str) -> dict[int, list[str]]:
        got = self._ctx.get(word)
        if got is not None:
            return got
        base = self.ctx_base(word)
        got = {o: [f"{o}:{x}" for x in base] for o in self.WINDOW}
        if len(self._ctx) >= self.FEATURE_CACHE:
            self._ctx.clear()
        self._ctx[word] = got
        return got

    # -- per sentence -------------------------------------------------------

    def local(self, tokens: Sequence[str], extra: Sequence[Iterable[str]] | None = None) -> list[list[str]]:
        """The features of each token that depend on more than one word form
        (position, padding, word and class bigrams, list matches,
        quotation/Latin runs, cue distance, and *extra* ones supplied by the
        caller)."""
        n = len(tokens)
        if not n:
            return []
        infos = [self.info(t) for t in tokens]
        normed = [x[0] for x in infos]
        ccls = [x[7] for x in infos]
        prev = ["<s>", *normed[:-1]]
        nxt = [*normed[1:], "</s>"]
        cprev = ["<s>", *ccls[:-1]]
        cnext = [*ccls[1:], "</s>"]
        out = [
            ["bg-=" + a + "|" + b, "bg+=" + b + "|" + c, "cb-=" + x + "|" + y, "cb+=" + y + "|" + z,
             "cb3=" + x + "|" + y + "|" + z]
            for a, b, c, x, y, z in zip(prev, normed, nxt, cprev, ccls, cnext)
        ]
        out[0].append("BOS")
        out[-1].append("EOS")
        for o in self.WINDOW:
            pad = f"{o}:pad"
            rng = range(0, min(-o, n)) if o < 0 else range(max(0, n - o), n)
            for i in rng:
                out[i].append(pad)
        span_tags = self.gaz.span_tags(normed)
        for i, tags in enumerate(span_tags):
            if tags:
                out[i].extend(["G=" + t for t in tags])
                if i > 0:
                    out[i - 1].extend(["1:G=" + t for t in tags])
                if i + 1 < n:
                    out[i + 1].extend(["-1:G=" + t for t in tags])
        for i, c in enumerate(_sentence_cues(tokens, infos)):
            if c:
                out[i].extend(c)
        if extra is not None:
            for f, x in zip(out, extra):
                f.extend(x)
        return out

    def sentence(self, tokens: Sequence[str], extra: Sequence[Iterable[str]] | None = None) -> list[list[str]]:
        """All features of each token (what the CRF is trained on)."""
        n = len(tokens)
        ctxs = [self.ctx(t) for t in tokens]
        out = self.local(tokens, extra)
        for i in range(n):
            f = list(self.own(tokens[i]))
            for o in self.WINDOW:
                j = i + o
                if 0 <= j < n:
                    f.extend(ctxs[j][o])
            f.extend(out[i])
            out[i] = f
        return out


def _sentence_cues(tokens: Sequence[str], infos: Sequence[tuple]) -> list[list[str]]:
    """Quotation, Latin-run and position-after-cue features."""
    n = len(tokens)
    cues: list[list[str]] = [[] for _ in range(n)]
    # inside quotation marks: «...» or "..." (straight quotes pair up in order)
    i = 0
    while i < n:
        t = tokens[i]
        if t in QUOTES_OPEN:
            close = "»" if t == "«" else ("”" if t == "“" else t)
            for j in range(i + 1, min(n, i + 12)):
                if tokens[j] == close or (close == '"' and tokens[j] in QUOTES_CLOSE):
                    if j > i + 1:
                        length = j - i - 1
                        ln = str(min(length, 5))
                        for k in range(i + 1, j):
                            cues[k].append("Q")
                            cues[k].append("Qlen=" + ln)
                        cues[i + 1].append("Qfirst")
                        cues[j - 1].append("Qlast")
                    i = j
                    break
        i += 1
    # runs of Latin-script words inside Arabic text
    i = 0
    while i < n:
        if infos[i][3] in ("LU", "LUU", "LL"):
            j = i
            while j < n and infos[j][3] in ("LU", "LUU", "LL", "D"):
                j += 1
            for k in range(i, j):
                cues[k].append("LATRUN")
            cues[i].append("LATRUN_B")
            i = j
        else:
            i += 1
    # the word right after a cue word: "after-title", "after-org-head", and
    # a distance-2 version (titles are often followed by a nisba: الرئيس
    # الجزائري عبد المجيد تبون)
    for i in range(n):
        gt = infos[i][4]
        for g in gt:
            if g.startswith("cue_"):
                if i + 1 < n:
                    cues[i + 1].append("after_" + g)
                if i + 2 < n:
                    cues[i + 2].append("after2_" + g)
                if i + 3 < n:
                    cues[i + 3].append("after3_" + g)
    return cues


# ---------------------------------------------------------------------------
# Document context for the second (stacked) pass
# ---------------------------------------------------------------------------

_TYPE_INDEX = {"PERS": 0, "LOC": 1, "ORG": 2, "MISC": 3}
_TYPE_NAMES = ("PERS", "LOC", "ORG", "MISC")
# stems of sports words: in a sports story a country is often a team (ORG)
SPORT_STEMS = frozenset(
    norm(w)
    for w in """منتخب مباراه مباريات كاس هدف هدفين اهداف فريق لاعب لاعبين لاعبا دوري بطوله ملعب مدرب
    نادي تعادل مونديال اولمبياد نهاييات التصفيات تصفيات الشوط شوط مرمي حارس""".split()
)


def _spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    spans = []
    typ = None
    start = 0
    for i, tag in enumerate(list(tags) + ["O"]):
        p = tag[:1]
        if tag == "O" or p in "BS" or tag[2:] != typ:
            if typ is not None:
                spans.append((typ, start, i))
                typ = None
            if tag != "O":
                typ, start = tag[2:], i
        if p in "ES" and typ is not None:
            spans.append((typ, start, i + 1))
            typ = None
    return spans


def doc_extras(
    stems: Sequence[Sequence[str]], preds: Sequence[Sequence[str]], window: int
) -> list[list[list[str]]]:
    """Second-pass features from first-pass tags (BIO or BIOES) over a document.

    For every token: its own first-pass tag and its neighbours'; over the
    sentences within *window* of its own (the same article, mostly), what
    the first pass said about the other occurrences of the same word
    (clitics stripped): which entity types, the majority type, and whether it
    was tagged an entity more often than not; whether the token starts or
    continues a word sequence tagged as an entity elsewhere; and whether
    the story is about sport (where country names are mostly teams). A name
    recognized once after a title (الرئيس عزيز الدويك) is then found again
    when it stands alone."""
    per: list[dict[str, list[int]]] = []
    spans_per: list[list[tuple[tuple[str, ...], str, int]]] = []
    sport_per: list[int] = []
    for st, pr in zip(stems, preds):
        d: dict[str, list[int]] = {}
        for w, p in zip(st, pr):
            if len(w) < 2 or not w[0].isalpha():
                continue
            c = d.get(w)
            if c is None:
                c = d[w] = [0, 0, 0, 0, 0]
            c[_TYPE_INDEX[p[2:]] if p != "O" else 4] += 1
        per.append(d)
        spans_per.append([(tuple(st[a:b]), typ, a) for typ, a, b in _spans(pr)])
        sport_per.append(sum(1 for w in st if w in SPORT_STEMS))
    n = len(per)
    out: list[list[list[str]]] = []
    for si in range(n):
        st, pr = stems[si], preds[si]
        lo, hi = max(0, si - window), min(n, si + window + 1)
        m = len(st)
        sport = sum(sport_per[lo:hi]) >= 3
        # entity word sequences tagged in the window (not this very span)
        seqs: dict[str, list[tuple[tuple[str, ...], str, int, int]]] = {}
        for j in range(lo, hi):
            for key, typ, a in spans_per[j]:
                seqs.setdefault(key[0], []).append((key[1:], typ, j, a))
        ds: list[list[str]] = [[] for _ in range(m)]
        for i in range(m):
            for rest, typ, j, a in seqs.get(st[i], ()):
                if j == si and a == i:
                    continue
                k = len(rest)
                if i + k < m and tuple(st[i + 1 : i + 1 + k]) == rest:
                    ds[i].append("DS=B-" + typ)
                    for q in range(i + 1, i + 1 + k):
                        ds[q].append("DS=I-" + typ)
        feats_s: list[list[str]] = []
        for i in range(m):
            p = pr[i]
            f = ["P1=" + p, "P1-1=" + (pr[i - 1] if i else "<s>"), "P1+1=" + (pr[i + 1] if i + 1 < m else "</s>")]
            if sport:
                f.append("SPORT")
                f.append("SPORT|" + p)
            # distinct, in a fixed order: the tagger adds these features'
            # float32 weights in list order, and a set's order (hence the
            # rounding of the sum) would follow the string-hash seed
            f.extend(sorted(set(ds[i])))
            w = st[i]
            if len(w) >= 2 and w[0].isalpha():
                tot = [0, 0, 0, 0, 0]
                for j in range(lo, hi):
                    c = per[j].get(w)
                    if c is not None:
                        for k in range(5):
                            tot[k] += c[k]
                tot[_TYPE_INDEX[p[2:]] if p != "O" else 4] -= 1  # not itself
                ent = tot[0] + tot[1] + tot[2] + tot[3]
                if ent:
                    best = max(range(4), key=tot.__getitem__)
                    f.append("Dmaj=" + _TYPE_NAMES[best])
                    f.append("Dfr=" + ("hi" if ent >= tot[4] else "lo"))
                    for k in range(4):
                        if tot[k]:
                            f.append("D=" + _TYPE_NAMES[k])
                elif tot[4]:
                    f.append("Dnone")
            feats_s.append(f)
        out.append(feats_s)
    return out
