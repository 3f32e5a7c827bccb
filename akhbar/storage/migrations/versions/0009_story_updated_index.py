"""index on stories.updated_at: the content version reads its maximum

Every write to a story sets updated_at, so max(updated_at) (with max(id))
tells the page cache that stories changed in O(log n); the previous
version summed counts over the whole stories table (tens of ms at 1M
articles).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stories_updated_at", "stories", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_stories_updated_at", table_name="stories")
