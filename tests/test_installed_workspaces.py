"""OAuth mode's installed workspaces: each served with one context, built once however
many ask for it at the same moment, and all of them at start."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.slack.installations import Installations
from sandbox import FakeSlack
from sandbox.fake_slack.calls import token_of
from sandbox.signed import HelpdeskSender
from storage import surveys
from storage.db import Database
from storage.migrations import migrate
from tests.harness import Clock, running_bot

TEAMS = '[[teams]]\nname = "support"\ndelay_minutes = 0\nquiet_hours = ""\ndelivery = "dm"\n'


async def install(db: Database, slack: FakeSlack, team_id: str) -> None:
    """Saved as bolt's OAuth flow saves an install (the flow has its own tests)."""
    slack.add_workspace(team_id)
    await Installations(db, slack.installs.client_id).installation_store.async_save(
        slack.installation(team_id)
    )


def oauth(slack: FakeSlack) -> dict[str, Any]:
    return {
        "slack_client_id": slack.installs.client_id,
        "slack_client_secret": slack.installs.client_secret,
        "slack_state_secret": "test-state-secret",
    }


async def test_every_installed_workspace_is_served_at_start_each_once(
    slack: FakeSlack, sqlite_url: str
) -> None:
    workspaces = [f"TS{n:04d}" for n in range(1, 13)]
    db = Database(sqlite_url)
    await migrate(db)
    for team_id in workspaces:
        await install(db, slack, team_id)
    await db.dispose()
    async with running_bot(slack, sqlite_url, **oauth(slack)) as bot:
        installed = bot.runtime.installed
        assert installed is not None
        served = [ctx.workspace for ctx in installed.in_memory()]
        assert sorted(served) == workspaces  # each once, none missing
        # Asked again, the same contexts: nothing is built twice.
        again = await installed.every()
        assert {id(ctx) for ctx in again} == {id(ctx) for ctx in installed.in_memory()}


async def test_a_new_workspace_asked_for_by_many_at_once_gets_one_context(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url, **oauth(slack)) as bot:
        installed = bot.runtime.installed
        assert installed is not None and installed.in_memory() == []
        await install(bot.runtime.db, slack, "TS0100")
        await install(bot.runtime.db, slack, "TS0200")
        asks = [installed.for_rows(ws) for ws in ("TS0100", "TS0200") for _ in range(6)]
        contexts = await asyncio.gather(*asks)
        assert all(ctx is contexts[0] for ctx in contexts[:6])
        assert all(ctx is contexts[6] for ctx in contexts[6:])
        assert contexts[0] is not None and contexts[0].workspace == "TS0100"
        assert contexts[6] is not None and contexts[6].workspace == "TS0200"
        assert sorted(ctx.workspace for ctx in installed.in_memory()) == ["TS0100", "TS0200"]
        # A workspace nobody installed is served by nobody.
        assert await installed.for_rows("TS0300") is None


async def test_the_expiry_sweep_closes_an_installed_workspaces_overdue_survey_with_its_token(
    slack: FakeSlack, sqlite_url: str
) -> None:
    secret = "ts0001-webhook-secret"
    teams = TEAMS + f'\n[workspaces.TS0001]\nwebhook_secret = "{secret}"\n'
    db = Database(sqlite_url)
    await migrate(db)
    for team_id in ("TS0001", "TS0002"):
        await install(db, slack, team_id)
    await db.dispose()
    slack.workspace("TS0001").add_user("U0CUST1", tz="UTC")
    clock = Clock()
    async with running_bot(
        slack,
        sqlite_url,
        teams_toml=teams,
        clock=clock,
        expiry_interval_seconds=0.05,
        **oauth(slack),
    ) as bot:
        sender = HelpdeskSender(bot.http, bot.url, secret)
        body = {"conversation_id": "C-1", "customer": {"slack_user_id": "U0CUST1"}}
        assert (await sender.closed(body, workspace="TS0001")).status == 202
        await slack.wait_for("chat.postMessage")
        (survey,) = await surveys.all_surveys(bot.runtime.db.in_workspace("TS0001"))
        clock.set(survey.expires_at)
        (update,) = await slack.wait_for("chat.update")
        assert token_of(update) == slack.workspace("TS0001").bot_token
        (expired,) = await surveys.all_surveys(bot.runtime.db.in_workspace("TS0001"))
        assert expired.status == "expired"
        assert await surveys.all_surveys(bot.runtime.db.in_workspace("TS0002")) == []
