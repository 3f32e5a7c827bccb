"""Dates as readers see them: short card dates and long article dates.

Babel never prints Arabic-Indic digits (not even for ar_EG), so the
Arabic UI maps digits itself.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format

_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
UI_LOCALES = ("ar", "fr", "en")


def to_arabic_indic(s: str) -> str:
    """ASCII digits -> Arabic-Indic digits (٠-٩); everything else unchanged."""
    return s.translate(_ARABIC_INDIC)


def localize_digits(s: str, ui: str) -> str:
    return to_arabic_indic(s) if ui == "ar" else s


def to_local(dt: datetime, tz: str = "UTC") -> datetime:
    """*dt* in time zone *tz*; naive datetimes are taken as UTC (as stored)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(ZoneInfo(tz))


def format_card_date(dt: datetime, ui: str, tz: str = "UTC") -> str:
    """Day-month-year, '13-03-2025' ('١٣-٠٣-٢٠٢٥' in the Arabic UI)."""
    d = to_local(dt, tz)
    return localize_digits(f"{d.day:02d}-{d.month:02d}-{d.year:04d}", ui)


def format_long_date(dt: datetime, ui: str, tz: str = "UTC") -> str:
    """Weekday, day, month name, year and time in the UI's own words,
    e.g. 'الخميس، ١٣ مارس ٢٠٢٥، ٢:٠٥ م'."""
    locale = ui if ui in UI_LOCALES else "en"
    d = to_local(dt, tz)
    # the locale's own glue between date and time ("{1}، {0}" in Arabic)
    text = get_datetime_format("medium", locale=locale).format(
        format_time(d, "short", locale=locale), format_date(d, "full", locale=locale)
    )
    return localize_digits(text, ui)


HIJRI_MONTHS = {
    "ar": ("محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة", "رجب", "شعبان",
           "رمضان", "شوال", "ذو القعدة", "ذو الحجة"),
    "fr": ("mouharram", "safar", "rabia al awal", "rabia ath-thani", "joumada al oula", "joumada ath-thania",
           "rajab", "chaabane", "ramadan", "chawwal", "dhou al qi`da", "dhou al-hijja"),
    "en": ("Muharram", "Safar", "Rabi' al-Awwal", "Rabi' al-Thani", "Jumada al-Awwal", "Jumada al-Thani",
           "Rajab", "Sha'ban", "Ramadan", "Shawwal", "Dhu al-Qi'dah", "Dhu al-Hijjah"),
}
HIJRI_SUFFIX = {"ar": "هـ", "fr": "AH", "en": "AH"}


def format_hijri_date(dt: datetime, ui: str, tz: str = "UTC") -> str | None:
    """The Hijri date under Umm al-Qura (the calendar Saudi Arabia uses;
    others can differ by a day), e.g. '١٦ رمضان ١٤٤٥ هـ'; None outside
    hijridate's range (1343-1500 AH)."""
    from hijridate import Gregorian

    d = to_local(dt, tz)
    try:
        h = Gregorian(d.year, d.month, d.day).to_hijri()
    except (OverflowError, ValueError):
        return None
    lang = ui if ui in HIJRI_MONTHS else "en"
    return localize_digits(f"{h.day} {HIJRI_MONTHS[lang][h.month - 1]} {h.year} {HIJRI_SUFFIX[lang]}", ui)


def iso(dt: datetime) -> str:
    """ISO 8601 with an explicit offset, for <time datetime> and the API."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.isoformat()
