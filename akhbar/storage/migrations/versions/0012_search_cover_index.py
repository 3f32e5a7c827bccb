"""index covering what the search ranks and filters by, per article id

The search scores its window of newest matches (up to 8,000) with each
article's published_at and filters them on source, section, language and
date. Those columns sit after the article's text and html, so on SQLite
every lookup read the row's overflow pages: about 40% of a search's time at
a million articles. This index holds them beside the id (about 40 bytes an
article); SQLite's search reads it alone (INDEXED BY).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_search_cover", "articles", ["id", "published_at", "section", "lang", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_articles_search_cover", table_name="articles")
