"""Date parsing.

Machine formats first (ISO 8601, RFC 822, with any digit script). The
Arabic written forms grow here (see the text-engine issue).
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timezone

from akhbar.text.normalize import normalize_key

# Dates outside this window are errors in the source, not news.
MIN_YEAR = 1990
MAX_FUTURE_DAYS = 2


def to_utc(dt: datetime | None, default_tz=timezone.utc) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt.astimezone(timezone.utc)


_ISO_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$",
    re.I,
)
_DMY_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def _ascii_digits(text: str) -> str:
    # normalize_key maps every digit script to ASCII; we only need that part,
    # but keep one code path for it.
    return normalize_key(text)


def plausible(dt: datetime | None, ref: datetime | None = None) -> datetime | None:
    """Drop dates no news item can have (year 0001, 9999, far future)."""
    if dt is None:
        return None
    ref = ref or datetime.now(timezone.utc)
    if dt.year < MIN_YEAR or (dt - ref).days > MAX_FUTURE_DAYS:
        return None
    return dt


def parse_date(text: str | None, ref: datetime | None = None) -> datetime | None:
    """Parse *text* to an aware UTC datetime, or None when it is not a date."""
    if not text:
        return None
    raw = _ascii_digits(text.strip())
    dt = None
    m = _ISO_RE.match(raw)
    if m:
        y, mo, d, hh, mm, ss, tz = m.groups()
        try:
            tzinfo = timezone.utc
            if tz and tz.upper() != "Z":
                sign = 1 if tz[0] == "+" else -1
                digits = tz[1:].replace(":", "")
                from datetime import timedelta

                tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
            dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tzinfo)
        except ValueError:
            dt = None
    if dt is None:
        m = _DMY_RE.match(raw)
        if m:
            try:
                dt = datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)), tzinfo=timezone.utc)
            except ValueError:
                dt = None
    if dt is None:
        try:
            dt = email.utils.parsedate_to_datetime(text.strip())
        except (TypeError, ValueError, IndexError):
            dt = None
    return plausible(to_utc(dt), ref)
