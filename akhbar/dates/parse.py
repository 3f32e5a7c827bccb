"""Date parsing: every way an Arabic, French or English news site writes a date.

One entry point, ``parse_date(text, ref=None, tz=None)``, returns an aware
UTC datetime or None; it never raises on bad text. Forms, tried in order:

1. Machine formats: ISO 8601 (``datetime.fromisoformat``) and RFC 822
   (``email.utils``), in any digit script.
2. Absolute written dates, searched anywhere in the text (the text is folded
   once with ``normalize_key``: digits of every script -> ASCII, hamza/alef,
   ى/ي, ة/ه, tashkeel, accents, case):
   - day + month name (+ year): Egyptian/Gulf, Levantine, Maghrebi, Moroccan,
     French and English names; combined "22 يناير/كانون الثاني 2025";
     weekday prefixes are skipped; "٢٠٢٤م" / "1445هـ" era marks;
   - month name + day (+ year), English style "March 13, 2025";
   - numeric "13/03/2025", "١٣-٠٣-٢٠٢٥", "2025/03/13" (day first unless the
     second number cannot be a month); years 1343-1500 (or a "هـ" mark) are Hijri;
   - Hijri months (Umm al-Qura, via hijridate), converted to Gregorian.
   When several dates are present (a print line with Gregorian, Hijri and
   Coptic dates), a date with a year beats one without, Gregorian beats
   Hijri, day-month beats month-day, then the leftmost wins.
   A time anywhere outside the date ("14:30", "١٤:٣٠ م", "2:30 PM",
   "14h30") and a zone ("GMT", "+03:00", "بتوقيت مكة") are applied.
3. Relative times against ``ref``: "منذ 3 ساعات", "قبل يومين",
   "il y a 5 min", "2 hours ago".
4. Day words, when nothing but a time follows them: الآن، اليوم، أمس، أول أمس,
   aujourd'hui, hier, avant-hier, today, yesterday, just now.

A month name is only read as a month next to a day number (or, for
month-day forms, followed by the day): "مارس" (he practised), "آب" vs
"أب" (father, masked before matching), "صفر" (zero) and "رجب" (a name;
these two need a year too).

Year-less dates resolve to the most recent occurrence: this year's date
unless that is more than ``MAX_FUTURE_DAYS`` after ``ref``, else last year's.
A naive wall time is in ``tz`` (zoneinfo name or tzinfo; default UTC);
a zone written in the text wins over ``tz``. Day words without a time keep
the reference time of day ("أمس" = ref - 1 day). Plural units without a
number ("منذ ساعات") count as 3.
"""

from __future__ import annotations

import email.utils
import logging
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from hijridate import Gregorian, Hijri

from akhbar.dates import names
from akhbar.text.normalize import normalize_key

log = logging.getLogger(__name__)

# Dates outside this window are errors in the source, not news.
MIN_YEAR = 1990
MAX_FUTURE_DAYS = 2
# Longer input is cut: a date field is short, and this keeps the worst case fast.
MAX_INPUT_CHARS = 1000

HIJRI_MIN_YEAR, HIJRI_MAX_YEAR = 1343, 1500  # hijridate's Umm al-Qura table
# A numeric date with a year in this range is Hijri ("1445/09/16"); no Gregorian news is that old.
HIJRI_NUMERIC_YEARS = range(1300, HIJRI_MAX_YEAR + 1)


class DateParseError(ValueError):
    """Raised by parse_date_strict; ``reason`` is a one-line explanation."""

    def __init__(self, reason: str, text: object = None):
        super().__init__(reason)
        self.reason = reason
        self.text = text


def to_utc(dt: datetime | None, default_tz=timezone.utc) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt.astimezone(timezone.utc)


def plausible(dt: datetime | None, ref: datetime | None = None) -> datetime | None:
    """Drop dates no news item can have (year 0001, 9999, far future)."""
    if dt is None:
        return None
    ref = _aware(ref) if ref is not None else datetime.now(timezone.utc)
    dt = _aware(dt)
    if dt.year < MIN_YEAR or dt - ref > timedelta(days=MAX_FUTURE_DAYS):
        return None
    return dt


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- zones

