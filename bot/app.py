"""The composition root: the one place that builds the services, the bolt app and the web app.

`surveybot serve`, the demo, the tests and the benchmarks all get their bot from
`build_app` and listen with `serving`. Only this module knows `handlers/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

import handlers
from bot.clock import utcnow
from bot.customers import CustomerDirectory
from bot.dispatcher import Dispatcher
from bot.home_refresh import HomeRefresh
from bot.home_views import publish_home
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.services import SERVICES_APP_KEY, SERVICES_KEY, Services
from bot.settings import SLACK_REQUEST_MAX_BYTES, Settings
from bot.slack import make_client, trigger_deadline
from bot.slack_request import Malformed, is_signed, parse_body
from bot.teams import Teams, load_teams
from bot.workspace import Workspace
from storage.db import Database

log = logging.getLogger("surveybot.app")

# When the HTTP request reached us (time.monotonic()), in bolt's context.
RECEIVED_KEY = "surveybot_received"


class _TokenFromEnvironmentNotice(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself although it is given our client, then warns."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_TokenFromEnvironmentNotice())


@dataclass(frozen=True)
class SurveyBot:
    """The built bot: its services, the bolt app (Socket Mode) and the web app (HTTP)."""

    services: Services
    bolt_app: AsyncApp
    web_app: web.Application


def build_app(
    settings: Settings,
    teams: Teams | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> SurveyBot:
    """Wire settings, storage, Slack, the scheduler and the edges; nothing starts yet."""
    teams = teams if teams is not None else load_teams(settings.config_path)
    db = Database(settings.database_url)
    metrics = Metrics()
    client = make_client(settings, db, metrics)
    customers = CustomerDirectory(client, clock=clock)
    services = Services(
        settings=settings,
        teams=teams,
        db=db,
        client=client,
        customers=customers,
        dispatcher=Dispatcher(
            db,
            client,
            customers,
            teams,
            max_attempts=settings.max_delivery_attempts,
            retry_first=timedelta(seconds=settings.retry_first_seconds),
            concurrency=settings.dispatch_concurrency,
            lease=timedelta(seconds=settings.claim_lease_seconds),
            safety_interval=settings.dispatch_interval_seconds,
            metrics=metrics,
            clock=clock,
        ),
        workspace=Workspace(client, recheck_seconds=settings.token_recheck_seconds),
        scheduler=Scheduler(
            dispatch_interval=settings.dispatch_interval_seconds,
            expiry_interval=settings.expiry_interval_seconds,
        ),
        clock=clock,
        metrics=metrics,
    )
    services.homes = HomeRefresh(
        lambda user_id: _publish_home(services, user_id),
        lambda: services.teams,
        min_interval=settings.home_refresh_seconds,
    )
    bolt_app = _bolt_app(services)
    return SurveyBot(services, bolt_app, _web_app(services, bolt_app))


async def _publish_home(services: Services, user_id: str) -> None:
    await publish_home(services.home_deps(), user_id, services.clock())


def _bolt_app(services: Services) -> AsyncApp:
    app = AsyncApp(
        client=services.client,
        signing_secret=services.settings.slack_signing_secret or "",
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def provide_services(
        body: dict[str, Any], context: dict[str, Any], next: Callable[[], Awaitable[Any]]
    ) -> Any:
        context[SERVICES_KEY] = services
        # Bolt builds a plain client per request: swap in ours, so listeners are paced,
        # and a modal opened with this request's trigger_id goes before it dies or never.
        given = context.get("client")
        if given is not None:
            deadline = None
            if isinstance(body, dict) and body.get("trigger_id"):
                actions = body.get("actions")
                action = actions[0] if isinstance(actions, list) and actions else {}
                deadline = trigger_deadline(
                    context.get(RECEIVED_KEY) or time.monotonic(),  # Socket Mode: now
                    action.get("action_ts") if isinstance(action, dict) else None,
                    now=time.monotonic(),
                    wall=time.time(),
                )
            context["client"] = services.client.sibling(
                given.token, context.get("team_id"), trigger_deadline=deadline
            )
        return await next()

    handlers.register(app)
    return app


def _web_app(services: Services, bolt_app: AsyncApp) -> web.Application:
    # A larger body is refused by aiohttp with 413.
    web_app = web.Application(client_max_size=SLACK_REQUEST_MAX_BYTES)
    web_app[SERVICES_APP_KEY] = services

    async def slack_events(request: web.Request) -> web.StreamResponse:
        # A trigger_id's 3 s run from here on, whatever waits next (a busy process).
        received = time.monotonic()
        # The signature before anything else: bolt would parse first, and crash on a
        # body nobody signed. Then a parse that cannot crash, before bolt parses again.
        raw = await request.read()
        secret = services.settings.slack_signing_secret or ""
        if not is_signed(secret, request.headers, raw):
            return web.json_response({"error": "invalid signature"}, status=401)
        text = raw.decode("utf-8")
        # Read as bolt reads it (the header's own spelling), so both see the same body.
        content_type = request.headers.get("Content-Type", "").split(";")[0] or None
        body = parse_body(text, content_type)
        if isinstance(body, Malformed):
            log.info("slack request refused error=%s", body.error)
            return web.json_response({"error": body.error}, status=400)
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers={k: request.headers.getall(k) for k in request.headers},
            context={RECEIVED_KEY: received},
        )
        return await to_aiohttp_response(await bolt_app.async_dispatch(bolt_request))

    web_app.router.add_post("/slack/events", slack_events)
    handlers.add_routes(web_app)

    async def on_startup(_: web.Application) -> None:
        await services.start()
        log.info("surveybot started teams=%d", len(services.teams.teams))

    async def on_cleanup(_: web.Application) -> None:
        await services.stop()
        log.info("surveybot stopped")

    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    return web_app


@contextlib.asynccontextmanager
async def serving(
    web_app: web.Application,
    host: str | None,
    port: int,
    *,
    any_port_if_taken: bool = False,
    log_requests: bool = True,
) -> AsyncIterator[str]:
    """Listen on host:port (None: every interface; 0: any free port) and yield the base URL.

    With `any_port_if_taken`, a port in use is no error: any free one will do (the demo).
    """
    runner = web.AppRunner(web_app) if log_requests else web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await site.stop()
            if not any_port_if_taken or port == 0:
                raise
            await web.TCPSite(runner, host, 0).start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}"
    finally:
        await runner.cleanup()


async def until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM: an orchestrator's stop is a clean exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
