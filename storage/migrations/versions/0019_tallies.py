"""hourly tallies of answers, reasons and deliveries kept by triggers; accounts' snapshots

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from storage.tally_triggers import create_triggers, drop_triggers, rebuild

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace() -> sa.Column[str]:
    return sa.Column("workspace", sa.String(length=32), server_default="", nullable=False)


def _team() -> sa.Column[str]:
    return sa.Column("team", sa.String(length=80), nullable=False)


def _day(name: str) -> sa.Column[object]:
    return sa.Column(name, storage.types.UTCDateTime(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "answer_tallies",
        _workspace(),
        _team(),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        _day("hour"),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "team", "kind", "reason", "hour", "score"),
    )
    op.create_table(
        "delivery_tallies",
        _workspace(),
        _team(),
        _day("hour"),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "team", "hour"),
    )
    op.create_table(
        "answer_revisions",
        _workspace(),
        _team(),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "team"),
    )
    span_key = ("workspace", "team", "kind", "first_day", "end_day")
    op.create_table(
        "account_spans",
        _workspace(),
        _team(),
        sa.Column("kind", sa.String(length=8), nullable=False),
        _day("first_day"),
        _day("end_day"),
        sa.Column("formula", sa.String(length=80), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        _day("built_at"),
        sa.PrimaryKeyConstraint(*span_key),
    )
    op.create_table(
        "account_people",
        _workspace(),
        _team(),
        sa.Column("kind", sa.String(length=8), nullable=False),
        _day("first_day"),
        _day("end_day"),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("person", sa.String(length=40), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(*span_key, "account", "person"),
    )
    connection = op.get_bind()
    for statement in create_triggers(connection.dialect.name):
        op.execute(statement)
    rebuild(connection)


def downgrade() -> None:
    for statement in drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    for table in (
        "account_people",
        "account_spans",
        "answer_revisions",
        "delivery_tallies",
        "answer_tallies",
    ):
        op.drop_table(table)
