"""The storage interface every backend implements.

Callers see plain dataclasses (akhbar.models) and these methods only;
nothing outside akhbar.storage touches SQL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable


@dataclass
class Tag:
    id: int
    name: str
    key: str
    count: int = 0
    kind: str | None = None
    canonical: "Tag | None" = None  # set when this tag is an alias of another


@dataclass
class TrendingTag:
    """A tag whose recent volume bursts against its own baseline."""

    tag: Tag
    recent: int  # articles in the window
    sources: int  # distinct sources among them
    expected: float  # articles the baseline predicts for a window this long
    score: float


@dataclass
class Page:
    """One page of a list, plus the opaque cursor of the next one."""

    items: list
    next_cursor: str | None


@dataclass
class PollResult:
    ok: bool
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    next_poll_at: datetime | None = None


class Storage(ABC):
    # -- sources -------------------------------------------------------
    @abstractmethod
    def add_source(self, source) -> "object":
        """Insert or return the existing source with the same URL."""

    @abstractmethod
    def get_source(self, source_id: int): ...

    @abstractmethod
    def get_source_by_url(self, url: str): ...

    @abstractmethod
    def list_sources(self, status: str | None = None) -> list: ...

    @abstractmethod
    def set_source_status(self, source_id: int, status: str) -> bool: ...

    @abstractmethod
    def remove_source(self, source_id: int) -> bool:
        """Delete the source and its articles."""

    @abstractmethod
    def record_poll(self, source_id: int, result: PollResult) -> None: ...

    # -- articles ------------------------------------------------------
    @abstractmethod
    def known_articles(self, source_id: int, url_keys: Iterable[str], guids: Iterable[str]) -> set[str]:
        """Which of these url_keys / guids are already stored (to skip refetching)."""

    @abstractmethod
    def save_article(self, article) -> tuple[int, bool]:
        """Store *article* and its tags atomically; return (id, created).

        Idempotent: an article with the same url_key, or the same guid
        from the same source, is stored once."""

    @abstractmethod
    def get_article(self, article_id: int): ...

    @abstractmethod
    def list_articles(
        self,
        *,
        limit: int = 20,
        cursor: str | None = None,
        source_id: int | None = None,
        tag_key: str | None = None,
        section: str | None = None,
    ) -> Page: ...

    @abstractmethod
    def count_articles(self, source_id: int | None = None) -> int: ...

    # -- tags ----------------------------------------------------------
    @abstractmethod
    def get_tag(self, key: str) -> Tag | None: ...

    @abstractmethod
    def top_tags(self, limit: int = 20, since: datetime | None = None) -> list[Tag]: ...

    @abstractmethod
    def resolve_tag(self, name: str) -> Tag | None:
        """The canonical tag a hashtag (any alias spelling) is filed under."""

    @abstractmethod
    def tag_aliases(self, tag_id: int) -> list[Tag]:
        """Every tag filed under this canonical one."""

    @abstractmethod
    def set_alias(self, alias: str, canonical: str, origin: str = "admin") -> Tag:
        """File hashtag *alias* (and its articles) under *canonical*; return
        the canonical tag. Creates either tag if needed."""

    @abstractmethod
    def unset_alias(self, alias: str) -> bool:
        """Make *alias* its own tag again (its past articles stay filed
        under the former canonical tag)."""

    @abstractmethod
    def related_tags(self, tag_id: int, limit: int = 10) -> list[Tag]:
        """Tags that most often appear with this one in its recent articles."""

    @abstractmethod
    def trending_tags(self, *, now: datetime | None = None, hours: float = 6.0, baseline_days: float = 7.0,
                      min_sources: int = 2, min_articles: int = 3, limit: int = 10) -> list[TrendingTag]:
        """Tags bursting in the last *hours* against their own baseline."""

    # -- search --------------------------------------------------------
    @abstractmethod
    def search(self, query):
        """Ranked, filtered full-text search -> akhbar.search.SearchPage."""

    @abstractmethod
    def reindex(self, batch: int = 500, progress=None) -> int:
        """Rebuild the search index from stored articles; return the count."""

    @abstractmethod
    def close(self) -> None: ...
