"""stories: the story table, each article's story and the engine's state

Revision ID: 0005
Revises: 0004 (source leases)
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from akhbar.storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("headline", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("first_published", UTCDateTime, nullable=False),
        sa.Column("last_published", UTCDateTime, nullable=False),
        sa.Column("article_count", sa.Integer, nullable=False),
        sa.Column("source_count", sa.Integer, nullable=False),
        sa.Column("langs", sa.String(32), nullable=False),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("stories.id", ondelete="SET NULL",
                                                          name="fk_stories_merged_into_stories")),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
        sa.UniqueConstraint("key", name="uq_stories_key"),
    )
    op.create_index("ix_stories_last_published", "stories", ["last_published"])
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer))
        batch.add_column(sa.Column("duplicate_of", sa.Integer))
        batch.create_foreign_key("fk_articles_story_id_stories", "stories", ["story_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_articles_story_id_published_at_id", ["story_id", "published_at", "id"])
    op.create_table(
        "article_states",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE",
                                                          name="fk_article_states_article_id_articles")),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_states"),
    )


def downgrade() -> None:
    op.drop_table("article_states")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_story_id_published_at_id")
        batch.drop_constraint("fk_articles_story_id_stories", type_="foreignkey")
        batch.drop_column("duplicate_of")
        batch.drop_column("story_id")
    op.drop_index("ix_stories_last_published", "stories")
    op.drop_table("stories")
