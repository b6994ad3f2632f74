"""the outbox for any send: a purpose, conversation optional, one reminder per send

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:00:00.000000

Every existing row is the survey of a conversation. On SQLite the constraints change
by rebuilding the table (batch mode); storage.migrations.migrate turns foreign keys
off around it, as SQLite's own procedure for that asks, and checks them afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A conversation's survey points at its conversation, a reminder at the send it
# reminds, an invitation at neither (as storage.models.PURPOSE_LINKS at this revision).
PURPOSE_LINKS = (
    "(purpose = 'conversation') = (conversation_id IS NOT NULL)"
    " AND (purpose = 'reminder') = (reminds_id IS NOT NULL)"
)
DELIVERED_BEFORE = ["team", "delivered_at", "is_test", "status"]


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(
            sa.Column(
                "purpose", sa.String(length=16), server_default="conversation", nullable=False
            )
        )
        batch.add_column(sa.Column("reminds_id", sa.Integer(), nullable=True))
        batch.alter_column("conversation_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key("fk_surveys_reminds_id", "surveys", ["reminds_id"], ["id"])
        batch.create_unique_constraint("uq_surveys_one_reminder", ["reminds_id"])
        batch.create_check_constraint("ck_surveys_purpose_links", PURPOSE_LINKS)
        # The response rate counts surveys, not reminders, still from the index alone.
        batch.drop_index("ix_surveys_team_delivered")
        batch.create_index("ix_surveys_team_delivered", [*DELIVERED_BEFORE, "purpose"])


def downgrade() -> None:
    # The old schema has no place for sends without a conversation: they go, reminders
    # first (they point at other sends), with whatever answers an invitation got.
    others = "SELECT id FROM surveys WHERE purpose <> 'conversation'"
    op.execute(
        "DELETE FROM response_reasons WHERE response_id IN"
        f" (SELECT id FROM responses WHERE survey_id IN ({others}))"
    )
    for table in ("responses", "answer_changes", "alerts"):
        op.execute(f"DELETE FROM {table} WHERE survey_id IN ({others})")
    op.execute("DELETE FROM surveys WHERE purpose = 'reminder'")
    op.execute("DELETE FROM surveys WHERE purpose <> 'conversation'")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_index("ix_surveys_team_delivered")
        batch.create_index("ix_surveys_team_delivered", DELIVERED_BEFORE)
        batch.drop_constraint("ck_surveys_purpose_links", type_="check")
        batch.drop_constraint("uq_surveys_one_reminder", type_="unique")
        batch.drop_constraint("fk_surveys_reminds_id", type_="foreignkey")
        batch.drop_column("reminds_id")
        batch.drop_column("purpose")
        batch.alter_column("conversation_id", existing_type=sa.Integer(), nullable=False)