_OFFSET_RE = re.compile(r"^(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)


@lru_cache(maxsize=256)
def _zone_by_name(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    m = _OFFSET_RE.match(name.strip())
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd paths
        raise ValueError(f"unknown time zone {name!r}") from exc


def _resolve_tz(tz) -> tzinfo:
    """tz argument -> tzinfo; ValueError when it names no zone."""
    if tz is None:
        return timezone.utc
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, str) and tz.strip():
        return _zone_by_name(tz.strip())
    raise ValueError(f"unknown time zone {tz!r}")


def _offset_zone(sign: str, hh: str, mm: str | None) -> tzinfo | None:
    h, m = int(hh), int(mm or 0)
    if h > 14 or m > 59:
        return None
    delta = timedelta(hours=h, minutes=m)
    return timezone(-delta if sign in "-\u2212" else delta)


# --------------------------------------------------------------------------- regexes
# All patterns run on normalize_key output: casefolded, single spaces, ASCII digits.

_LETTER_BEFORE = r"(?<![^\W\d_])"
_LETTER_AFTER = r"(?![^\W\d_])"


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in names.folded(words))


def _starts(words) -> str:
    """Lookahead on the possible first characters: Python's re tries a long
    alternation at every position, this makes most positions fail at once."""
    chars = sorted({w[0] for w in names.folded(words)})
    return "(?=[" + "".join(re.escape(c) for c in chars) + "])"


_MONTHS = names.month_lookup()
_MONTH_ALT = _alt(_MONTHS)

_DAY = r"(?<![\d:/.])(?P<d>[0-3]?\d)(?:er|st|nd|rd|th)?(?!\d)"
_MONTHS_GROUP = (
    rf"(?P<m1>{_MONTH_ALT}){_LETTER_AFTER}\.?"
    rf"(?:\s?[/\\|\-(]\s?(?P<m2>{_MONTH_ALT}){_LETTER_AFTER}\.?\s?\)?)?"
)
_ERA = r"(?P<era>\s?(?:ميلاديه|ميلادي|هجريه|هجري|م|ه|ad|ce|ah)(?![^\W\d_])\.?)?"
_YEAR4 = r"(?P<y>\d{4})(?:(?=\d{1,2}:\d{2})|(?!\d))"

# "الخميس، 13 مارس، 2025م", "1er avril 2025", "22 يناير/كانون الثاني 2025", "16 رمضان 1445هـ"
_DMY_NAME_RE = re.compile(
    rf"{_DAY}[\s.,،\-/]*(?:(?:of|من)\s)?(?:شهر\s)?{_MONTHS_GROUP}"
    rf"(?:[\s,،.\-/]*(?:(?:عام|سنه)\s)?{_YEAR4}{_ERA})?"
)
# "March 13, 2025", "Mar. 13 2025", "mars 13"
_MDY_NAME_RE = re.compile(
    rf"{_starts(_MONTHS)}{_LETTER_BEFORE}(?P<m1>{_MONTH_ALT}){_LETTER_AFTER}\.?(?:\s?/\s?(?P<m2>{_MONTH_ALT}){_LETTER_AFTER}\.?)?"
    rf"[\s,]*(?P<d>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:]|\s?h)"
    rf"(?:[\s,،]+{_YEAR4}{_ERA})?"
)
# "2025/03/13", "1445/09/16 هـ"
_YMD_NUM_RE = re.compile(
    r"(?<![\d.:/\-])(?P<y>\d{4})\s?(?P<s>[-/.])\s?(?P<mo>[01]?\d)\s?(?P=s)\s?(?P<d>[0-3]?\d)(?!\d)" + _ERA
)
# "13/03/2025", "١٣-٠٣-٢٠٢٥", "13.03.25", "13/3/202514:30" (a real glued form)
_DMY_NUM_RE = re.compile(
    r"(?<![\d.:/\-])(?P<d>[0-3]?\d)\s?(?P<s>[-/.])\s?(?P<mo>[01]?\d)\s?(?P=s)\s?"
    r"(?P<y>\d{4}(?=\d{1,2}:\d{2})|\d{4}(?!\d)|\d{2}(?![\d:]))" + _ERA
)
_MONTH_ONLY_RE = re.compile(rf"{_starts(_MONTHS)}{_LETTER_BEFORE}(?:{_MONTH_ALT}){_LETTER_AFTER}")

