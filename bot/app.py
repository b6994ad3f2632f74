"""The composition root: the one place that builds the runtime, the bolt app and the web app.

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

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.changes import ChangeHub
from bot.clock import utcnow
from bot.context import OneWorkspace, ServedWorkspaces, WorkspaceContext, environment_context
from bot.delivery.dispatcher import Dispatcher
from bot.home.refresh import HomeRefresh
from bot.home.views import publish_home
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.runtime import RECEIVED_KEY, RUNTIME_KEY, Runtime
from bot.scheduler import Scheduler
from bot.settings import SLACK_REQUEST_MAX_BYTES, Settings
from bot.slack.client import PacedWebClient
from bot.slack.installations import Installations
from bot.slack.oauth import INSTALL_PATH, REDIRECT_PATH, install_flow
from bot.slack.requests import Malformed, is_signed, parse_body
from bot.slack.token_rotation import TokenRefresher
from bot.slack.workspace import Workspace
from bot.teams import Teams
from bot.teams_file import TeamsFile, load_teams_file
from bot.workspaces import InstalledWorkspaces, WorkspaceAuthorize
from storage.db import Database

log = logging.getLogger("surveybot.app")

# When the HTTP request reached us (time.monotonic()), in bolt's context.


class _TokenFromEnvironmentNotice(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself although it is given our client, then warns."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_TokenFromEnvironmentNotice())


@dataclass(frozen=True)
class SurveyBot:
    """The built bot: what its process runs, the bolt app (Socket Mode) and the web app."""

    runtime: Runtime
    bolt_app: AsyncApp
    web_app: web.Application
    # /metrics and /healthz on their own listener (SURVEYBOT_METRICS_PORT), else None.
    metrics_app: web.Application | None = None
    # OAuth mode's installed workspaces (SLACK_CLIENT_ID & co.), else None.
    installations: Installations | None = None

    @property
    def workspace(self) -> WorkspaceContext:
        """Single-workspace mode's one context (the CLI, the demo and the tests use it)."""
        return self.runtime.workspace


