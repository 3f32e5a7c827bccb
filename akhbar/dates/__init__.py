"""Published dates as Arabic news sites write them -> aware datetimes."""

from akhbar.dates.parse import parse_date, to_utc

__all__ = ["parse_date", "to_utc"]
