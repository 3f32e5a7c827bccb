"""Extraction: the article itself from its page (trafilatura) and
sanitizing of whatever HTML we will show (nh3)."""

from akhbar.extraction.extract import extract_page
from akhbar.extraction.sanitize import sanitize_html

__all__ = ["extract_page", "sanitize_html"]
