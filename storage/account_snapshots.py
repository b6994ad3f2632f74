"""Accounts' people over whole past days, counted once and kept.

Account health averages each person first, so a month of answers cannot be summed
from hourly tallies: the people of a period's whole past days are counted once into
`account_people` and read back, a row per person, whenever that period is shown
again; only its ragged ends are counted from the answers. A snapshot is rebuilt when
the team's answer revision has moved on since (an answer of an earlier day changed,
moved or was forgotten: the triggers of storage.tally_triggers raise it), or when
the thresholds it was counted with are not the ones asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.answer_sql import R, columns, counted
from storage.db import Database, is_sqlite
from storage.models import AccountPerson, AccountSpan, AnswerRevision

P = columns(AccountPerson)
SPAN = columns(AccountSpan)
REV = columns(AnswerRevision)

DAY = timedelta(days=1)
# Spans are worth keeping from this many whole days; shorter periods are counted.
MIN_DAYS = 2
# Other spans of the team not built for this long are dropped when one is built.
KEPT_FOR = timedelta(days=2)

Days = tuple[datetime, datetime]


@dataclass(frozen=True)
class Formula:
    """What a person's answers are counted with (the key of their snapshot)."""

    kind: str
    satisfied_min: int
    low_max: Mapping[str, int]

    @property
    def text(self) -> str:
        lows = ",".join(f"{k}:{v}" for k, v in sorted(self.low_max.items()))
        return f"{self.satisfied_min};{lows}"


def split_days(start: datetime, end: datetime) -> tuple[Days | None, list[Days]]:
    """[start, end) as its whole UTC days before `end`'s own day (None when there are
    fewer than MIN_DAYS) and the pieces at either end outside them."""
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first += DAY
    last = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if last - first < MIN_DAYS * DAY:
        return None, [(start, end)]
    return (first, last), [(a, b) for a, b in ((start, first), (last, end)) if a < b]


def _low(low_max: Mapping[str, int]) -> Any:
    """1 for a low answer of its own kind's scale, else 0."""
    return case(
        *[((R.kind == kind) & (R.score <= top), 1) for kind, top in low_max.items()],
        else_=0,
    )


def _counted(formula: Formula) -> list[Any]:
    of_kind = R.kind == formula.kind
    return [
        func.sum(case((of_kind, 1), else_=0)).label("answers"),
        func.sum(case((of_kind & (R.score >= formula.satisfied_min), 1), else_=0)).label(
            "satisfied"
        ),
        func.sum(_low(formula.low_max)).label("low"),
        func.max(R.customer_value).label("value"),
    ]


def _people(formula: Formula, leading: list[Any], *conditions: Any) -> list[Any]:
    """(*leading, account, person, answers, satisfied, low, value) per person.

    Someone known is their Slack id, grouped on columns ix_responses_accounts holds (an
    index-only scan); an answer from nobody known is a person of its own, keyed by its
    id, which only those few answers are fetched for."""
    where = (*conditions, counted(), R.account.is_not(None))
    known = (
        select(*leading, R.account.label("account"), R.customer_id.label("person"))
        .add_columns(*_counted(formula))
        .where(*where, R.customer_id.is_not(None))
        .group_by(R.account, R.customer_id)
    )
    anonymous = (
        select(*leading, R.account, literal("#") + cast(R.id, String))
        .add_columns(*_counted(formula))
        .where(*where, R.customer_id.is_(None))
        .group_by(R.account, R.id)
    )
    return [known, anonymous]


def people_answering(team: str, formula: Formula, start: datetime, end: datetime) -> list[Any]:
    """(account, person, answers, satisfied, low, value) of [start, end)'s answers."""
    return _people(
        formula,
        [],
        R.team == team,
        R.answered_at >= start,
        R.answered_at < end,
    )


def people_of(team: str, formula: Formula, days: Days) -> Any:
    """The same columns, read from the snapshot of these days."""
    return select(
        P.account,
        P.person,
        P.answers,
        P.satisfied,
        P.low,
        P.value,
    ).where(*_span_key(P, team, formula, days))


def _span_key(table: Any, team: str, formula: Formula, days: Days) -> list[Any]:
    return [
        table.team == team,
        table.kind == formula.kind,
        table.first_day == days[0],
        table.end_day == days[1],
    ]


async def _revision(session: Any, team: str) -> int:
    found = (await session.execute(select(REV.revision).where(REV.team == team))).scalar()
    return int(found or 0)


async def ensure(db: Database, team: str, formula: Formula, days: Days) -> None:
    """Build the snapshot of these days unless one counted the same way is current."""
    async with db.session() as session:
        kept = (
            await session.execute(
                select(SPAN.revision, SPAN.formula).where(*_span_key(SPAN, team, formula, days))
            )
        ).one_or_none()
        current = await _revision(session, team)
        if kept is not None and kept.formula == formula.text and kept.revision == current:
            return
    await _build(db, team, formula, days)


async def _build(db: Database, team: str, formula: Formula, days: Days) -> None:
    workspace = db.workspace or ""
    now = datetime.now(UTC)
    upsert = sqlite_insert if is_sqlite(db.url) else pg_insert
    key = {"workspace": workspace, "team": team, "kind": formula.kind}
    async with db.writing() as session:
        # Read first: a change committed after this makes the snapshot stale, never wrong.
        revision = await _revision(session, team)
        # The span's row is the build's lock (PostgreSQL): a second builder waits here,
        # then finds the snapshot built and leaves it.
        await session.execute(
            upsert(AccountSpan)
            .values(
                **key,
                first_day=days[0],
                end_day=days[1],
                formula=formula.text,
                revision=-1,
                built_at=now,
            )
            .on_conflict_do_nothing()
        )
        kept = (
            await session.execute(
                select(SPAN.revision, SPAN.formula)
                .where(*_span_key(SPAN, team, formula, days))
                .with_for_update()
            )
        ).one()
        if kept.revision == revision and kept.formula == formula.text:
            await session.commit()
            return
        stale = select(SPAN.first_day, SPAN.end_day).where(
            SPAN.team == team, SPAN.kind == formula.kind, SPAN.built_at < now - KEPT_FOR
        )
        for first, end in (await session.execute(stale)).all():
            await _drop(session, team, formula, (first, end))
        await session.execute(delete(AccountPerson).where(*_span_key(P, team, formula, days)))
        leading = [
            literal(workspace),
            literal(team),
            literal(formula.kind),
            literal(days[0], type_=SPAN.first_day.type),
            literal(days[1], type_=SPAN.end_day.type),
        ]
        # An INSERT … SELECT is no ORM query: the view's workspace is named here.
        counted_people = union_all(
            *_people(
                formula,
                leading,
                R.workspace == workspace,
                R.team == team,
                R.answered_at >= days[0],
                R.answered_at < days[1],
            )
        )
        columns_filled = [
            "workspace",
            "team",
            "kind",
            "first_day",
            "end_day",
            "account",
            "person",
            "answers",
            "satisfied",
            "low",
            "value",
        ]
        await session.execute(insert(AccountPerson).from_select(columns_filled, counted_people))
        await session.execute(
            update(AccountSpan)
            .where(*_span_key(SPAN, team, formula, days))
            .values(revision=revision, formula=formula.text, built_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def _drop(session: Any, team: str, formula: Formula, days: Days) -> None:
    await session.execute(delete(AccountPerson).where(*_span_key(P, team, formula, days)))
    await session.execute(delete(AccountSpan).where(*_span_key(SPAN, team, formula, days)))
