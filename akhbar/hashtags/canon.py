"""Keys that decide when two hashtags are one (pure functions).

Three keys, from strict to loose:

* ``spelling_key``: the same name written differently in one script
  (ال, hamza seats, ى/ي, ة/ه, tashkeel, spaces, hyphens, underscores, case,
  accents): ديفينس سكوب = ديفينسسكوب, Algérie = algerie.
* ``translit_key``: a consonant skeleton shared by Arabic and Latin
  spellings of one name (DefenseScoop = ديفينس سكوب = "dfnskb",
  Trump = ترامب = "trmb", Boukadoum = بوقادوم = "bkdm"). Loose on purpose,
  so it is only trusted with evidence (both spellings in one article) or
  when long.
* CLDR territory names: Algeria = Algérie = الجزائر, from babel's CLDR
  data, whatever the transliteration says.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from akhbar.text.hashtags import _SEP_RE, _strip_al, hashtag_key, to_hashtag
from akhbar.text.normalize import normalize_key

_AR_RE = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")

# A skeleton this long, identical across scripts, is accepted without other
# evidence: short ones collide (Ali Hassan / علي حسين are both "lhsn").
STRONG_TRANSLIT_LEN = 6
MIN_TRANSLIT_LEN = 3


def script_of(text: str) -> str:
    """'ar', 'latn' or 'other': which script dominates *text*'s letters."""
    ar = len(_AR_RE.findall(text))
    la = len(_LATIN_RE.findall(text))
    if ar == 0 and la == 0:
        return "other"
    return "ar" if ar >= la else "latn"


def spelling_key(name: str) -> str:
    """Identity of a name within its script (see module doc)."""
    return hashtag_key(name)


# Arabic letters -> Latin consonant class ('' = vowel letter or silent).
# ج/غ/g/j share a class: Egyptian and Maghrebi romanizations swap them.
_AR_CONS = {
    "ب": "b", "پ": "b", "ت": "t", "ث": "t", "ط": "t", "ج": "g", "چ": "g", "گ": "g",
    "غ": "g", "ح": "h", "ه": "h", "خ": "k", "ك": "k", "ق": "k", "ک": "k",
    "د": "d", "ذ": "d", "ض": "d", "ر": "r", "ز": "s", "س": "s", "ش": "s", "ص": "s",
    "ظ": "s", "ف": "f", "ڤ": "f", "ل": "l", "م": "m", "ن": "n",
    "ا": "", "و": "", "ي": "", "ى": "", "ة": "", "ء": "", "ع": "", "ئ": "", "ؤ": "",
}
_LATIN_DIGRAPHS = (
    ("sch", "s"), ("tch", "s"), ("sh", "s"), ("ch", "s"), ("kh", "k"), ("gh", "g"),
    ("th", "t"), ("dh", "d"), ("ph", "f"), ("ck", "k"), ("qu", "k"), ("dj", "g"),
)
_LATIN_CONS = {
    "b": "b", "p": "b", "t": "t", "d": "d", "k": "k", "q": "k", "c": "k", "g": "g",
    "j": "g", "f": "f", "v": "f", "s": "s", "z": "s", "x": "ks", "h": "h", "l": "l",
    "m": "m", "n": "n", "r": "r",
}


def _collapse(s: str) -> str:
    out = []
    for ch in s:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def _word_skeleton(w: str, keep_article: bool) -> str:
    if _AR_RE.search(w):
        if not keep_article:
            w = _strip_al(w)
        sk = "".join(_AR_CONS.get(ch, "") for ch in w)
    else:
        w = "".join(ch for ch in w if "a" <= ch <= "z")
        if not keep_article:
            w = re.sub(r"^(?:al|el)(?=[^aeiou]{1}[a-z]{2})", "", w) if len(w) > 5 else w
        for a, b in _LATIN_DIGRAPHS:
            w = w.replace(a, b)
        # soft c before e/i/y sounds s (Defence, Nice)
        w = re.sub(r"c(?=[eiy])", "s", w)
        sk = "".join(_LATIN_CONS.get(ch, "") for ch in w)
    # a final ة/ه/ح is often left out of romanizations (غزة Gaza), and a
    # final Latin h often stands for nothing: drop it on both sides
    return sk[:-1] if sk.endswith("h") and len(sk) > 1 else sk


