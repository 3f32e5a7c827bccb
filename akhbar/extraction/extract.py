"""Article page -> ExtractedPage (trafilatura for body and metadata)."""

from __future__ import annotations

import logging
from copy import deepcopy
from html import escape

import trafilatura
from lxml.etree import tostring

from akhbar.dates import parse_date
from akhbar.extraction.sanitize import sanitize_html
from akhbar.models import ExtractedPage
from akhbar.text.normalize import clean_display

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 80  # below this the page gave us a teaser, not an article


def _body_html(document) -> str:
    try:
        from trafilatura.htmlprocessing import convert_to_html

        tree = convert_to_html(deepcopy(document.body))
        body = tree.find("body")
        inner = "".join(tostring(child, encoding="unicode") for child in (body if body is not None else tree))
        return sanitize_html(inner)
    except Exception:  # the tree API is internal to trafilatura; degrade to paragraphs
        return text_to_html(document.text or "")


def text_to_html(text: str) -> str:
    """Plain text -> escaped paragraphs."""
    paras = [p.strip() for p in (text or "").split("\n") if p.strip()]
    return "".join(f"<p>{escape(p)}</p>" for p in paras)


def extract_page(html: str, url: str) -> ExtractedPage | None:
    """Extract the article from *html*; None when no article body is found."""
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_formatting=False,  # plain text; the body tree keeps the structure for HTML
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # trafilatura raises assorted errors on hostile markup
        log.warning("extraction failed for %s: %s", url, exc)
        return None
    if doc is None:
        return None
    text = (doc.text or "").strip()
    page = ExtractedPage(
        url=url,
        title=clean_display(doc.title or ""),
        text=text,
        author=clean_display(doc.author or "") or None,
        image=doc.image or None,
        published=parse_date(doc.date) if doc.date else None,
        canonical_url=doc.url if doc.url and doc.url.startswith(("http://", "https://")) else None,
        lang=doc.language or None,
        tags=[t for t in (doc.tags or []) if t],
        section=(doc.categories or [None])[0],
    )
    if len(text) >= MIN_TEXT_CHARS and doc.body is not None:
        page.html = _body_html(doc)
    return page
