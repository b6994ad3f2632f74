"""What one process owns and runs: the workspaces it serves, the outbox's dispatcher, the
scheduler, the listener work still under way after acks, and its metrics.

Built once by `bot.app.build_app`. Flows never see it: they take a `WorkspaceContext`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from bot.changes import ChangeHub
from bot.context import ServedWorkspaces, WorkspaceContext
from bot.delivery.dispatcher import Dispatcher
from bot.home.refresh import HomeRefresh
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack.channels import check_channels
from bot.slack.client import PacedWebClient
from bot.slack.token_rotation import TokenRefresher
from bot.slack.workspace import TokenRefused, Workspace
from bot.workspaces import UNINSTALLED, InstalledWorkspaces
from storage import outbox
from storage.db import Database
from storage.migrations import migrate

log = logging.getLogger("surveybot.app")

SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class Runtime:
    settings: Settings
    db: Database  # every workspace's rows (the dispatcher's claims, housekeeping)
    # Single-workspace mode: the one of SLACK_BOT_TOKEN. OAuth mode: no Slack token;
    # its database view and clock serve the process's own routes (health, metrics).
    workspace: WorkspaceContext
    served: ServedWorkspaces
    # Single-workspace mode: who the token speaks for, and whether Slack still accepts it.
    token: Workspace | None
    # OAuth mode: the installed workspaces, and who renews their rotating tokens.
    installed: InstalledWorkspaces | None
    dispatcher: Dispatcher
    scheduler: Scheduler
    homes: HomeRefresh
    changes: ChangeHub
    metrics: Metrics
    in_flight: InFlight
    refresher: TokenRefresher | None = None
    channel_checks: list[asyncio.Task[object]] = field(default_factory=list)

    async def context_for(
        self, team_id: str | None, enterprise_id: str | None = None
    ) -> WorkspaceContext | None:
        """The context of a Slack request's workspace; None for a workspace not served here."""
        return await self.served.for_request(team_id, enterprise_id)

    async def start(self) -> None:
        await migrate(self.db)
        if self.token is not None:
            try:
                await self.token.verify()  # a refused token stops the start here
            except TokenRefused:
                await self._close_connections()  # no stop follows a start that failed
                raise
            # The teams file seeds the database once; from then on App Home's saves count.
            await self.workspace.teams.load(self.workspace.now())
            self._serve(self.workspace)
        if self.installed is not None:
            self.installed.on_served.append(self._serve)
            self.installed.on_dropped.append(self.scheduler.remove_workspace)
        self.dispatcher.start()
        await self.scheduler.start(
            self.served,
            db=self.db,
            clock=self.workspace.clock,
            wake_dispatcher=self.dispatcher.wake,
            digest_catch_up_seconds=self.settings.digest_catch_up_seconds,
            metrics=self.metrics,
            renew_tokens=self.refresher.renew_due if self.refresher is not None else None,
        )

    def _serve(self, ctx: WorkspaceContext) -> None:
        """A workspace served from now on: a save on any replica moves that team's
        digest here too, and its configured channels are looked at once (paced)."""
        ctx.teams.on_change(functools.partial(self.scheduler.reschedule_digest, ctx))
        if self.installed is not None:
            self.scheduler.add_workspace(ctx)
        self.channel_checks = [check for check in self.channel_checks if not check.done()]
        self.channel_checks.append(asyncio.create_task(check_channels(ctx)))

    async def uninstalled(
        self, team_id: str | None, enterprise_id: str | None, *, reason: str, sent_at: datetime
    ) -> None:
        """app_uninstalled or tokens_revoked (a bot token's) from a workspace."""
        if self.installed is not None:
            await self.installed.uninstall(team_id, enterprise_id, reason=reason, sent_at=sent_at)
            return
        ours = self.token.team_id if self.token is not None else None
        if ours and team_id != ours:
            return
        ctx = self.workspace
        cancelled = await outbox.cancel_workspace_sends(
            self.db, ctx.workspace, UNINSTALLED, ctx.now()
        )
        log.error(
            "the workspace of SLACK_BOT_TOKEN uninstalled surveybot or revoked its token: "
            "nothing more is sent; install the app again and set its new token "
            "reason=%s cancelled=%d",
            reason,
            cancelled,
        )

    async def stop(self) -> None:
        # Clicks already acked finish their thank-you and alert; deliveries under way
        # finish; unsent surveys stay in the outbox.
        if not await self.in_flight.drained(timeout=SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with listener work unfinished count=%d", self.in_flight.running)
        if self.channel_checks:
            # A moment to finish their calls (not cut inside a paced call's transaction),
            # then no more: a long list of channels must not hold up a stop. Best effort:
            # whatever they met (a database gone meanwhile) must not stop the stop.
            await asyncio.wait(set(self.channel_checks), timeout=1.0)
            for check in self.channel_checks:
                check.cancel()
            await asyncio.gather(*self.channel_checks, return_exceptions=True)
        await self.scheduler.shutdown()
        await self.dispatcher.stop(grace=SHUTDOWN_GRACE_SECONDS)
        await self.homes.close()
        if self.installed is not None:
            await self.installed.close()
        await self._close_connections()
        await self.db.dispose()

    async def _close_connections(self) -> None:
        if isinstance(self.workspace.client, PacedWebClient):
            await self.workspace.client.connections.close()


# Where a route finds the runtime (its application), and a bolt listener its context.
RUNTIME_KEY = web.AppKey("runtime", Runtime)
CONTEXT_KEY = "workspace_context"
RUNTIME_CONTEXT_KEY = "surveybot_runtime"
# When a Slack request reached us (time.monotonic()): its trigger_id's clock starts there.
RECEIVED_KEY = "surveybot_received"
IN_FLIGHT_KEY = "in_flight"
