"""The workspaces served through the OAuth flow, beside slack_sdk's installation tables:
when each was first served, its org, and whether (and why) it uninstalled the app. Its
rows stay after an uninstall until they are forgotten; every replica reads the mark."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import Database
from storage.models import ServedWorkspace


@dataclass(frozen=True)
class WorkspaceState:
    workspace: str
    enterprise_id: str | None
    uninstalled_at: datetime | None
    uninstall_reason: str | None


async def remember(db: Database, workspace: str, enterprise_id: str | None, now: datetime) -> None:
    """Note a served workspace (and its org) the first time; an uninstalled one that
    serves again (reinstalled) is marked installed."""
    async with db.writing() as session:
        row = await session.get(ServedWorkspace, workspace)
        if row is None:
            session.add(
                ServedWorkspace(workspace=workspace, enterprise_id=enterprise_id, first_seen_at=now)
            )
        elif row.uninstalled_at is not None or (enterprise_id and row.enterprise_id is None):
            row.uninstalled_at = None
            row.uninstall_reason = None
            row.enterprise_id = row.enterprise_id or enterprise_id
        else:
            return
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # another process noted it first


async def state_of(db: Database, workspace: str) -> WorkspaceState | None:
    async with db.session() as session:
        row = (
            await session.execute(
                select(ServedWorkspace).where(col(ServedWorkspace.workspace) == workspace)
            )
        ).scalar_one_or_none()
    if row is None:
        return None
    return WorkspaceState(
        row.workspace, row.enterprise_id, row.uninstalled_at, row.uninstall_reason
    )


async def mark_uninstalled(db: Database, workspace: str, reason: str, at: datetime) -> None:
    async with db.writing() as session:
        row = await session.get(ServedWorkspace, workspace)
        if row is None:
            session.add(
                ServedWorkspace(
                    workspace=workspace,
                    first_seen_at=at,
                    uninstalled_at=at,
                    uninstall_reason=reason,
                )
            )
        else:
            row.uninstalled_at = at
            row.uninstall_reason = reason
        await session.commit()


async def mark_installed(db: Database, workspaces: list[str]) -> None:
    """A new install serves these workspaces again (an org's: all of its known ones)."""
    if workspaces:
        await db.write(
            update(ServedWorkspace)
            .where(col(ServedWorkspace.workspace).in_(workspaces))
            .values(uninstalled_at=None, uninstall_reason=None)
        )


async def uninstalled_since(db: Database, since: datetime) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(
            select(col(ServedWorkspace.workspace)).where(
                col(ServedWorkspace.uninstalled_at) >= since
            )
        )
    return [str(w) for w in rows.scalars()]


@contextlib.asynccontextmanager
async def refreshing_token(db: Database, workspace: str, now: datetime) -> AsyncIterator[None]:
    """Held while one process renews a workspace's rotating token: Slack's refresh token
    works once. On PostgreSQL a row lock on the workspace, which other processes wait
    on; SQLite serves one process, whose refresher takes its own turns."""
    await remember(db, workspace, None, now)
    if db.engine.dialect.name != "postgresql":
        yield
        return
    async with db.session() as session, session.begin():
        await session.execute(
            select(col(ServedWorkspace.workspace))
            .where(col(ServedWorkspace.workspace) == workspace)
            .with_for_update()
        )
        yield
