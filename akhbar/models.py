"""Plain dataclasses that travel between the pipeline stages.

Stages never share ORM objects: each takes and returns these, so text
processing stays pure and storage stays behind its interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Source:
    """A followed feed (or listing page) and what we know about polling it."""

    url: str
    name: str = ""
    lang: str | None = None
    country: str | None = None
    homepage: str | None = None
    section: str | None = None
    id: int | None = None
    status: str = "active"  # active | paused
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    error_count: int = 0
    next_poll_at: datetime | None = None
    article_count: int = 0


@dataclass
class FeedEntry:
    """One item as a feed (or a replayed corpus) describes it."""

    url: str
    title: str = ""
    guid: str | None = None
    summary: str = ""
    content_html: str = ""
    author: str | None = None
    published: datetime | None = None
    published_text: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    lang: str | None = None
    section: str | None = None


@dataclass
class ParsedFeed:
    title: str = ""
    link: str | None = None
    lang: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    bozo: str | None = None  # why the feed was malformed, if it was
    hubs: list[str] = field(default_factory=list)  # WebSub hubs the document names (rel="hub")
    self_url: str | None = None  # the document's rel="self" URL: the WebSub topic


@dataclass
class ExtractedPage:
    """What the article page itself says (trafilatura)."""

    url: str
    title: str = ""
    text: str = ""
    html: str = ""
    author: str | None = None
    image: str | None = None
    published: datetime | None = None
    canonical_url: str | None = None
    lang: str | None = None
    tags: list[str] = field(default_factory=list)
    section: str | None = None


@dataclass
class Article:
    """An article ready to store: the merge of feed entry and page."""

    url: str
    url_key: str
    title: str
    source_id: int | None = None
    guid: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    summary: str = ""
    text: str = ""
    html: str = ""
    image: str | None = None
    published: datetime | None = None
    fetched: datetime | None = None
    lang: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)  # hashtag names, without '#', best first
    # entity type of each tag ('PERS', 'LOC', 'ORG', 'MISC', 'topic'), and
    # (alias, canonical) pairs the article itself showed to be one name
    tag_kinds: dict[str, str] = field(default_factory=dict)
    tag_aliases: list[tuple[str, str]] = field(default_factory=list)
    tag_surnames: dict[str, str] = field(default_factory=dict)  # person tag -> surname as written
    content_hash: str = ""
    extracted: bool = False  # True when the text came from the page itself
    id: int | None = None
    source_name: str | None = None
    story_id: int | None = None
    story_sources: int = 0  # how many sources tell this article's story
    duplicate_of: int | None = None  # the article this one copies


@dataclass
class WebSubSubscription:
    """A WebSub push subscription of one source at one hub.

    The hub reaches us at {AKHBAR_PUBLIC_URL}/websub/{token}; *secret*
    keys the HMAC it signs every push with. state: pending (requested, not
    yet verified), active (verified; lease_expires_at set), denied (the
    hub refused, or is at an address we refuse), unsubscribed."""

    source_id: int
    hub: str
    topic: str
    token: str
    secret: str
    state: str = "pending"
    lease_seconds: int | None = None  # as granted by the hub
    lease_expires_at: datetime | None = None
    requested_at: datetime | None = None  # last (un)subscribe request sent
    verified_at: datetime | None = None  # last verification of intent answered
    last_push_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None
