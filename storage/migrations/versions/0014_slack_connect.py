"""each survey remembers its customer's own company (Slack Connect)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
# TODO at merge: "0013" (rows by workspace); "0012" only until that lands on this branch.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows stay NULL: their customers' companies were never asked.
    op.add_column("surveys", sa.Column("customer_team", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("surveys", "customer_team")