def build_app(
    settings: Settings,
    teams: Teams | TeamsFile | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> SurveyBot:
    """Wire settings, storage, Slack, the scheduler and the edges; nothing starts yet.

    With SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET, every workspace
    installed through the OAuth flow is served (OAuth mode); else the one workspace of
    SLACK_BOT_TOKEN."""
    if teams is None:
        teams = load_teams_file(settings.config_path)
    teams_file = teams if isinstance(teams, TeamsFile) else TeamsFile(teams)
    db = Database(settings.database_url)
    metrics = Metrics()
    changes = ChangeHub()
    ctx = environment_context(
        settings, db, teams_file.teams, clock=clock, changes=changes, metrics=metrics
    )
    installations = (
        Installations(db, settings.slack_client_id)
        if settings.oauth and settings.slack_client_id
        else None
    )
    installed = None
    refresher = None
    token = None
    served: ServedWorkspaces
    if installations is not None:
        assert isinstance(ctx.client, PacedWebClient)
        installed = InstalledWorkspaces(
            db=db,
            installations=installations,
            teams_file=teams_file,
            client=ctx.client,
            clock=clock,
            wake_dispatcher=changes.survey_scheduled,
            home_refresh_seconds=settings.home_refresh_seconds,
        )
        served = installed
        assert settings.slack_client_id and settings.slack_client_secret
        refresher = TokenRefresher(
            db,
            installations,
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            api_url=settings.api_url,
            clock=clock,
            renewed=installed.token_renewed,
        )
    else:
        token = Workspace(ctx.client, recheck_seconds=settings.token_recheck_seconds)
        served = OneWorkspace(ctx, lambda: token.team_id if token else None)
    dispatcher = Dispatcher(
        served,
        db=db if installed is not None else ctx.db,
        clock=clock,
        max_attempts=settings.max_delivery_attempts,
        retry_first=timedelta(seconds=settings.retry_first_seconds),
        concurrency=settings.dispatch_concurrency,
        lease=timedelta(seconds=settings.claim_lease_seconds),
        safety_interval=settings.dispatch_interval_seconds,
        metrics=metrics,
    )

    async def publish(user_id: str) -> None:
        await publish_home(ctx, user_id, ctx.now())

    homes = HomeRefresh(publish, ctx.teams, min_interval=settings.home_refresh_seconds)
    changes.connect(dispatcher.wake, homes)
    runtime = Runtime(
        settings=settings,
        db=db,
        workspace=ctx,
        served=served,
        token=token,
        installed=installed,
        dispatcher=dispatcher,
        scheduler=Scheduler(
            dispatch_interval=settings.dispatch_interval_seconds,
            expiry_interval=settings.expiry_interval_seconds,
        ),
        homes=homes,
        changes=changes,
        metrics=metrics,
        in_flight=InFlight(),
        refresher=refresher,
    )
    bolt_app = _bolt_app(runtime, installed)
    apart = settings.metrics_port is not None
    return SurveyBot(
        runtime,
        bolt_app,
        _web_app(runtime, bolt_app, metrics=not apart),
        _metrics_app(runtime) if apart else None,
        installations,
    )


def _bolt_app(runtime: Runtime, installed: InstalledWorkspaces | None = None) -> AsyncApp:
    settings = runtime.settings
    if installed is None:
        app = AsyncApp(
            client=runtime.workspace.client,
            signing_secret=settings.slack_signing_secret or "",
            process_before_response=False,
            raise_error_for_unhandled_request=False,
        )
    else:
        # Many workspaces: each request's token is its workspace's, from the contexts
        # (no auth.test per request). The flow stores installs; a new one is served.
        app = AsyncApp(
            client=AsyncWebClient(base_url=settings.api_url),
            signing_secret=settings.slack_signing_secret or "",
            oauth_flow=install_flow(settings, installed.installations, installed.installed),
            authorize=WorkspaceAuthorize(installed),  # type: ignore[arg-type]  # bolt takes either
            process_before_response=False,
            raise_error_for_unhandled_request=False,
        )
    handlers.register(app, runtime)
    return app


def _oauth_route(
    bolt_app: AsyncApp, *, install: bool
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """/slack/install or /slack/oauth_redirect: bolt's OAuth flow, in OAuth mode only."""

    async def route(request: web.Request) -> web.StreamResponse:
        flow = bolt_app.oauth_flow
        if flow is None:
            return web.Response(
                status=404,
                text="This surveybot serves one workspace (SLACK_BOT_TOKEN): installing "
                "through Slack's OAuth flow needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                "SLACK_STATE_SECRET.\n",
            )
        bolt_request = AsyncBoltRequest(
            body="",
            query=request.query_string,
            headers={k: request.headers.getall(k) for k in request.headers},
        )
        handle = flow.handle_installation if install else flow.handle_callback
        return await to_aiohttp_response(await handle(bolt_request))

    return route


def _metrics_app(runtime: Runtime) -> web.Application:
    """Only /metrics and /healthz: the main app starts and stops the runtime."""
    metrics_app = web.Application()
    metrics_app[RUNTIME_KEY] = runtime
    handlers.add_internal_routes(metrics_app)
    return metrics_app


def _web_app(runtime: Runtime, bolt_app: AsyncApp, *, metrics: bool = True) -> web.Application:
    # A larger body is refused by aiohttp with 413.
    web_app = web.Application(client_max_size=SLACK_REQUEST_MAX_BYTES)
    web_app[RUNTIME_KEY] = runtime

    async def slack_events(request: web.Request) -> web.StreamResponse:
        # A trigger_id's 3 s run from here on, whatever waits next (a busy process).
        received = time.monotonic()
        # The signature before anything else: bolt would parse first, and crash on a
        # body nobody signed. Then a parse that cannot crash, before bolt parses again.
        raw = await request.read()
        secret = runtime.settings.slack_signing_secret or ""
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
    web_app.router.add_get(INSTALL_PATH, _oauth_route(bolt_app, install=True))
    web_app.router.add_get(REDIRECT_PATH, _oauth_route(bolt_app, install=False))
    handlers.add_routes(web_app, metrics=metrics)

    async def on_startup(_: web.Application) -> None:
        await runtime.start()
        if runtime.installed is None:
            log.info("surveybot started teams=%d", len(runtime.workspace.teams.teams))
        else:
            workspaces = len(runtime.installed.in_memory())
            log.info("surveybot started mode=oauth workspaces=%d", workspaces)

    async def on_cleanup(_: web.Application) -> None:
        await runtime.stop()
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
