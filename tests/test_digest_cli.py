"""`surveybot digest`: a readable dry run, and clear errors for a wrong team or week."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import cli
from bot.digest.job import render_dry_run
from bot.teams import parse_teams
from sandbox import FakeSlack
from tests.contexts import in_workspace
from tests.databases import fresh_sqlite
from tests.digest_seed import seed_week

TEAMS = """
[[teams]]
name = "support"
digest_channel = "C0DIGEST"
timezone = "Europe/Berlin"

[[teams]]
name = "billing"
"""


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


async def seed(database: Path) -> None:
    db = await fresh_sqlite(str(database))
    await seed_week(db)
    await db.dispose()


def test_dry_run_prints_the_weeks_digest_with_its_figures(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(seed(configured))
    code = cli.main(["digest", "--team", "support", "--dry-run", "--week", "2026-W47"])
    out = capsys.readouterr().out
    assert code == 0
    assert "week 47, Nov 16\u2009–\u200922, 2026 (Europe/Berlin)" in out
    assert "CSAT: 60%, up from 37.5% (+22.5 pts)" in out
    assert "1. Issue not resolved — cited 2 times" in out
    assert "Without the answers citing it, CSAT would have been 75% instead of 60%." in out
    assert "likely between" not in out  # agents' figures are for their DMs only


def test_unknown_team_lists_the_known_ones(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["digest", "--team", "sales", "--dry-run"])
    assert code == 2
    assert "no team named 'sales'; known teams: support, billing" in capsys.readouterr().err


def test_a_malformed_week_is_refused(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["digest", "--team", "support", "--dry-run", "--week", "47"]) == 2
    assert "is not an ISO week like 2026-W47" in capsys.readouterr().err


async def test_the_dry_run_names_agents_as_the_posted_digest_does(
    tmp_path: Path, slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("UAGENTA", name="Alma Agent")
    slack.add_user("UAGENTB", name="Bruno Agent")
    db = await fresh_sqlite(str(tmp_path / "bot.db"))
    try:
        await seed_week(db)
        teams = parse_teams(TEAMS)
        now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        ctx = in_workspace(db, client, now, teams=teams.teams)
        out = await render_dry_run(ctx, "support", "2026-W47")
        bare = await render_dry_run(ctx, "support", "2026-W47", names=False)
    finally:
        await db.dispose()
    assert "@Alma Agent" in out and "@UAGENTA" not in out and "@UAGENTB" not in out
    assert "@UAGENTA" in bare  # without Slack to ask, the id is all there is
    assert "no answers  0 answers" not in out  # a week without answers says so once