_AMPM = (
    r"am|pm|a\.m\.?|p\.m\.?|صباحا|صباح|الصباح|ص|مساءا|مساء|المساء|م|ظهرا|الظهر|عصرا|العصر|"
    r"ليلا|الليل|فجرا|الفجر"
)
_TIME = (
    r"(?<![\d:.])(?P<H>[0-2]?\d)"
    r"(?:\s?:\s?(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d)(?:[.,]\d+)?)?"
    r"|\s?h\s?(?P<M2>[0-5]\d)?(?:\s?mn|\s?min)?(?![^\W\d_])"
    r"|(?=\s?(?:am|pm|a\.m\.|p\.m\.)))"
    rf"(?:\s?(?P<ap>{_AMPM})(?![^\W\d_]))?"
)
_ZONE_ABBR = "|".join(sorted(names.ZONE_ABBREVIATIONS, key=len, reverse=True))
_ZONE_NAMES = {normalize_key(k): v for k, v in names.ZONE_NAMES.items()}
_ZONE_NAME_ALT = _alt(names.ZONE_NAMES)
_TZ_AFTER = (
    rf"(?:\s?\(?\s?(?P<za>{_ZONE_ABBR}){_LETTER_AFTER}"
    r"(?:\s?(?P<zs>[+\-\u2212])\s?(?P<zh>\d{1,2})(?::?(?P<zm>\d{2}))?)?\)?"
    r"|\s?(?P<os>[+\-\u2212])(?P<oh>\d{2}):?(?P<om>\d{2})(?!\d))?"
)
_TIME_RE = re.compile(_TIME + _TZ_AFTER)
# "بتوقيت مكة المكرمة", "(توقيت غرينتش)", "heure de Paris", "(مكة المكرمة)" after a time
_ZONE_PHRASE = (
    rf"(?:ب?توقيت\s?|heure\s(?:de\s|d'|d’)?|time\s(?:in\s)?|\(\s?)(?P<zn>{_ZONE_NAME_ALT}){_LETTER_AFTER}"
    rf"|(?P<gmt>ت\s?\.?\s?غ){_LETTER_AFTER}"
)
_ZONE_PHRASE_RE = re.compile(_ZONE_PHRASE)

_NUM_WORDS = {
    normalize_key(k): v
    for k, v in {
        "واحد": 1, "واحدة": 1, "اثنين": 2, "اثنتين": 2, "اثنان": 2, "ثلاث": 3, "ثلاثة": 3,
        "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7,
        "ثماني": 8, "ثمان": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10,
        "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "أربعين": 40, "خمسين": 50,
        "بضع": 3, "بضعة": 3, "عدة": 3, "نصف": 0.5, "ربع": 0.25,
        "un": 1, "une": 1, "quelques": 3, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
        "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "quinze": 15, "vingt": 20, "trente": 30,
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "a few": 3, "few": 3, "several": 3,
        "a couple of": 2, "couple of": 2, "half an": 0.5, "half a": 0.5,
    }.items()
}
_NUM = rf"\d+(?:[.,]\d+)?|(?:{_alt(_NUM_WORDS)}){_LETTER_AFTER}"

