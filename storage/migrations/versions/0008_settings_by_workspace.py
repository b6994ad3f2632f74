"""team settings keyed by workspace and team

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# "" is the workspace of SLACK_BOT_TOKEN: every existing row belongs to it.
def _workspace() -> sa.Column[str]:
    return sa.Column("workspace", sa.String(length=32), server_default="", nullable=False)


def _primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("team_settings_pkey", "team_settings", type_="primary")
        op.create_primary_key("team_settings_pkey", "team_settings", columns)
        return
    # SQLite cannot alter a key: the table is copied into one with the new key (nothing
    # references it).
    kept = "workspace, team, settings, version, updated_at, updated_by"
    op.execute(
        "CREATE TABLE team_settings_new (workspace VARCHAR(32) DEFAULT '' NOT NULL, "
        "team VARCHAR(80) NOT NULL, settings TEXT NOT NULL, version INTEGER NOT NULL, "
        "updated_at DATETIME NOT NULL, updated_by VARCHAR(32), "
        f"CONSTRAINT team_settings_pkey PRIMARY KEY ({', '.join(columns)}))"
    )
    op.execute(f"INSERT INTO team_settings_new ({kept}) SELECT {kept} FROM team_settings")
    op.execute("DROP TABLE team_settings")
    op.execute("ALTER TABLE team_settings_new RENAME TO team_settings")


def upgrade() -> None:
    op.add_column("team_settings", _workspace())
    _primary_key(["workspace", "team"])
    op.add_column("team_setting_changes", _workspace())
    op.drop_index("ix_team_setting_changes_team", table_name="team_setting_changes")
    op.create_index(
        "ix_team_setting_changes_team",
        "team_setting_changes",
        ["workspace", "team", "changed_at"],
    )


def downgrade() -> None:
    # Only the one workspace of SLACK_BOT_TOKEN can be kept under the old key.
    op.execute("DELETE FROM team_settings WHERE workspace <> ''")
    op.execute("DELETE FROM team_setting_changes WHERE workspace <> ''")
    op.drop_index("ix_team_setting_changes_team", table_name="team_setting_changes")
    op.create_index("ix_team_setting_changes_team", "team_setting_changes", ["team", "changed_at"])
    op.execute("ALTER TABLE team_setting_changes DROP COLUMN workspace")
    _primary_key(["team"])
    op.execute("ALTER TABLE team_settings DROP COLUMN workspace")
