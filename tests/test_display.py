"""Display dates: card dates, long dates, digits, time zones."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from akhbar.dates.display import format_card_date, format_long_date, iso, to_arabic_indic

T = datetime(2025, 3, 13, 14, 5, tzinfo=timezone.utc)


def test_digit_mapping():
    assert to_arabic_indic("0123456789") == "٠١٢٣٤٥٦٧٨٩"
    assert to_arabic_indic("13-03-2025 10:05") == "١٣-٠٣-٢٠٢٥ ١٠:٠٥"
    # everything that is not an ASCII digit stays as it is
    assert to_arabic_indic("مارس ٢٠٢٥ (Mar)") == "مارس ٢٠٢٥ (Mar)"
    assert to_arabic_indic("") == ""


@pytest.mark.parametrize("ui, expected", [("ar", "١٣-٠٣-٢٠٢٥"), ("fr", "13-03-2025"), ("en", "13-03-2025")])
def test_card_date(ui, expected):
    assert format_card_date(T, ui) == expected


def test_card_date_pads_day_and_month():
    assert format_card_date(datetime(2024, 1, 5, tzinfo=timezone.utc), "fr") == "05-01-2024"


@pytest.mark.parametrize(
    "tz, expected",
    [
        ("UTC", "12-03-2025"),
        ("Africa/Tunis", "13-03-2025"),  # UTC+1: past midnight
        ("Asia/Riyadh", "13-03-2025"),
        ("America/New_York", "12-03-2025"),
    ],
)
def test_card_date_is_the_day_in_the_display_time_zone(tz, expected):
    late = datetime(2025, 3, 12, 23, 30, tzinfo=timezone.utc)
    assert format_card_date(late, "fr", tz) == expected


def test_naive_datetimes_are_taken_as_utc():
    naive = datetime(2025, 3, 12, 23, 30)
    assert format_card_date(naive, "en", "Asia/Riyadh") == "13-03-2025"
    assert iso(naive) == "2025-03-12T23:30:00+00:00"


def test_long_date_in_each_language():
    ar = format_long_date(T, "ar", "Africa/Tunis")
    assert "الخميس" in ar and "مارس" in ar and "١٣" in ar and "٢٠٢٥" in ar
    assert not re.search(r"[0-9]", ar)  # babel's ASCII digits all mapped
    fr = format_long_date(T, "fr", "Africa/Tunis")
    assert fr.startswith("jeudi 13 mars 2025") and "15:05" in fr  # 14:05 UTC is 15:05 in Tunis
    en = format_long_date(T, "en", "UTC")
    assert "Thursday, March 13, 2025" in en and "2:05" in en


def test_long_date_crosses_midnight_with_the_time_zone():
    late = datetime(2025, 3, 12, 23, 30, tzinfo=timezone.utc)
    assert format_long_date(late, "fr", "UTC").startswith("mercredi 12 mars 2025")
    assert format_long_date(late, "fr", "Asia/Riyadh").startswith("jeudi 13 mars 2025")


def test_iso_keeps_the_offset():
    assert iso(T) == "2025-03-13T14:05:00+00:00"


def test_hijri_date_beside_gregorian():
    from datetime import datetime, timezone

    from akhbar.dates.display import format_hijri_date

    # 26 March 2024 = 16 Ramadan 1445 under Umm al-Qura (the three-calendar masthead example)
    dt = datetime(2024, 3, 26, 12, tzinfo=timezone.utc)
    assert format_hijri_date(dt, "ar") == "١٦ رمضان ١٤٤٥ هـ"
    assert format_hijri_date(dt, "en") == "16 Ramadan 1445 AH"
    assert format_hijri_date(datetime(1900, 1, 1, tzinfo=timezone.utc), "ar") is None
