"""OPML in and out: read subscription lists, write ours, import into storage.

Entity declarations are refused outright, and parsing uses a locked-down
lxml parser (no DTD loading, no entity resolution, no network, no huge
trees), so hostile files (billion laughs, external entities) neither
expand nor reach the disk or the network.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

from lxml import etree

from akhbar.models import Source


class OPMLError(ValueError):
    """The data is not a readable OPML document."""


def _parser() -> etree.XMLParser:
    # lxml parsers are not thread-safe: build one per call.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )


def _local(tag) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def parse_opml(data: bytes) -> list[Source]:
    """Return the feeds listed in OPML 1.0/2.0 *data*, deduplicated by URL.

    Attribute names are matched case-insensitively (xmlUrl, xmlurl, ...);
    outlines without an http(s) xmlUrl are skipped; the text of the
    enclosing folder becomes the section hint."""
    if not data or not data.strip():
        raise OPMLError("empty document")
    if b"<!ENTITY" in data:  # OPML never needs them; libxml2 expands internal ones in attributes
        raise OPMLError("entity declarations are not allowed in OPML")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"malformed XML: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # the byte check above misses UTF-16/32 documents
        raise OPMLError("entity declarations are not allowed in OPML")
    if _local(root.tag) != "opml":
        raise OPMLError(f"not OPML (root element is <{_local(root.tag)}>)")
    body = next((el for el in root if _local(el.tag) == "body"), None)
    if body is None:
        raise OPMLError("OPML without a <body>")

    found: dict[str, Source] = {}

    def walk(parent, folder: str | None) -> None:
        for el in parent:
            if _local(el.tag) != "outline":
                continue
            attrs = {k.lower(): v for k, v in el.attrib.items()}
            label = _text(attrs.get("text")) or _text(attrs.get("title"))
            url = (attrs.get("xmlurl") or "").strip()
            if not url:
                walk(el, label or folder)
                continue
            if url.lower().startswith(("http://", "https://")) and url not in found:
                found[url] = Source(
                    url=url,
                    name=label or url,
                    homepage=(attrs.get("htmlurl") or "").strip() or None,
                    lang=_text(attrs.get("language")),
                    section=folder,
                )

    walk(body, None)
    return list(found.values())


def _outline(parent, src: Source) -> None:
    attrs = {"type": "rss", "text": src.name or src.url, "title": src.name or src.url, "xmlUrl": src.url}
    if src.homepage:
        attrs["htmlUrl"] = src.homepage
    if src.lang:
        attrs["language"] = src.lang
    etree.SubElement(parent, "outline", attrs)


def to_opml(sources: list[Source], title: str = "akhbar") -> bytes:
    """Write *sources* as UTF-8 OPML 2.0; sources with a section go in a folder of that name."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(timezone.utc), usegmt=True)
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for src in sources:
        if src.section:
            if src.section not in folders:
                folders[src.section] = etree.SubElement(body, "outline", text=src.section, title=src.section)
            _outline(folders[src.section], src)
        else:
            _outline(body, src)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def import_sources(storage, sources: list[Source]) -> tuple[int, int]:
    """Add *sources* to *storage*; return (added, already there)."""
    added = existing = 0
    for src in sources:
        if storage.get_source_by_url(src.url) is not None:
            existing += 1
        else:
            storage.add_source(src)
            added += 1
    return added, existing
