"""Test databases: a fresh SQLite file, or a scratch PostgreSQL database per run."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text

from storage.db import Database
from storage.migrations import migrate

PG_ADMIN_DSN = os.environ.get("SURVEYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


T = TypeVar("T")


def run_blocking(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on its own loop, even from inside a running one."""

    async def wrapper() -> T:
        return await make()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrapper()).result()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _pg_reachable() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


class PostgresScratch:
    """A database created for this test run and dropped after it."""

    def __init__(self) -> None:
        self.name = f"surveybot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base = PG_ADMIN_DSN.rsplit("/", 1)[0]
        self.url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{self.name}"

    def create(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(PG_ADMIN_DSN)
            await conn.execute(f'CREATE DATABASE "{self.name}"')
            await conn.close()
            db = Database(self.url)
            await migrate(db)
            await db.dispose()

        run_blocking(run)

    def drop(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(PG_ADMIN_DSN)
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            await conn.close()

        run_blocking(run)


def require_postgres() -> None:
    """Skip locally without PostgreSQL; in CI its absence is a failure, never a skip."""
    if run_blocking(_pg_reachable):
        return
    if _in_ci():
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_DSN}; CI must run these tests")
    pytest.skip("PostgreSQL is not running (start it: see README)")


TABLES = (
    "answer_changes",
    "alerts",
    "responses",
    "surveys",
    "conversations",
    "processed_events",
    "digest_posts",
    "team_settings",
    "team_setting_changes",
    "support_messages",
    "nps_invites",
    "nps_rounds",
    # Kept by triggers, which TRUNCATE does not fire.
    "answer_tallies",
    "delivery_tallies",
    "answer_revisions",
    "account_spans",
    "account_people",
)


async def empty_postgres(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


async def fresh_sqlite(path: str) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await migrate(db)
    return db
