"""Migration 0004 moves the follow-up's reasons into rows, and back, on both stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
import sqlalchemy as sa

from storage import answers
from storage.db import Database
from storage.migrations import migrate
from storage.types import UTCDateTime
from tests.databases import PG_ADMIN_DSN, require_postgres

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

# The tables as they were at 0003, only the columns these rows fill.
CONVERSATIONS = sa.table(
    "conversations",
    *(sa.column(name) for name in ("id", "source", "external_id", "team", "outcome")),
    sa.column("closed_at", UTCDateTime()),
)
SURVEYS = sa.table(
    "surveys",
    *(
        sa.column(name)
        for name in (
            "id",
            "token",
            "conversation_id",
            "team",
            "kind",
            "customer_key",
            "delivery",
            "status",
            "attempts",
        )
    ),
    *(sa.column(name, UTCDateTime()) for name in ("created_at", "send_after", "expires_at")),
)
RESPONSES_0003 = sa.table(
    "responses",
    *(sa.column(name) for name in ("id", "survey_id", "team", "kind", "score", "reasons")),
    sa.column("answered_at", UTCDateTime()),
)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no schema yet, on each store."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'migrating.db'}")
        yield database
        await database.dispose()
        return
    require_postgres()
    name = f"surveybot_migration_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    database = Database(f"{base}/{name}")
    try:
        yield database
    finally:
        await database.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def downgrade(database: Database, revision: str) -> None:
    # Through migrate, which turns SQLite's foreign keys off around a table rebuild.
    await migrate(database, revision, down=True)


async def answer_at_0003(database: Database, n: int, score: int, reasons: str | None) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(
            sa.insert(CONVERSATIONS).values(
                id=n,
                source="webhook",
                external_id=f"ZD-{n}",
                team="support",
                outcome="survey",
                closed_at=NOW,
            )
        )
        await conn.execute(
            sa.insert(SURVEYS).values(
                id=n,
                token=f"tok{n}",
                conversation_id=n,
                team="support",
                kind="csat",
                customer_key=f"U{n}",
                delivery="dm",
                status="answered",
                attempts=0,
                created_at=NOW,
                send_after=NOW,
                expires_at=NOW,
            )
        )
        await conn.execute(
            sa.insert(RESPONSES_0003).values(
                id=n,
                survey_id=n,
                team="support",
                kind="csat",
                score=score,
                reasons=reasons,
                answered_at=NOW,
            )
        )


async def reason_rows(database: Database) -> set[tuple[int, str]]:
    async with database.engine.connect() as conn:
        result = await conn.execute(sa.text("SELECT response_id, reason FROM response_reasons"))
        return {(int(rid), str(reason)) for rid, reason in result.all()}


async def response_columns(database: Database) -> set[str]:
    async with database.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("responses")}
        )


async def test_0004_moves_comma_separated_reasons_into_rows_and_back(
    empty_db: Database,
) -> None:
    await migrate(empty_db, "0003")
    await answer_at_0003(empty_db, 1, 1, "slow_response,not_resolved")
    await answer_at_0003(empty_db, 2, 2, "other")
    await answer_at_0003(empty_db, 3, 5, None)

    await migrate(empty_db)

    assert await reason_rows(empty_db) == {
        (1, "slow_response"),
        (1, "not_resolved"),
        (2, "other"),
    }
    assert "reasons" not in await response_columns(empty_db)
    first = await answers.response_for(empty_db, 1)
    assert first is not None and set(first.reasons) == {"slow_response", "not_resolved"}
    praise = await answers.response_for(empty_db, 3)
    assert praise is not None and praise.reasons == ()

    await downgrade(empty_db, "0003")

    async with empty_db.engine.connect() as conn:
        result = await conn.execute(sa.text("SELECT id, reasons FROM responses ORDER BY id"))
        rows: dict[int, str | None] = {int(rid): reasons for rid, reasons in result.all()}
        tables = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    assert set((rows[1] or "").split(",")) == {"slow_response", "not_resolved"}
    assert (rows[2], rows[3]) == ("other", None)
    assert "response_reasons" not in tables
