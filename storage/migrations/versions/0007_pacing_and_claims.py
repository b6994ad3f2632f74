"""slack pace shared by processes, claim times for the history check

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_pace",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tat_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_slack_pace_tat_us", "slack_pace", ["tat_us"], unique=False)
    # Plain ALTER TABLE (SQLite 3.35+ drops columns too): batch mode would copy the
    # surveys table, which the responses' foreign keys forbid dropping.
    op.add_column("surveys", sa.Column("claimed_at", storage.types.UTCDateTime(), nullable=True))
    op.add_column(
        "surveys", sa.Column("orphaned_since", storage.types.UTCDateTime(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("surveys", "orphaned_since")
    op.drop_column("surveys", "claimed_at")
    op.drop_index("ix_slack_pace_tat_us", table_name="slack_pace")
    op.drop_table("slack_pace")
