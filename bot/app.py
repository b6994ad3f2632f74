"""The app factory: one place that wires settings, storage, Slack and the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import utcnow
from bot.dispatcher import Dispatcher
from bot.inflight import InFlight
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack import make_client
from bot.teams import Teams, load_teams
from storage.db import Database
from storage.migrations import migrate

log = logging.getLogger("surveybot.app")


class _TokenFromEnvironmentNotice(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself although it is given our client, then warns."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_TokenFromEnvironmentNotice())

SHUTDOWN_GRACE_SECONDS = 10.0

# Slack's payloads are small; a larger body is refused by aiohttp with 413.
MAX_BODY_BYTES = 256 * 1024


@dataclass
class Services:
    """What listeners and routes need, built once per process."""

    settings: Settings
    teams: Teams
    db: Database
    client: AsyncWebClient
    dispatcher: Dispatcher
    scheduler: Scheduler
    clock: Callable[[], datetime] = field(default=utcnow)
    in_flight: InFlight = field(default_factory=InFlight)

    async def start(self) -> None:
        await migrate(self.db)
        self.scheduler.start(self)

    async def stop(self) -> None:
        # Clicks already acked finish their thank-you and alert; then the scheduler
        # waits for a running dispatch; unsent surveys stay in the outbox.
        if not await self.in_flight.drained(timeout=SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with listener work unfinished count=%d", self.in_flight.running)
        await self.scheduler.shutdown()
        await self.db.dispose()


def create_services(
    settings: Settings,
    teams: Teams | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Services:
    client = make_client(settings)
    teams = teams if teams is not None else load_teams(settings.config_path)
    db = Database(settings.database_url)
    dispatcher = Dispatcher(
        db, client, teams, max_attempts=settings.max_delivery_attempts, clock=clock
    )
    return Services(
        settings=settings,
        teams=teams,
        db=db,
        client=client,
        dispatcher=dispatcher,
        scheduler=Scheduler(
            dispatch_interval=settings.dispatch_interval_seconds,
            expiry_interval=settings.expiry_interval_seconds,
        ),
        clock=clock,
    )


SERVICES_KEY = "surveybot"

RegisterListeners = Callable[[AsyncApp], None]
AddRoutes = Callable[[web.Application], None]


def create_bolt_app(services: Services, register_listeners: RegisterListeners) -> AsyncApp:
    app = AsyncApp(
        client=services.client,
        signing_secret=services.settings.slack_signing_secret or "",
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def provide_services(context: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        context[SERVICES_KEY] = services
        return await next()

    register_listeners(app)
    return app


SERVICES_APP_KEY = web.AppKey("services", Services)
SIGNATURE_HEADERS = ("X-Slack-Signature", "X-Slack-Request-Timestamp")


def create_web_app(
    services: Services, bolt_app: AsyncApp, add_routes: AddRoutes
) -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app[SERVICES_APP_KEY] = services

    async def slack_events(request: web.Request) -> web.StreamResponse:
        # Bolt's verifier fails with a 500 on non-ASCII signature headers; they are forged.
        signed = (request.headers.get(h, "") for h in SIGNATURE_HEADERS)
        if not all(value.isascii() for value in signed):
            return web.json_response({"error": "invalid signature"}, status=401)
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post("/slack/events", slack_events)
    add_routes(web_app)

    async def on_startup(_: web.Application) -> None:
        await services.start()
        log.info("surveybot started teams=%d", len(services.teams.teams))

    async def on_cleanup(_: web.Application) -> None:
        await services.stop()
        log.info("surveybot stopped")

    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    return web_app
