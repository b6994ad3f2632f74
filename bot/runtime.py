"""What one process owns and runs: the workspace it serves, the outbox's dispatcher, the
scheduler, the listener work still under way after acks, and its metrics.

Built once by `bot.app.build_app`. Flows never see it: they take a `WorkspaceContext`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field

from aiohttp import web

from bot.changes import ChangeHub
from bot.context import WorkspaceContext
from bot.delivery.dispatcher import Dispatcher
from bot.home.refresh import HomeRefresh
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack.channels import check_channels
from bot.slack.workspace import Workspace
from storage.migrations import migrate

log = logging.getLogger("surveybot.app")

SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class Runtime:
    settings: Settings
    workspace: WorkspaceContext  # single-workspace mode: the one of SLACK_BOT_TOKEN
    token: Workspace  # who the token speaks for, and whether Slack still accepts it
    dispatcher: Dispatcher
    scheduler: Scheduler
    homes: HomeRefresh
    changes: ChangeHub
    metrics: Metrics
    in_flight: InFlight
    channel_checks: list[asyncio.Task[object]] = field(default_factory=list)

    def contexts(self) -> list[WorkspaceContext]:
        """Every workspace this process serves (jobs run once for each)."""
        return [self.workspace]

    def context_for(self, team_id: str | None) -> WorkspaceContext | None:
        """The context of a Slack request's workspace; None for a workspace not served here.

        Before the token's own workspace is known (Slack unreachable at start) there is
        nothing to compare with, and the one workspace is assumed.
        """
        ours = self.token.team_id
        if ours and team_id != ours:
            return None
        return self.workspace

    async def start(self) -> None:
        await migrate(self.workspace.db)
        await self.token.verify()  # a refused token stops the start here
        for ctx in self.contexts():
            # The teams file seeds the database once; from then on App Home's saves
            # count, and a save on any replica moves that team's digest here too.
            await ctx.teams.load(ctx.now())
            ctx.teams.on_change(functools.partial(self.scheduler.reschedule_digest, ctx))
        self.dispatcher.start()
        # Every configured channel looked at once, in the background and paced.
        self.channel_checks = [asyncio.create_task(check_channels(ctx)) for ctx in self.contexts()]
        self.scheduler.start(
            self.contexts(),
            wake_dispatcher=self.dispatcher.wake,
            digest_catch_up_seconds=self.settings.digest_catch_up_seconds,
            metrics=self.metrics,
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
        await self.workspace.db.dispose()


# Where a route finds the runtime (its application), and a bolt listener its context.
RUNTIME_KEY = web.AppKey("runtime", Runtime)
CONTEXT_KEY = "workspace_context"
# When a Slack request reached us (time.monotonic()): its trigger_id's clock starts there.
RECEIVED_KEY = "surveybot_received"
IN_FLIGHT_KEY = "in_flight"
