"""`surveybot nps --team NAME --dry-run`: whom the next round would ask, when, and whom
it skips by which rule; nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.cli_nps import nps_command
from bot.settings import Settings
from sandbox.history import Answer, add_answer
from storage import nps as store
from tests.databases import fresh_sqlite

TEAMS = """
[[teams]]
name = "support"
nps_schedule = "every 6 months from 2027-01-04"
throttle_days = 7

[[teams]]
name = "billing"
"""
NOW = datetime(2027, 1, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    teams = tmp_path / "teams.toml"
    teams.write_text(TEAMS, encoding="utf-8")
    database = tmp_path / "surveybot.db"
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("SURVEYBOT_CONFIG", str(teams))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return database


async def test_the_dry_run_lists_whom_the_round_asks_when_and_whom_it_skips(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await fresh_sqlite(str(configured))
    await add_answer(db, Answer(5, customer="U0ASKME"), NOW - timedelta(days=40))
    await add_answer(db, Answer(4, customer="U0RECENT"), NOW - timedelta(days=2))
    await add_answer(db, Answer(4, customer="U0LONGAGO"), NOW - timedelta(days=200))
    await db.dispose()

    code = await nps_command(Settings(), "support", dry_run=True, now=NOW)
    out = capsys.readouterr().out
    assert code == 0
    assert "NPS round of 2027-01-04" in out
    assert "Would ask 1 customer(s)" in out
    asked_line = next(line for line in out.splitlines() if "U0ASKME" in line)
    assert "2027-01-0" in asked_line and "their time" in asked_line
    recent = next(line for line in out.splitlines() if "U0RECENT" in line)
    assert "skipped: asked recently" in recent
    assert "U0LONGAGO" not in out  # not active in the last 90 days
    db = await fresh_sqlite(str(configured))
    assert await store.rounds_of(db, "support") == []  # a dry run stores nothing
    await db.dispose()


def test_a_team_without_rounds_is_told_how_to_have_them(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["nps", "--team", "billing", "--dry-run"]) == 2
    assert "has no nps_schedule" in capsys.readouterr().err
