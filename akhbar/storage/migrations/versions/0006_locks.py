"""named locks: one holder at a time for a singleton job (story grouping)

A lock is a row: a holder and an expiry, taken by an UPDATE .. WHERE the
lease expired (or the holder renews its own). ``epoch`` counts changes of
holder, so a process that held the lock earlier can tell whether someone
else held it in between (and its in-memory state may be stale).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from akhbar.storage.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )


def downgrade() -> None:
    op.drop_table("locks")
