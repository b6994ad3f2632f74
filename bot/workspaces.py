"""The workspaces installed through Slack's OAuth flow, each served with its own context.

A workspace's context is built the first time a Slack request, a send or a digest of it
needs one: its token from the installation store, its teams from the database (seeded
from its section of the teams file), its own caches and Home refreshes. The pacer is
the process's (its keys are per token, so per workspace). An uninstall drops the
context here at once, and on every other replica at its next refresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext

from bot.changes import ChangeHub
from bot.context import WorkspaceContext
from bot.home.refresh import HomeRefresh
from bot.home.views import publish_home
from bot.slack.client import PacedWebClient
from bot.slack.customers import CustomerDirectory, PeopleCaches
from bot.slack.installations import Installations, InstalledWorkspace
from bot.team_directory import TeamDirectory
from bot.teams_file import TeamsFile
from storage import outbox, served
from storage import team_settings as team_store
from storage.db import Database

log = logging.getLogger("surveybot.workspaces")

# Contexts built at once when many are wanted together (every installed workspace at
# start): each is a few round trips to the database, so a thousand one after another
# kept a process from listening for 106 s on a loaded 2-core machine (10 s four at once).
BUILDS_AT_ONCE = 4
# An uninstall saved by another replica is looked for this far back (clocks differ).
UNINSTALL_OVERLAP = timedelta(minutes=1)
# A context whose rotating token expires this soon reads the renewed one from the store.
TOKEN_RELOAD_BEFORE = timedelta(hours=1)
# Why a workspace's waiting sends were cancelled.
UNINSTALLED = "workspace_uninstalled"

Served = Callable[[WorkspaceContext], None]
Dropped = Callable[[str], None]


@dataclass(frozen=True)
class _Serving:
    """A workspace served here: its context, the install it was built from (its token),
    and the Home refreshes its answers trigger."""

    ctx: WorkspaceContext
    install: InstalledWorkspace
    homes: HomeRefresh


class InstalledWorkspaces:
    """Implements `bot.context.ServedWorkspaces` for OAuth mode."""

    def __init__(
        self,
        *,
        db: Database,
        installations: Installations,
        teams_file: TeamsFile,
        client: PacedWebClient,
        clock: Callable[[], datetime],
        wake_dispatcher: Callable[[], None],
        home_refresh_seconds: float,
    ) -> None:
        self._db = db
        self._installations = installations
        self._file = teams_file
        self._client = client
        self._clock = clock
        self._wake = wake_dispatcher
        self._home_refresh_seconds = home_refresh_seconds
        self._serving: dict[str, _Serving] = {}
        # What every workspace's directory remembers of people: one bound for the process.
        self._people = PeopleCaches(clock=clock)
        # One lock per workspace being built: a build waits only for its own workspace's.
        self._building: dict[str, asyncio.Lock] = {}
        self._looked_at = clock()
        self.on_served: list[Served] = []
        self.on_dropped: list[Dropped] = []

    @property
    def installations(self) -> Installations:
        return self._installations

    # ------------------------------------------------------------- ServedWorkspaces

    async def for_request(
        self, team_id: str | None, enterprise_id: str | None
    ) -> WorkspaceContext | None:
        """A workspace's own install serves it; else its org's org-wide install, whose
        rows are the org's (keyed by the enterprise id, as the install is)."""
        for key in (team_id, enterprise_id):
            if key and key in self._serving:
                return self._serving[key].ctx
        for key in (team_id, enterprise_id):
            if key:
                ctx = await self._build(key)
                if ctx is not None:
                    return ctx
        return None

    async def for_rows(self, workspace: str) -> WorkspaceContext | None:
        serving = self._serving.get(workspace)
        if serving is not None or not workspace:
            return serving.ctx if serving else None
        return await self._build(workspace)

    async def every(self) -> list[WorkspaceContext]:
        wanted = [install.workspace for install in await self._installations.installed()]
        missing = [workspace for workspace in wanted if workspace not in self._serving]
        if missing:
            gate = asyncio.Semaphore(BUILDS_AT_ONCE)

            async def build(workspace: str) -> None:
                async with gate:
                    await self._build(workspace)

            await asyncio.gather(*(build(workspace) for workspace in missing))
        return [self._serving[ws].ctx for ws in wanted if ws in self._serving]

    def in_memory(self) -> list[WorkspaceContext]:
        return [serving.ctx for serving in self._serving.values()]

    async def refresh(self) -> None:
        now = self._clock()
        since, self._looked_at = self._looked_at - UNINSTALL_OVERLAP, now
        for workspace in await served.uninstalled_since(self._db, since):
            if workspace in self._serving:
                await self.drop(workspace)
        # A rotating token about to expire was renewed by some process: take the new one.
        for workspace, serving in list(self._serving.items()):
            expires = serving.install.token_expires_at
            if expires is not None and expires <= now + TOKEN_RELOAD_BEFORE:
                await self._forget(workspace)
        if not self._serving:
            return
        versions = await team_store.versions_everywhere(self._db)
        for workspace, serving in list(self._serving.items()):
            await serving.ctx.teams.refresh(versions.get(workspace, {}))

    # ------------------------------------------------------------------ the rest

    async def _build(self, workspace: str) -> WorkspaceContext | None:
        # Kept once built (a small object per served workspace, like its context).
        lock = self._building.setdefault(workspace, asyncio.Lock())
        async with lock:  # one context per workspace, however many ask at once
            serving = self._serving.get(workspace)
            if serving is not None:
                return serving.ctx
            install = await self._installations.find(workspace)
            # A team of an org found by its team id is served by its own install only.
            if install is None or install.workspace != workspace:
                # Not served: no lock kept for a team id that serves nothing here.
                self._building.pop(workspace, None)
                return None
            ctx = await self._context(workspace, install)
        for listener in self.on_served:
            listener(ctx)
        return ctx

    async def _context(self, workspace: str, install: InstalledWorkspace) -> WorkspaceContext:
        org_wide = install.is_enterprise_install
        await served.remember(self._db, workspace, install.enterprise_id, self._clock())
        client = self._client.sibling(install.bot_token)
        changes = ChangeHub()
        teams = TeamDirectory(self._db, workspace, self._file.teams_of(workspace))
        ctx = WorkspaceContext(
            db=self._db.in_workspace(workspace),
            client=client,
            customers=CustomerDirectory(client, caches=self._people, workspace=workspace),
            teams=teams,
            clock=self._clock,
            changes=changes,
        )
        await teams.load(ctx.now())

        async def publish(user_id: str) -> None:
            await publish_home(ctx, user_id, ctx.now())

        homes = HomeRefresh(publish, teams, min_interval=self._home_refresh_seconds)
        changes.connect(self._wake, homes)
        self._serving[workspace] = _Serving(ctx, install, homes)
        log.info("workspace served workspace=%s org_wide=%s", workspace, org_wide)
        return ctx

    async def _forget(self, workspace: str) -> None:
        """Its context goes: the next use builds it anew from the store (a new token)."""
        serving = self._serving.pop(workspace, None)
        if serving is not None:
            await serving.homes.close()

    async def token_renewed(self, workspace: str) -> None:
        """Its rotating token was renewed: the next use takes the new one."""
        await self._forget(workspace)

    async def drop(self, workspace: str) -> None:
        """Serve this workspace no more here (uninstalled): its jobs go too."""
        await self._forget(workspace)
        for listener in self.on_dropped:
            listener(workspace)

    async def installed(self, team_id: str | None, enterprise_id: str | None) -> None:
        """A new install (its team id, or an org-wide one's enterprise id): served again,
        with the new token."""
        workspace = team_id or enterprise_id
        if workspace:
            await served.mark_installed(self._db, [workspace])
            await self._forget(workspace)

    def webhook_secret(self, workspace: str, source: str) -> str | None:
        """A workspace's own secret for a webhook source ("webhook", "zendesk", …)."""
        return self._file.secret_of(workspace, source)

    def install_of(self, workspace: str) -> InstalledWorkspace | None:
        serving = self._serving.get(workspace)
        return serving.install if serving else None

    async def uninstall(
        self, team_id: str | None, enterprise_id: str | None, *, reason: str, sent_at: datetime
    ) -> bool:
        """app_uninstalled or tokens_revoked: its tokens go, its waiting sends are
        cancelled, nothing more is sent; its rows stay until forgotten or purged.

        An event older than the workspace's newest install is a reinstall's past."""
        install = None
        if team_id:
            install = await self._installations.find(team_id)
        if install is None and enterprise_id:
            install = await self._installations.find(enterprise_id)
        if install is None:
            log.info("uninstall of a workspace not installed workspace=%s", team_id)
            return False
        if not await self._installations.remove(install.workspace, before=sent_at):
            return False
        workspace, now = install.workspace, self._clock()
        await served.mark_uninstalled(self._db, workspace, reason, now)
        cancelled = await outbox.cancel_workspace_sends(self._db, workspace, UNINSTALLED, now)
        await self.drop(workspace)
        log.warning(
            "workspace uninstalled workspace=%s reason=%s cancelled=%d",
            workspace,
            reason,
            cancelled,
        )
        return True

    async def close(self) -> None:
        for workspace in list(self._serving):
            await self._forget(workspace)


class WorkspaceAuthorize(AsyncAuthorize):
    """bolt's authorize for OAuth mode: a request's token is its served workspace's,
    with no installation read or auth.test per request (bolt's own does both)."""

    def __init__(self, workspaces: InstalledWorkspaces) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._workspaces = workspaces

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        ctx = await self._workspaces.for_request(team_id, enterprise_id)
        install = self._workspaces.install_of(ctx.workspace) if ctx else None
        if install is None:
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_user_id=install.bot_user_id,
            bot_id=install.bot_id,
            bot_token=install.bot_token,
            user_id=user_id,
        )
