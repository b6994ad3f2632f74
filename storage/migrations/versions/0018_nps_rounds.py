"""relational NPS rounds: each round once per team and date, and what it decided per customer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nps_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=32), server_default="", nullable=False),
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("starts_on", sa.String(length=10), nullable=False),
        sa.Column("spread_days", sa.Integer(), nullable=False),
        sa.Column("planned_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("report_status", sa.String(length=16), nullable=True),
        sa.Column("report_ts", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        # Two processes planning the same round: the second insert fails, nothing doubles.
        sa.UniqueConstraint("workspace", "team", "starts_on", name="uq_nps_round_once"),
    )
    op.create_table(
        "nps_invites",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=320), nullable=False),
        sa.Column("workspace", sa.String(length=32), server_default="", nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=True),
        sa.Column("survey_token", sa.String(length=32), nullable=True),
        sa.Column("customer_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["nps_rounds.id"]),
        sa.PrimaryKeyConstraint("round_id", "customer_key"),
    )
    op.create_index("ix_nps_invites_survey", "nps_invites", ["survey_token"])


def downgrade() -> None:
    op.drop_index("ix_nps_invites_survey", table_name="nps_invites")
    op.drop_table("nps_invites")
    op.drop_table("nps_rounds")
