"""article_tags.position: an article's hashtags in the order the analysis ranked them

Cards show an article's first hashtags, so the most salient must come first;
ordering by tag id showed them in whatever order the tags were first seen
anywhere. Rows stored before this revision have position 0 (tag id order).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_tags") as batch:
        batch.add_column(sa.Column("position", sa.SmallInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("article_tags") as batch:
        batch.drop_column("position")
