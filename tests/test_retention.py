"""A team's `retention_days`: customers' words older than that are dropped on a schedule,
and every score stays counted. Both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.privacy import purge_old_comments
from bot.teams import Team
from sandbox.history import Answer, add_answer
from storage.db import Database
from storage.models import Response
from tests.contexts import in_workspace

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def stored(db: Database) -> list[tuple[int, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(col(Response.score), col(Response.comment)).order_by(col(Response.answered_at))
        )
    return [(int(score), comment) for score, comment in rows.all()]


async def test_old_words_go_and_every_score_stays(db: Database) -> None:
    for days_ago, score, words in ((400, 1, "Slow and rude"), (100, 5, "Great"), (3, 2, "Meh")):
        answer = Answer(score, agent="U0AGENT", customer=f"U0C{days_ago}", comment=words)
        await add_answer(db, answer, NOW - timedelta(days=days_ago))
    kept_a_year = Team(name="support", retention_days=365)
    assert await purge_old_comments(in_workspace(db, now=NOW, teams=(kept_a_year,))) == 1
    assert await stored(db) == [(1, None), (5, "Great"), (2, "Meh")]
    a_month = Team(name="support", retention_days=30)
    assert await purge_old_comments(in_workspace(db, now=NOW, teams=(a_month,))) == 1
    assert await stored(db) == [(1, None), (5, None), (2, "Meh")]
    # A team that keeps words until someone is forgotten loses none.
    assert await purge_old_comments(in_workspace(db, now=NOW, teams=(Team(name="support"),))) == 0
