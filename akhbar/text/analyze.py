"""Search analysis: text -> terms, the same at index and at query time.

Both engines (SQLite FTS5, PostgreSQL tsvector with the 'simple' config)
are fed a space-separated string of terms produced here, so they index and
match exactly the same terms. Every term is a run of letters or of ASCII
digits, nothing else, so FTS5's unicode61 tokenizer and PostgreSQL's parser
both see it as a single token.

Order of operations (module overview; details in each function):

1. ``tokenize``: NFKC (PDF presentation forms, ligatures), then tashkeel,
   tatweel and invisible controls dropped, Arabic-Indic digits -> ASCII;
   split on everything that is not a letter or digit (Arabic ، ؛ ؟ « » ٪
   ٫ ٬ included, so 3.5 / ٣٫٥ / 3,5 all give the terms 3 5); a run of
   Arabic letters, a run of digits and a run of other letters are separate
   tokens (٢٠٢٤م -> 2024 م, covid19 -> covid 19, كيم يونغ-تشول -> 3
   tokens). French elision (l' d' qu' j' n' s' c' m' t' jusqu' lorsqu'
   puisqu') is dropped, an English 's/'t is dropped, other apostrophes join
   (aujourd'hui -> aujourdhui).
2. Each token is analysed by its *script*, whatever the document's
   language: Arabic letters -> the Arabic pipeline; digits -> themselves;
   other letters -> the French or English pipeline when the text's language
   is fr/en, otherwise a neutral one (fold, no stemming).
3. Arabic pipeline (``_ar_term``): stop word check on the lightly folded
   token (hamza and ة folded, ى kept apart from ي so the name علي survives)
   -> ``normalize_key`` (full fold: hamza seats, ى->ي, ة->ه ...) -> light
   stemming of the *folded* word: proclitics (و ف, ب ل ك, ال, future س),
   then enclitic pronouns and inflection suffixes. Folding comes first so
   that every spelling variant (أعلنت/اعلنت, الحكومة/الحكومه, مستشفى/مستشفي)
   is the same string before any rule runs, and the rules are written for
   folded text (ة and ه share one rule). Snowball Arabic (PyStemmer) is not
   used for Arabic: measured on ANT it merges only 57% of the clitic
   variants of a word (والحكومة -> والحكوم but الحكومة -> حكوم; وزير -> زير
   but الوزير -> وزير; لترامب kept, بترامب -> ترامب), it breaks on folded
   input (الحكومه -> حكومه) and over-stems (أمريكا ~ أمر, الأردن ~ أرد);
   running it after our own clitic stripping still merged أمريكا with أمر.
   On 3,000 ANT articles (``python -m akhbar.text.analyze DIR 3000``) the
   pipeline below gives one term for 99.9% of X/الX/بالX/للX pairs, 99.3%
   of الX/والX/بالX pairs and 100% of spelling variants; Snowball alone
   58.9%, 52.5% and 73.1%. ``check_collapse`` computes these figures.
4. French/English: ``normalize_key`` first (accents and case folded, so
   "sécurité" and "securite" stem alike), stop word check, then Snowball
   (PyStemmer french/english).

Clitic rules are written so that a decision depends only on what remains
after the clitic: ``strip(c + X) == strip(X)`` whenever X is long enough,
which is what makes والحكومة، للحكومة، بالحكومة and حكومة one term. A
single-letter proclitic is removed only when at least 3 letters remain
(not counting an enclitic pronoun), ال only when 2 remain, so short words
(كرة، بنك، وقت) keep their first letter. Words whose first letter is
radical (فريق، لاعب، كبير، بطولة ...) are listed in
``akhbar.text.stopwords.ar_radicals`` and never lose it, so فكرة does not
become كرة.

Queries: ``query_terms`` parses "phrases", OR, -exclusions into a
``ParsedQuery``; ``to_fts5_match`` and ``to_tsquery`` render it with every
term quoted (no user text reaches either engine's query syntax).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from akhbar.text.normalize import normalize_key
from akhbar.text.stopwords import ar as _ar_words
from akhbar.text.stopwords import ar_radicals as _ar_radicals
from akhbar.text.stopwords import en as _en_words
from akhbar.text.stopwords import fr as _fr_words

__all__ = [
    "ParsedQuery",
    "analyze",
    "analyze_for_index",
    "analyze_query_term",
    "positive_terms",
    "query_terms",
    "to_fts5_match",
    "to_tsquery",
    "tokenize",
]

MAX_QUERY_CHARS = 256
MAX_QUERY_TERMS = 32  # positions (words) kept from a query
MAX_VARIANTS = 8  # alternative spellings of one query item (phrase x stems)

# ----------------------------------------------------------------------
# tokenizer

_DROP = (
    [chr(c) for c in range(0x0610, 0x061B)]  # Quranic marks
    + [chr(c) for c in range(0x064B, 0x0660)]  # tashkeel, hamza above/below, madda
    + ["\u0670", "\u0640"]  # superscript alef, tatweel
    + [chr(c) for c in range(0x06D6, 0x06EE) if unicodedata.category(chr(c)) == "Mn"]
    + ["\u00ad", "\u061c", "\ufeff"]  # soft hyphen, ALM, BOM
    + [chr(c) for c in range(0x200B, 0x2010)]  # ZWSP ZWNJ ZWJ LRM RLM
    + [chr(c) for c in range(0x202A, 0x202F)]  # embeddings/overrides
    + [chr(c) for c in range(0x2060, 0x2065)]
    + [chr(c) for c in range(0x2066, 0x206A)]  # isolates
)
_PREP_TABLE = str.maketrans(
    {
        **{ch: None for ch in _DROP},
        **{chr(0x0660 + i): str(i) for i in range(10)},  # ٠-٩
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # ۰-۹
    }
)

_AR_BLOCKS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
# letters of the Arabic blocks (punctuation, digits and marks excluded)
_AR_LETTER_CLASS = "".join(
    re.escape(chr(c))
    for r in ((0x0600, 0x0700), (0x0750, 0x0780), (0x08A0, 0x0900))
    for c in range(*r)
    if unicodedata.category(chr(c)).startswith("L")
)
_APOS = "'\u2019\u02bc\u2018"
_OTHER = rf"[^\W\d_{_AR_BLOCKS}]"
_TOKEN_RE = re.compile(
    rf"([{_AR_LETTER_CLASS}]+)"  # Arabic-script word
    r"|(\d+)"  # number (any decimal digits)
    rf"|({_OTHER}+(?:[{_APOS}]{_OTHER}+)*)"  # other letters, inner apostrophes kept
)
_APOS_RE = re.compile(f"[{_APOS}]")
_FR_ELISION = frozenset("l d j m n s t c qu jusqu lorsqu puisqu quoiqu".split())
_EN_CLITICS = frozenset("s t ll re ve d m".split())

AR, NUM, OTHER = "ar", "num", "other"


def _prepare(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.translate(_PREP_TABLE)


def _join_apostrophes(tok: str) -> str:
    parts = _APOS_RE.split(tok)
    if len(parts) > 1 and parts[0].casefold() in _FR_ELISION:
        parts = parts[1:]
    if len(parts) > 1 and parts[-1].casefold() in _EN_CLITICS:
        parts = parts[:-1]
    return "".join(parts)


def _scan(text: str) -> list[tuple[str, str]]:
    """(script, token) pairs; script is AR, NUM or OTHER."""
    out = []
    for ar, num, other in _TOKEN_RE.findall(_prepare(text or "")):
        if ar:
            out.append((AR, ar))
        elif num:
            out.append((NUM, num if num.isascii() else normalize_key(num)))
        else:
            out.append((OTHER, _join_apostrophes(other) if _APOS_RE.search(other) else other))
    return out


def tokenize(text: str) -> list[str]:
    """Split *text* into word tokens: Arabic-script words, numbers (digits
    folded to ASCII) and other-script words (French elision removed).
    Tashkeel, tatweel and invisible controls are dropped; case is kept."""
    return [tok for _script, tok in _scan(text)]


# ----------------------------------------------------------------------
# Arabic

_PUA = "\ue000"


@lru_cache(maxsize=8192)
def _ar_light(word: str) -> str:
    """normalize_key, but with ى kept apart from ي (for stop words)."""
    return normalize_key(word.replace("\u0649", _PUA)).replace(_PUA, "\u0649")


def _build_ar_stop() -> frozenset[str]:
    base = _ar_words.WORDS.split()
    ya_exceptions = {_ar_light(w) for w in _ar_words.YA_EXCEPTIONS.split()}
    out = set()
    for w in base:
        for form in (w,) if len(w) == 1 else (w, "و" + w, "ف" + w):
            f = _ar_light(form)
            out.add(f)
            if f.endswith("\u0649"):
                ya = f[:-1] + "\u064a"
                if ya not in ya_exceptions:
                    out.add(ya)
    return frozenset(out)


_AR_STOP = _build_ar_stop()

# Whole-word exceptions (folded form -> term): words the rules would mangle
# into a common, unrelated term.
_AR_SPECIAL = {
    "الله": "الله", "لله": "الله", "والله": "الله", "بالله": "الله", "فالله": "الله", "ولله": "الله",
    "عليا": "عليا", "العليا": "عليا", "والعليا": "عليا",  # (المحكمة) العليا, not the name علي
}

_PRONOUNS = ("هما", "كما", "هم", "هن", "كم", "كن", "ها", "نا")  # ه and ي: see _ar_suffixes


def _enclitic_len(w: str) -> int:
    if not w.endswith(_PRONOUNS):
        return 0
    for s in _PRONOUNS:
        if w.endswith(s) and len(w) - len(s) >= 3:
            return len(s)
    return 0


def _ar_suffixes(w: str) -> str:
    """Enclitic pronoun, then inflection, on a folded word; each rule keeps
    at least 2 (ه/ة, ات) or 3 letters."""
    n = _enclitic_len(w)
    if n:
        w = w[:-n]
        if w.endswith("ت") and not w.endswith("ات") and len(w) >= 4:
            w = w[:-1]  # ة is written ت before a pronoun: حكومتها
    elif w.endswith("ته") and len(w) >= 5:
        w = w[:-2]  # ة + ه: زيارته
    for _ in range(4):
        if w.endswith("ي") and len(w) >= 4:  # nisba, my, final ى
            w = w[:-1]
        elif w.endswith("ات") and len(w) >= 4:  # feminine plural
            w = w[:-2]
        elif w.endswith(("ين", "ون")) and len(w) >= 5:  # masculine plural
            w = w[:-2]
        elif w.endswith("وا") and len(w) >= 5:  # verb plural: قالوا
            w = w[:-2]
        elif w.endswith("ه") and len(w) >= 3:  # ة (folded) or his
            w = w[:-1]
        elif w.endswith("ا") and len(w) >= 4:  # tanween alef, final alef: عاما، أمريكا
            w = w[:-1]
        else:
            break
    return w


def _build_protected() -> frozenset[str]:
    return frozenset(_ar_suffixes(normalize_key(w)) for w in _ar_radicals.WORDS.split())


_AR_PROTECTED = _build_protected()


def _future_ok(rest: str) -> bool:
    """س + rest is a future verb (سيقول، ستكون، سنعمل): rest starts with an
    imperfect prefix, is long enough and does not end like a noun."""
    return (
        rest[:1] in ("ي", "ت", "ن")
        and len(rest) - _enclitic_len(rest) >= 4
        and not rest.endswith(("ه", "ات", "ي", "ين", "يون", "ا"))
    )


def _ar_prefixes(w: str) -> str:
    """Proclitics, innermost last: و ف, ب ل ك (لل is ل + the article), ال,
    future س. Each step looks only at what would remain."""
    while len(w) > 3:
        if _ar_suffixes(w) in _AR_PROTECTED:
            break
        if w.startswith("ال") and len(w) - 2 - _enclitic_len(w[2:]) >= 2:
            w = w[2:]
        elif w[0] in "وفبلك" and len(w) - 1 - _enclitic_len(w[1:]) >= 3:
            w = w[1:]
        elif w[0] == "س" and _future_ok(w[1:]):
            return w[1:]
        else:
            break
    return w


@lru_cache(maxsize=200_000)
def _ar_term(token: str) -> str | None:
    """Term of one Arabic-script token, None for a stop word."""
    if _ar_light(token) in _AR_STOP:
        return None
    w = normalize_key(token)
    if not w:
        return None
    special = _AR_SPECIAL.get(w)
    if special:
        return special
    return _ar_suffixes(_ar_prefixes(w)) or None


def ar_stem(word: str) -> str:
    """The Arabic light stem of one word, stop words included (for tests and
    tools); '' when nothing is left."""
    w = normalize_key(word)
    return _AR_SPECIAL.get(w) or _ar_suffixes(_ar_prefixes(w)) if w else ""


# ----------------------------------------------------------------------
# French, English, neutral

_STEMMERS = {"fr": Stemmer.Stemmer("french"), "en": Stemmer.Stemmer("english")}
_LATIN_STOP = {
    "fr": frozenset(normalize_key(w) for w in _fr_words.WORDS.split()),
    "en": frozenset(normalize_key(w) for w in _en_words.WORDS.split()),
}
_LATIN_STOP["xx"] = _LATIN_STOP["fr"] | _LATIN_STOP["en"]
_WORDLIKE_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=100_000)
def _other_term(token: str, pipe: str) -> str | None:
    """Term of a non-Arabic token: fold (accents, case), stop word check,
    then Snowball for 'fr'/'en'; 'xx' (neutral) does not stem."""
    w = normalize_key(token)
    if not w or w in _LATIN_STOP[pipe]:
        return None
    stemmer = _STEMMERS.get(pipe)
    if stemmer is not None:
        w = normalize_key(stemmer.stemWord(w)) or w
    # anything the engines' tokenizers would split (a stray mark) is squeezed out
    if not w.isalnum():
        w = "".join(_WORDLIKE_RE.findall(w))
    return w or None


def _pipe(lang: str | None) -> str:
    code = (lang or "").strip().lower()[:2]
    return code if code in ("fr", "en") else "xx"


def _term(script: str, token: str, pipe: str) -> str | None:
    if script == AR:
        return _ar_term(token)
    if script == NUM:
        return token
    return _other_term(token, pipe)


def analyze(text: str, lang: str | None) -> list[str]:
    """Index terms of *text*, in order, stop words removed.

    Arabic-script tokens always go through the Arabic pipeline, numbers are
    kept as ASCII digits, other tokens through the French/English pipeline
    when *lang* is 'fr'/'en' and a neutral one (folded, not stemmed)
    otherwise ('ar', None, anything else)."""
    pipe = _pipe(lang)
    out = []
    append = out.append
    ar_term = _ar_term
    # _scan inlined: this loop is the hot path of indexing
    for ar, num, other in _TOKEN_RE.findall(_prepare(text or "")):
        if ar:
            t = ar_term(ar)
        elif num:
            t = num if num.isascii() else normalize_key(num)
        else:
            t = _other_term(_join_apostrophes(other) if _APOS_RE.search(other) else other, pipe)
        if t:
            append(t)
    return out


def analyze_for_index(title: str, text: str, lang: str | None) -> str:
    """Space-joined terms of title then text, for a full-text index column."""
    return " ".join(analyze(title or "", lang) + analyze(text or "", lang))


def _alternatives(script: str, tok: str, lang: str | None) -> list[str]:
    if lang is not None or script != OTHER:
        t = _term(script, tok, _pipe(lang))
        return [t] if t else []
    # Unknown query language, non-Arabic word: the document may be French,
    # English or anything else (neutral), so any of the three terms may be
    # in the index. A stop word of either language is dropped outright: kept
    # for the other language it would be a required term that documents in
    # the first language never contain ("the government" would find nothing).
    if _other_term(tok, "xx") is None:
        return []
    out = []
    for pipe in ("xx", "en", "fr"):
        t = _other_term(tok, pipe)
        if t and t not in out:
            out.append(t)
    return out


def analyze_query_term(word: str, lang: str | None) -> list[str]:
    """The terms one query word may match, as alternatives (OR).

    With *lang* given this is ``analyze(word, lang)`` of a one-token word.
    With lang=None a non-Arabic word yields its neutral, English and French
    terms (deduplicated, in that order), or nothing if it is a French or an
    English stop word; Arabic and numbers have one term.
    A word that splits into several tokens yields the alternatives of each
    token in turn (``query_terms`` treats such a word as a phrase)."""
    out: list[str] = []
    for script, tok in _scan(word):
        for t in _alternatives(script, tok, lang):
            if t not in out:
                out.append(t)
    return out


# ----------------------------------------------------------------------
# queries

Phrase = tuple[str, ...]  # adjacent terms; one term is a phrase of one
Group = tuple[Phrase, ...]  # alternatives, any of which may match


@dataclass(frozen=True)
class ParsedQuery:
    """AND of ``groups`` (each an OR of phrases), minus every ``excluded``
    group. No groups -> the query matches nothing (an exclusion alone is
    not a query)."""

    groups: tuple[Group, ...] = ()
    excluded: tuple[Group, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.groups


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\uff02": '"'})
_LEX_RE = re.compile(r'(-*)"([^"]*)"?|(\S+)')
_OR_WORDS = frozenset({"OR", "|", "||", "أو", "او"})
_AND_WORDS = frozenset({"AND", "&", "&&", "+"})
_NOT_WORDS = frozenset({"NOT", "!"})


def _item_group(text: str, lang: str | None, budget: int) -> tuple[Group, int]:
    """Analyse one query item (a word or the inside of quotes) into a group
    of alternative phrases; returns (group, positions used)."""
    positions = []
    for script, tok in _scan(text):
        alts = _alternatives(script, tok, lang)
        if alts:
            positions.append(alts)
            if len(positions) >= budget:
                break
    if not positions:
        return (), 0
    phrases = tuple(itertools.islice(itertools.product(*positions), MAX_VARIANTS))
    return phrases, len(positions)


def query_terms(query: str, lang: str | None = None) -> ParsedQuery:
    """Parse a reader's query. Plain words are ANDed; "quoted words" form a
    phrase (an unbalanced quote runs to the end; « » and “ ” work too);
    ``a OR b`` (also | and أو) makes alternatives; ``-word`` / ``-"a b"``
    (or ``NOT word``) excludes; AND and + are accepted and ignored. A word
    that analyses to several terms (كيم-يونغ، l'État-major, 3.5) is a
    phrase. Input is cut to 256 characters and 32 words; stop words are
    dropped; this never raises, and garbage gives an empty query."""
    try:
        return _parse(query, lang)
    except Exception:  # pragma: no cover - the parser is total; belt and braces
        return ParsedQuery()


def _parse(query: str, lang: str | None) -> ParsedQuery:
    text = str(query or "")[:MAX_QUERY_CHARS].translate(_QUOTES)
    groups: list[list[Phrase]] = []
    excluded: list[Group] = []
    used = 0
    pending_or = False
    negate_next = False
    last_positive = False  # may an OR extend the last group?
    for m in _LEX_RE.finditer(text):
        if used >= MAX_QUERY_TERMS:
            break
        dashes, phrase, word = m.group(1), m.group(2), m.group(3)
        negate = negate_next
        negate_next = False
        if word is not None:
            if word in _OR_WORDS:
                pending_or = last_positive
                continue
            if word in _AND_WORDS:
                pending_or = False
                continue
            if word in _NOT_WORDS:
                negate_next = True
                pending_or = False
                continue
            stripped = word.lstrip("-")
            negate = negate or (len(stripped) < len(word))
            body = stripped
        else:
            negate = negate or bool(dashes)
            body = phrase
        group, n = _item_group(body, lang, MAX_QUERY_TERMS - used)
        if not group:
            pending_or = pending_or and last_positive
            continue
        used += n
        if negate:
            if group not in excluded:
                excluded.append(group)
            pending_or = False
            last_positive = False
            continue
        if pending_or and groups:
            merged = groups[-1]
            for p in group:
                if p not in merged and len(merged) < 4 * MAX_VARIANTS:
                    merged.append(p)
        else:
            groups.append(list(group))
        pending_or = False
        last_positive = True
    unique: list[Group] = []
    for g in groups:
        tg = tuple(g)
        if tg not in unique:
            unique.append(tg)
    return ParsedQuery(tuple(unique), tuple(excluded))


def positive_terms(parsed: ParsedQuery) -> set[str]:
    """Every term a matching document may contain (for highlighting)."""
    return {t for g in parsed.groups for p in g for t in p}


def _fts5_phrase(p: Phrase) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in p) + '"'


def _fts5_group(g: Group) -> str:
    parts = [_fts5_phrase(p) for p in g]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def to_fts5_match(parsed: ParsedQuery, column: str | None = None) -> str | None:
    """SQLite FTS5 MATCH expression over pre-analysed columns; None when
    the query has no positive part (FTS5's NOT needs a left operand).
    Every phrase is double-quoted, so no input reaches FTS5 syntax.
    *column* (an identifier of ours, never user input) restricts the
    positive part to that column."""
    if parsed is None or not parsed.groups:
        return None
    expr = " AND ".join(_fts5_group(g) for g in parsed.groups)
    if column:
        expr = "{" + column + "} : (" + expr + ")"
    if parsed.excluded:
        expr = "(" + expr + ")" + "".join(" NOT " + _fts5_group(g) for g in parsed.excluded)
    return expr


def _ts_lexeme(t: str, weight: str = "") -> str:
    return "'" + t.replace("\\", "\\\\").replace("'", "''") + "'" + (":" + weight if weight else "")


def _ts_phrase(p: Phrase, weight: str = "") -> str:
    if len(p) == 1:
        return _ts_lexeme(p[0], weight)
    return "(" + " <-> ".join(_ts_lexeme(t, weight) for t in p) + ")"


def _ts_group(g: Group, weight: str = "") -> str:
    parts = [_ts_phrase(p, weight) for p in g]
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def to_tsquery(parsed: ParsedQuery, weight: str = "") -> str | None:
    """PostgreSQL ``to_tsquery('simple', ...)`` text; None when the query
    has no positive part. Lexemes are single-quoted with ' and \\ escaped.
    *weight* (e.g. 'A', the title) restricts the positive lexemes to it."""
    if parsed is None or not parsed.groups:
        return None
    parts = [_ts_group(g, weight) for g in parsed.groups]
    parts += ["!" + _ts_group(g) for g in parsed.excluded]
    return " & ".join(parts)


# ----------------------------------------------------------------------
# empirical check (python -m akhbar.text.analyze [ANT_DIR] [N_ARTICLES])


def check_collapse(words: dict[str, int], stem=None) -> dict[str, tuple[int, int]]:
    """How many clitic and spelling variants found in a vocabulary (word ->
    count) get the same term as their base word. Returns, per kind,
    (pairs that collapsed, pairs seen). *stem* defaults to ``ar_stem``."""
    stem = stem or ar_stem
    res: dict[str, tuple[int, int]] = {}
    stems: dict[str, str] = {}

    def s(w: str) -> str:
        r = stems.get(w)
        if r is None:
            r = stems[w] = stem(w)
        return r

    def tally(kind: str, a: str, b: str) -> None:
        ok, tot = res.get(kind, (0, 0))
        res[kind] = (ok + (s(a) == s(b)), tot + 1)

    for x in words:
        if len(x) < 3 or _ar_light(x) in _AR_STOP:
            continue
        if not x.startswith("ال"):
            for p in ("ال", "وال", "بال", "فال", "كال", "وبال", "لل", "ولل"):
                y = p + (x[1:] if p.endswith("لل") and x.startswith("ل") else x)
                if y in words:
                    tally("article (X/الX/والX/بالX/للX...)", x, y)
        else:
            for p in ("و", "ف", "ب", "ك"):
                if p + x in words:
                    tally("conjunction/preposition + article (الX/والX/بالX)", x, p + x)
            if "ل" + x[1:] in words:
                tally("conjunction/preposition + article (الX/والX/بالX)", x, "ل" + x[1:])
    by_key: dict[str, list[str]] = {}
    for x in words:
        by_key.setdefault(normalize_key(x), []).append(x)
    for forms in by_key.values():
        for y in forms[1:]:
            if _ar_light(forms[0]) not in _AR_STOP:
                tally("spelling (hamza, ة/ه, ى/ي, tashkeel)", forms[0], y)
    return res


def _ant_texts(root: str, limit: int) -> list[str]:
    import os

    tag = re.compile(r"<(TITLE|TEXT)>(.*?)</\1>", re.S)
    paths = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".txt") and f != "SOURCE.txt"
    )
    step = max(1, len(paths) // limit) if limit else 1
    out = []
    for p in paths[::step][:limit]:
        with open(p, encoding="utf-8", errors="replace") as fh:
            out.append("\n".join(m.group(2) for m in tag.finditer(fh.read())))
    return out


def _main(argv: list[str]) -> None:  # pragma: no cover - a developer tool
    import time

    root = argv[0] if argv else "/work/shared/data/ant-multisource"
    n = int(argv[1]) if len(argv) > 1 else 200
    texts = _ant_texts(root, n)
    words: dict[str, int] = {}
    for t in texts:
        for script, tok in _scan(t):
            if script == AR:
                words[tok] = words.get(tok, 0) + 1
    print(f"{len(texts)} articles, {sum(words.values())} Arabic tokens, {len(words)} distinct forms")
    snow = Stemmer.Stemmer("arabic")
    for name, fn in (("akhbar", None), ("snowball-only", lambda w: normalize_key(snow.stemWord(w)))):
        for kind, (ok, tot) in check_collapse(words, fn).items():
            print(f"  {name:14s} {kind:52s} {ok:6d}/{tot:<6d} {ok / max(tot, 1):.1%}")
    forms = {normalize_key(w) for w in words}
    print(f"  {len(forms)} folded forms -> {len({ar_stem(w) for w in words})} terms")
    blob = "\n".join(texts)
    mb = len(blob.encode("utf-8")) / 1e6
    _ar_term.cache_clear()
    t0 = time.perf_counter()
    analyze(blob, "ar")
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    analyze(blob, "ar")
    warm = time.perf_counter() - t0
    print(f"analyze: {mb:.2f} MB, cold cache {mb / cold:.1f} MB/s, warm cache {mb / warm:.1f} MB/s")


if __name__ == "__main__":  # pragma: no cover
    import sys

    _main(sys.argv[1:])
