"""websub: push subscriptions of sources at WebSub hubs

One row per source whose feed names a hub: the hub and topic, the
unguessable callback token (the hub calls {AKHBAR_PUBLIC_URL}/websub/{token}),
the HMAC secret of its pushes, the state and the lease the hub granted.

Revision ID: 0007
Revises: 0006 (named locks)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from akhbar.storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "websub_subscriptions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("hub", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lease_seconds", sa.Integer),
        sa.Column("lease_expires_at", UTCDateTime),
        sa.Column("requested_at", UTCDateTime),
        sa.Column("verified_at", UTCDateTime),
        sa.Column("last_push_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_websub_subscriptions"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE",
                                name="fk_websub_subscriptions_source_id_sources"),
        sa.UniqueConstraint("source_id", name="uq_websub_subscriptions_source_id"),
        sa.UniqueConstraint("token", name="uq_websub_subscriptions_token"),
    )


def downgrade() -> None:
    op.drop_table("websub_subscriptions")
