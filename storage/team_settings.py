"""Team settings saved from App Home: one row per workspace and team, with a version, and
an audit trail.

The teams file seeds a team's row the first time it is seen; after that the row is
the truth. A save names the version it was edited from: a conditional UPDATE on that
version is the compare-and-set, so of two leads saving at once exactly one wins and
the other is told. Settings travel as JSON text; storage does not know their fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import Column, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from storage.db import Database
from storage.models import TeamSettingChange, TeamSettings


def _columns(model: type[Any]) -> ReadOnlyColumnCollection[str, Column[Any]]:
    return typing_cast(Table, getattr(model, "__table__")).c  # noqa: B009


# Who a save from the teams file (`surveybot settings apply`) is recorded as, where an
# App Home save records the lead's Slack user id.
TEAMS_FILE = "teams-file"

T = _columns(TeamSettings)
C = _columns(TeamSettingChange)


@dataclass(frozen=True)
class SavedSettings:
    workspace: str
    team: str
    settings: str  # JSON
    version: int
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class FieldChange:
    """One field of one save, values as JSON text (None: the field had no value)."""

    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class SettingChange:
    workspace: str
    team: str
    version: int
    field: str
    old_value: str | None
    new_value: str | None
    changed_by: str
    changed_at: datetime


async def seed(db: Database, workspace: str, seeds: Mapping[str, str], at: datetime) -> list[str]:
    """Insert a row for each team not saved yet; answer the teams that were seeded.

    A unique (workspace, team) key decides, so two processes starting together seed once.
    """
    async with db.session() as session:
        known = set(
            (await session.execute(select(T.team).where(T.workspace == workspace))).scalars()
        )
    seeded = []
    for team, settings in seeds.items():
        if team in known:
            continue
        async with db.session() as session:
            try:
                await session.execute(
                    insert(TeamSettings).values(
                        workspace=workspace,
                        team=team,
                        settings=settings,
                        version=1,
                        updated_at=at,
                        updated_by=None,
                        created_at=at,
                    )
                )
                await session.commit()
                seeded.append(team)
            except IntegrityError:
                await session.rollback()
    return seeded


async def created_at(db: Database, workspace: str, team: str) -> datetime | None:
    """When the team was first seen (None: unknown, or seen before this was recorded)."""
    query = select(T.created_at).where(T.workspace == workspace, T.team == team)
    async with db.session() as session:
        found = (await session.execute(query)).first()
    return found[0] if found else None


_SAVED = (T.workspace, T.team, T.settings, T.version, T.updated_at, T.updated_by)


async def saved_settings(
    db: Database, workspace: str, teams: Sequence[str] | None = None
) -> dict[str, SavedSettings]:
    """A workspace's saved teams by name (only `teams`, when given)."""
    query = select(*_SAVED).where(T.workspace == workspace)
    if teams is not None:
        query = query.where(T.team.in_(teams))
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return {row[1]: SavedSettings(*row) for row in rows}


async def versions(db: Database, workspace: str) -> dict[str, int]:
    """Each saved team's version: the cheap question a replica asks every few seconds."""
    async with db.session() as session:
        rows = (
            await session.execute(select(T.team, T.version).where(T.workspace == workspace))
        ).all()
    return {team: version for team, version in rows}


async def versions_everywhere(db: Database) -> dict[str, dict[str, int]]:
    """`versions` of every workspace at once (a process serving many asks once)."""
    found: dict[str, dict[str, int]] = {}
    async with db.session() as session:
        rows = (await session.execute(select(T.workspace, T.team, T.version))).all()
    for workspace, team, version in rows:
        found.setdefault(workspace, {})[team] = version
    return found


async def settings_of(db: Database, workspace: str, team: str) -> SavedSettings | None:
    return (await saved_settings(db, workspace, [team])).get(team)


async def save(
    db: Database,
    workspace: str,
    team: str,
    *,
    edited_version: int,
    settings: str,
    changes: Sequence[FieldChange],
    by: str,
    at: datetime,
) -> int | None:
    """Store the settings and one audit row per changed field, in one transaction.

    Answers the new version, or None when the row is no longer at `edited_version`
    (someone else saved meanwhile): then nothing is written.
    """
    new_version = edited_version + 1
    async with db.session() as session:
        result = await session.execute(
            update(TeamSettings)
            .where(T.workspace == workspace, T.team == team, T.version == edited_version)
            .values(settings=settings, version=new_version, updated_at=at, updated_by=by)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0)) != 1:
            await session.rollback()
            return None
        if changes:
            await session.execute(
                insert(TeamSettingChange),
                [
                    {
                        "workspace": workspace,
                        "team": team,
                        "version": new_version,
                        "field": change.field,
                        "old_value": change.old_value,
                        "new_value": change.new_value,
                        "changed_by": by,
                        "changed_at": at,
                    }
                    for change in changes
                ],
            )
        await session.commit()
    return new_version


_CHANGE = (
    C.workspace,
    C.team,
    C.version,
    C.field,
    C.old_value,
    C.new_value,
    C.changed_by,
    C.changed_at,
)


async def changes_since(
    db: Database, workspace: str, team: str, version: int
) -> list[SettingChange]:
    """The audit rows of saves after `version`, oldest first."""
    query = (
        select(*_CHANGE)
        .where(C.workspace == workspace, C.team == team, C.version > version)
        .order_by(C.version, C.id)
    )
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [SettingChange(*row) for row in rows]


async def last_save(db: Database, workspace: str, team: str) -> list[SettingChange]:
    """Every field the latest save changed (none before the first save)."""
    this_team = (C.workspace == workspace, C.team == team)
    newest = select(func.max(C.version)).where(*this_team).scalar_subquery()
    query = select(*_CHANGE).where(*this_team, C.version == newest).order_by(C.id)
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [SettingChange(*row) for row in rows]
