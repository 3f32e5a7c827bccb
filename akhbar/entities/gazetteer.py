"""Gazetteers and cue words for the Arabic named-entity recognizer.

Three kinds of lists, all used as *features* (the CRF learns how far to
trust each one), never as hard rules:

* exact name lists from Unicode CLDR (through babel, at training time only;
  the lists are frozen into the model directory so tagging does not depend
  on the installed babel version): country and territory names, and the
  exemplar cities of time zones, in Arabic, French and English;
* nisba adjectives derived from those Arabic names (لبنان -> اللبناني،
  اللبنانية، لبنانيون), plus a short hand-written list of peoples and
  religions for which no country name gives the adjective (عربي، كردي...);
* cue words written for this project: titles that precede a person's name
  (الرئيس، السفير، الوزير...), heads of organization names (وكالة، حزب،
  جامعة...), heads of place names (مدينة، العاصمة...), heads of other
  names (جائزة، بطولة...), and name particles (عبد، أبو، بن...);
* names seen in the training data (spans per type, first and last tokens of
  person names), built from the training part only (and, while training,
  out-of-fold, so the model does not learn to trust a list that contains
  every training name).

All strings are stored in their ``features.norm`` form.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from akhbar.entities.features import TOKEN_RE, norm

GAZ_FORMAT = "akhbar-ner-gazetteer/1"

# --- cue words (written for this project) --------------------------------

TITLE_CUES = """
الرئيس الرئيسة رئيس رئيسة السيد السيدة الوزير الوزيرة وزير وزيرة السفير السفيرة سفير
الملك الملكة ملك الأمير الأميرة أمير الشيخ الشيخة الدكتور الدكتورة د. الأستاذ الأستاذة
المستشار المستشارة النائب النائبة الجنرال العقيد اللواء العميد الفريق المشير الرائد النقيب
المتحدث الناطق الزعيم الأمين المدير المديرة الكاتب الكاتبة الفنان الفنانة اللاعب اللاعبة
المدرب الممثل الممثلة المخرج المخرجة المطرب المطربة الشاعر الشاعرة الروائي الروائية
البابا الإمام الحاج الحاجة القاضي المحامي الصحفي الصحفية المراسل المبعوث المندوب
المرشح المرشحة العالم الباحث البروفيسور المفتي الكاردينال الأسقف المطران البطريرك
السلطان الخليفة الجنرال المهندس الدبلوماسي الأمين_العام نظيره نظيرها مساعد نائب
""".split()

ORG_CUES = """
وكالة صحيفة قناة موقع شركة جامعة وزارة حزب حركة منظمة مجلس اتحاد الاتحاد جمعية هيئة مؤسسة
بنك البنك مصرف نادي النادي منتخب المنتخب فريق جبهة لجنة اللجنة محكمة المحكمة معهد مركز
مجموعة صندوق تلفزيون التلفزيون إذاعة مجلة جريدة كلية أكاديمية رابطة نقابة غرفة مكتب
مصلحة إدارة سلطة دائرة مديرية جماعة تنظيم تحالف ائتلاف كتلة ميليشيا قوات جيش الجيش
بورصة سوق مستشفى مطبعة دار متحف مصنع مجمع منتدى برلمان البرلمان الكونغرس الكنيست
""".split()

LOC_CUES = """
مدينة المدينة العاصمة عاصمة محافظة ولاية إقليم منطقة قرية بلدة جزيرة جزر نهر جبل جبال بحر
مقاطعة شارع ميناء مطار حي مخيم بلدية دولة جمهورية مملكة سلطنة إمارة قضاء ضاحية واحة
صحراء خليج مضيق قناة ساحل بحيرة وادي سهل هضبة شبه_جزيرة مسجد كنيسة قلعة ميدان ساحة
شمال جنوب شرق غرب وسط شمالي جنوبي شرقي غربي
""".split()

MISC_CUES = """
جائزة بطولة كأس مهرجان دوري أولمبياد معرض مؤتمر قمة عملية اتفاقية اتفاق معاهدة حرب
مسلسل فيلم رواية كتاب برنامج مشروع خطة إعلان نظرية قانون عهد
""".split()

NAME_PARTICLES = "عبد عبدال أبو أبي أبا ابو بن ابن بنت آل أم ال".split()

# peoples, religions and blocs whose adjective no CLDR country name gives
EXTRA_NISBA_STEMS = """
عرب امريك اميرك اوروب افريق اسيو لاتين كرد اكراد امازيغ بربر فارس ترك تركمان بلوش
بشتون طاجيك اوزبك يهود مسيح مسلم اسلام سن شيع درز علو اسماعيل قبط ماروني ارثوذكس
كاثوليك بروتستانت انجيلي بوذ هندوس زرادشت صهيون فرعون غرب شرق خليج مغارب
""".split()

_NISBA_SUFFIXES = ("يتين", "يتان", "يين", "يون", "يان", "يات", "يه", "ي")


def _clean_name(name: str) -> str:
    name = re.sub(r"\s*\(.*?\)\s*", " ", name)
    return name.replace("&", " ").strip()


def name_tokens(name: str) -> tuple[str, ...]:
    return tuple(norm(t) for t in TOKEN_RE.findall(_clean_name(name)))


@lru_cache(maxsize=100_000)
def clitic_variants(w: str) -> tuple[str, ...]:
    """*w* with proclitics removed step by step, the article kept:
    وبالعراق -> [وبالعراق، بالعراق، العراق]; للأمم -> [للامم، الامم]."""
    out = [w]
    if len(w) < 4:
        return tuple(out)
    rest = w
    if rest[0] in "وف":
        rest = rest[1:]
        out.append(rest)
    if len(rest) >= 4 and rest[0] in "بلك":
        if rest.startswith("لل"):
            out.append("ال" + rest[2:])
        elif rest[1:3] == "ال":
            out.append(rest[1:])
        else:
            out.append(rest[1:])
    return tuple(out)


def _stem_for_list(w: str) -> str:
    for v in reversed(clitic_variants(w)):
        if v.startswith("ال") and len(v) > 4:
            return v[2:]
        return v
    return w


def nisba_stem(w: str) -> str | None:
    """The base of a possible nisba adjective: اللبنانية -> لبنان."""
    s = _stem_for_list(w)
    for suf in _NISBA_SUFFIXES:
        if s.endswith(suf) and len(s) - len(suf) >= 2:
            return s[: -len(suf)]
    return None


def _country_stems(name: Sequence[str]) -> set[str]:
    """Bases that a nisba of a one-word Arabic place name is built on:
    فرنسا -> فرنس، بريطانيا -> بريطان، العراق -> عراق، مصر -> مصر."""
    if len(name) != 1:
        return set()
    w = name[0]
    if w.startswith("ال") and len(w) > 4:
        w = w[2:]
    out = {w}
    for suf in ("يا", "ا", "ه"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            out.add(w[: -len(suf)])
    return {s for s in out if len(s) >= 3}


# --- building from CLDR (training time) -----------------------------------


def cldr_lists() -> dict[str, list[str]]:
    """Country/territory names and time-zone exemplar cities in ar/fr/en from
    babel's CLDR data, as written (``build`` normalizes them)."""
    from babel import Locale

    countries: set[str] = set()
    cities: set[str] = set()
    for code in ("ar", "ar_SA", "fr", "en"):
        loc = Locale.parse(code)
        for key, name in loc.territories.items():
            if key in ("001", "ZZ"):  # "the world", "unknown region"
                continue
            countries.add(name)
        for tz in loc.time_zones.values():
            city = tz.get("city")
            if city:
                cities.add(city)
    return {"country": sorted(countries), "city": sorted(cities)}


