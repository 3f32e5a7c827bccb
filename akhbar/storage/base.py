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

    # -- search --------------------------------------------------------
    @abstractmethod
    def search(self, query):
        """Ranked, filtered full-text search -> akhbar.search.SearchPage."""

    @abstractmethod
    def reindex(self, batch: int = 500, progress=None) -> int:
        """Rebuild the search index from stored articles; return the count."""

    @abstractmethod
    def close(self) -> None: ...
