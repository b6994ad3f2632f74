"""the workspaces served through the OAuth flow: their enterprise, and whether uninstalled

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("workspace", sa.String(length=32), primary_key=True),
        # The Enterprise Grid org, whose org-wide install serves this workspace.
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(), nullable=True),
        sa.Column("uninstall_reason", sa.String(length=32), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("workspaces")
