"""Fixtures: databases on both stores, and the real bot against a fake Slack."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import KeyValueFormatter
from sandbox import FakeSlack
from storage.db import Database
from tests.databases import PostgresScratch, empty_postgres, fresh_sqlite, require_postgres
from tests.harness import Bot, running_bot, seed_slack


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


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        seed_slack(fake)
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    """A Web API client on the fake Slack (the module's own `slack`, where it has one)."""
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty store's URL, once per store: for bot tests where the store matters."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    database = Database(url)
    await empty_postgres(database)
    await database.dispose()
    yield url


@pytest_asyncio.fixture
async def any_bot(slack: FakeSlack, store_url: str) -> AsyncIterator[Bot]:
    """The running bot, once on SQLite and once on PostgreSQL."""
    async with running_bot(slack, store_url) as running:
        yield running


@pytest_asyncio.fixture
async def bot(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    """The running bot on the embedded default store."""
    async with running_bot(slack, sqlite_url) as running:
        yield running


Lines = Callable[[], str]


@pytest.fixture
def every_log_line() -> Iterator[Lines]:
    """Everything any logger writes (the bot's, bolt's, SQLAlchemy's), as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream.getvalue
    root.removeHandler(handler)
    root.setLevel(level)
