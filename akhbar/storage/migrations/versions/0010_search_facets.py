"""search index: a facets column on SQLite, so a source filter is an index lookup

FTS5 tables cannot gain a column, so the table is rebuilt: the stored,
already analysed terms are copied as they are (no re-analysis) and every
row gets its source's facet token (akhbar.search.index.source_facet:
"src", a tatweel, the source id). At a million articles this copy takes
minutes; it runs once. PostgreSQL filters with its own indexes and is
untouched.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_FTS = "tokenize = 'unicode61 remove_diacritics 0'"


def _rebuild(columns: str, select: str) -> None:
    """Replace article_search by an FTS5 table of *columns* filled by *select*."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE article_search_new USING fts5({columns}, {_FTS})")
    op.execute(f"INSERT INTO article_search_new(rowid, {columns}) {select}")
    op.execute("DROP TABLE article_search")
    op.execute("ALTER TABLE article_search_new RENAME TO article_search")
    op.execute("INSERT INTO article_search(article_search) VALUES ('optimize')")


def upgrade() -> None:
    # char(1600) is the tatweel of source_facet(); rows of deleted articles
    # (none should exist) are dropped by the join
    _rebuild("title, body, tags, source, facets",
             "SELECT s.rowid, s.title, s.body, s.tags, s.source, 'src' || char(1600) || a.source_id"
             " FROM article_search s JOIN articles a ON a.id = s.rowid ORDER BY s.rowid")


def downgrade() -> None:
    _rebuild("title, body, tags, source", "SELECT rowid, title, body, tags, source FROM article_search ORDER BY rowid")
