"""What an article contributes to the search index: pre-analysed terms
per field, produced by the text engine so SQLite and PostgreSQL index
exactly the same terms."""

from __future__ import annotations

from dataclasses import dataclass

from akhbar.text.analyze import analyze_for_index

MAX_BODY_CHARS = 20_000  # the lead carries the story; the tail is mostly noise


@dataclass(frozen=True)
class IndexDoc:
    title: str
    body: str
    tags: str
    source: str
    facets: str = ""  # filter tokens (facet_tokens), never ranked


def source_facet(source_id: int) -> str:
    """The token that files an article under its source in SQLite's index,
    so a source filter is one more posting list to intersect instead of a
    scan of every match. It holds a tatweel (U+0640): FTS5 reads that as a
    letter, and the text engine drops it from every text and query it
    analyses, so no search term can be, or match, a facet token."""
    return f"src\u0640{int(source_id)}"


def section_facet(slug: str) -> str:
    """The token that files an article under its section (a taxonomy slug,
    which never changes once the article is stored), like source_facet."""
    return f"sec\u0640{slug}"


def facet_tokens(source_id: int | None, section: str | None = None) -> str:
    """Every facet token of an article, as the index's facets column holds
    them (migration 0011 writes the same string in SQL)."""
    out = [source_facet(source_id)] if source_id is not None else []
    if section:
        out.append(section_facet(section))
    return " ".join(out)


def index_doc(title: str, text: str, tags: list[str], source_name: str, lang: str | None,
              source_id: int | None = None, section: str | None = None) -> IndexDoc:
    return IndexDoc(
        title=analyze_for_index(title or "", "", lang),
        body=analyze_for_index("", (text or "")[:MAX_BODY_CHARS], lang),
        tags=analyze_for_index(" ".join(tags or ()), "", lang),
        source=analyze_for_index(source_name or "", "", lang),
        facets=facet_tokens(source_id, section),
    )
