"""slack pace shared by processes, claim times for the history check

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
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
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("orphaned_since", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("orphaned_since")
        batch_op.drop_column("claimed_at")
    op.drop_index("ix_slack_pace_tat_us", table_name="slack_pace")
    op.drop_table("slack_pace")
