"""Accounts' figures as SQL aggregates: one row per account and period.

Each person counts once: their answers are first averaged per person (GROUP BY account,
person), then per account, so one unhappy person writing ten times is one voice, not
ten. Storage does not know the scales: callers pass the thresholds in, per kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, case, cast, func, select, union_all

from storage import account_snapshots as snapshots
from storage.account_snapshots import Formula, people_answering, split_days
from storage.answer_sql import R
from storage.db import Database


@dataclass(frozen=True)
class AccountPeriod:
    """One account's answers in one period."""

    key: str
    name: str  # the key until account_names() tells the name
    people: int  # people with an answer of the measured kind
    share_sum: float  # the sum over those people of their satisfied share (0..1)
    answers: int  # answers of the measured kind
    low: int  # low answers of any kind (CSAT 1–2, CES 1–3, NPS 0–6)
    low_value: float  # monthly value of the people with a low answer
    low_people: int  # people with a low answer


async def account_periods(
    db: Database,
    team: str,
    kind: str,
    periods: Sequence[tuple[datetime, datetime]],
    *,
    satisfied_min: int,
    low_max: Mapping[str, int],
) -> list[list[AccountPeriod]]:
    """For each period [start, end), every account with answers in it, in one statement.

    The score counts the team's own survey kind; low answers count in every kind
    (a detractor of a relational round is as worrying as a low CSAT). A period's whole
    past days come from a snapshot of their people (storage.account_snapshots, built
    once and kept until an answer of those days changes), its ragged ends from the
    answers themselves.
    """
    if not periods:
        return []
    formula = Formula(kind, satisfied_min, dict(low_max))
    # Each period on its own connection: the two run side by side on the database.
    return list(
        await asyncio.gather(
            *(_accounts_in(db, team, formula, start, end) for start, end in periods)
        )
    )


async def _accounts_in(
    db: Database, team: str, formula: Formula, start: datetime, end: datetime
) -> list[AccountPeriod]:
    # The plain database (every workspace) has no snapshot of its own: it counts.
    days, ends = split_days(start, end) if db.workspace is not None else (None, [(start, end)])
    parts = []
    if days is not None:
        await snapshots.ensure(db, team, formula, days)
        parts.append(snapshots.people_of(team, formula, days))
    for a, b in ends:
        parts += people_answering(team, formula, a, b)
    people = union_all(*parts).subquery()
    # One row per person: the snapshot's days and the ends added up.
    person = (
        select(
            people.c.account,
            func.sum(people.c.answers).label("answers"),
            func.sum(people.c.satisfied).label("satisfied"),
            func.sum(people.c.low).label("low"),
            func.max(people.c.value).label("value"),
        )
        .group_by(people.c.account, people.c.person)
        .subquery()
    )
    has_answers = person.c.answers > 0
    query = select(
        person.c.account,
        func.sum(case((has_answers, 1), else_=0)),
        func.coalesce(
            func.sum(case((has_answers, cast(person.c.satisfied, Float) / person.c.answers))),
            0.0,
        ),
        func.sum(person.c.answers),
        func.sum(person.c.low),
        func.coalesce(
            func.sum(case((person.c.low > 0, func.coalesce(person.c.value, 0.0)), else_=0.0)),
            0.0,
        ),
        func.sum(case((person.c.low > 0, 1), else_=0)),
    ).group_by(person.c.account)
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [
        AccountPeriod(
            key=str(key),
            name=str(key),
            people=int(heads or 0),
            share_sum=float(share_sum),
            answers=int(answers or 0),
            low=int(low or 0),
            low_value=float(low_value),
            low_people=int(low_people or 0),
        )
        for key, heads, share_sum, answers, low, low_value, low_people in rows
    ]


async def account_names(
    db: Database, team: str, keys: Collection[str], since: datetime
) -> dict[str, str]:
    """A name for each of these accounts (the few shown), from their answers since then.

    Kept out of the aggregate, which then reads its index alone; this reads the
    accounts' own index (ix_responses_account_answered carries the name)."""
    if not keys:
        return {}
    query = (
        select(R.account, func.max(R.account_name))
        .where(R.team == team, R.account.in_(sorted(set(keys))), R.answered_at >= since)
        .group_by(R.account)
    )
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return {str(key): str(name or key) for key, name in rows}
