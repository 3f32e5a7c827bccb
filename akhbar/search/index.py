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


def index_doc(title: str, text: str, tags: list[str], source_name: str, lang: str | None) -> IndexDoc:
    return IndexDoc(
        title=analyze_for_index(title or "", "", lang),
        body=analyze_for_index("", (text or "")[:MAX_BODY_CHARS], lang),
        tags=analyze_for_index(" ".join(tags or ()), "", lang),
        source=analyze_for_index(source_name or "", "", lang),
    )
