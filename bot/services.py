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
from bot.inflight import InFlight
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.teams import Teams
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
    client: AsyncWebClient
    customers: CustomerDirectory
    dispatcher: Dispatcher
    scheduler: Scheduler
    clock: Callable[[], datetime] = field(default=utcnow)
    in_flight: InFlight = field(default_factory=InFlight)
    workspace: Workspace | None = None

    async def start(self) -> None:
        await migrate(self.db)
        if self.workspace is not None:
            await self.workspace.verify()  # a refused token stops the start here
        self.scheduler.start(self)

    async def stop(self) -> None:
        # Clicks already acked finish their thank-you and alert; then the scheduler
        # waits for a running dispatch; unsent surveys stay in the outbox.
        if not await self.in_flight.drained(timeout=SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with listener work unfinished count=%d", self.in_flight.running)
        await self.scheduler.shutdown()
        await self.db.dispose()


# Where a bolt listener finds the services (its context) and a route (its application).
SERVICES_KEY = "surveybot"
SERVICES_APP_KEY = web.AppKey("services", Services)
