"""The figures kept ahead (hourly tallies, accounts' snapshots) always say what counting
the answers themselves says: through first answers, changes of mind, follow-ups,
expiry, test answers and erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from sandbox.history import Answer, add_answer
from storage import answers as store
from storage import digests, privacy, surveys
from storage.accounts import account_periods
from storage.db import Database
from storage.home import answers_page, score_windows
from storage.models import AccountPerson
from storage.tallies import split_hours
from storage.tally_triggers import rebuild

NOW = datetime(2026, 11, 23, 10, 20, tzinfo=UTC)
WORKSPACE = "T0TALLY"
THRESHOLDS: dict[str, Any] = {"satisfied_min": 4, "low_max": {"csat": 2, "ces": 3, "nps": 6}}


def always(_old: int, _new: int) -> bool:
    return True


def never(_old: int, _new: int) -> bool:
    return False


async def tally_rows(db: Database) -> set[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        answers = await conn.execute(
            text(
                "SELECT workspace, team, kind, reason, hour, score, answers FROM answer_tallies "
                "WHERE answers <> 0"
            )
        )
        deliveries = await conn.execute(
            text(
                "SELECT workspace, team, hour, delivered, answered FROM delivery_tallies "
                "WHERE delivered <> 0 OR answered <> 0"
            )
        )
        return {("a", *map(str, row)) for row in answers} | {
            ("d", *map(str, row)) for row in deliveries
        }


async def counted_again(db: Database) -> set[tuple[Any, ...]]:
    async with db.engine.begin() as conn:
        await conn.run_sync(rebuild)
    return await tally_rows(db)


async def answer_history_of_a_month(db: Database) -> list[int]:
    """Answers over 40 days, hours and accounts, with reasons; the survey ids."""
    ids = []
    for day in range(40):
        for n, score in enumerate((5, 4, 1, 2, 5, 3)):
            customer = f"UC{(day * 7 + n) % 9}"
            reasons = "slow_response,not_resolved" if score <= 2 else None
            at = NOW - timedelta(days=day, hours=n * 3, minutes=7 * n)
            ids.append(
                await add_answer(
                    db, Answer(score, customer=customer, value=50.0 * n, reasons=reasons), at
                )
            )
    async with db.session() as session:
        await session.execute(
            text(
                "UPDATE responses SET account = CASE WHEN customer_id IN ('UC0', 'UC1') "
                "THEN 'domain:acme.example' WHEN customer_id = 'UC8' THEN NULL "
                "ELSE 'domain:globex.example' END"
            )
        )
        await session.commit()
    return ids


async def test_kept_tallies_equal_tallies_counted_from_the_answers(db: Database) -> None:
    view = db.in_workspace(WORKSPACE)
    ids = await answer_history_of_a_month(view)
    assert await tally_rows(db) == await counted_again(db)
    # Changes of mind, days later: one keeps its reasons, one loses them.
    for survey_id, score, keeps in ((ids[2], 2, always), (ids[9], 5, never), (ids[40], 1, never)):
        survey = await surveys.get_survey(view, survey_id)
        assert survey is not None
        await store.record_click(
            view, survey, score, action_ts=f"9.{survey_id}", at=NOW, keeps_follow_up=keeps
        )
    await store.save_follow_up(view, ids[40], reasons=["rude", "slow_response"], comment="", at=NOW)
    await store.expire_unanswered(view, ids[7])
    async with view.session() as session:  # a lead's test answer counts nowhere
        await session.execute(
            text(f"UPDATE responses SET is_test = true WHERE survey_id = {ids[5]}")
        )
        await session.commit()
    kept = await tally_rows(db)
    assert kept == await counted_again(db)
    await privacy.forget_customer(view, "UC3")
    kept = await tally_rows(db)
    assert kept == await counted_again(db)
    assert all(row[1] == WORKSPACE for row in kept)


async def test_the_ends_of_a_period_are_counted_to_the_minute(db: Database) -> None:
    view = db.in_workspace(WORKSPACE)
    for minute in (15, 45, 90, 185):  # 10:15, 10:45, 11:30, 13:05
        await add_answer(
            view, Answer(5), NOW.replace(hour=10, minute=0) + timedelta(minutes=minute)
        )
    start, end = NOW.replace(hour=10, minute=30), NOW.replace(hour=13, minute=5)
    _, (window,) = await score_windows(view, "support", "csat", [start, end], [start, end])
    assert window == {5: 2}  # 10:45 and 11:30; 13:05 is the end itself
    # The drill-down behind it says so too, with its pages' total.
    page = await answers_page(view, "support", "csat", start, end)
    assert page.total == len(page.rows) == 2
    delivered = await digests.delivery(view, "support", start, end)
    # Delivered 5 minutes before each: 10:40, 11:25 and 13:00.
    assert delivered == digests.Delivery(delivered=3, answered=3)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 2, 1)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)
def test_whole_hours_and_ends_cover_a_period_exactly(start: datetime, length: timedelta) -> None:
    start = start.replace(tzinfo=UTC)
    end = start + length
    hours, ends = split_hours(start, end)
    pieces = sorted([*ends, *([hours] if hours else [])])
    if not length:
        assert pieces == [(start, end)]  # an empty period: one empty piece, nothing counted
        return
    assert all(a < b for a, b in pieces)
    assert all(b == c for (_, b), (c, _) in pairwise(pieces))
    assert (pieces[0][0], pieces[-1][1]) == (start, end)
    if hours:
        assert hours[0].minute == hours[1].minute == 0 and all(
            b - a < timedelta(hours=1) for a, b in ends
        )


async def accounts_both_ways(db: Database) -> tuple[Any, Any]:
    periods = [
        (NOW - timedelta(days=30), NOW),
        (NOW - timedelta(days=60), NOW - timedelta(days=30)),
    ]
    kept = await account_periods(
        db.in_workspace(WORKSPACE), "support", "csat", periods, **THRESHOLDS
    )
    counted = await account_periods(db, "support", "csat", periods, **THRESHOLDS)
    return [by_key(p) for p in kept], [by_key(p) for p in counted]


def by_key(period: list[Any]) -> list[Any]:
    return sorted(period, key=lambda account: account.key)


async def test_accounts_from_a_snapshot_equal_accounts_counted_from_the_answers(
    db: Database,
) -> None:
    view = db.in_workspace(WORKSPACE)
    ids = await answer_history_of_a_month(view)
    kept, counted = await accounts_both_ways(db)
    assert kept == counted and kept[0]
    async with db.session() as session:
        people = (await session.execute(select(func.count()).select_from(AccountPerson))).scalar()
    assert people  # the snapshot is there, and what was read
    # A change of mind moves an answer of an earlier day to today; a late import lands
    # in a day the snapshot holds; an erasure takes a person out.
    survey = await surveys.get_survey(view, ids[30])
    assert survey is not None
    await store.record_click(view, survey, 1, action_ts="9.9", at=NOW, keeps_follow_up=never)
    kept, counted = await accounts_both_ways(db)
    assert kept == counted
    await add_answer(view, Answer(1, customer="UC0", value=900.0), NOW - timedelta(days=12))
    async with db.session() as session:
        await session.execute(
            text("UPDATE responses SET account = 'domain:acme.example' WHERE customer_id = 'UC0'")
        )
        await session.commit()
    kept, counted = await accounts_both_ways(db)
    assert kept == counted
    await privacy.forget_customer(view, "UC0")
    kept, counted = await accounts_both_ways(db)
    assert kept == counted
    async with db.session() as session:
        left = (
            await session.execute(select(func.count()).where(AccountPerson.person == "UC0"))  # type: ignore[arg-type]
        ).scalar()
    assert left == 0


async def test_a_snapshot_counted_with_other_thresholds_is_counted_again(db: Database) -> None:
    view = db.in_workspace(WORKSPACE)
    await answer_history_of_a_month(view)
    periods = [(NOW - timedelta(days=30), NOW)]
    strict: dict[str, Any] = {"satisfied_min": 5, "low_max": {"csat": 2}}
    (first,) = await account_periods(view, "support", "csat", periods, **THRESHOLDS)
    (second,) = await account_periods(view, "support", "csat", periods, **strict)
    (counted,) = await account_periods(db, "support", "csat", periods, **strict)
    assert by_key(second) == by_key(counted) != by_key(first)
