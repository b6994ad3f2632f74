"""Export every answer; forget one customer completely, leaving everyone else intact."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli
from storage.db import Database
from storage.models import Conversation, Response, Survey
from storage.privacy import export_answers, forget_customer
from tests.databases import fresh_sqlite
from tests.digest_seed import Answer, add_answer

MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


async def count(db: Database, table: type[Conversation] | type[Survey] | type[Response]) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_forgetting_a_customer_erases_their_rows_and_only_theirs(db: Database) -> None:
    await add_answer(db, Answer(2, agent="U0AGENT", customer="U0ANN", comment="slow"), MONDAY)
    await add_answer(db, Answer(4, agent="U0AGENT", customer="U0ANN"), MONDAY)
    await add_answer(db, Answer(5, agent="U0AGENT", customer="U0BEA", comment="great"), MONDAY)

    gone = await forget_customer(db, "U0ANN")

    assert (gone.conversations, gone.surveys, gone.answers) == (2, 2, 2)
    assert (await count(db, Conversation), await count(db, Survey), await count(db, Response)) == (
        1,
        1,
        1,
    )
    rows = [row async for row in export_answers(db)]
    assert [(r.customer_id, r.score, r.comment) for r in rows] == [("U0BEA", 5, "great")]
    assert (await forget_customer(db, "U0ANN")).surveys == 0


async def test_export_filters_by_team_and_date(db: Database) -> None:
    await add_answer(db, Answer(3, customer="U0A"), MONDAY, team="support")
    await add_answer(db, Answer(5, customer="U0B"), MONDAY.replace(day=20), team="billing")
    billing = [r async for r in export_answers(db, team="billing")]
    assert [r.score for r in billing] == [5]
    recent = [r async for r in export_answers(db, since=MONDAY.replace(day=18))]
    assert [r.team for r in recent] == ["billing"]


def test_the_export_command_writes_csv_with_a_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    async def seed() -> None:
        db = await fresh_sqlite(str(tmp_path / "s.db"))
        await add_answer(db, Answer(1, customer="U0A", comment='said "<!channel>", twice'), MONDAY)
        await db.dispose()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    assert cli.main(["export"]) == 0
    written = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(written.out)))
    assert len(rows) == 1
    assert written.err.strip() == "exported 1 answer"
    assert rows[0]["score"] == "1" and rows[0]["comment"] == 'said "<!channel>", twice'
    assert rows[0]["answered_at"] == "2026-11-16T10:00:00+00:00"
