"""each survey remembers its customer's own company (Slack Connect)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows stay NULL: their customers' companies were never asked.
    op.add_column("surveys", sa.Column("customer_team", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("surveys", "customer_team")