def train_lists(sentences: Iterable[Sequence[tuple[str, str]]], min_count: int = 1) -> dict[str, list]:
    """Names seen in (training) sentences: spans per type with their counts,
    first and last tokens of person names."""
    spans: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first: dict[str, int] = defaultdict(int)
    last: dict[str, int] = defaultdict(int)
    for sent in sentences:
        toks = [t for t, _ in sent]
        for typ, s, e in bio_spans([tag for _, tag in sent]):
            key = tuple(norm(t) for t in toks[s:e])
            spans[key][typ] += 1
            if typ == "PERS":
                first[key[0]] += 1
                if e - s > 1:
                    last[key[-1]] += 1
    span_list = []
    for key, types in spans.items():
        typ, cnt = max(types.items(), key=lambda kv: (kv[1], kv[0]))
        if cnt >= min_count:
            span_list.append([" ".join(key), typ])
    return {
        "spans": sorted(span_list),
        "pers_first": sorted(w for w, c in first.items() if c >= min_count),
        "pers_last": sorted(w for w, c in last.items() if c >= min_count),
    }


def to_bioes(tags: Sequence[str]) -> list[str]:
    """BIO -> BIOES (single-token spans S-, last tokens E-)."""
    out = []
    spans = bio_spans(tags)
    out = ["O"] * len(tags)
    for typ, s, e in spans:
        if e - s == 1:
            out[s] = "S-" + typ
        else:
            out[s] = "B-" + typ
            for j in range(s + 1, e - 1):
                out[j] = "I-" + typ
            out[e - 1] = "E-" + typ
    return out


