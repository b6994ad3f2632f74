"""The digest's aggregates, on SQLite and PostgreSQL, against the hand-computed week."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.digest.compose import boundaries, parse_week, recent_weeks
from bot.scales import REASONS
from sandbox.history import Answer, add_answer
from storage import digests
from storage.accounts import account_periods
from storage.db import Database
from storage.vocabulary import DigestPostStatus
from tests.digest_seed import FIRES_AT, PRAISE, TEAM, WEEK, seed_week


async def test_weekly_histograms_group_eight_weeks_in_the_teams_timezone(db: Database) -> None:
    await seed_week(db)
    weeks = recent_weeks(parse_week(WEEK, TEAM.zone), TEAM.zone)
    histograms = await digests.weekly_histograms(db, "support", "csat", boundaries(weeks))
    assert len(histograms) == 8
    # The Monday-00:30-local answer is in W47; the next Monday's 00:30 one is not.
    assert histograms[-1] == {5: 3, 4: 3, 3: 1, 2: 1, 1: 2}
    assert histograms[-2] == {5: 1, 4: 2, 3: 2, 2: 1, 1: 2}
    assert histograms[:-2] == [{}] * 6


async def test_response_rate_counts_answers_to_the_weeks_deliveries(db: Database) -> None:
    await seed_week(db)
    week = parse_week(WEEK, TEAM.zone)
    assert await digests.delivery(db, "support", week.start, week.end) == digests.Delivery(
        delivered=25, answered=10
    )


async def test_reasons_are_counted_per_code_and_score(db: Database) -> None:
    await seed_week(db)
    week = parse_week(WEEK, TEAM.zone)
    reasons = await digests.reason_histograms(
        db, "support", "csat", week.start, week.end, list(REASONS)
    )
    assert reasons["slow_response"] == {2: 1, 1: 1}
    assert reasons["not_resolved"] == {2: 1, 1: 1}
    assert reasons["unclear_answer"] == {3: 1}
    assert reasons["other"] == {}  # "other" only last week


async def test_praise_examples_and_agent_comments_are_picked_by_sql(db: Database) -> None:
    await seed_week(db)
    week = parse_week(WEEK, TEAM.zone)
    praise = await digests.praise(db, "support", "csat", week.start, week.end, high_min=5)
    assert [p.comment for p in praise] == [PRAISE, "Great help."]
    examples = await digests.example_comments(
        db,
        "support",
        "csat",
        week.start,
        week.end,
        ["not_resolved", "slow_response", "unclear_answer"],
        low_max=2,
    )
    assert examples["not_resolved"].comment == "Still broken."
    # The newest slow_response comment not already used.
    assert examples["slow_response"].comment.startswith("<!channel>")
    assert "unclear_answer" not in examples  # that answer has no comment
    comments = await digests.agent_comments(db, "support", "csat", week.start, week.end)
    assert [c.comment for c in comments["UAGENTB"]] == ["Still broken.", "ok", "Great help."]
    assert len(comments["UAGENTA"]) == 3


async def test_agents_alerts_and_revenue_at_risk(db: Database) -> None:
    await seed_week(db)
    week = parse_week(WEEK, TEAM.zone)
    agents = await digests.agent_histograms(db, "support", "csat", week.start, week.end)
    assert {a.agent_id: a.histogram for a in agents} == {
        "UAGENTA": {5: 2, 4: 2, 2: 1, 1: 1},
        "UAGENTB": {5: 1, 4: 1, 3: 1, 1: 1},
    }
    alerts = await digests.alert_figures(db, "support", week.start, week.end, as_of=FIRES_AT)
    assert alerts == digests.AlertFigures(
        unresolved=2,
        unclaimed=1,
        oldest_unresolved_at=FIRES_AT - timedelta(days=2),
        resolved_in_period=1,
    )
    value = await digests.customer_value(
        db, "support", "csat", week.start, week.end, satisfied_min=4
    )
    assert value == digests.CustomerValue(
        customers=9, total_value=1200.0, dissatisfied_customers=3, dissatisfied_value=600.0
    )


async def test_an_empty_week_gives_zeros_not_errors(db: Database) -> None:
    week = parse_week(WEEK, TEAM.zone)
    assert await digests.delivery(db, "support", week.start, week.end) == digests.Delivery(0, 0)
    alerts = await digests.alert_figures(db, "support", week.start, week.end, as_of=FIRES_AT)
    assert alerts.unresolved == 0 and alerts.oldest_unresolved_at is None
    value = await digests.customer_value(
        db, "support", "csat", week.start, week.end, satisfied_min=4
    )
    assert value.customers == 0 and value.dissatisfied_value == 0.0


async def test_a_digest_row_is_claimed_once_even_by_racing_claims(db: Database) -> None:
    claims = await asyncio.gather(
        *[digests.claim_digest(db, "support", WEEK, "good_news", FIRES_AT) for _ in range(5)]
    )
    assert sorted(claims) == [False] * 4 + [True]
    await digests.finish_digest(db, "support", WEEK, "good_news", status=DigestPostStatus.FAILED)
    assert not await digests.claim_digest(db, "support", WEEK, "good_news", FIRES_AT)
    assert await digests.claim_digest(db, "support", WEEK, "good_news", FIRES_AT, retry_failed=True)


async def test_each_known_person_counts_once_and_each_anonymous_answer_alone(
    db: Database,
) -> None:
    """Accounts group known people by customer id; an answer from nobody known is a
    person of its own (two anonymous answers are two voices, not one)."""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    at = now - timedelta(days=2)
    for answer in (
        Answer(5, customer="UANNA", value=100.0),
        Answer(1, customer="UANNA", value=100.0),  # Anna: half satisfied, low once
        Answer(5),  # nobody known: satisfied
        Answer(1, value=300.0),  # nobody known: low, carrying a value
    ):
        await add_answer(db, answer, at)
    async with db.session() as session:
        await session.execute(text("UPDATE responses SET account = 'domain:acme.example'"))
        await session.commit()
    (found,) = await account_periods(
        db,
        "support",
        "csat",
        [(now - timedelta(days=30), now)],
        satisfied_min=4,
        low_max={"csat": 2},
    )
    (acme,) = found
    assert (acme.key, acme.people, acme.answers, acme.low) == ("domain:acme.example", 3, 4, 2)
    assert acme.share_sum == pytest.approx(0.5 + 1.0 + 0.0)
    assert acme.low_people == 2
    assert acme.low_value == pytest.approx(400.0)
