"""Published dates as Arabic news sites write them -> aware datetimes."""

from akhbar.dates.parse import (
    DateParseError,
    explain_failure,
    parse_date,
    parse_date_strict,
    plausible,
    to_utc,
)

__all__ = ["DateParseError", "explain_failure", "parse_date", "parse_date_strict", "plausible", "to_utc"]
