"""What listeners, routes and jobs share: built once per process by `bot.app.build_app`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

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
from bot.team_directory import TeamDirectory
from bot.workspace import Workspace
from storage.db import Database
from storage.migrations import migrate

log = logging.getLogger("surveybot.app")

SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class Services:
    """What listeners and routes need, built once per process."""

    settings: Settings
    teams: TeamDirectory
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

    async def start(self) -> None:
        await migrate(self.db)
        if self.workspace is not None:
            await self.workspace.verify()  # a refused token stops the start here
        # The teams file seeds the database once; from then on App Home's saves count,
        # and a save on any replica moves that team's digest here too.
        await self.teams.load(self.clock())
        self.teams.on_change(lambda team: self.scheduler.reschedule_digest(self, team))
        self.dispatcher.start()
        self.scheduler.start(self)

    def survey_scheduled(self, result: object) -> None:
        """After a close: the dispatcher looks at once, so a survey due now goes now and a
        later one sets its timer, not the next tick."""
        if isinstance(result, CloseResult) and result.status is CloseStatus.SCHEDULED:
            self.dispatcher.wake()

    def home_deps(self, client: AsyncWebClient | None = None) -> HomeDeps:
        """What Home's actions need, with the teams as saved right now."""
        return HomeDeps(self.db, client or self.client, self.customers, self.teams, self.homes)

    async def stop(self) -> None:
        # Clicks already acked finish their thank-you and alert; deliveries under way
        # finish; unsent surveys stay in the outbox.
        if not await self.in_flight.drained(timeout=SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with listener work unfinished count=%d", self.in_flight.running)
        await self.scheduler.shutdown()
        await self.dispatcher.stop(grace=SHUTDOWN_GRACE_SECONDS)
        if self.homes is not None:
            await self.homes.close()
        await self.db.dispose()


# Where a bolt listener finds the services (its context) and a route (its application).
SERVICES_KEY = "surveybot"
SERVICES_APP_KEY = web.AppKey("services", Services)
