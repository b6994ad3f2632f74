"""when each team was first seen, so a new install posts no digest for weeks before it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows stay NULL: a team known before this column gets every digest.
    op.add_column(
        "team_settings", sa.Column("created_at", storage.types.UTCDateTime(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("team_settings", "created_at")
