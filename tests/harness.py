"""The real bot (aiohttp server, slack_sdk client, scheduler) against the fake Slack.

Requests reach the bot over HTTP, signed the way Slack and helpdesks sign them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.app import build_app, serving
from bot.context import WorkspaceContext
from bot.runtime import Runtime
from bot.settings import Settings
from bot.teams_file import parse_teams_file
from sandbox import FakeSlack
from sandbox.signed import HelpdeskSender, SignedReply, SlackSender

SIGNING_SECRET = "test-signing-secret"
WEBHOOK_SECRET = "test-webhook-secret"
CUSTOMER = "U0CUSTOMER"
AGENT = "U0AGENT"
SUPPORT_CHANNEL = "C0SUPPORT"
ALERT_CHANNEL = "C0ALERTS"
DIGEST_CHANNEL = "C0DIGEST"

TEAMS_TOML = f"""
[[teams]]
name = "support"
support_channels = ["{SUPPORT_CHANNEL}"]
alert_channel = "{ALERT_CHANNEL}"
digest_channel = "{DIGEST_CHANNEL}"
delay_minutes = 0
quiet_hours = ""
delivery = "thread"
"""


@dataclass
class Clock:
    """The bot's clock: real time unless a test sets or advances it."""

    frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen or datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        self.frozen = moment

    def advance(self, delta: timedelta) -> None:
        self.frozen = self() + delta


@dataclass
class Bot:
    slack: FakeSlack
    workspace: WorkspaceContext
    runtime: Runtime
    url: str
    http: aiohttp.ClientSession
    clock: Clock

    # --- Slack -> bot -------------------------------------------------------------
    @property
    def sender(self) -> SlackSender:
        return SlackSender(self.http, self.url, SIGNING_SECRET)

    async def send_event(self, event: dict[str, Any], **kwargs: Any) -> SignedReply:
        return await self.sender.event(event, **kwargs)

    async def send_interaction(self, payload: dict[str, Any], **kwargs: Any) -> SignedReply:
        return await self.sender.interaction(payload, **kwargs)

    async def send_interaction_json(self, payload: dict[str, Any]) -> tuple[int, Any]:
        """Post an interaction and return the bot's answer (e.g. modal errors)."""
        reply = await self.sender.interaction(payload)
        return reply.status, reply.body

    # --- helpdesk -> bot ----------------------------------------------------------
    async def send_webhook(self, body: dict[str, Any] | bytes, **kwargs: Any) -> tuple[int, Any]:
        reply = await HelpdeskSender(self.http, self.url, WEBHOOK_SECRET).closed(body, **kwargs)
        return reply.status, reply.body

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(f"{self.url}{path}") as response:
            return response.status, await response.text()


def settings_for(slack: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "database_url": database_url,
        "webhook_secret": WEBHOOK_SECRET,
        "dispatch_interval_seconds": 0.05,
        "max_delivery_attempts": 3,
        "slack_retry_backoff_seconds": 0.0,  # retry 5xx at once; a 429 still waits Retry-After
        "token_recheck_seconds": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_bot(
    slack: FakeSlack,
    database_url: str,
    *,
    teams_toml: str = TEAMS_TOML,
    clock: Clock | None = None,
    **settings: Any,
) -> AsyncIterator[Bot]:
    clock = clock or Clock()
    bot = build_app(
        settings_for(slack, database_url, **settings), parse_teams_file(teams_toml), clock=clock
    )
    async with serving(bot.web_app, "127.0.0.1", 0) as url, aiohttp.ClientSession() as http:
        yield Bot(slack, bot.workspace, bot.runtime, url, http, clock)


def seed_slack(slack: FakeSlack) -> None:
    slack.add_user(CUSTOMER, name="ann", email="ann@example.com", tz="Europe/Berlin")
    slack.add_user(AGENT, name="bo", email="bo@support.example", tz="America/New_York")
    for channel in (SUPPORT_CHANNEL, ALERT_CHANNEL, DIGEST_CHANNEL):
        slack.add_channel(channel)