def from_bioes(tags: Sequence[str]) -> list[str]:
    """BIOES (or BIO) -> BIO."""
    return [("B-" + t[2:]) if t[:2] == "S-" else ("I-" + t[2:]) if t[:2] == "E-" else t for t in tags]


def bio_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans (type, start, end) of a BIO tag sequence, conlleval
    style: an I- that does not continue a span of its type starts one."""
    spans = []
    typ = None
    start = 0
    for i, tag in enumerate(list(tags) + ["O"]):
        if tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != typ):
            if typ is not None:
                spans.append((typ, start, i))
                typ = None
            if tag != "O":
                typ, start = tag[2:], i
    return spans


# --- the gazetteer used by the features -----------------------------------


class Gazetteer:
    """Word-level and span-level membership tests over the frozen lists."""

    def __init__(self, lists: Mapping[str, list]) -> None:
        self.lists = dict(lists)
        # multi-token names: first token -> [(rest, tag)], longest first
        self._first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self._single: dict[str, set[str]] = defaultdict(set)
        cstems: set[str] = set()
        for cat, tag in (("country", "cty"), ("city", "city")):
            for name in lists.get(cat, ()):
                toks = name_tokens(name)
                if not toks:
                    continue
                self._add(toks, tag)
                if cat == "country" or len(toks) == 1:
                    cstems |= _country_stems(toks)
        for text, typ in lists.get("spans", ()):
            self._add(tuple(text.split(" ")), "t" + typ)
        for v in self._first.values():
            v.sort(key=lambda rt: -len(rt[0]))
        self._nisba = cstems | {norm(s) for s in EXTRA_NISBA_STEMS}
        self._words: dict[str, set[str]] = defaultdict(set)
        for tag, words in (
            ("cue_title", TITLE_CUES),
            ("cue_org", ORG_CUES),
            ("cue_loc", LOC_CUES),
            ("cue_misc", MISC_CUES),
            ("part", NAME_PARTICLES),
        ):
            for word in words:
                w = norm(word.replace("_", " ").split(" ")[0])
                self._words[w].add(tag)
                self._words[_stem_for_list(w)].add(tag)
        for w in lists.get("pers_first", ()):
            self._words[w].add("fn")
        for w in lists.get("pers_last", ()):
            self._words[w].add("ln")

    def _add(self, toks: tuple[str, ...], tag: str) -> None:
        self._first[toks[0]].append((toks[1:], tag))
        if len(toks) == 1:
            self._single[toks[0]].add(tag)

    def to_json(self) -> dict:
        return {"format": GAZ_FORMAT, **self.lists}

    @classmethod
    def build(cls, train_sentences=None, cldr: Mapping[str, list] | None = None) -> "Gazetteer":
        lists: dict[str, list] = dict(cldr if cldr is not None else cldr_lists())
        if train_sentences is not None:
            lists.update(train_lists(train_sentences))
        return cls(lists)

    @classmethod
    def load(cls, path: Path) -> "Gazetteer":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        if data.pop("format", None) != GAZ_FORMAT:
            raise ValueError(f"{path}: not an {GAZ_FORMAT} file")
        return cls(data)

    def save(self, path: Path) -> None:
        raw = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        with open(path, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="", compresslevel=9) as fh:
            fh.write(raw.encode("utf-8"))

    # -- lookups ---------------------------------------------------------------

    def word_tags(self, w: str, stem: str, pre: str) -> tuple[str, ...]:
        tags: set[str] = set()
        for v in clitic_variants(w):
            tags |= self._words.get(v, set())
            for t in self._single.get(v, ()):
                tags.add("1" + t)
        if stem != w:
            tags |= {t for t in self._words.get(stem, ()) if t.startswith("cue_")}
        ns = nisba_stem(w)
        if ns is not None and ns in self._nisba:
            tags.add("nisba")
        return tuple(sorted(tags))

    def span_tags(self, normed: Sequence[str]) -> list[list[str]]:
        """B-/I- tags of the longest list matches starting at each token
        (first token may carry proclitics); overlapping lists all reported."""
        n = len(normed)
        out: list[list[str]] = [[] for _ in range(n)]
        for i in range(n):
            seen_tags: set[str] = set()
            for v in clitic_variants(normed[i]):
                for rest, tag in self._first.get(v, ()):
                    if tag in seen_tags:
                        continue
                    k = len(rest)
                    if i + k > n - 1:
                        continue
                    if k and tuple(normed[i + 1 : i + 1 + k]) != rest:
                        continue
                    seen_tags.add(tag)
                    if k == 0:
                        out[i].append("S-" + tag)
                    else:
                        out[i].append("B-" + tag)
                        for j in range(i + 1, i + 1 + k):
                            out[j].append("I-" + tag)
        return out
