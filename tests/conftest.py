"""Fixtures: databases on both stores, and the real bot against a fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from storage.db import Database
from tests.databases import PostgresScratch, empty_postgres, fresh_sqlite, require_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    require_postgres()
    scratch = PostgresScratch()
    scratch.create()
    yield scratch.url
    scratch.drop()


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database; storage tests run once on each store."""
    if request.param == "sqlite":
        database = await fresh_sqlite(str(tmp_path / "surveybot.db"))
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        await empty_postgres(database)
    yield database
    await database.dispose()
