"""a helpdesk conversation's link, for the alert

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new nullable column: every existing conversation keeps its row, without a link.
    op.add_column("conversations", sa.Column("url", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    op.drop_column("conversations", "url")
