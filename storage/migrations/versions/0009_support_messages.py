"""messages seen in support channels

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_messages",
        sa.Column("workspace", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("author", sa.String(length=32), nullable=True),
        sa.Column("author_team", sa.String(length=32), nullable=True),
        sa.Column("seen_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "channel_id", "ts"),
    )
    op.create_index("ix_support_messages_seen_at", "support_messages", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_support_messages_seen_at", table_name="support_messages")
    op.drop_table("support_messages")
