"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Both hold *pre-analysed* terms (akhbar.text.analyze), so the two engines
see identical analysis; the index is filled by Storage.reindex().

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # rowid = articles.id; columns weighted at query time by bm25()
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "title, body, tags, source, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        op.execute(
            "CREATE TABLE article_search ("
            " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
            " vector TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_article_search_vector ON article_search USING GIN (vector)")


def downgrade() -> None:
    op.execute("DROP TABLE article_search")
