"""The real bot wired like `surveybot serve`, listening on this machine for a fake Slack."""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import build_app, serving
from bot.context import WorkspaceContext
from bot.settings import Settings
from bot.teams import parse_teams
from sandbox.fake_slack import FakeSlack


@dataclass(frozen=True)
class LocalBot:
    workspace: WorkspaceContext
    url: str
    signing_secret: str


def free_port() -> int:
    """A TCP port nobody listens on now (for a bot started as its own process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    settings_used = Settings(_env_file=None, **values)
    bot = build_app(settings_used, parse_teams(teams_toml))
    # The walkthrough is the demo's output: no access log lines in between.
    async with serving(
        bot.web_app, "127.0.0.1", port, any_port_if_taken=True, log_requests=False
    ) as url:
        yield LocalBot(bot.workspace, url, settings_used.slack_signing_secret or "")