@lru_cache(maxsize=65536)
def translit_keys(name: str) -> tuple[str, str]:
    """Consonant skeletons of *name* in either script: (with the article
    ال / al- / el- kept, with it dropped); '' when it has no consonants."""
    key = normalize_key(name.lstrip("#"))
    words = [w for w in _SEP_RE.split(key) if w]
    kept = _collapse("".join(_word_skeleton(w, True) for w in words))
    dropped = _collapse("".join(_word_skeleton(w, False) for w in words))
    return kept, dropped


def translit_key(name: str) -> str:
    """The primary skeleton (article kept)."""
    return translit_keys(name)[0]


def same_name(a: str, b: str, *, strong: bool = False) -> bool:
    """Do *a* and *b* look like one name? Same spelling key, or the same
    transliteration skeleton (long enough when *strong* is asked for)."""
    if spelling_key(a) == spelling_key(b):
        return True
    need = STRONG_TRANSLIT_LEN if strong else MIN_TRANSLIT_LEN
    return any(len(x) >= need and x in translit_keys(b) for x in set(translit_keys(a)))


# --- CLDR territory names ------------------------------------------------------

# The names Arabic news use as hashtags where CLDR's formal name would make a
# poor one, and common short forms CLDR does not list. Codes are CLDR's.
_PREFERRED_AR = {
    "SA": "السعودية",
    "AE": "الإمارات",
    "PS": "فلسطين",
    "GB": "بريطانيا",
    "US": "الولايات المتحدة",
    "CD": "الكونغو الديمقراطية",
    "KR": "كوريا الجنوبية",
    "KP": "كوريا الشمالية",
}
_EXTRA_NAMES = {
    "US": ("أمريكا", "أميركا", "USA", "Amérique", "America"),
    "GB": ("Britain", "Grande-Bretagne", "المملكة المتحدة"),
    "PS": ("Palestine", "دولة فلسطين"),
    "SA": ("Saudi Arabia", "Arabie saoudite", "المملكة العربية السعودية"),
    "AE": ("UAE", "Émirats", "الإمارات العربية المتحدة"),
    "SY": ("سورية",),
}
_SKIP_TERRITORIES = {"001", "ZZ", "EU", "EZ", "UN", "QO"}


@lru_cache(maxsize=1)
def _cldr() -> dict[str, tuple[str, str]]:
    """spelling key -> (territory code, Arabic hashtag) for every CLDR name
    of every territory in Arabic, French and English (babel ships CLDR)."""
    from babel import Locale

    names: dict[str, set[str]] = {}
    for code in ("ar", "fr", "en"):
        for key, name in Locale.parse(code).territories.items():
            if key in _SKIP_TERRITORIES or (key.isdigit()):  # continents/regions
                continue
            names.setdefault(key, set()).add(name)
    ar = Locale.parse("ar").territories
    out: dict[str, tuple[str, str]] = {}
    for code, variants in names.items():
        display = _PREFERRED_AR.get(code) or ar.get(code)
        if not display:
            continue
        tag = to_hashtag(display)
        if not tag:
            continue
        for name in variants | set(_EXTRA_NAMES.get(code, ())) | {display}:
            k = spelling_key(name)
            if k and k not in out:
                out[k] = (code, tag)
    return out


def cldr_canonical(name: str) -> str | None:
    """The Arabic hashtag of a country or territory named in ar/fr/en."""
    hit = _cldr().get(spelling_key(name))
    return hit[1] if hit else None


def cldr_code(name: str) -> str | None:
    hit = _cldr().get(spelling_key(name))
    return hit[0] if hit else None
