"""What listeners, routes and jobs share: built once per process by `bot.app.build_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels import check_channels
from bot.clock import utcnow
from bot.customers import CustomerDirectory
from bot.dispatcher import Dispatcher
from bot.home_refresh import HomeRefresh
from bot.home_views import HomeDeps
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack import PacedWebClient
from bot.surveys import CloseResult, CloseStatus
from bot.team_settings import saved_teams
from bot.teams import Team, Teams
from bot.workspace import Workspace
from storage.db import Database
from storage.migrations import migrate

log = logging.getLogger("surveybot.app")

SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class Services:
    """What listeners and routes need, built once per process."""

    settings: Settings
    teams: Teams
    db: Database
    client: PacedWebClient
    customers: CustomerDirectory
    dispatcher: Dispatcher
    scheduler: Scheduler
    clock: Callable[[], datetime] = field(default=utcnow)
    in_flight: InFlight = field(default_factory=InFlight)
    workspace: Workspace | None = None
    metrics: Metrics = field(default_factory=Metrics)
    homes: HomeRefresh | None = None
    # The start's look at every configured channel: in the background, paced.
    channel_check: asyncio.Task[object] | None = None

    async def start(self) -> None:
        await migrate(self.db)
        if self.workspace is not None:
            await self.workspace.verify()  # a refused token stops the start here
        # The teams file seeds the database once; from then on App Home's saves count.
        self.use_teams(await saved_teams(self.db, self.teams, self.clock()))
        self.dispatcher.start()
        self.scheduler.start(self)
        if self.workspace is not None:
            self.channel_check = asyncio.create_task(check_channels(self.client, self.teams))

    def survey_scheduled(self, result: object) -> None:
        """After a close: the dispatcher looks at once, so a survey due now goes now and a
        later one sets its timer, not the next tick."""
        if isinstance(result, CloseResult) and result.status is CloseStatus.SCHEDULED:
            self.dispatcher.wake()

    def home_deps(self, client: AsyncWebClient | None = None) -> HomeDeps:
        """What Home's actions need, with the teams as saved right now."""
        return HomeDeps(self.db, client or self.client, self.customers, self.teams, self.homes)

    def use_teams(self, teams: Teams) -> None:
        self.teams = teams
        self.dispatcher.teams = teams

    def use_team(self, team: Team) -> None:
        """A team's settings were saved: the next survey, alert and digest use them."""
        self.use_teams(Teams(tuple(team if t.name == team.name else t for t in self.teams.teams)))
        self.scheduler.reschedule_digest(self, team)

    async def stop(self) -> None:
        # Clicks already acked finish their thank-you and alert; deliveries under way
        # finish; unsent surveys stay in the outbox.
        if not await self.in_flight.drained(timeout=SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with listener work unfinished count=%d", self.in_flight.running)
        if self.channel_check is not None and not self.channel_check.done():
            # A moment to finish its call (not cut inside a paced call's transaction),
            # then no more: a long list of channels must not hold up a stop.
            await asyncio.wait({self.channel_check}, timeout=1.0)
            self.channel_check.cancel()
        if self.channel_check is not None:
            # Best effort: whatever it met (a database gone meanwhile) must not stop the stop.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.channel_check
        await self.scheduler.shutdown()
        await self.dispatcher.stop(grace=SHUTDOWN_GRACE_SECONDS)
        if self.homes is not None:
            await self.homes.close()
        await self.db.dispose()


# Where a bolt listener finds the services (its context) and a route (its application).
SERVICES_KEY = "surveybot"
SERVICES_APP_KEY = web.AppKey("services", Services)
