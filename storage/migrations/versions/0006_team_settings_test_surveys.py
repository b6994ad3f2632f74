"""team settings in the database, test surveys, Home indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_settings",
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("team"),
    )
    op.create_table(
        "team_setting_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_team_setting_changes_team", "team_setting_changes", ["team", "changed_at"])
    # ADD COLUMN with a constant default: no table rebuild on either store.
    op.add_column(
        "surveys", sa.Column("is_test", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "responses", sa.Column("is_test", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    # The digest's covering index gains is_test, so leaving test answers out stays index-only.
    op.drop_index("ix_responses_digest", table_name="responses")
    op.create_index(
        "ix_responses_digest", "responses", ["team", "answered_at", "kind", "score", "is_test"]
    )
    op.create_index("ix_responses_agent_answered", "responses", ["agent_id", "answered_at"])
    # The response rate from the index alone; Home's open alerts oldest first.
    op.drop_index("ix_surveys_team_delivered", table_name="surveys")
    op.create_index(
        "ix_surveys_team_delivered", "surveys", ["team", "delivered_at", "is_test", "status"]
    )
    op.create_index("ix_alerts_team_status_created", "alerts", ["team", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_team_status_created", table_name="alerts")
    op.drop_index("ix_surveys_team_delivered", table_name="surveys")
    op.create_index("ix_surveys_team_delivered", "surveys", ["team", "delivered_at"])
    op.drop_index("ix_responses_agent_answered", table_name="responses")
    op.drop_index("ix_responses_digest", table_name="responses")
    op.create_index("ix_responses_digest", "responses", ["team", "answered_at", "kind", "score"])
    # Native DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch rebuild would drop tables
    # that other rows point at, which their foreign keys forbid.
    op.execute("ALTER TABLE responses DROP COLUMN is_test")
    op.execute("ALTER TABLE surveys DROP COLUMN is_test")
    op.drop_index("ix_team_setting_changes_team", table_name="team_setting_changes")
    op.drop_table("team_setting_changes")
    op.drop_table("team_settings")
