"""Dates as Arabic, French and English news sites write them."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from hijridate import Hijri

from akhbar.dates import DateParseError, explain_failure, parse_date, parse_date_strict, plausible, to_utc
from akhbar.dates.names import GREGORIAN_MONTHS, HIJRI_MONTHS

UTC = timezone.utc
REF = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)  # a Friday


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def p(text, ref=REF, **kw):
    return parse_date(text, ref=ref, **kw)


# ---------------------------------------------------------------- machine formats


@pytest.mark.parametrize("text,expected", [
    ("2025-03-13T14:30:00+01:00", utc(2025, 3, 13, 13, 30)),
    ("2025-03-13T14:30:00Z", utc(2025, 3, 13, 14, 30)),
    ("2025-03-13T14:30:00.123456+00:00", utc(2025, 3, 13, 14, 30, 0, 123456)),
    ("2025-03-13", utc(2025, 3, 13)),
    ("2025-03-13 14:30", utc(2025, 3, 13, 14, 30)),
    ("2025-03-13 14:30:00 +0300", utc(2025, 3, 13, 11, 30)),
    ("٢٠٢٥-٠٣-١٣T١٤:٣٠:٠٠Z", utc(2025, 3, 13, 14, 30)),
    ("۲۰۲۵-۰۳-۱۳T۱۴:۳۰:۰۰+۰۳:۰۰", utc(2025, 3, 13, 11, 30)),
    ("Thu, 13 Mar 2025 10:00:00 GMT", utc(2025, 3, 13, 10)),
    ("Sun, 18 Feb 2018 21:35:43 +0400", utc(2018, 2, 18, 17, 35, 43)),
    ("Tue, 13 Feb 2018 10:22:00 +0000", utc(2018, 2, 13, 10, 22)),
    ("13 Mar 2025 10:00:00 EST", utc(2025, 3, 13, 15)),
    ("Thu, 13 Mar 25 10:00:00 GMT", utc(2025, 3, 13, 10)),
])
def test_machine_formats(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("13/03/2025", utc(2025, 3, 13)),
    ("13-03-2025", utc(2025, 3, 13)),
    ("13.03.2025", utc(2025, 3, 13)),
    ("١٣-٠٣-٢٠٢٥", utc(2025, 3, 13)),
    ("١٣/٣/٢٠٢٥", utc(2025, 3, 13)),
    ("۱۳/۰۳/۲۰۲۵", utc(2025, 3, 13)),
    ("2025/03/13", utc(2025, 3, 13)),
    ("٢٠٢٥/٠٣/١٣", utc(2025, 3, 13)),
    ("01/07/2016", utc(2016, 7, 1)),  # day first (ANT / JawharaFM)
    ("03/13/2025", utc(2025, 3, 13)),  # US order only when the day cannot be a month
    ("13/03/25", utc(2025, 3, 13)),
    ("13/03/2025 14:30", utc(2025, 3, 13, 14, 30)),
    ("١٣/٠٣/٢٠٢٥ ١٤:٣٠", utc(2025, 3, 13, 14, 30)),
    ("13/03/2025 02:30 PM", utc(2025, 3, 13, 14, 30)),
    ("13/03/2025 2:30 pm", utc(2025, 3, 13, 14, 30)),
    ("13/03/2025 10:30 ص", utc(2025, 3, 13, 10, 30)),
    ("13/03/2025 10:30 م", utc(2025, 3, 13, 22, 30)),
    ("١٣/٠٣/٢٠٢٥ - ١٠:٣٠ مساءً", utc(2025, 3, 13, 22, 30)),
    ("13/03/2025 09:15 صباحاً", utc(2025, 3, 13, 9, 15)),
    ("13/03/2025 12:15 ص", utc(2025, 3, 13, 0, 15)),
    ("13/03/2025 12:15 م", utc(2025, 3, 13, 12, 15)),
    ("13/03/2025 12:05 AM", utc(2025, 3, 13, 0, 5)),
    ("13/03/2025 - 14:30 GMT", utc(2025, 3, 13, 14, 30)),
    ("13/03/2025 14:30 GMT+3", utc(2025, 3, 13, 11, 30)),
    ("13/03/2025 14:30 +01:00", utc(2025, 3, 13, 13, 30)),
    ("آخر تحديث: 14/3/2025 04:37 (توقيت مكة)", utc(2025, 3, 14, 1, 37)),
    ("آخر تحديث: 13/3/202514:30 (مكة المكرمة)", utc(2025, 3, 13, 11, 30)),  # glued, as Al Jazeera prints it
    ("le 13/03/2025 à 14h30", utc(2025, 3, 13, 14, 30)),
])
def test_numeric_dates_and_times(text, expected):
    assert p(text) == expected


# ---------------------------------------------------------------- month names

_REGIONAL = {
    # month -> one spelling per regional set
    1: ["يناير", "كانون الثاني", "جانفي"],
    2: ["فبراير", "شباط", "فيفري"],
    3: ["مارس", "آذار"],
    4: ["أبريل", "إبريل", "ابريل", "نيسان", "أفريل"],
    5: ["مايو", "أيار", "ماي"],
    6: ["يونيو", "يونيه", "حزيران", "جوان"],
    7: ["يوليو", "يوليه", "تموز", "جويلية", "يوليوز"],
    8: ["أغسطس", "آب", "أوت", "غشت"],
    9: ["سبتمبر", "أيلول", "شتنبر"],
    10: ["أكتوبر", "اكتوبر", "تشرين الأول"],
    11: ["نوفمبر", "تشرين الثاني", "نونبر"],
    12: ["ديسمبر", "كانون الأول", "دجنبر"],
}
_MONTH_CASES = [(month, name) for month, spellings in _REGIONAL.items() for name in spellings]


@pytest.mark.parametrize("month,name", _MONTH_CASES)
def test_every_regional_month_name(month, name):
    day = 9
    assert p(f"{day} {name} 2024") == utc(2024, month, day)
    assert p(f"الأحد، {day} {name}، 2024") == utc(2024, month, day)
    assert p(f"{day} {name} 2024م") == utc(2024, month, day)
    assert p(f"٠٩ {name} ٢٠٢٤ م") == utc(2024, month, day)


@pytest.mark.parametrize("loc", ["ar_EG", "ar_SA", "ar_LB", "ar_SY", "ar_IQ", "ar_JO", "ar_DZ", "ar_TN",
                                 "ar_MA", "ar_MR", "ar_SD", "fr", "en"])
def test_cldr_month_names_all_parse(loc):
    """Every CLDR wide/abbreviated month name for these locales is in the tables."""
    months = Locale.parse(loc).months["format"]
    for width in ("wide", "abbreviated"):
        for month, name in months[width].items():
            if loc.startswith("ar") and width == "abbreviated":
                continue  # same as wide in CLDR
            assert p(f"9 {name} 2024") == utc(2024, month, 9), (loc, width, name)


@pytest.mark.parametrize("text,expected", [
    ("الخميس 13 مارس 2025", utc(2025, 3, 13)),
    ("الخميس، 13 مارس 2025", utc(2025, 3, 13)),
    ("الإثنين، 10 مارس، 2025 - 10:30 م", utc(2025, 3, 10, 22, 30)),
    ("الاثنين 10 مارس 2025 الساعة 14:30", utc(2025, 3, 10, 14, 30)),
    ("الخميس ١٣ مارس ٢٠٢٥ - ١٠:٤٥ ص", utc(2025, 3, 13, 10, 45)),
    ("الخميس ۱۳ مارس ۲۰۲۵", utc(2025, 3, 13)),
    ("نشر في: 13 آذار 2025", utc(2025, 3, 13)),
    ("22 يناير/كانون الثاني 2025", utc(2025, 1, 22)),
    ("22 كانون الثاني/يناير 2025", utc(2025, 1, 22)),
    ("13 آذار/مارس 2025", utc(2025, 3, 13)),
    ("13 آذار (مارس) 2025", utc(2025, 3, 13)),
    ("آخر تحديث: 13 مارس/ آذار 2025 - 14:30 GMT", utc(2025, 3, 13, 14, 30)),
    ("3 تشرين أول 2024", utc(2024, 10, 3)),
    ("13 من شهر مارس 2025", utc(2025, 3, 13)),
    ("السبت 1 يونيه 2024", utc(2024, 6, 1)),
    ("الأربعاء 3 يوليه 2024", utc(2024, 7, 3)),
    ("22 جويلية 2024", utc(2024, 7, 22)),
    ("5 أوت 2024", utc(2024, 8, 5)),
    ("15 غشت 2024", utc(2024, 8, 15)),
    ("2 دجنبر 2024", utc(2024, 12, 2)),
    ("13 مارس 2025 الساعة 14:30 بتوقيت القاهرة", utc(2025, 3, 13, 12, 30)),
    ("13 مارس 2025 - 14:30 بتوقيت غرينتش", utc(2025, 3, 13, 14, 30)),
    # French
    ("13 mars 2025", utc(2025, 3, 13)),
    ("jeudi 13 mars 2025", utc(2025, 3, 13)),
    ("jeudi 13 mars 2025 à 14h30", utc(2025, 3, 13, 14, 30)),
    ("Publié le 13 mars 2025 à 14 h 30", utc(2025, 3, 13, 14, 30)),
    ("1er février 2025", utc(2025, 2, 1)),
    ("Mis à jour le 5 août 2024 à 9h", utc(2024, 8, 5, 9)),
    ("12 déc. 2024", utc(2024, 12, 12)),
    ("13 mars 2025 à 14h30 (heure de Paris)", utc(2025, 3, 13, 13, 30)),
    ("mar. 11 mars 2025", utc(2025, 3, 11)),
    # English
    ("March 13, 2025", utc(2025, 3, 13)),
    ("Thursday, March 13, 2025 at 2:30 PM", utc(2025, 3, 13, 14, 30)),
    ("Thursday, March 13, 2025 at 2:30 PM EDT", utc(2025, 3, 13, 18, 30)),
    ("13 March 2025", utc(2025, 3, 13)),
    ("13th March 2025", utc(2025, 3, 13)),
    ("Mar. 13, 2025", utc(2025, 3, 13)),
    ("Sept 3, 2024", utc(2024, 9, 3)),
    ("Updated 1 April 2024, 08:00 GMT", utc(2024, 4, 1, 8)),
])
def test_written_dates(text, expected):
    assert p(text) == expected


def test_month_names_need_a_day():
    for text in ["مارس", "آذار/مارس", "مارس 2025", "مارس الرياضة منذ صغره", "مارس 3 أنشطة", "شهر أيار", "mars"]:
        assert p(text) is None, text
    assert "without a day" in explain_failure("آذار/مارس")


def test_father_is_not_august():
    assert p("3 آب 2024") == utc(2024, 8, 3)
    assert p("3 اب 2024") == utc(2024, 8, 3)
    assert p("3 أب 2024") is None
    assert p("قتل أب 3 أطفال 2024") is None
    assert p("أَبٌ 3") is None
    assert p("الأب 3 2024") is None
    assert p("3 أبريل 2024") == utc(2024, 4, 3)  # the mask does not touch longer words


def test_may_in_arabic_is_a_word_of_its_own():
    assert p("13 ماي 2024") == utc(2024, 5, 13)
    assert p("13 مايو 2024") == utc(2024, 5, 13)
    assert p("13 مايكروسوفت 2024") is None
    assert p("13 مارسيليا 2024") is None


# ---------------------------------------------------------------- Hijri


def test_hijri_facts_from_hijridate():
    assert Hijri(1445, 9, 1).to_gregorian() == datetime(2024, 3, 11).date()
    assert Hijri(1445, 9, 16).to_gregorian() == datetime(2024, 3, 26).date()


@pytest.mark.parametrize("text,expected", [
    ("16 رمضان 1445هـ", utc(2024, 3, 26)),
    ("١٦ رمضان ١٤٤٥ هـ", utc(2024, 3, 26)),
    ("1 رمضان 1445", utc(2024, 3, 11)),
    ("الثلاثاء ١٦ رمضان ١٤٤٥ هجري", utc(2024, 3, 26)),
    ("١٤٤٥/٠٩/١٦هـ", utc(2024, 3, 26)),
    ("1445/9/16", utc(2024, 3, 26)),
    ("16/09/1445هـ", utc(2024, 3, 26)),
    ("الثلاثاء ٢٦ مارس ٢٠٢٤م – ١٦ رمضان ١٤٤٥هـ – ١٧ برمهات ١٧٤٠", utc(2024, 3, 26)),
    ("١٦ رمضان ١٤٤٥هـ الموافق ٢٦ مارس ٢٠٢٤م", utc(2024, 3, 26)),
])
def test_hijri_dates(text, expected):
    assert p(text) == expected


def _hijri_names():
    for month, spellings in HIJRI_MONTHS.items():
        for name in spellings:
            yield month, name


@pytest.mark.parametrize("month,name", list(_hijri_names()))
def test_every_hijri_month_name(month, name):
    expected = Hijri(1445, month, 10).to_gregorian()
    assert p(f"10 {name} 1445 هـ").date() == expected


def test_hijri_with_dhi_and_tashkeel():
    expected = Hijri(1445, 12, 10).to_gregorian()
    assert p("١٠ ذي الحِجَّة ١٤٤٥هـ").date() == expected
    assert p("10 ذى الحجه 1445").date() == expected
    assert p("10 ذو القعدة 1445").date() == Hijri(1445, 11, 10).to_gregorian()


def test_hijri_zero_and_rajab_need_a_year():
    assert p("فاز الفريق 3 صفر") is None
    assert p("12 صفر") is None
    assert p("12 صفر 1446").date() == Hijri(1446, 2, 12).to_gregorian()
    assert "only with a year" in explain_failure("12 صفر")


def test_hijri_without_year_is_the_latest_past_one():
    def day(y, m, d):
        return datetime.combine(Hijri(y, m, d).to_gregorian(), datetime.min.time(), UTC)

    assert day(1446, 9, 1) == utc(2025, 3, 1)
    assert p("10 رمضان") == day(1446, 9, 10)  # 2025-03-10, this Ramadan
    assert p("16 رمضان") == day(1446, 9, 16)  # 2025-03-16: within the two days of slack
    assert p("20 رمضان") == day(1445, 9, 20)  # 2025-03-20 is ahead: last year's, 2024-03-30
    assert p("20 رمضان", ref=utc(2025, 3, 21)) == day(1446, 9, 20)


def test_hijri_out_of_table_is_explained():
    assert p("16 رمضان 1600 هـ") is None
    assert "outside the Umm al-Qura table" in explain_failure("16 رمضان 1200 هـ")


def test_gregorian_month_with_hijri_year_is_refused():
    assert p("13 مارس 1445هـ") is None


# ---------------------------------------------------------------- relative


@pytest.mark.parametrize("text,delta", [
    ("الآن", timedelta(0)),
    ("منذ قليل", timedelta(0)),
    ("منذ دقيقة", timedelta(minutes=1)),
    ("منذ دقيقتين", timedelta(minutes=2)),
    ("منذ 5 دقائق", timedelta(minutes=5)),
    ("منذ ٥ دقائق", timedelta(minutes=5)),
    ("منذ 10 دقيقة", timedelta(minutes=10)),
    ("منذ 5 د", timedelta(minutes=5)),
    ("منذ ساعة", timedelta(hours=1)),
    ("منذ ساعتين", timedelta(hours=2)),
    ("منذ 3 ساعات", timedelta(hours=3)),
    ("منذ ثلاث ساعات", timedelta(hours=3)),
    ("منذ ساعات", timedelta(hours=3)),
    ("منذ نصف ساعة", timedelta(minutes=30)),
    ("منذ ساعة ونصف", timedelta(minutes=90)),
    ("منذ ساعة و20 دقيقة", timedelta(minutes=80)),
    ("منذ يوم", timedelta(days=1)),
    ("منذ يومين", timedelta(days=2)),
    ("منذ 3 أيام", timedelta(days=3)),
    ("منذ أسبوع", timedelta(days=7)),
    ("منذ أسبوعين", timedelta(days=14)),
    ("نُشر منذ حوالي ساعتين", timedelta(hours=2)),
    ("قبل 5 دقائق", timedelta(minutes=5)),
    ("قبل ساعتين", timedelta(hours=2)),
    ("قبل يومين", timedelta(days=2)),
    ("قبل أسبوع", timedelta(days=7)),
    ("قبل ٣ ساعات", timedelta(hours=3)),
    # French
    ("il y a 2 heures", timedelta(hours=2)),
    ("il y a 5 min", timedelta(minutes=5)),
    ("Il y a une heure", timedelta(hours=1)),
    ("il y a 3 jours", timedelta(days=3)),
    ("il y a 30 secondes", timedelta(seconds=30)),
    ("il y a 2 semaines", timedelta(days=14)),
    ("il y a 1 h 30 min", timedelta(minutes=90)),
    ("il y a sept jours", timedelta(days=7)),
    ("à l'instant", timedelta(0)),
    # English
    ("2 hours ago", timedelta(hours=2)),
    ("5 mins ago", timedelta(minutes=5)),
    ("an hour ago", timedelta(hours=1)),
    ("a day ago", timedelta(days=1)),
    ("3d ago", timedelta(days=3)),
    ("1h ago", timedelta(hours=1)),
    ("a few seconds ago", timedelta(seconds=3)),
    ("Updated 45 minutes ago", timedelta(minutes=45)),
    ("just now", timedelta(0)),
])
def test_relative_times(text, delta):
    assert p(text) == REF - delta


@pytest.mark.parametrize("text,expected", [
    ("منذ شهر", utc(2025, 2, 14, 12)),
    ("منذ شهرين", utc(2025, 1, 14, 12)),
    ("il y a 2 mois", utc(2025, 1, 14, 12)),
    ("1 year ago", utc(2024, 3, 14, 12)),
    ("منذ عام", utc(2024, 3, 14, 12)),
])
def test_relative_months_are_calendar_months(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("اليوم", REF),
    ("أمس", REF - timedelta(days=1)),
    ("البارحة", REF - timedelta(days=1)),
    ("أول أمس", REF - timedelta(days=2)),
    ("أول من أمس", REF - timedelta(days=2)),
    ("اليوم 10:30", utc(2025, 3, 14, 10, 30)),
    ("اليوم، ١٠:٣٠ ص", utc(2025, 3, 14, 10, 30)),
    ("أمس الساعة 11:15 م", utc(2025, 3, 13, 23, 15)),
    ("أول أمس 14:30", utc(2025, 3, 12, 14, 30)),
    ("14:30 أمس", utc(2025, 3, 13, 14, 30)),
    ("aujourd'hui", REF),
    ("Aujourd’hui à 09h05", utc(2025, 3, 14, 9, 5)),
    ("hier", REF - timedelta(days=1)),
    ("hier à 14h30", utc(2025, 3, 13, 14, 30)),
    ("avant-hier", REF - timedelta(days=2)),
    ("today", REF),
    ("Today 08:00", utc(2025, 3, 14, 8)),
    ("yesterday", REF - timedelta(days=1)),
    ("Yesterday at 5:30 PM", utc(2025, 3, 13, 17, 30)),
])
def test_day_words(text, expected):
    assert p(text) == expected


def test_day_words_inside_other_text_are_not_dates():
    for text in ["اليوم السابع", "صحيفة اليوم", "الآن: ما نعرفه عن الهجوم", "أمس الأمة", "Today's paper"]:
        assert p(text) is None, text


def test_day_words_use_the_source_zone():
    ref = utc(2025, 3, 13, 23, 30)  # already 14 March in Cairo (UTC+2)
    assert p("اليوم 01:00", ref=ref, tz="Africa/Cairo") == utc(2025, 3, 13, 23)
    assert p("أمس 10:00", ref=ref, tz="Africa/Cairo") == utc(2025, 3, 13, 8)


def test_default_ref_is_now():
    got = parse_date("منذ ساعتين")
    assert abs(got - (datetime.now(UTC) - timedelta(hours=2))) < timedelta(seconds=5)
    assert parse_date("أمس").tzinfo is not None


def test_naive_ref_is_utc():
    assert parse_date("منذ ساعة", ref=datetime(2025, 3, 14, 12)) == utc(2025, 3, 14, 11)


# ---------------------------------------------------------------- year-less


@pytest.mark.parametrize("text,ref,expected", [
    ("22 ديسمبر", utc(2025, 1, 5), utc(2024, 12, 22)),
    ("22 كانون الأول", utc(2025, 1, 5), utc(2024, 12, 22)),
    ("٢٢ ديسمبر", utc(2025, 1, 5), utc(2024, 12, 22)),
    ("22 décembre", utc(2025, 1, 5), utc(2024, 12, 22)),
    ("December 22", utc(2025, 1, 5), utc(2024, 12, 22)),
    ("3 يناير", utc(2025, 1, 5), utc(2025, 1, 3)),
    ("6 janvier", utc(2025, 1, 5), utc(2025, 1, 6)),  # one day ahead: clocks and zones differ
    ("8 يناير", utc(2025, 1, 5), utc(2024, 1, 8)),  # more than two days ahead: last year
    ("22 جوان", REF, utc(2024, 6, 22)),
    ("13 mars", REF, utc(2025, 3, 13)),
    ("الخميس 13 مارس - 14:30", REF, utc(2025, 3, 13, 14, 30)),
    ("1er avril", REF, utc(2024, 4, 1)),
    ("29 février", REF, utc(2024, 2, 29)),
    ("29 فبراير", utc(2027, 3, 1), utc(2024, 2, 29)),
])
def test_yearless_dates_are_the_latest_past_one(text, ref, expected):
    assert parse_date(text, ref=ref) == expected


# ---------------------------------------------------------------- zones


def test_naive_times_take_the_tz_argument():
    assert p("13/03/2025 14:30", tz="Africa/Cairo") == utc(2025, 3, 13, 12, 30)
    assert p("13/03/2025 14:30", tz=ZoneInfo("Asia/Riyadh")) == utc(2025, 3, 13, 11, 30)
    assert p("13/03/2025 14:30", tz="+01:00") == utc(2025, 3, 13, 13, 30)
    assert p("2025-03-13T14:30:00", tz="Europe/Paris") == utc(2025, 3, 13, 13, 30)
    assert p("الخميس 13 مارس 2025", tz="Asia/Beirut") == utc(2025, 3, 12, 22)
    # a zone written in the text wins
    assert p("2025-03-13T14:30:00Z", tz="Africa/Cairo") == utc(2025, 3, 13, 14, 30)
    assert p("13/03/2025 14:30 GMT", tz="Africa/Cairo") == utc(2025, 3, 13, 14, 30)
    assert p("13/03/2025 14:30 بتوقيت مكة", tz="Europe/Paris") == utc(2025, 3, 13, 11, 30)
    # summer time comes from the zone database
    assert p("13 juillet 2024 à 14h30", tz="Europe/Paris") == utc(2024, 7, 13, 12, 30)


def test_unknown_tz_argument():
    assert p("13/03/2025 14:30", tz="Nowhere/Land") == utc(2025, 3, 13, 14, 30)
    with pytest.raises(DateParseError, match="unknown time zone"):
        parse_date_strict("13/03/2025 14:30", ref=REF, tz="Nowhere/Land")


def test_output_is_always_aware_utc():
    for text in ["2025-03-13T14:30:00+05:30", "13 mars 2025", "منذ ساعة", "16 رمضان 1445هـ", "أمس 10:00"]:
        got = p(text, tz="Asia/Qatar")
        assert got.tzinfo is UTC and got.utcoffset() == timedelta(0), text


# ---------------------------------------------------------------- garbage and plausibility


@pytest.mark.parametrize("text", [
    None, "", "   ", "garbage", "لا يوجد تاريخ هنا", "0000-00-00", "0000-00-00 00:00:00", "9999-12-31",
    "2025-02-30", "31 فبراير 2025", "32 مارس 2025", "13/13/2025", "٣٣/١٣/٢٠٢٥", "\x00\xff\ufffd", "14:30",
    "2025", "NaN", "-1", "31/02/2025", "1/1/1", "?" * 5000, "منذ", "il y a", "ago", "ساعة", "1445هـ",
    "٢٠٢٥-١٣-٠١", "Thu, 32 Mar 2025 10:00:00 GMT", "Thu, 13 Foo 2025 10:00:00 GMT", 12345, 3.5, b"2025-03-13", ["2025-03-13"],
])
def test_garbage_gives_none(text):
    assert parse_date(text, ref=REF) is None


def test_a_bad_time_keeps_the_date():
    assert p("2025-03-13T25:00") == utc(2025, 3, 13)
    assert p("13 mars 2025 à 25h30") == utc(2025, 3, 13)


def test_day_word_labels():
    assert p("نشر في: أمس 10:00") == utc(2025, 3, 13, 10)
    assert p("آخر تحديث: اليوم 09:15") == utc(2025, 3, 14, 9, 15)
    assert p("Updated yesterday") == REF - timedelta(days=1)
    assert p("Publié hier à 18h") == utc(2025, 3, 13, 18)


def test_long_text_with_a_date_far_in_is_fast_and_safe():
    text = "كلام " * 5000 + "13 مارس 2025"
    t = time.perf_counter()
    assert parse_date(text, ref=REF) is None  # beyond MAX_INPUT_CHARS
    assert time.perf_counter() - t < 0.5


@pytest.mark.parametrize("text", ["13 mars 1985", "1989-12-31", "13 مارس 2030", "2025-03-17T12:00:00Z",
                                  "منذ 40 سنة"])
def test_implausible_dates(text):
    assert p(text) is None
    assert "implausible" in explain_failure(text, ref=REF)


def test_plausibility_window():
    assert p("2025-03-16T12:00:00Z") == utc(2025, 3, 16, 12)  # exactly two days ahead
    assert p("2025-03-16T12:00:01Z") is None
    assert p("1990-01-01") == utc(1990, 1, 1)
    assert plausible(utc(1989, 12, 31), REF) is None
    assert plausible(utc(2025, 3, 13), REF) == utc(2025, 3, 13)
    assert plausible(None) is None
    assert to_utc(datetime(2025, 3, 13, 12)) == utc(2025, 3, 13, 12)
    assert to_utc(None) is None


# ---------------------------------------------------------------- strict API / explanations


def test_strict_returns_the_datetime():
    assert parse_date_strict("١٦ رمضان ١٤٤٥هـ", ref=REF) == utc(2024, 3, 26)


@pytest.mark.parametrize("text,fragment", [
    ("", "empty"),
    (None, "no text"),
    ("garbage", "no date found"),
    ("14:30", "a time but no date"),
    ("مارس 2025", "without a day"),
    ("31 فبراير 2025", "invalid date"),
    ("13 mars 1985", "before 1990"),
    ("13 mars 2030", "more than 2 days after"),
    ("12 صفر", "Hijri month only with a year"),
])
def test_strict_raises_with_a_reason(text, fragment):
    with pytest.raises(DateParseError) as err:
        parse_date_strict(text, ref=REF)
    assert fragment in err.value.reason
    assert fragment in explain_failure(text, ref=REF)
    assert isinstance(err.value, ValueError)


def test_explain_failure_is_empty_on_success():
    assert explain_failure("2025-03-13", ref=REF) == ""


# ---------------------------------------------------------------- tables and speed


def test_tables_cover_every_month():
    for region, table in GREGORIAN_MONTHS.items():
        assert sorted(table) == list(range(1, 13)), region
    assert sorted(HIJRI_MONTHS) == list(range(1, 13))


def test_fast_enough():
    texts = ["2025-03-13T14:30:00+01:00", "Thu, 13 Mar 2025 10:00:00 GMT", "١٣-٠٣-٢٠٢٥ ١٤:٣٠",
             "الخميس 13 مارس 2025", "22 يناير/كانون الثاني 2025", "16 رمضان 1445هـ", "jeudi 13 mars 2025 à 14h30",
             "منذ 3 ساعات", "il y a 2 heures", "2 hours ago", "garbage"]
    n = 0
    t = time.perf_counter()
    for i in range(300):
        for s in texts:
            parse_date(s + " " * (i % 3), ref=REF)
            n += 1
    rate = n / (time.perf_counter() - t)
    assert rate > 5000  # measured ~45,000/s on one core; generous floor for slow CI machines
