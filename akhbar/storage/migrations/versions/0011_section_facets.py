"""search index: section facet tokens on SQLite, so a section filter is an index lookup

Every row's facets column gains its article's section token
(akhbar.search.index.section_facet: "sec", a tatweel, the slug) beside the
source token of 0010. The table is rebuilt as in 0010 (stored terms copied,
no re-analysis; about 3 minutes at a million articles, once), and an
fts5vocab table tells how many articles hold a token (the search uses a
section's token only when the section is a small share). PostgreSQL filters
with its own indexes and is untouched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from importlib import import_module

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_rebuild = import_module("akhbar.storage.migrations.versions.0010_search_facets")._rebuild

# char(1600) is the tatweel of source_facet() and section_facet(); the
# string is akhbar.search.index.facet_tokens() (test_migrations compares them)
_SOURCE = "'src' || char(1600) || a.source_id"
_SECTION = "CASE WHEN coalesce(a.section, '') = '' THEN '' ELSE ' sec' || char(1600) || a.section END"


def upgrade() -> None:
    _rebuild("title, body, tags, source, facets",
             f"SELECT s.rowid, s.title, s.body, s.tags, s.source, {_SOURCE} || {_SECTION}"
             " FROM article_search s JOIN articles a ON a.id = s.rowid ORDER BY s.rowid")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE article_search_vocab USING fts5vocab(article_search, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE article_search_vocab")
    _rebuild("title, body, tags, source, facets",
             f"SELECT s.rowid, s.title, s.body, s.tags, s.source, {_SOURCE}"
             " FROM article_search s JOIN articles a ON a.id = s.rowid ORDER BY s.rowid")
