"""Fetching: polite, bounded HTTP (guard -> fetcher -> encoding)."""

from akhbar.fetching.encoding import decode_body
from akhbar.fetching.fetcher import FetchError, Fetcher, FetchResult
from akhbar.fetching.guard import BlockedAddress, AddressGuard

__all__ = ["AddressGuard", "BlockedAddress", "FetchError", "FetchResult", "Fetcher", "decode_body"]
