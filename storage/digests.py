"""The digest's figures as SQL aggregates, and the rows that make a digest post once.

Every function here returns counts and sums computed by the database (GROUP BY,
COUNT, SUM over CASE), or a handful of rows under a LIMIT; nothing loads a week of
answers into Python. Storage does not know the survey scales: callers pass the
thresholds and reason codes in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    case,
    cast,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from storage import tallies
from storage.answer_sql import (
    UNRESOLVED_ALERTS,
    A,
    R,
    S,
    answers_of,
    cites,
    columns,
    has_comment,
    histograms_by,
)
from storage.answer_sql import Histogram as Histogram  # the digest's callers read it here
from storage.db import Database
from storage.models import DigestPost
from storage.vocabulary import AlertStatus, DigestPostStatus, SurveyStatus

P = columns(DigestPost)


@dataclass(frozen=True)
class Delivery:
    """Surveys delivered in a period and how many of those were answered (ever)."""

    delivered: int
    answered: int


@dataclass(frozen=True)
class QuotedAnswer:
    """One answer with a comment, picked to be quoted (praise or an example)."""

    response_id: int
    score: int
    comment: str
    agent_id: str | None
    answered_at: datetime


@dataclass(frozen=True)
class AlertFigures:
    unresolved: int  # open or claimed, created before `as_of`
    unclaimed: int  # of those, nobody said "I'll follow up" yet
    oldest_unresolved_at: datetime | None
    resolved_in_period: int


@dataclass(frozen=True)
class CustomerValue:
    """Monthly value of the distinct answering customers that carry one."""

    customers: int
    total_value: float
    dissatisfied_customers: int
    dissatisfied_value: float


@dataclass(frozen=True)
class AgentAnswers:
    agent_id: str
    histogram: Histogram = field(default_factory=dict)


async def weekly_histograms(
    db: Database, team: str, kind: str, boundaries: Sequence[datetime]
) -> list[Histogram]:
    """Score histogram of each period between consecutive boundaries, in one query.

    ``boundaries`` are n+1 ascending UTC instants (local Mondays, so DST-shifted weeks
    stay exact); a CASE maps each answer to its period index, then GROUP BY.
    """
    if len(boundaries) < 2:
        return []
    week = case(
        *[(R.answered_at < boundaries[i + 1], literal(i)) for i in range(len(boundaries) - 1)],
        else_=literal(-1),
    ).label("week")
    query = (
        select(week, R.score, func.count())
        .where(*answers_of(team, kind, boundaries[0], boundaries[-1]))
        .group_by(week, R.score)
    )
    histograms: list[Histogram] = [{} for _ in range(len(boundaries) - 1)]
    async with db.session() as session:
        for index, score, count in (await session.execute(query)).all():
            if 0 <= index < len(histograms):
                histograms[index][int(score)] = int(count)
    return histograms


async def delivery(db: Database, team: str, start: datetime, end: datetime) -> Delivery:
    """Surveys delivered in [start, end) and, of those, the ones answered.

    Counting answers to the period's deliveries (not answers received in it) keeps the
    response rate within 0..100 %. An answered survey is marked so in the transaction
    that stores its answer, and the delivery tallies follow it there.
    """
    async with db.session() as session:
        rows = (await session.execute(tallies.deliveries(team, start, end))).all()
    return Delivery(
        delivered=sum(int(row[0] or 0) for row in rows),
        answered=sum(int(row[1] or 0) for row in rows),
    )


async def reason_histograms(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    reasons: Sequence[str],
    *,
    score_max: int | None = None,
) -> dict[str, Histogram]:
    """For each reason code, the score histogram of the answers citing it, in one query
    (the period's whole hours from the tallies, its ends from the answers).

    Only low scores are asked for reasons: `score_max` keeps the others out.
    """
    if not reasons:
        return {}
    query = tallies.reason_scores(team, kind, start, end, reasons, score_max)
    result: dict[str, Histogram] = {r: {} for r in reasons}
    async with db.session() as session:
        for reason, score, count in (await session.execute(query)).all():
            if count:
                histogram = result[str(reason)]
                histogram[int(score)] = histogram.get(int(score), 0) + int(count)
    return result


async def praise(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    high_min: int,
    limit: int = 3,
) -> list[QuotedAnswer]:
    """The best comments of the period: high scores, fullest comments first, then newest."""
    query = (
        select(R.id, R.score, R.comment, R.agent_id, R.answered_at)
        .where(*answers_of(team, kind, start, end), R.score >= high_min, has_comment())
        .order_by(func.length(R.comment).desc(), R.answered_at.desc(), R.id)
        .limit(limit)
    )
    return await _quoted(db, query)


async def example_comments(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    reasons: Sequence[str],
    *,
    low_max: int,
) -> dict[str, QuotedAnswer]:
    """One recent low-score comment per reason (a few reasons, one LIMIT 1 query each).

    A comment already used for one reason is not repeated for the next.
    """
    examples: dict[str, QuotedAnswer] = {}
    for reason in reasons:
        used = [q.response_id for q in examples.values()]
        query = (
            select(
                R.id,
                R.score,
                R.comment,
                R.agent_id,
                R.answered_at,
            )
            .where(
                *answers_of(team, kind, start, end),
                R.score <= low_max,
                cites(reason),
                has_comment(),
                R.id.not_in(used),
            )
            .order_by(R.answered_at.desc(), R.id.desc())
            .limit(1)
        )
        found = await _quoted(db, query)
        if found:
            examples[reason] = found[0]
    return examples


async def agent_comments(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    per_agent: int = 3,
) -> dict[str, list[QuotedAnswer]]:
    """Each agent's newest commented answers of the period, for their private summaries.

    One query: ROW_NUMBER() per agent over the period's commented answers, cut at
    `per_agent` (window functions: SQLite 3.25+ and PostgreSQL).
    """
    rank = (
        func.row_number()
        .over(partition_by=R.agent_id, order_by=(R.answered_at.desc(), R.id.desc()))
        .label("rank")
    )
    ranked = (
        select(R.id, R.score, R.comment, R.agent_id, R.answered_at, rank)
        .where(*answers_of(team, kind, start, end), R.agent_id.is_not(None), has_comment())
        .subquery()
    )
    query = (
        select(
            ranked.c.id, ranked.c.score, ranked.c.comment, ranked.c.agent_id, ranked.c.answered_at
        )
        .where(ranked.c.rank <= per_agent)
        .order_by(ranked.c.agent_id, ranked.c.rank)
    )
    comments: dict[str, list[QuotedAnswer]] = {}
    for answer in await _quoted(db, query):
        comments.setdefault(str(answer.agent_id), []).append(answer)
    return comments


async def _quoted(db: Database, query: Select[Any]) -> list[QuotedAnswer]:
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [
        QuotedAnswer(
            response_id=int(rid),
            score=int(score),
            comment=str(comment),
            agent_id=agent,
            answered_at=answered_at,
        )
        for rid, score, comment, agent, answered_at in rows
    ]


async def agent_histograms(
    db: Database, team: str, kind: str, start: datetime, end: datetime
) -> list[AgentAnswers]:
    """Score histogram per agent credited with answers in the period (GROUP BY agent, score)."""
    query = (
        select(R.agent_id, R.score, func.count())
        .where(*answers_of(team, kind, start, end), R.agent_id.is_not(None))
        .group_by(R.agent_id, R.score)
        .order_by(R.agent_id)
    )
    async with db.session() as session:
        agents = histograms_by((await session.execute(query)).all())
    return [AgentAnswers(agent, histogram) for agent, histogram in agents.items()]


async def alert_figures(
    db: Database, team: str, start: datetime, end: datetime, *, as_of: datetime
) -> AlertFigures:
    """Alerts still waiting at `as_of` (and the oldest one), and those resolved in the period."""
    waiting = select(
        func.count(),
        func.sum(case((A.status == AlertStatus.OPEN, 1), else_=0)),
        func.min(A.created_at),
    ).where(A.team == team, A.status.in_(UNRESOLVED_ALERTS), A.created_at < as_of)
    resolved = select(func.count()).where(
        A.team == team,
        A.status == AlertStatus.RESOLVED,
        A.resolved_at >= start,
        A.resolved_at < end,
    )
    # Two queries, each answered from its index; an OR of both would scan the table.
    async with db.session() as session:
        unresolved, unclaimed, oldest = (await session.execute(waiting)).one()
        resolved_count = (await session.execute(resolved)).scalar_one()
    if isinstance(oldest, str):  # SQLite's MIN over a CASE loses the column type
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=as_of.tzinfo)
    return AlertFigures(
        unresolved=int(unresolved or 0),
        unclaimed=int(unclaimed or 0),
        oldest_unresolved_at=oldest,
        resolved_in_period=int(resolved_count or 0),
    )


async def customer_value(
    db: Database,
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    satisfied_min: int,
) -> CustomerValue:
    """Summed monthly value of the period's customers, each counted once.

    A customer is dissatisfied when any of their answers is below the satisfied
    threshold (neutral included). Answers without a customer id count on their own.
    """
    customer = func.coalesce(R.customer_id, literal("response:") + cast(R.id, String))
    per_customer = (
        select(
            func.max(R.customer_value).label("value"),
            func.max(case((R.score < satisfied_min, 1), else_=0)).label("dissatisfied"),
        )
        .where(*answers_of(team, kind, start, end), R.customer_value.is_not(None))
        .group_by(customer)
        .subquery()
    )
    query = select(
        func.count(),
        func.coalesce(func.sum(per_customer.c.value), 0.0),
        func.coalesce(func.sum(per_customer.c.dissatisfied), 0),
        func.coalesce(
            func.sum(case((per_customer.c.dissatisfied == 1, per_customer.c.value), else_=0.0)),
            0.0,
        ),
    )
    async with db.session() as session:
        customers, total, dissatisfied, at_risk = (await session.execute(query)).one()
    return CustomerValue(
        customers=int(customers),
        total_value=float(total),
        dissatisfied_customers=int(dissatisfied),
        dissatisfied_value=float(at_risk),
    )


async def unreachable_customers(db: Database, team: str, start: datetime, end: datetime) -> int:
    """Distinct customers whose surveys of the period could not reach them in Slack."""
    query = select(func.count(func.distinct(S.customer_key))).where(
        S.team == team,
        S.status == SurveyStatus.UNREACHABLE,
        S.created_at >= start,
        S.created_at < end,
    )
    async with db.session() as session:
        return int((await session.execute(query)).scalar_one())


# ------------------------------------------------------------------ posting once

# A message Slack refused is tried again on later ticks, this many times in all.
MAX_POST_ATTEMPTS = 5


@dataclass(frozen=True)
class PostRecord:
    status: DigestPostStatus
    channel_id: str | None
    message_ts: str | None
    attempts: int = 0

    @property
    def retryable(self) -> bool:
        return self.status is DigestPostStatus.FAILED and self.attempts < MAX_POST_ATTEMPTS


async def posted_digests(db: Database, team: str, period: str) -> dict[str, PostRecord]:
    """digest -> the row already claimed for this team and week."""
    async with db.session() as session:
        result = await session.execute(
            select(P.digest, P.status, P.channel_id, P.message_ts, P.attempts).where(
                P.team == team, P.period == period
            )
        )
        return {
            digest: PostRecord(DigestPostStatus(status), channel, ts, attempts)
            for digest, status, channel, ts, attempts in result.all()
        }


async def claim_digest(
    db: Database,
    team: str,
    period: str,
    digest: str,
    now: datetime,
    *,
    retry_failed: bool = False,
    any_attempt: bool = False,
) -> bool:
    """Insert the unique (team, period, digest) row; False if it already exists.

    The unique constraint decides, so two processes or a double fire post once. With
    `retry_failed`, a row left "failed" is taken back by a conditional UPDATE (atomic).
    """
    async with db.session() as session:
        session.add(
            DigestPost(
                team=team,
                period=period,
                digest=digest,
                status=DigestPostStatus.POSTING,
                created_at=now,
            )
        )
        try:
            await session.commit()
            return True
        except IntegrityError:
            await session.rollback()
        if not retry_failed:
            return False
        result = await session.execute(
            update(DigestPost)
            .where(
                P.team == team,
                P.period == period,
                P.digest == digest,
                P.status == DigestPostStatus.FAILED,
                true() if any_attempt else P.attempts < MAX_POST_ATTEMPTS,
            )
            .values(status=DigestPostStatus.POSTING, created_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        return int(getattr(result, "rowcount", 0)) == 1


async def finish_digest(
    db: Database,
    team: str,
    period: str,
    digest: str,
    *,
    status: DigestPostStatus,
    channel_id: str | None = None,
    message_ts: str | None = None,
) -> None:
    async with db.session() as session:
        await session.execute(
            update(DigestPost)
            .where(
                P.team == team,
                P.period == period,
                P.digest == digest,
            )
            .values(
                status=status,
                channel_id=channel_id,
                message_ts=message_ts,
                attempts=P.attempts + (1 if status is DigestPostStatus.FAILED else 0),
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