# unit word -> (unit, count when no number is written; None: abbreviation, needs one)
_AR_UNITS = {
    normalize_key(k): v
    for k, v in {
        "ثانية": ("s", 1), "ثانيتين": ("s", 2), "ثانيتان": ("s", 2), "ثوان": ("s", 3), "ثواني": ("s", 3),
        "دقيقة": ("min", 1), "دقيقتين": ("min", 2), "دقيقتان": ("min", 2), "دقائق": ("min", 3),
        "د": ("min", None), "دق": ("min", None),
        "ساعة": ("h", 1), "ساعتين": ("h", 2), "ساعتان": ("h", 2), "ساعات": ("h", 3), "س": ("h", None),
        "يوم": ("d", 1), "يومين": ("d", 2), "يومان": ("d", 2), "أيام": ("d", 3),
        "أسبوع": ("w", 1), "أسبوعين": ("w", 2), "أسبوعان": ("w", 2), "أسابيع": ("w", 3),
        "شهر": ("mo", 1), "شهرين": ("mo", 2), "شهران": ("mo", 2), "أشهر": ("mo", 3), "شهور": ("mo", 3),
        "سنة": ("y", 1), "عام": ("y", 1), "سنتين": ("y", 2), "سنتان": ("y", 2), "عامين": ("y", 2),
        "عامان": ("y", 2), "سنوات": ("y", 3), "أعوام": ("y", 3), "سنين": ("y", 3),
    }.items()
}
_FR_UNITS = {
    "seconde": "s", "secondes": "s", "sec": "s", "s": "s",
    "minute": "min", "minutes": "min", "min": "min", "mins": "min", "mn": "min", "m": "min",
    "heure": "h", "heures": "h", "h": "h", "hr": "h",
    "jour": "d", "jours": "d", "j": "d",
    "semaine": "w", "semaines": "w", "sem": "w",
    "mois": "mo", "an": "y", "ans": "y", "annee": "y", "annees": "y",
}
_EN_UNITS = {
    "second": "s", "seconds": "s", "sec": "s", "secs": "s", "s": "s",
    "minute": "min", "minutes": "min", "min": "min", "mins": "min", "m": "min",
    "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "h": "h",
    "day": "d", "days": "d", "d": "d",
    "week": "w", "weeks": "w", "wk": "w", "wks": "w", "w": "w",
    "month": "mo", "months": "mo", "mo": "mo", "mos": "mo",
    "year": "y", "years": "y", "yr": "y", "yrs": "y", "y": "y",
}
_APPROX = r"(?:(?:حوالي|نحو|زهاء|قرابه|اكثر من|اقل من|environ|plus de|moins de|about|over|almost|nearly)\s)?"
_AR_REL_RE = re.compile(
    rf"{_LETTER_BEFORE}(?:منذ|قبل)\s?{_APPROX}(?:(?P<n>{_NUM})\s?)?(?P<u>{_alt(_AR_UNITS)}){_LETTER_AFTER}(?!\s?(?:\d|(?:{_MONTH_ALT}){_LETTER_AFTER}))"
    rf"(?:\s?و\s?(?:(?P<frac>نصف|ربع){_LETTER_AFTER}|(?:(?P<n2>{_NUM})\s?)?(?P<u2>{_alt(_AR_UNITS)}){_LETTER_AFTER}))?"
)
_FR_REL_RE = re.compile(
    rf"{_LETTER_BEFORE}il\s?y\s?a\s{_APPROX}(?P<n>{_NUM})\s?(?P<u>{_alt(_FR_UNITS)}){_LETTER_AFTER}"
    rf"(?:\s?(?:et\s)?(?P<n2>\d+)\s?(?P<u2>{_alt(_FR_UNITS)}){_LETTER_AFTER})?"
)
_EN_REL_RE = re.compile(
    rf"{_LETTER_BEFORE}{_APPROX}(?P<n>{_NUM})\s?(?P<u>{_alt(_EN_UNITS)}){_LETTER_AFTER}"
    rf"(?:,?\s?(?:and\s)?(?P<n2>\d+)\s?(?P<u2>{_alt(_EN_UNITS)}){_LETTER_AFTER})?\s?ago{_LETTER_AFTER}"
)
# (regex, units, words one of which must be present for the regex to be worth running)
_RELATIVE = (
    (_AR_REL_RE, _AR_UNITS, ("منذ", "قبل")),
    (_FR_REL_RE, _FR_UNITS, ("il",)),
    (_EN_REL_RE, _EN_UNITS, ("ago",)),
)
_DAY_WORDS = {
    normalize_key(k): v
    for k, v in {
        "الآن": None, "الحين": None, "للتو": None, "حالا": None, "منذ قليل": None, "قبل قليل": None,
        "منذ لحظات": None, "قبل لحظات": None, "منذ لحظة": None, "قبل لحظة": None,
        "اليوم": 0, "أمس": 1, "البارحة": 1, "أول أمس": 2, "أول من أمس": 2, "أمس الأول": 2,
        "maintenant": None, "à l'instant": None, "à l’instant": None, "a l instant": None,
        "aujourd'hui": 0, "aujourd’hui": 0, "aujourdhui": 0, "hier": 1, "avant-hier": 2, "avant hier": 2,
        "now": None, "just now": None, "right now": None, "moments ago": None, "a moment ago": None,
        "today": 0, "yesterday": 1, "the day before yesterday": 2, "day before yesterday": 2,
    }.items()
}
_DAY_WORD_RE = re.compile(
    rf"{_starts(_DAY_WORDS)}{_LETTER_BEFORE}(?P<w>{_alt(_DAY_WORDS)}){_LETTER_AFTER}"
    r"[\s,،.\-–—|:]*(?:(?:at|a|vers|le|on|الساعه|في|عند|علي)\s)?"
    rf"(?:{_TIME}{_TZ_AFTER})?[\s,،.)\]]*(?:{_ZONE_PHRASE})?[\s,،.)\]]*$"
)

