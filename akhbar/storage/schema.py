"""The relational schema, shared by SQLite and PostgreSQL.

Alembic migrations (storage/migrations) create exactly these tables;
tests check that the migrated database matches this metadata.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend
    (SQLite has no time zones; storing naive UTC keeps ordering right)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # defensive: raw SQLite text
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("lang", String(16)),
    Column("country", String(8)),
    Column("homepage", Text),
    Column("section", String(32)),
    Column("status", String(16), nullable=False, default="active"),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_polled_at", UTCDateTime),
    Column("last_ok_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("error_count", Integer, nullable=False, default=0),
    Column("next_poll_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    # the story engine's id (akhbar.stories.engine: stable as the story grows)
    Column("key", String(32), nullable=False, unique=True),
    Column("headline", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("first_published", UTCDateTime, nullable=False),
    Column("last_published", UTCDateTime, nullable=False),
    Column("article_count", Integer, nullable=False, default=0),
    Column("source_count", Integer, nullable=False, default=0),
    Column("langs", String(32), nullable=False, default=""),  # e.g. "ar,fr"
    # a story folded into an older one keeps its row, so its URL redirects
    Column("merged_into", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("updated_at", UTCDateTime, nullable=False),  # set by every write (the content version reads its max)
    Index(None, "last_published"),
    Index(None, "updated_at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("guid", Text),
    Column("url", Text, nullable=False),
    # canonical URL folded for identity (scheme, tracking params, fragment)
    Column("url_key", Text, nullable=False, unique=True),
    Column("canonical_url", Text),
    Column("title", Text, nullable=False),
    Column("author", Text),
    Column("summary", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("html", Text, nullable=False, default=""),
    Column("image", Text),
    Column("published_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("lang", String(16)),
    Column("section", String(32)),
    Column("content_hash", String(64), nullable=False, default=""),
    Column("extracted", Boolean, nullable=False, default=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("duplicate_of", Integer),  # the article this one copies (wire copies)
    UniqueConstraint("source_id", "guid"),
    Index(None, "published_at", "id"),
    Index(None, "source_id", "published_at", "id"),
    Index(None, "section", "published_at", "id"),
    Index(None, "story_id", "published_at", "id"),
    # what the search ranks and filters by, read without the row (migration 0012)
    Index("ix_articles_search_cover", "id", "published_at", "section", "lang", "source_id"),
)

# What the story engine derived from each article (embedding, MinHash,
# terms: akhbar.stories.engine.encode_state), so a restart rebuilds the
# moving window without recomputing embeddings.
article_states = Table(
    "article_states",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("state", LargeBinary, nullable=False),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),  # display form, first spelling seen
    Column("key", Text, nullable=False, unique=True),  # hashtag_key(name)
    Column("created_at", UTCDateTime, nullable=False),
    # PERS/LOC/ORG/MISC for entities, 'topic' for feed categories
    Column("kind", String(8)),
    Column("script", String(8)),  # ar | latn | other
    # consonant skeletons (akhbar.hashtags.canon.translit_keys): with the
    # article kept / dropped; how Latin and Arabic spellings find each other
    Column("translit", String(64)),
    Column("translit_alt", String(64)),
    # a person's surname skeleton, so "Boukadoum" can find "صبري بوقادوم"
    Column("surname", String(64)),
    # set on an alias: the canonical tag its articles are filed under
    Column("canonical_id", Integer, ForeignKey("tags.id", ondelete="SET NULL")),
    Column("origin", String(16)),  # why it is an alias: admin, cldr, gloss, context, translit
    Index(None, "translit"),
    Index(None, "translit_alt"),
    Index(None, "surname"),
    Index(None, "canonical_id"),
)

# A worker's claim on a source (migration 0004): one poll at a time per
# source; a claim is taken only where expires_at has passed.
source_leases = Table(
    "source_leases",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# A named lock for a singleton job (migration 0006): story grouping runs in
# one process at a time; epoch counts changes of holder.
locks = Table(
    "locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("epoch", Integer, nullable=False, server_default="0"),
)

# WebSub push subscriptions (migration 0007): one per source whose feed
# names a hub; the hub calls {AKHBAR_PUBLIC_URL}/websub/{token}.
websub_subscriptions = Table(
    "websub_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("hub", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("token", String(64), nullable=False, unique=True),  # unguessable: the callback's only credential
    Column("secret", String(128), nullable=False),  # HMAC key of the hub's pushes
    Column("state", String(16), nullable=False),  # pending | active | denied | unsubscribed
    Column("lease_seconds", Integer),
    Column("lease_expires_at", UTCDateTime),
    Column("requested_at", UTCDateTime),
    Column("verified_at", UTCDateTime),
    Column("last_push_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # copied from the article so a tag page is one index range scan
    Column("published_at", UTCDateTime, nullable=False),
    # rank of the tag among the article's own (migration 0008): cards show the first ones
    Column("position", SmallInteger, nullable=False, server_default="0"),
    Index(None, "tag_id", "published_at", "article_id"),
    # trending: every tag of the last days in one range scan
    Index(None, "published_at"),
)
