"""The same bot on PostgreSQL, the production store: two processes never double-send."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest_asyncio

from bot.delivery.closes import ClosedConversation, close_conversation
from bot.delivery.dispatcher import Dispatcher
from bot.slack.client import make_client
from bot.teams import parse_teams
from sandbox import FakeSlack
from storage import surveys as store
from storage.db import Database
from storage.vocabulary import Source
from tests.contexts import in_workspace
from tests.databases import PG_ADMIN_DSN, PostgresScratch, empty_postgres, run_blocking
from tests.harness import CUSTOMER, TEAMS_TOML, running_bot, settings_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
        assert (again["survey_id"], again["status"]) == (body["survey_id"], "duplicate")
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
            in_workspace(db, now=now),
            ClosedConversation(
                source=Source.WEBHOOK,
                external_id=f"conv-{n}",
                team=teams.default,
                closed_at=now,
                customer_id=f"U0C{n:04d}",
            ),
        )
    client = make_client(settings_for(slack, pg_url), db)
    first, second = (
        Dispatcher(in_workspace(Database(pg_url), client, teams=teams.teams)) for _ in range(2)
    )
    delivered = await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    assert sum(delivered) == 30
    assert len(slack.called("chat.postMessage")) == 30
    statuses = {s.status for s in await store.all_surveys(db)}
    assert statuses == {"delivered"}
    for database in (db, first.db, second.db):
        await database.dispose()


async def test_two_processes_starting_together_migrate_a_fresh_database_once() -> None:
    """Two replicas on a first deploy: one waits for the other's migration, both start."""
    scratch = PostgresScratch()
    run_blocking(lambda: _create_empty(scratch.name))
    child = (
        "import asyncio\n"
        "from storage.db import Database\n"
        "from storage.migrations import migrate\n"
        "async def main():\n"
        f"    db = Database({scratch.url!r})\n"
        "    await migrate(db)\n"
        "    await db.dispose()\n"
        "asyncio.run(main())\n"
    )
    try:
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", child, cwd=PROJECT_ROOT, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(2)
        ]
        results = [await asyncio.wait_for(p.communicate(), timeout=60) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], [r[1].decode()[-500:] for r in results]
    finally:
        scratch.drop()


async def _create_empty(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