# What may stand before a day word: nothing, a label ("نشر في", "Updated"), or anything ending in ":".
_DAY_WORD_PREFIX_RE = re.compile(
    r"[\W_]*(?:(?:نشر|نشرت|تم النشر|نشر في|اخر تحديث|تحديث|تاريخ النشر|منذ|published|updated|"
    r"last updated|posted|publie|publie le|mis a jour|mis a jour le|modifie le|le)[\W_]*|.*[:|][\W_]*)?"
)
_RFC822_YEAR_RE = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}\s+(\d{2,4})\b")
_RFC822_RE = re.compile(r"^(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
# "أب" (father) and "إب" (the Yemeni city) fold to the same key as "آب" (August).
_NOT_AUGUST_RE = re.compile(r"(?<![^\W\d_])[\u0623\u0625][\u064B-\u065F\u0670]*\u0628(?![\u064B-\u065F\u0670]*[^\W\d_])")

_UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# --------------------------------------------------------------------------- helpers


def _short(text: str, n: int = 80) -> str:
    return repr(text if len(text) <= n else text[: n - 1] + "…")


def _number(word: str | None, default):
    if word is None:
        return default
    if word[0].isdigit():
        return float(word.replace(",", ".")) if ("." in word or "," in word) else int(word)
    return _NUM_WORDS.get(word, default)


def _minus_months(dt: datetime, months: int) -> datetime:
    y, m = divmod(dt.year * 12 + dt.month - 1 - months, 12)
    m += 1
    for day in (dt.day, 30, 29, 28):
        try:
            return dt.replace(year=y, month=m, day=day)
        except ValueError:
            continue
    raise ValueError("month arithmetic")


def _subtract(ref: datetime, n, unit: str) -> datetime:
    if unit in _UNIT_SECONDS:
        return ref - timedelta(seconds=float(n) * _UNIT_SECONDS[unit])
    months = round(float(n) * (12 if unit == "y" else 1))
    return _minus_months(ref, months)


def _time_of(m: re.Match) -> tuple[time, tzinfo | None] | None:
    """A _TIME(+_TZ_AFTER) match -> (wall time, zone written after it)."""
    h = int(m.group("H"))
    minute = m.group("M") or m.group("M2")
    minute = int(minute) if minute else 0
    sec = int(m.group("S") or 0)
    ap = m.group("ap")
    if ap:
        ap = ap.replace(".", "")
        if ap in ("pm", "م", "مساء", "مساءا", "المساء", "عصرا", "العصر"):
            if 1 <= h < 12:
                h += 12
        elif ap in ("ظهرا", "الظهر"):
            if 1 <= h < 6:
                h += 12
        elif ap in ("ليلا", "الليل"):
            if 6 <= h < 12:
                h += 12
            elif h == 12:
                h = 0
        elif h == 12:  # am, ص, صباحا, فجرا
            h = 0
    if h > 23:
        return None
    zone = None
    if m.group("za"):
        hours = names.ZONE_ABBREVIATIONS[m.group("za")]
        zone = timezone(timedelta(hours=hours)) if hours else timezone.utc
        if m.group("zs"):
            extra = _offset_zone(m.group("zs"), m.group("zh"), m.group("zm"))
            if extra is not None:
                zone = timezone(extra.utcoffset(None) + timedelta(hours=hours))
    elif m.group("os"):
        zone = _offset_zone(m.group("os"), m.group("oh"), m.group("om"))
    return time(h, minute, sec), zone


def _zone_phrase(text: str) -> tzinfo | None:
    m = _ZONE_PHRASE_RE.search(text)
    if not m:
        return None
    if m.group("gmt"):
        return timezone.utc
    return _zone_by_name(_ZONE_NAMES[m.group("zn")])


def _find_time(text: str, start: int, end: int) -> tuple[time, tzinfo | None] | None:
    """First time after the date span, else before it."""
    for chunk in (text[end:], text[:start]):
        for m in _TIME_RE.finditer(chunk):
            t = _time_of(m)
            if t is not None:
                return t
    return None


class _Cand:
    __slots__ = ("rank", "start", "end", "cal", "y", "mo", "d", "word")

    def __init__(self, rank, start, end, cal, y, mo, d, word):
        self.rank, self.start, self.end = rank, start, end
        self.cal, self.y, self.mo, self.d, self.word = cal, y, mo, d, word


def _era_cal(era: str | None) -> str | None:
    if not era:
        return None
    era = era.strip(" .")
    if era in ("ه", "هجري", "هجريه", "ah"):
        return "h"
    return "g"


def _candidates(n: str) -> list[_Cand]:
    out: list[_Cand] = []
    # rank = (has a year, Gregorian, -kind): numeric and day-month (1) before month-day (2)
    for kind, rx in ((1, _DMY_NAME_RE), (2, _MDY_NAME_RE)):
        for m in rx.finditer(n):
            m1 = m.group("m1")
            cal, mo = _MONTHS[m1]
            y = m.group("y")
            if kind == 2 and y is None and not m1.isascii():
                continue  # "مارس 3 أنشطة" (he practised 3 activities): month-day needs a year in Arabic
            era = _era_cal(m.group("era")) if y else None
            if era and era != cal:
                # "13 مارس 1445هـ": a Gregorian month with a Hijri year; unusable
                out.append(_Cand(None, m.start(), m.end(), cal, int(y), mo, int(m.group("d")),
                                 f"{m1} with a {'Hijri' if era == 'h' else 'Gregorian'} year"))
                continue
            out.append(_Cand((y is not None, cal == "g", -kind), m.start(), m.end(), cal,
                             int(y) if y else None, mo, int(m.group("d")), m1))
    for m in _YMD_NUM_RE.finditer(n):
        y = int(m.group("y"))
        cal = "h" if (_era_cal(m.group("era")) == "h" or y in HIJRI_NUMERIC_YEARS) else "g"
        out.append(_Cand((True, cal == "g", -1), m.start(), m.end(), cal, y, int(m.group("mo")), int(m.group("d")), None))
    for m in _DMY_NUM_RE.finditer(n):
        d, mo, ys = int(m.group("d")), int(m.group("mo")), m.group("y")
        y = int(ys)
        if len(ys) == 2:
            y += 2000 if y < 70 else 1900
        if mo > 12 and d <= 12:  # US order 03/13/2025
            d, mo = mo, d
        cal = "h" if (_era_cal(m.group("era")) == "h" or y in HIJRI_NUMERIC_YEARS) else "g"
        out.append(_Cand((True, cal == "g", -1), m.start(), m.end(), cal, y, mo, d, None))
    return out


def _hijri_to_gregorian(y: int, mo: int, d: int) -> date:
    if not HIJRI_MIN_YEAR <= y <= HIJRI_MAX_YEAR:
        raise ValueError(f"Hijri year {y} is outside the Umm al-Qura table ({HIJRI_MIN_YEAR}-{HIJRI_MAX_YEAR} AH)")
    if not (1 <= mo <= 12 and 1 <= d <= 30):
        raise ValueError(f"no such Hijri date {d}/{mo}/{y}")
    # Day 30 of a 29-day month (sighting differs from the table) is the next day.
    return Hijri(y, mo, 1).to_gregorian() + timedelta(days=d - 1)


def _resolve_yearless(c: _Cand, wall: time, zone: tzinfo, ref: datetime) -> datetime:
    limit = ref + timedelta(days=MAX_FUTURE_DAYS)
    if c.cal == "g":
        year = ref.astimezone(zone).year
        for y in range(year, year - 9, -1):  # 29 February: back to a leap year
            try:
                dt = datetime.combine(date(y, c.mo, c.d), wall, zone)
            except ValueError:
                if c.mo == 2 and c.d == 29:
                    continue
                raise
            if dt <= limit:
                return dt
        raise ValueError(f"no past {c.d}/{c.mo}")
    # Hijri month without a year: this Hijri year or the one before
    hy = Gregorian.fromdate(ref.astimezone(zone).date()).to_hijri().year
    for y in (hy, hy - 1):
        dt = datetime.combine(_hijri_to_gregorian(y, c.mo, c.d), wall, zone)
        if dt <= limit:
            return dt
    raise ValueError(f"no past Hijri {c.d}/{c.mo}")


# --------------------------------------------------------------------------- core


def _parse(text, ref: datetime | None, tz) -> tuple[datetime | None, str | None]:
    """-> (aware UTC datetime, None) or (None, reason)."""
    if text is None:
        return None, "no text given"
    if not isinstance(text, str):
        return None, f"not a string: {type(text).__name__}"
    s = text.strip()
    if not s:
        return None, "empty text"
    if len(s) > MAX_INPUT_CHARS:
        s = s[:MAX_INPUT_CHARS]
    ref = _aware(ref) if ref is not None else datetime.now(timezone.utc)
    zone = _resolve_tz(tz)

    dt, reason = _parse_text(s, ref, zone)
    if dt is None:
        return None, reason
    dt = dt.astimezone(timezone.utc)
    if dt.year < MIN_YEAR:
        return None, f"implausible date {dt.isoformat()}: before {MIN_YEAR} (in {_short(s)})"
    if dt - ref > timedelta(days=MAX_FUTURE_DAYS):
        return None, (f"implausible date {dt.isoformat()}: more than {MAX_FUTURE_DAYS} days after "
                      f"the reference time {ref.isoformat()} (in {_short(s)})")
    return dt, None


def _parse_text(s: str, ref: datetime, zone: tzinfo) -> tuple[datetime | None, str | None]:
    # 1. machine formats
    if s.isascii():
        if s[0].isdigit() and len(s) <= 40:
            try:
                return _aware_in(datetime.fromisoformat(s), zone), None
            except ValueError:
                pass
        if _RFC822_RE.match(s):
            try:
                t = email.utils.parsedate_tz(s)
            except (TypeError, ValueError, IndexError, OverflowError):
                t = None
            written = _RFC822_YEAR_RE.search(s)
            if t is not None and written and len(written.group(1)) == 4 and int(written.group(1)) != t[0]:
                # email.utils reads years below 100 as 19xx/20xx: "0001" is not 2001
                t = (int(written.group(1)),) + tuple(t[1:])
            if t is not None:
                try:
                    dt = datetime(*t[:6])
                    if t[9] is not None:
                        return dt.replace(tzinfo=timezone(timedelta(seconds=t[9]))), None
                    return dt.replace(tzinfo=zone), None
                except (ValueError, OverflowError):
                    pass
    orig = s
    if not s.isascii() and ("\u0623" in s or "\u0625" in s):
        s = _NOT_AUGUST_RE.sub("والد", s)

    n = normalize_key(s)
    s = orig
    if not n:
        return None, f"no date in {_short(s)}"
    if n[0].isdigit() and n.isascii() and len(n) <= 40 and n != s:
        try:
            return _aware_in(datetime.fromisoformat(n.upper()), zone), None
        except ValueError:
            pass

    # 2. absolute dates
    cands = _candidates(n)
    first_error = None
    if cands:
        good = [c for c in cands if c.rank is not None]
        good.sort(key=lambda c: (not c.rank[0], not c.rank[1], -c.rank[2], c.start))
        for c in good:
            if c.cal == "h" and c.y is None and c.mo in names.HIJRI_NEEDS_YEAR:
                first_error = first_error or f"{c.word!r} is read as a Hijri month only with a year"
                continue
            t = _find_time(n, c.start, c.end)
            wall, tzone = t if t else (time(0), None)
            tzone = tzone or _zone_phrase(n) or zone
            try:
                if c.y is None:
                    return _resolve_yearless(c, wall, tzone, ref), None
                if c.cal == "h":
                    day = _hijri_to_gregorian(c.y, c.mo, c.d)
                else:
                    day = date(c.y, c.mo, c.d)
                return datetime.combine(day, wall, tzone), None
            except (ValueError, OverflowError) as exc:
                label = n[c.start:c.end].strip()
                first_error = first_error or f"invalid date {label!r}: {exc}"
        bad = [c for c in cands if c.rank is None]
        if bad and first_error is None:
            first_error = f"{n[bad[0].start:bad[0].end].strip()!r}: {bad[0].word}"

    # 3. relative times
    for rx, units, marks in _RELATIVE:
        if not any(k in n for k in marks):
            continue
        m = rx.search(n)
        if not m:
            continue
        dt = _relative(m, units, ref)
        if dt is not None:
            return dt, None

    # 4. day words followed at most by a time
    m = _DAY_WORD_RE.search(n)
    if m and not _DAY_WORD_PREFIX_RE.fullmatch(_TIME_RE.sub(" ", n[: m.start()])):
        m = None
    if m:
        days = _DAY_WORDS[m.group("w")]
        if days is None:
            return ref, None
        tzone = zone
        if m.group("zn") or m.group("gmt"):
            tzone = timezone.utc if m.group("gmt") else _zone_by_name(_ZONE_NAMES[m.group("zn")])
        t = _time_of(m) if m.group("H") is not None else _find_time(n, m.start(), m.start())
        if m.group("H") is None and t is None:
            return ref - timedelta(days=days), None
        if t is None:
            return None, f"invalid time in {_short(s)}"
        wall, written = t
        tzone = written or tzone
        day = ref.astimezone(tzone).date() - timedelta(days=days)
        return datetime.combine(day, wall, tzone), None

    if first_error:
        return None, first_error
    return None, _explain_nothing(n, s)


def _relative(m: re.Match, units: dict, ref: datetime) -> datetime | None:
    total = ref
    for ng, ug in (("n", "u"), ("n2", "u2")):
        u = m.groupdict().get(ug)
        if not u:
            continue
        spec = units[u]
        if isinstance(spec, tuple):
            unit, default = spec
        else:
            unit, default = spec, None
        count = _number(m.group(ng), default)
        if count is None:
            return None
        total = _subtract(total, count, unit)
    frac = m.groupdict().get("frac")
    if frac:
        unit = units[m.group("u")]
        unit = unit[0] if isinstance(unit, tuple) else unit
        total = _subtract(total, 0.5 if frac == "نصف" else 0.25, unit)
    return total


def _aware_in(dt: datetime, zone: tzinfo) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=zone)


