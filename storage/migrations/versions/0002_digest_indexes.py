"""digest indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:54:13.317326
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE INDEX: valid on SQLite and PostgreSQL, no table rebuild needed.
    op.create_index(
        "ix_alerts_team_status_resolved", "alerts", ["team", "status", "resolved_at"], unique=False
    )
    op.create_index(
        "ix_responses_digest", "responses", ["team", "answered_at", "kind", "score"], unique=False
    )
    op.create_index("ix_surveys_team_delivered", "surveys", ["team", "delivered_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_surveys_team_delivered", table_name="surveys")
    op.drop_index("ix_responses_digest", table_name="responses")
    op.drop_index("ix_alerts_team_status_resolved", table_name="alerts")
