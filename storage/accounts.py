"""Accounts' figures as SQL aggregates: one row per account and period.

Each person counts once: their answers are first averaged per person (GROUP BY account,
person), then per account, so one unhappy person writing ten times is one voice, not
ten. Storage does not know the scales: callers pass the thresholds in, per kind.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, union_all

from storage.answer_sql import R, counted
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


def _low(low_max: Mapping[str, int]) -> Any:
    """1 for a low answer of its own kind's scale, else 0."""
    return case(
        *[((R.kind == kind) & (R.score <= top), 1) for kind, top in low_max.items()],
        else_=0,
    )


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
    (a detractor of a relational round is as worrying as a low CSAT).
    """
    if not periods:
        return []
    of_kind = R.kind == kind
    share = case((of_kind, case((R.score >= satisfied_min, 1.0), else_=0.0)), else_=None)
    answers = case((of_kind, 1), else_=0)
    parts = []
    for index, (start, end) in enumerate(periods):
        where = (
            R.team == team,
            R.answered_at >= start,
            R.answered_at < end,
            counted(),
            R.account.is_not(None),
        )
        # Known people, grouped on columns ix_responses_accounts holds: an index-only scan.
        parts.append(
            select(
                literal(index).label("period"),
                R.account.label("account"),
                func.avg(share).label("share"),
                func.sum(answers).label("answers"),
                func.sum(_low(low_max)).label("low"),
                func.max(R.customer_value).label("value"),
            )
            .where(*where, R.customer_id.is_not(None))
            .group_by(R.account, R.customer_id)
        )
        # An answer from nobody known is a person of its own: no grouping, so no need of
        # its id (keying it by id made PostgreSQL fetch every row from the table).
        parts.append(
            select(
                literal(index).label("period"),
                R.account.label("account"),
                share.label("share"),
                answers.label("answers"),
                _low(low_max).label("low"),
                R.customer_value.label("value"),
            ).where(*where, R.customer_id.is_(None))
        )
    people = union_all(*parts).subquery()
    query = select(
        people.c.period,
        people.c.account,
        func.count(people.c.share),
        func.coalesce(func.sum(people.c.share), 0.0),
        func.sum(people.c.answers),
        func.sum(people.c.low),
        func.coalesce(
            func.sum(case((people.c.low > 0, func.coalesce(people.c.value, 0.0)), else_=0.0)),
            0.0,
        ),
        func.sum(case((people.c.low > 0, 1), else_=0)),
    ).group_by(people.c.period, people.c.account)
    found: list[list[AccountPeriod]] = [[] for _ in periods]
    async with db.session() as session:
        for row in (await session.execute(query)).all():
            period, key, heads, share_sum, answers, low, low_value, low_people = row
            found[int(period)].append(
                AccountPeriod(
                    key=str(key),
                    name=str(key),
                    people=int(heads),
                    share_sum=float(share_sum),
                    answers=int(answers or 0),
                    low=int(low or 0),
                    low_value=float(low_value),
                    low_people=int(low_people or 0),
                )
            )
    return found


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
