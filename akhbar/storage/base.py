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
class StoryRecord:
    """A story as stored: one event told by one or more articles."""

    id: int
    key: str
    headline: str
    summary: str
    first_published: datetime
    last_published: datetime
    article_count: int
    source_count: int
    langs: list[str]
    merged_into: int | None = None


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
    def list_sources(self, status: str | None = None, *, counts: bool = True) -> list: ...

    @abstractmethod
    def article_counts(self) -> dict[int, int]:
        """Stored articles per source id (sources without any are absent)."""

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
    def get_tag(self, key: str, *, count: bool = True) -> Tag | None:
        """The tag stored under *key*; count=False leaves Tag.count at 0
        (counting reads every article of the tag)."""

    @abstractmethod
    def top_tags(self, limit: int = 20, since: datetime | None = None) -> list[Tag]: ...

    @abstractmethod
    def resolve_tag(self, name: str, *, count: bool = True) -> Tag | None:
        """The canonical tag a hashtag (any alias spelling) is filed under;
        count=False when Tag.count is not used (it costs O(articles of the tag))."""

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

    # -- stories -------------------------------------------------------
    @abstractmethod
    def assign_story(self, article_id: int, key: str, *, duplicate_of: int | None = None, state: bytes | None = None,
                     merged: Iterable[str] = (), headline: str | None = None, summary: str | None = None) -> int:
        """File an article under the story *key* (created if new) in one
        transaction, folding the *merged* stories into it; return the story id."""

    @abstractmethod
    def get_story(self, story_id: int) -> StoryRecord | None: ...

    @abstractmethod
    def story_articles(self, story_id: int, limit: int = 500) -> list:
        """The story's articles, oldest first (its timeline)."""

    @abstractmethod
    def top_stories(self, *, limit: int = 10, now: datetime | None = None, hours: float = 48.0,
                    min_sources: int = 2) -> list[StoryRecord]:
        """Stories ranked by breadth of coverage and freshness."""

    @abstractmethod
    def list_stories(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        """Stories by latest article, newest first."""

    @abstractmethod
    def story_window(self, since: datetime) -> list[tuple]:
        """(article, state bytes, story key) for the articles the story
        engine must restore: published since *since*, plus the earlier
        articles of stories still open then."""

    @abstractmethod
    def ungrouped_articles(self, since: datetime, limit: int = 10_000) -> list:
        """Articles published since *since* that have no story yet, oldest first."""

    @abstractmethod
    def newest_published(self) -> datetime | None:
        """The publication time of the newest stored article."""

    # -- workers: leases, schedule, health ------------------------------
    # (not abstract: a backend without workers need not implement them)
    def claim_due_sources(self, holder: str, lease_seconds: float, *, limit: int = 100,
                          now: datetime | None = None) -> list:
        """Atomically lease up to *limit* active sources that are due
        (next_poll_at passed or never polled) and whose lease has expired;
        return them. Two concurrent callers never get the same source."""
        raise NotImplementedError

    def acquire_source_lease(self, source_id: int, holder: str, lease_seconds: float,
                             now: datetime | None = None) -> bool:
        """Take (or renew, when *holder* already holds it) the lease on a
        source; False when another holder's lease has not expired."""
        raise NotImplementedError

    def release_source_lease(self, source_id: int, holder: str) -> bool:
        """End *holder*'s lease on the source (no-op if it holds none)."""
        raise NotImplementedError

    def acquire_lock(self, name: str, holder: str, lease_seconds: float,
                     now: datetime | None = None) -> int | None:
        """Take (or renew, when *holder* holds it) the named lock; return its
        epoch (unchanged on renewal, +1 when the holder changes), or None
        while another holder's lease runs."""
        raise NotImplementedError

    def release_lock(self, name: str, holder: str) -> bool:
        """Let the named lock go if *holder* holds it."""
        raise NotImplementedError

    def recent_published(self, source_id: int, limit: int = 20) -> list[datetime]:
        """Publication times of the source's newest articles, newest first."""
        raise NotImplementedError

    def count_fetched_since(self, since: datetime) -> int:
        """Articles stored (fetched) since *since*."""
        raise NotImplementedError

    def schema_revision(self) -> tuple[str | None, str]:
        """(the database's migration revision, the code's head revision);
        raises when the database cannot be reached."""
        raise NotImplementedError

    # -- WebSub push subscriptions (akhbar.feeds.websub) ----------------
    # (not abstract, like the worker methods above)
    def websub_for_source(self, source_id: int):
        """The source's WebSubSubscription, or None."""
        raise NotImplementedError

    def websub_by_token(self, token: str):
        """The WebSubSubscription whose callback token is *token*, or None."""
        raise NotImplementedError

    def put_websub(self, sub):
        """Store *sub* as its source's subscription, replacing any earlier
        one (a new hub or topic gets a new token); return it as stored."""
        raise NotImplementedError

    def update_websub(self, token: str, *, states: Iterable[str] | None = None, **values) -> bool:
        """Set *values* (WebSubSubscription fields) on the subscription with
        this token, only while its state is one of *states* when given;
        False when no row matched."""
        raise NotImplementedError

    def list_websub(self, state: str | None = None) -> list:
        """Every WebSubSubscription (in *state*), by source id."""
        raise NotImplementedError

    # -- search --------------------------------------------------------
    @abstractmethod
    def search(self, query):
        """Ranked, filtered full-text search -> akhbar.search.SearchPage."""

    @abstractmethod
    def reindex(self, batch: int = 500, progress=None) -> int:
        """Rebuild the search index from stored articles; return the count."""

    # -- change detection, for page caches -------------------------------
    # (not abstract: a backend without it gets no page cache)
    def content_version(self):
        """A hashable value that changes whenever a committed write, by this or
        any other process, may change what the site or API shows: an article
        stored or removed, a story assignment or merge, an alias set or unset,
        a source added, paused, resumed, removed, failing or recovered. Cheap
        when nothing was written. None when unknown: then nothing is cached."""
        return None

    def local_writes(self) -> int:
        """How many transactions that wrote content committed through this
        object: a cache re-checks content_version() at once when it moves."""
        return 0

    @abstractmethod
    def close(self) -> None: ...
