"""The shared seeder gives the sandbox weeks that look like a real team's."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.home.figures import gather_team
from bot.scoring import csat_percent
from bot.team_directory import ENVIRONMENT_WORKSPACE
from bot.teams import Team
from sandbox.history import seed_weeks
from storage.db import Database

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TEAM = Team(name="support", alert_channel="C0ALERTS", timezone="Europe/Berlin")


async def test_eight_weeks_fill_the_home_with_scores_reasons_comments_and_open_alerts(
    db: Database,
) -> None:
    agents = ("U0BO", "U0EVA", "U0FIN")
    customers = tuple(f"U0C{i:02d}" for i in range(40))
    seeded = await seed_weeks(db, now=NOW, agents=agents, customers=customers)
    assert 8 * 20 <= seeded.answers <= 8 * 30
    assert seeded.open_alerts == 3
    figures = await gather_team(db, ENVIRONMENT_WORKSPACE, TEAM, NOW)
    answered_weeks = [w for w in figures.weeks if w.answers]
    assert len(answered_weeks) >= 7  # the chart shows a line, not a dot
    assert figures.last_30.total >= 60
    satisfied = csat_percent(figures.last_30)
    assert satisfied is not None and 55 <= satisfied <= 95  # a team worth improving
    assert figures.drivers, "low scores carry reasons"
    assert figures.comments, "some answers carry comments"
    assert figures.alerts.total == seeded.open_alerts
    # About 40 % of the delivered surveys answered.
    assert 0.25 <= figures.delivery.answered / figures.delivery.delivered <= 0.55


async def test_the_same_seed_gives_the_same_history(db: Database) -> None:
    first = await seed_weeks(db, now=NOW, agents=("U0BO",), customers=("U0C1",), weeks=2)
    again = await seed_weeks(db, now=NOW, agents=("U0BO",), customers=("U0C1",), weeks=2)
    assert first == again
