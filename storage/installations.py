"""Which workspaces installed the app through the OAuth flow, read from slack_sdk's tables.

slack_sdk's AsyncSQLAlchemyInstallationStore writes and deletes these rows; its lookups
need the enterprise id beside the team id, which a team id alone does not tell (a
workspace of an Enterprise Grid org has both). These queries find a workspace by
either, and list them all, newest install first per workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import ColumnElement, MetaData, Row, Select, and_, func, or_, select, true

from storage.db import Database

# slack_sdk's own definition of its table: one source of truth for its columns.
BOTS = SQLAlchemyInstallationStore.build_bots_table(
    MetaData(), SQLAlchemyInstallationStore.default_bots_table_name
)
B = BOTS.c


@dataclass(frozen=True)
class InstalledWorkspace:
    """A workspace's newest bot install. `workspace` is the team id, or the enterprise id
    of an org-wide install on Enterprise Grid (then `team_id` is None)."""

    workspace: str
    enterprise_id: str | None
    team_id: str | None
    bot_token: str
    bot_user_id: str | None
    installed_at: datetime
    is_enterprise_install: bool
    bot_id: str | None = None
    # With token rotation on: when the bot token expires (UTC), else None.
    token_expires_at: datetime | None = None


def _newest_bots(client_id: str, where: ColumnElement[bool]) -> Select[tuple[object, ...]]:
    # Newest first within each (enterprise, team); a reinstall adds a row, not an update.
    newest = (
        func.row_number()
        .over(
            partition_by=(B.enterprise_id, B.team_id),
            order_by=(B.installed_at.desc(), B.id.desc()),
        )
        .label("newest")
    )
    ranked = (
        select(*BOTS.c, newest)
        .where(B.client_id == client_id, B.bot_token.is_not(None), where)
        .subquery()
    )
    return select(ranked).where(ranked.c.newest == 1).order_by(ranked.c.installed_at.desc())


def _installed(row: Row[tuple[object, ...]]) -> InstalledWorkspace:
    values = row._mapping
    org_wide = bool(values["is_enterprise_install"])
    workspace = values["enterprise_id"] if org_wide else values["team_id"]
    installed_at = values["installed_at"]
    assert isinstance(installed_at, datetime)
    return InstalledWorkspace(
        workspace=str(workspace),
        enterprise_id=values["enterprise_id"],
        team_id=None if org_wide else values["team_id"],
        bot_token=str(values["bot_token"]),
        bot_user_id=values["bot_user_id"],
        # slack_sdk stores naive UTC.
        installed_at=installed_at.replace(tzinfo=UTC),
        is_enterprise_install=org_wide,
        bot_id=values["bot_id"],
        token_expires_at=_utc(values["bot_token_expires_at"]),
    )


def _utc(value: object) -> datetime | None:
    # slack_sdk stores naive UTC.
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else None


async def installed(db: Database, client_id: str) -> list[InstalledWorkspace]:
    """Every workspace with a bot token, its newest install each, newest first."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(_newest_bots(client_id, true()))).all()
    return [_installed(row) for row in rows]


async def installed_workspace(
    db: Database, client_id: str, workspace: str
) -> InstalledWorkspace | None:
    """The newest install of a team id, else of an org-wide install by this enterprise id."""
    by_team = and_(B.team_id == workspace, B.is_enterprise_install.is_(False))
    by_org = and_(B.enterprise_id == workspace, B.is_enterprise_install.is_(True))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(_newest_bots(client_id, or_(by_team, by_org)))).all()
    found = [_installed(row) for row in rows]
    return next((w for w in found if not w.is_enterprise_install), None) or next(iter(found), None)


INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    MetaData(), SQLAlchemyInstallationStore.default_installations_table_name
)


async def forget_installations(db: Database, workspace: str) -> int:
    """Delete every install of this workspace (its tokens with them); answer how many."""
    async with db.writing() as session:
        results = [
            await session.execute(
                table.delete().where(
                    or_(
                        table.c.team_id == workspace,
                        and_(
                            table.c.enterprise_id == workspace,
                            table.c.is_enterprise_install == true(),
                        ),
                    )
                )
            )
            for table in (BOTS, INSTALLATIONS)
        ]
        await session.commit()
    return int(results[-1].rowcount)  # type: ignore[attr-defined]
