"""Allow-list HTML sanitizing (nh3) for everything fetched that we show."""

from __future__ import annotations

import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "blockquote", "q", "cite",
    "ul", "ol", "li", "dl", "dt", "dd", "strong", "b", "em", "i", "u", "s",
    "sub", "sup", "small", "code", "pre", "a", "img", "figure", "figcaption",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "span", "div", "time",
}
# dir and lang matter for mixed Arabic/Latin text, so they survive.
_COMMON = {"dir", "lang", "title"}
ALLOWED_ATTRIBUTES = {
    "*": _COMMON,
    "a": _COMMON | {"href"},
    "img": _COMMON | {"src", "alt", "width", "height"},
    "td": _COMMON | {"colspan", "rowspan"},
    "th": _COMMON | {"colspan", "rowspan"},
    "time": _COMMON | {"datetime"},
}


def sanitize_html(html: str) -> str:
    """Return *html* with only harmless tags, attributes and http(s) URLs."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )
