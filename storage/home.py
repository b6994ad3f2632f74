"""What App Home and its drill-down read: SQL aggregates and pages under a LIMIT.

Like storage/digests.py, every function answers frozen values built from COUNT /
GROUP BY results or a handful of rows; nothing walks a month of answers in Python.
A lead's test answers are left out everywhere. Storage does not know the scales:
callers pass thresholds in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, func, select, union_all

from storage import tallies
from storage.answer_sql import (
    RR,
    UNRESOLVED_ALERTS,
    A,
    Histogram,
    R,
    S,
    answers_matching,
    answers_of,
    columns,
    counted,
    has_comment,
    histograms_by,
)
from storage.db import Database
from storage.models import Alert, Conversation, Response, Survey

V = columns(Conversation)

PAGE_SIZE = 20


@dataclass(frozen=True)
class OpenAlert:
    """An alert still waiting, with the answer behind it."""

    alert_id: int
    status: str  # "open" | "claimed"
    created_at: datetime
    claimed_by: str | None
    score: int
    kind: str
    agent_id: str | None
    customer_id: str | None
    customer_email: str | None


@dataclass(frozen=True)
class OpenAlerts:
    oldest: tuple[OpenAlert, ...]  # oldest first, at most the limit asked for
    total: int


@dataclass(frozen=True)
class Comment:
    response_id: int
    score: int
    comment: str
    agent_id: str | None
    answered_at: datetime


@dataclass(frozen=True)
class AnswerRow:
    """One answer behind a figure, with what links it to its conversation."""

    response_id: int
    score: int
    kind: str
    reasons: tuple[str, ...]
    comment: str | None
    answered_at: datetime
    agent_id: str | None
    customer_id: str | None
    customer_email: str | None
    source: str
    channel_id: str | None
    thread_ts: str | None
    external_id: str


@dataclass(frozen=True)
class AnswerPage:
    rows: tuple[AnswerRow, ...]
    total: int  # answers matching the filters, all pages together


@dataclass(frozen=True)
class AgentAnswers:
    kind: str
    histogram: Histogram


async def score_windows(
    db: Database,
    team: str,
    kind: str,
    weeks: Sequence[datetime],
    windows: Sequence[datetime],
) -> tuple[list[Histogram], list[Histogram]]:
    """Score histograms of consecutive weeks and of consecutive windows (the last 30
    days and the 30 before), in one statement.

    All boundaries together cut time into segments; each segment's whole hours come
    from the hourly tallies and its ragged ends from the answers (storage.tallies).
    Weeks and windows are then sums of their segments.
    """
    cuts = sorted(set(weeks) | set(windows))
    segments = list(pairwise(cuts))
    by_week: list[Histogram] = [{} for _ in weeks[1:]]
    by_window: list[Histogram] = [{} for _ in windows[1:]]
    async with db.session() as session:
        rows = (await session.execute(tallies.score_segments(team, kind, segments))).all()
    for segment, score, count in rows:
        if not count or int(segment) < 0:
            continue  # a tally whose answers all moved away, or an hour the ends count
        start, end = segments[int(segment)]
        for bounds, histograms in ((weeks, by_week), (windows, by_window)):
            for index, (low, high) in enumerate(pairwise(bounds)):
                if low <= start and end <= high:
                    bucket = histograms[index]
                    bucket[int(score)] = bucket.get(int(score), 0) + int(count)
    return by_week, by_window


def _reasons_of_answer() -> Any:
    """The answer's reason codes, comma-joined in code order (for the page's rows only)."""
    return (
        select(func.aggregate_strings(RR.reason, ","))
        .where(RR.response_id == R.id)
        .scalar_subquery()
    )


async def open_alerts(db: Database, team: str, *, limit: int = 5) -> OpenAlerts:
    """The team's unresolved alerts, oldest first, and how many there are in all.

    The oldest of each status come from ix_alerts_team_status_created, a few rows each,
    then merge: one ORDER BY over both statuses sorted every unresolved alert."""
    # Each in its own subquery: SQLite takes no LIMIT on a member of a UNION.
    each = [
        select(A.id.label("id"))
        .where(A.team == team, A.status == status)
        .order_by(A.created_at, A.id)
        .limit(limit)
        .subquery()
        for status in UNRESOLVED_ALERTS
    ]
    oldest = union_all(*(select(one.c.id) for one in each)).subquery()
    query = (
        select(
            A.id,
            A.status,
            A.created_at,
            A.claimed_by,
            R.score,
            R.kind,
            S.agent_id,
            S.customer_id,
            S.customer_email,
        )
        .select_from(Alert)
        .join(oldest, oldest.c.id == A.id)
        .join(Survey, S.id == A.survey_id)
        .join(Response, R.survey_id == A.survey_id)
        .order_by(A.created_at, A.id)
        .limit(limit)
    )
    count = select(func.count()).where(A.team == team, A.status.in_(UNRESOLVED_ALERTS))
    async with db.session() as session:
        rows = (await session.execute(query)).all()
        total = int((await session.execute(count)).scalar_one())
    return OpenAlerts(tuple(OpenAlert(*row) for row in rows), total)


async def latest_comments(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    high_min: int,
    praise: int = 3,
    others: int = 2,
) -> list[Comment]:
    """The newest praise, then the newest other comments: two LIMIT queries on the index."""
    found: list[Comment] = []
    for is_praise, limit in ((True, praise), (False, others)):
        band = R.score >= high_min if is_praise else R.score < high_min
        query = (
            select(R.id, R.score, R.comment, R.agent_id, R.answered_at)
            .where(*answers_of(team, kind, start, end), band, has_comment())
            .order_by(R.answered_at.desc(), R.id.desc())
            .limit(limit)
        )
        async with db.session() as session:
            found += [Comment(*row) for row in (await session.execute(query)).all()]
    return found


def _credited_to(agent_id: str, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The counted answers of [start, end) that credit this agent, in every team."""
    return [R.agent_id == agent_id, R.answered_at >= start, R.answered_at < end, counted()]


