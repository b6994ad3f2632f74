"""response reasons as rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000

The follow-up's reasons move from the comma-separated `responses.reasons` column to
`response_reasons`, one row per reason and answer, so the digest counts them with a
join and GROUP BY instead of LIKE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each code of a comma-separated list on its own row, trimmed, empty ones left out.
_SPLIT = {
    "postgresql": """
        INSERT INTO _reasons_moving (response_id, reason)
        SELECT DISTINCT r.id, btrim(code)
        FROM responses AS r, unnest(string_to_array(r.reasons, ',')) AS code
        WHERE r.reasons IS NOT NULL AND btrim(code) <> ''
    """,
    "sqlite": """
        INSERT INTO _reasons_moving (response_id, reason)
        WITH RECURSIVE split(response_id, code, rest) AS (
            SELECT id, '', reasons || ',' FROM responses WHERE reasons IS NOT NULL
            UNION ALL
            SELECT response_id, substr(rest, 1, instr(rest, ',') - 1),
                   substr(rest, instr(rest, ',') + 1)
            FROM split WHERE rest <> ''
        )
        SELECT DISTINCT response_id, trim(code) FROM split WHERE trim(code) <> ''
    """,
}

# The list back as one string, codes in order; no reasons gives NULL, as before.
_JOIN = {
    "postgresql": """
        UPDATE responses SET reasons = (
            SELECT string_agg(rr.reason, ',' ORDER BY rr.reason)
            FROM response_reasons AS rr WHERE rr.response_id = responses.id
        )
    """,
    "sqlite": """
        UPDATE responses SET reasons = (
            SELECT group_concat(reason, ',') FROM (
                SELECT rr.reason FROM response_reasons AS rr
                WHERE rr.response_id = responses.id ORDER BY rr.reason
            )
        )
    """,
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # The reasons wait in a table nothing references while SQLite rebuilds `responses`
    # without the column: a rebuild drops the old table, which rows pointing at it forbid.
    op.create_table(
        "_reasons_moving",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
    )
    op.execute(_SPLIT[dialect])
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("reasons")
    op.create_table(
        "response_reasons",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"]),
        sa.PrimaryKeyConstraint("response_id", "reason"),
    )
    op.execute(
        "INSERT INTO response_reasons (response_id, reason) "
        "SELECT response_id, reason FROM _reasons_moving"
    )
    op.drop_table("_reasons_moving")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reasons", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
    op.execute(_JOIN[dialect])
    op.drop_table("response_reasons")
