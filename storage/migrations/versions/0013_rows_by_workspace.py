"""every row carries its Slack workspace, and what is unique is unique per workspace

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Indexes led by the team now start with its workspace: a team's name is only unique
# inside one workspace. Each: (table, name, columns before).
TEAM_INDEXES = (
    (
        "surveys",
        "ix_surveys_team_delivered",
        ["team", "delivered_at", "is_test", "status", "purpose"],
    ),
    ("surveys", "ix_surveys_customer_recent", ["customer_key", "created_at"]),
    ("responses", "ix_responses_team_answered", ["team", "answered_at"]),
    ("responses", "ix_responses_digest", ["team", "answered_at", "kind", "score", "is_test"]),
    ("alerts", "ix_alerts_team_status", ["team", "status"]),
    ("alerts", "ix_alerts_team_status_resolved", ["team", "status", "resolved_at"]),
    ("alerts", "ix_alerts_team_status_created", ["team", "status", "created_at"]),
)
# Each: (table, constraint, columns before).
UNIQUES = (
    ("conversations", "uq_conversation_source", ["source", "external_id"]),
    ("digest_posts", "uq_digest_once", ["team", "period", "digest"]),
)
TABLES = ("conversations", "surveys", "responses", "alerts", "digest_posts")


# "" is the workspace of SLACK_BOT_TOKEN: every existing row belongs to it.
def _workspace() -> sa.Column[str]:
    return sa.Column("workspace", sa.String(length=32), server_default="", nullable=False)


def _customer_emails_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("customer_emails_pkey", "customer_emails", type_="primary")
        op.create_primary_key("customer_emails_pkey", "customer_emails", columns)
        return
    # SQLite cannot alter a key: the table is copied into one with the new key (nothing
    # references it).
    kept = "workspace, email, slack_id, learned_at"
    op.execute(
        "CREATE TABLE customer_emails_new (workspace VARCHAR(32) DEFAULT '' NOT NULL, "
        "email VARCHAR(320) NOT NULL, slack_id VARCHAR(32) NOT NULL, "
        "learned_at DATETIME NOT NULL, "
        f"CONSTRAINT customer_emails_pkey PRIMARY KEY ({', '.join(columns)}))"
    )
    op.execute(f"INSERT INTO customer_emails_new ({kept}) SELECT {kept} FROM customer_emails")
    op.execute("DROP INDEX IF EXISTS ix_customer_emails_slack_id")
    op.execute("DROP TABLE customer_emails")
    op.execute("ALTER TABLE customer_emails_new RENAME TO customer_emails")
    op.create_index("ix_customer_emails_slack_id", "customer_emails", ["slack_id"])


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(_workspace())
    for table, name, columns in UNIQUES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="unique")
            batch.create_unique_constraint(name, ["workspace", *columns])
    for table, name, columns in TEAM_INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["workspace", *columns])
    op.add_column("customer_emails", _workspace())
    _customer_emails_key(["workspace", "email"])


def downgrade() -> None:
    # Only the one workspace of SLACK_BOT_TOKEN fits the old keys: the others' rows go,
    # children first.
    others = "SELECT id FROM surveys WHERE workspace <> ''"
    op.execute(
        "DELETE FROM response_reasons WHERE response_id IN"
        f" (SELECT id FROM responses WHERE survey_id IN ({others}))"
    )
    for table in ("responses", "answer_changes", "alerts"):
        op.execute(f"DELETE FROM {table} WHERE survey_id IN ({others})")
    op.execute("DELETE FROM surveys WHERE workspace <> ''")
    for table in ("conversations", "digest_posts", "customer_emails"):
        op.execute(f"DELETE FROM {table} WHERE workspace <> ''")
    _customer_emails_key(["email"])
    with op.batch_alter_table("customer_emails") as batch:
        batch.drop_column("workspace")
    for table, name, columns in TEAM_INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    for table, name, columns in UNIQUES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="unique")
            batch.create_unique_constraint(name, columns)
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("workspace")