def _explain_nothing(n: str, s: str) -> str:
    m = _MONTH_ONLY_RE.search(n)
    if m:
        return (f"month name {m.group(0)!r} without a day next to it in {_short(s)} "
                "(a month is only read as a date with its day)")
    if _TIME_RE.search(n) and any(ch.isdigit() for ch in n) and (":" in n or "h" in n):
        return f"a time but no date in {_short(s)}"
    if re.search(r"(?<!\d)\d{4}(?!\d)", n):
        return f"a year but no day and month in {_short(s)}"
    return (f"no date found in {_short(s)}: expected ISO 8601, RFC 822, a numeric date "
            "(13/03/2025), a day with a month name, or a relative time (منذ 3 ساعات, 2 hours ago)")


# --------------------------------------------------------------------------- public


_WARNED_ZONES: set[str] = set()


def parse_date(text: str | None, ref: datetime | None = None, tz=None) -> datetime | None:
    """Parse *text* to an aware UTC datetime, or None when it is not a date.

    ``ref`` is "now" for relative and year-less forms (default: the current
    time; naive means UTC). ``tz`` is the zone of naive wall times in the text
    (zoneinfo name such as "Africa/Cairo", "+03:00", or a tzinfo); an unknown
    zone name is logged and UTC used. Never raises on bad text.
    """
    try:
        dt, _reason = _parse(text, ref, tz)
    except ValueError as exc:
        if "time zone" not in str(exc):
            return None
        if str(tz) not in _WARNED_ZONES:
            _WARNED_ZONES.add(str(tz))
            log.warning("%s; naive times are read as UTC", exc)
        dt, _reason = _parse(text, ref, None)
    except Exception:  # noqa: BLE001 - a parser for scraped text must not crash a crawl
        log.debug("date parser failed on %r", text, exc_info=True)
        return None
    return dt


def parse_date_strict(text: str | None, ref: datetime | None = None, tz=None) -> datetime:
    """Like parse_date, but raises DateParseError(reason) instead of returning None."""
    try:
        dt, reason = _parse(text, ref, tz)
    except ValueError as exc:
        raise DateParseError(str(exc), text) from exc
    except Exception as exc:  # noqa: BLE001
        raise DateParseError(f"internal error parsing {text!r}: {exc}", text) from exc
    if dt is None:
        raise DateParseError(reason or "no date found", text)
    return dt


def explain_failure(text: str | None, ref: datetime | None = None, tz=None) -> str:
    """Why *text* does not parse; "" when it does."""
    try:
        parse_date_strict(text, ref, tz)
    except DateParseError as exc:
        return exc.reason
    return ""
