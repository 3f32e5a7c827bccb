"""Bytes -> text for feeds and pages in any charset.

Order of evidence: byte-order mark, HTTP Content-Type charset, XML
declaration, <meta charset> / http-equiv (searched well past the first
1,024 bytes, where some sites put it), then statistical detection. A
declared charset that cannot decode the bytes is treated as a lie.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META_RE = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I
)
_HEADER_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
META_SCAN_BYTES = 64 * 1024

# WHATWG: these labels mean windows-1252 on the web; iso-8859-6 pages are
# nearly always windows-1256 in practice, but iso-8859-6 decodes a subset
# correctly, so it is left alone.
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
            "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252",
            "x-user-defined": "cp1252", "utf8": "utf-8", "unicode": "utf-8"}

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _try(body: bytes, codec: str | None) -> str | None:
    if not codec:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def declared_charsets(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(where, codec) pairs in order of precedence."""
    found: list[tuple[str, str]] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            found.append(("bom", codec))
            break
    if content_type:
        m = _HEADER_RE.search(content_type)
        if m and (c := _codec(m.group(1))):
            found.append(("http", c))
    m = _XML_DECL_RE.match(body[:512])
    if m and (c := _codec(m.group(1).decode("ascii", "replace"))):
        found.append(("xml", c))
    m = _META_RE.search(body[:META_SCAN_BYTES])
    if m and (c := _codec(m.group(1).decode("ascii", "replace"))):
        found.append(("meta", c))
    return found


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode *body*; return (text, codec used)."""
    for where, codec in declared_charsets(body, content_type):
        # A declared single-byte charset decodes anything, so it is trusted
        # only if the bytes are not valid UTF-8 multi-byte text instead.
        if codec not in ("utf-8", "utf-16", "utf-32") and _looks_utf8(body):
            return body.decode("utf-8"), "utf-8"
        text = _try(body, codec)
        if text is not None:
            if where == "bom":
                text = text.lstrip("\ufeff")
            return text, codec
    if (text := _try(body, "utf-8")) is not None:
        return text, "utf-8"
    best = charset_normalizer.from_bytes(body[: 256 * 1024]).best()
    codec = _codec(best.encoding) if best else None
    if codec and (text := _try(body, codec)) is not None:
        return text, codec
    return body.decode(codec or "utf-8", errors="replace"), codec or "utf-8"


def _looks_utf8(body: bytes) -> bool:
    # Valid UTF-8 with at least some multi-byte sequences is vanishingly
    # unlikely to be anything else.
    if not any(b >= 0x80 for b in body[:65536]):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
