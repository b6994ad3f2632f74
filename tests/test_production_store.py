"""The same bot on PostgreSQL, the production store: two processes never double-send."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio

from bot.dispatcher import Dispatcher
from bot.slack import make_client
from bot.surveys import ClosedConversation, close_conversation
from bot.teams import parse_teams
from sandbox import FakeSlack
from storage import surveys as store
from storage.db import Database
from tests.databases import empty_postgres
from tests.harness import CUSTOMER, TEAMS_TOML, running_bot, settings_for


@pytest_asyncio.fixture
async def pg_url(postgres_url: str) -> AsyncIterator[str]:
    db = Database(postgres_url)
    await empty_postgres(db)
    await db.dispose()
    yield postgres_url


async def test_a_webhook_close_is_delivered_on_postgresql(slack: FakeSlack, pg_url: str) -> None:
    async with running_bot(slack, pg_url) as bot:
        status, body = await bot.send_webhook(
            {"conversation_id": "IC-9", "customer": {"slack_user_id": CUSTOMER}}
        )
        assert (status, body["status"]) == (202, "scheduled")
        _, again = await bot.send_webhook(
            {"conversation_id": "IC-9", "customer": {"slack_user_id": CUSTOMER}}
        )
        assert again == {"survey_id": body["survey_id"], "status": "duplicate"}
        await slack.wait_for("chat.postMessage")
        assert await bot.get("/healthz") == (200, '{"status": "ok"}')


async def test_two_dispatchers_sharing_postgresql_send_each_survey_once(
    slack: FakeSlack, pg_url: str
) -> None:
    teams = parse_teams(TEAMS_TOML)
    now = datetime.now(UTC)
    db = Database(pg_url)
    for n in range(30):
        slack.add_user(f"U0C{n:04d}", tz="UTC")
        await close_conversation(
            db,
            ClosedConversation(
                source="webhook",
                external_id=f"conv-{n}",
                team=teams.default,
                closed_at=now,
                customer_id=f"U0C{n:04d}",
            ),
            now,
        )
    client = make_client(settings_for(slack, pg_url))
    first, second = (Dispatcher(Database(pg_url), client, teams) for _ in range(2))
    delivered = await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    assert sum(delivered) == 30
    assert len(slack.called("chat.postMessage")) == 30
    statuses = {s.status for s in await store.all_surveys(db)}
    assert statuses == {"delivered"}
    for database in (db, first.db, second.db):
        await database.dispose()
