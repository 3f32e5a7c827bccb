"""A search request with its filters, and its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_QUERY_CHARS = 256
MAX_OFFSET = 1000  # deep result pages are not worth their cost


@dataclass
class SearchQuery:
    text: str
    lang: str | None = None  # filter: article language
    source_id: int | None = None
    section: str | None = None
    tag_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20
    offset: int = 0

    def __post_init__(self) -> None:
        self.text = (self.text or "")[:MAX_QUERY_CHARS]
        self.limit = max(1, min(int(self.limit), 100))
        self.offset = max(0, min(int(self.offset), MAX_OFFSET))


@dataclass
class SearchHit:
    article: object  # akhbar.models.Article
    score: float
    snippet: str = ""  # HTML-safe, query words in <mark>


@dataclass
class SearchPage:
    hits: list[SearchHit] = field(default_factory=list)
    has_more: bool = False
    terms: list[str] = field(default_factory=list)  # analysed positive terms, for highlighting