async def agent_histograms(
    db: Database, agent_id: str, start: datetime, end: datetime
) -> list[AgentAnswers]:
    """One agent's answers of the period, per survey kind (GROUP BY kind, score)."""
    query = (
        select(R.kind, R.score, func.count())
        .where(*_credited_to(agent_id, start, end))
        .group_by(R.kind, R.score)
        .order_by(R.kind)
    )
    async with db.session() as session:
        kinds = histograms_by((await session.execute(query)).all())
    return [AgentAnswers(kind, histogram) for kind, histogram in kinds.items()]


async def agent_praise(
    db: Database, agent_id: str, start: datetime, end: datetime, *, high_min: int, limit: int = 3
) -> list[Comment]:
    """The agent's newest praise in words."""
    query = (
        select(R.id, R.score, R.comment, R.agent_id, R.answered_at)
        .where(*_credited_to(agent_id, start, end), R.score >= high_min, has_comment())
        .order_by(R.answered_at.desc(), R.id.desc())
        .limit(limit)
    )
    async with db.session() as session:
        return [Comment(*row) for row in (await session.execute(query)).all()]


async def is_credited_agent(db: Database, user_id: str) -> bool:
    """True when some counted answer credits this person as the agent."""
    query = select(R.id).where(R.agent_id == user_id, counted()).limit(1)
    async with db.session() as session:
        return (await session.execute(query)).first() is not None


async def answers_page(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    score_max: int | None = None,
    reason: str | None = None,
    agent_id: str | None = None,
    account: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> AnswerPage:
    """One page of the answers behind a figure, newest first, and how many match.

    The page is cut from the index first (ids under LIMIT/OFFSET), then only those
    rows are joined to their surveys and conversations.
    """
    conditions = answers_matching(team, kind, start, end, score_max=score_max, reason=reason)
    if agent_id is not None:
        conditions.append(R.agent_id == agent_id)
    if account is not None:
        conditions.append(R.account == account)
    ids = (
        select(R.id)
        .where(*conditions)
        .order_by(R.answered_at.desc(), R.id.desc())
        .limit(page_size)
        .offset(max(0, page) * page_size)
        .subquery()
    )
    query = (
        select(
            R.id,
            R.score,
            R.kind,
            _reasons_of_answer(),
            R.comment,
            R.answered_at,
            R.agent_id,
            S.customer_id,
            S.customer_email,
            V.source,
            V.channel_id,
            V.thread_ts,
            V.external_id,
        )
        .select_from(Response)
        .join(ids, ids.c.id == R.id)
        .join(Survey, S.id == R.survey_id)
        .join(Conversation, V.id == S.conversation_id)
        .order_by(R.answered_at.desc(), R.id.desc())
    )
    # Without an agent or an account, the tallies know how many (storage.tallies).
    by_tallies = agent_id is None and account is None
    count = (
        tallies.answer_count(team, kind, start, end, score_max=score_max, reason=reason)
        if by_tallies
        else select(func.count()).where(*conditions)
    )
    async with db.session() as session:
        rows = (await session.execute(query)).all()
        total = sum(int(n or 0) for (n,) in (await session.execute(count)).all())
    return AnswerPage(
        tuple(
            AnswerRow(
                response_id=int(row[0]),
                score=int(row[1]),
                kind=str(row[2]),
                reasons=_codes(row[3]),
                comment=row[4],
                answered_at=row[5],
                agent_id=row[6],
                customer_id=row[7],
                customer_email=row[8],
                source=str(row[9]),
                channel_id=row[10],
                thread_ts=row[11],
                external_id=str(row[12]),
            )
            for row in rows
        ),
        total,
    )


def _codes(reasons: str | None) -> tuple[str, ...]:
    return tuple(sorted(code for code in (reasons or "").split(",") if code))
