"""source leases: which worker polls a source, until when

One row per source that a worker or the scheduler has claimed. A claim is
an UPDATE .. WHERE expires_at <= now, so two workers never poll one source
at once, on SQLite and PostgreSQL alike.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from akhbar.storage.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_leases",
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("source_id", name="pk_source_leases"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE",
                                name="fk_source_leases_source_id_sources"),
    )
    op.create_index("ix_source_leases_expires_at", "source_leases", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_source_leases_expires_at", table_name="source_leases")
    op.drop_table("source_leases")
