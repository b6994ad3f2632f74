"""The real bot wired like `surveybot serve`, listening on this machine for a fake Slack."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import Services, create_bolt_app, create_services, create_web_app
from bot.settings import Settings
from bot.teams import parse_teams
from sandbox.fake_slack import FakeSlack


@dataclass(frozen=True)
class LocalBot:
    services: Services
    url: str

    @property
    def signing_secret(self) -> str:
        return self.services.settings.slack_signing_secret or ""


@contextlib.asynccontextmanager
async def local_bot(
    slack: FakeSlack, folder: Path, *, teams_toml: str, port: int = 0, **settings: Any
) -> AsyncIterator[LocalBot]:
    """Run the bot against `slack`, its SQLite file in `folder`; any free port if taken."""
    values: dict[str, Any] = {
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": secrets.token_hex(16),
        "slack_api_url": slack.api_url,
        "database_url": f"sqlite+aiosqlite:///{folder / 'surveybot-local.db'}",
        "dispatch_interval_seconds": 0.2,
        **settings,
    }
    from handlers import add_routes, register  # wired in like `serve` does

    services = create_services(Settings(_env_file=None, **values), parse_teams(teams_toml))
    runner = web.AppRunner(
        create_web_app(services, create_bolt_app(services, register), add_routes),
        access_log=None,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
    except OSError:  # the port is taken: any free one will do
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield LocalBot(services, f"http://127.0.0.1:{bound}")
    finally:
        await runner.cleanup()
