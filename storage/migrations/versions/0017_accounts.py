"""each survey and answer remembers the customer's account (company)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_COLUMNS = ("surveys", "responses")


def upgrade() -> None:
    # Existing rows stay NULL: no account was asked for when they were stored.
    for table in ACCOUNT_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("account", sa.String(length=255), nullable=True))
            batch.add_column(sa.Column("account_name", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_responses_accounts",
        "responses",
        [
            "workspace",
            "team",
            "answered_at",
            "account",
            "customer_id",
            "kind",
            "score",
            "is_test",
            "customer_value",
        ],
    )
    op.create_index(
        "ix_responses_account_answered",
        "responses",
        ["workspace", "team", "account", "answered_at", "account_name"],
    )


def downgrade() -> None:
    op.drop_index("ix_responses_account_answered", table_name="responses")
    op.drop_index("ix_responses_accounts", table_name="responses")
    for table in ACCOUNT_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("account_name")
            batch.drop_column("account")
