"""Relational NPS rounds in the database: who is active, who was asked lately, a round
stored once with its invitations, and the figures of its answers (GROUP BY, not loops)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.closes import ASKED
from storage.db import Database
from storage.models import (
    Conversation,
    CustomerEmail,
    NpsInvite,
    NpsRound,
    Response,
    ResponseReason,
    Survey,
)
from storage.surveys import NewSurvey
from storage.vocabulary import DigestPostStatus, NpsOutcome, Purpose, SurveyStatus
from storage.workspaces import owner_of

# A survey that will not be answered any more, or was: the round waits for no other.
SETTLED = (
    SurveyStatus.ANSWERED,
    SurveyStatus.EXPIRED,
    SurveyStatus.FAILED,
    SurveyStatus.CANCELLED,
    SurveyStatus.UNREACHABLE,
    SurveyStatus.THROTTLED,
    SurveyStatus.TOO_LATE,
)
# Rows per INSERT statement: within PostgreSQL's 32,767 parameters at 12 columns a row.
_BATCH = 2000


@dataclass(frozen=True)
class ActiveCustomer:
    """A customer with a conversation of the team closed since the audience's start."""

    key: str  # storage.customers.stable_key, emails linked to their Slack id
    customer_id: str | None
    customer_email: str | None
    value: float | None  # the largest monthly value their conversations carried
    locale: str | None


async def active_customers(db: Database, team: str, since: datetime) -> list[ActiveCustomer]:
    """Everyone with a conversation of `team` closed since `since`, once each."""
    email = func.lower(col(Conversation.customer_email))
    query = (
        select(
            col(Conversation.customer_id),
            email,
            func.max(col(Conversation.customer_value)),
            func.max(col(Conversation.locale)),
        )
        .where(col(Conversation.team) == team, col(Conversation.closed_at) >= since)
        .group_by(col(Conversation.customer_id), email)
    )
    async with db.session() as session:
        rows = (await session.execute(query)).all()
        linked = await _email_links(db)
    found: dict[str, ActiveCustomer] = {}
    for customer_id, address, value, locale in rows:
        slack_id = customer_id or linked.get(address or "")
        key = slack_id or address
        if not key:
            continue
        seen = found.get(key)
        if seen is not None:
            values = [v for v in (seen.value, value) if v is not None]
            value = max(values) if values else None
            address = seen.customer_email or address
            locale = seen.locale or locale
        found[key] = ActiveCustomer(key, slack_id, address, value, locale)
    return list(found.values())


async def _email_links(db: Database) -> dict[str, str]:
    async with db.session() as session:
        rows = await session.execute(select(col(CustomerEmail.email), col(CustomerEmail.slack_id)))
        return {str(email): str(slack_id) for email, slack_id in rows.all()}


async def last_asked(db: Database, since: datetime) -> dict[str, datetime]:
    """When each customer was last asked anything (CSAT, CES, NPS) since `since`, by key;
    an email key linked to a Slack id counts for that id too."""
    query = (
        select(col(Survey.customer_key), func.max(col(Survey.created_at)))
        .where(
            col(Survey.created_at) >= since,
            col(Survey.status).in_(ASKED),
            col(Survey.is_test).is_(False),
            col(Survey.purpose) != Purpose.REMINDER,  # a reminder asks nothing new
        )
        .group_by(col(Survey.customer_key))
    )
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    linked = await _email_links(db)
    asked: dict[str, datetime] = {}
    for key, at in rows:
        for name in {str(key), linked.get(str(key), str(key))}:
            asked[name] = max(asked.get(name, at), at)
    return asked


@dataclass(frozen=True)
class RoundRecord:
    id: int
    team: str
    starts_on: str
    spread_days: int
    planned_at: datetime
    asked: int
    skipped: int
    closed_at: datetime | None
    report_status: DigestPostStatus | None


def _round(row: NpsRound) -> RoundRecord:
    assert row.id is not None
    return RoundRecord(
        row.id,
        row.team,
        row.starts_on,
        row.spread_days,
        row.planned_at,
        row.asked,
        row.skipped,
        row.closed_at,
        row.report_status,
    )


async def rounds_of(db: Database, team: str) -> list[RoundRecord]:
    """The team's rounds, oldest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(NpsRound).where(col(NpsRound.team) == team).order_by(col(NpsRound.starts_on))
        )
        return [_round(row) for row in rows.scalars()]


async def answered_in(db: Database, round_id: int) -> set[str]:
    """The customers who answered this round."""
    query = (
        select(col(NpsInvite.customer_key))
        .join(Response, col(Response.survey_id) == col(NpsInvite.survey_id))
        .where(col(NpsInvite.round_id) == round_id)
    )
    async with db.session() as session:
        return {str(key) for key in (await session.execute(query)).scalars()}


@dataclass(frozen=True)
class NewInvite:
    customer_key: str
    customer_id: str | None
    customer_email: str | None
    outcome: NpsOutcome
    slot: str | None  # wall time in their zone, "2027-01-12T09:41"
    customer_value: float | None
    survey: NewSurvey | None  # the invitation, for those asked


async def save_round(
    db: Database,
    team: str,
    starts_on: str,
    spread_days: int,
    planned_at: datetime,
    invites: Sequence[NewInvite],
) -> int | None:
    """Store a round with its invitations and skips in one transaction; None when the
    round was planned already (here or by another process: the unique constraint)."""
    asked = sum(1 for i in invites if i.outcome is NpsOutcome.ASKED)
    try:
        async with db.writing() as session:
            owner = owner_of(session)
            result = await session.execute(
                insert(NpsRound)
                .values(
                    workspace=owner,
                    team=team,
                    starts_on=starts_on,
                    spread_days=spread_days,
                    planned_at=planned_at,
                    asked=asked,
                    skipped=len(invites) - asked,
                )
                .returning(col(NpsRound.id))
            )
            round_id = int(str(result.scalar_one()))
            sends = [i for i in invites if i.survey is not None]
            survey_ids: list[int] = []
            columns: Any = Survey.__table__  # type: ignore[attr-defined]
            for start in range(0, len(sends), _BATCH):
                batch = sends[start : start + _BATCH]
                inserted = await session.execute(
                    insert(columns).returning(columns.c.id, sort_by_parameter_order=True),
                    [{**_values(i.survey), "workspace": owner} for i in batch if i.survey],
                )
                survey_ids += [int(x) for x in inserted.scalars()]
            ids = dict(zip((id(i) for i in sends), survey_ids, strict=True))
            rows = [
                {
                    "round_id": round_id,
                    "customer_key": i.customer_key,
                    "workspace": owner,
                    "customer_id": i.customer_id,
                    "customer_email": i.customer_email,
                    "outcome": i.outcome.value,
                    "slot": i.slot,
                    "survey_id": ids.get(id(i)),
                    "customer_value": i.customer_value,
                }
                for i in invites
            ]
            table: Any = NpsInvite.__table__  # type: ignore[attr-defined]
            for start in range(0, len(rows), _BATCH):
                await session.execute(insert(table), rows[start : start + _BATCH])
            await session.commit()
    except IntegrityError:
        return None
    return round_id


def _values(new: NewSurvey | None) -> dict[str, Any]:
    assert new is not None
    return {field.name: getattr(new, field.name) for field in fields(new)}


async def slot_of(db: Database, survey_id: int) -> str | None:
    """An NPS invitation's slot (a wall time in its customer's zone), if it has one."""
    async with db.session() as session:
        found = await session.execute(
            select(col(NpsInvite.slot)).where(col(NpsInvite.survey_id) == survey_id).limit(1)
        )
        slot = found.scalar_one_or_none()
        return str(slot) if slot else None


@dataclass(frozen=True)
class Progress:
    asked: int
    skipped: int
    waiting: int  # not yet answered, expired or given up
    answered: int


async def progress(db: Database, round_id: int) -> Progress:
    query = (
        select(col(Survey.status), func.count())
        .select_from(NpsInvite)
        .join(Survey, col(Survey.id) == col(NpsInvite.survey_id))
        .where(col(NpsInvite.round_id) == round_id)
        .group_by(col(Survey.status))
    )
    skipped = select(func.count()).where(
        col(NpsInvite.round_id) == round_id, col(NpsInvite.survey_id).is_(None)
    )
    async with db.session() as session:
        counts = {SurveyStatus(s): int(n) for s, n in (await session.execute(query)).all()}
        left_out = int((await session.execute(skipped)).scalar_one())
    waiting = sum(n for s, n in counts.items() if s not in SETTLED)
    return Progress(
        asked=sum(counts.values()),
        skipped=left_out,
        waiting=waiting,
        answered=counts.get(SurveyStatus.ANSWERED, 0),
    )


@dataclass(frozen=True)
class RoundAnswers:
    """A round's answers as the report needs them."""

    scores: dict[int, int]  # score -> answers
    detractor_value: float  # the monthly values of detractors, summed
    reasons: dict[str, tuple[int, float]]  # a detractor's reason -> (answers, their value)
    quotes: list[str]  # promoters' words, fullest first


async def round_answers(
    db: Database, round_id: int, *, detractor_max: int, promoter_min: int, quotes: int = 3
) -> RoundAnswers:
    of_round = and_(
        col(NpsInvite.round_id) == round_id,
        col(Response.survey_id) == col(NpsInvite.survey_id),
    )
    value = func.coalesce(col(NpsInvite.customer_value), 0.0)
    by_score = (
        select(col(Response.score), func.count(), func.sum(value))
        .select_from(NpsInvite)
        .join(Response, of_round)
        .group_by(col(Response.score))
    )
    by_reason = (
        select(col(ResponseReason.reason), func.count(), func.sum(value))
        .select_from(NpsInvite)
        .join(Response, of_round)
        .join(ResponseReason, col(ResponseReason.response_id) == col(Response.id))
        .where(col(Response.score) <= detractor_max)
        .group_by(col(ResponseReason.reason))
    )
    words = (
        select(col(Response.comment))
        .select_from(NpsInvite)
        .join(Response, of_round)
        .where(
            col(Response.score) >= promoter_min,
            col(Response.comment).is_not(None),
            col(Response.comment) != "",
        )
        .order_by(func.length(col(Response.comment)).desc(), col(Response.answered_at).desc())
        .limit(quotes)
    )
    async with db.session() as session:
        scores: dict[int, int] = {}
        at_risk = 0.0
        for score, count, total in (await session.execute(by_score)).all():
            scores[int(score)] = int(count)
            if int(score) <= detractor_max:
                at_risk += float(total or 0.0)
        reasons = {
            str(r): (int(n), float(v or 0.0))
            for r, n, v in (await session.execute(by_reason)).all()
        }
        said = [str(c) for c in (await session.execute(words)).scalars() if c]
    return RoundAnswers(scores, at_risk, reasons, said)


async def claim_report(db: Database, round_id: int, now: datetime) -> bool:
    """The one process that posts this round's report (a conditional update, like digests)."""
    claimed = await db.write(
        update(NpsRound)
        .where(
            col(NpsRound.id) == round_id,
            col(NpsRound.report_status).is_(None)
            | (col(NpsRound.report_status) == DigestPostStatus.FAILED),
        )
        .values(report_status=DigestPostStatus.POSTING, closed_at=now)
    )
    return claimed == 1


async def report_done(
    db: Database, round_id: int, status: DigestPostStatus, ts: str | None = None
) -> None:
    await db.write(
        update(NpsRound)
        .where(col(NpsRound.id) == round_id)
        .values(report_status=status, report_ts=ts)
    )


@dataclass(frozen=True)
class InviteRecord:
    customer_key: str
    customer_id: str | None
    outcome: NpsOutcome
    slot: str | None
    survey_id: int | None


async def invites_of(db: Database, round_id: int) -> list[InviteRecord]:
    """What the round decided for each customer, by customer key."""
    async with db.session() as session:
        rows = await session.execute(
            select(NpsInvite)
            .where(col(NpsInvite.round_id) == round_id)
            .order_by(col(NpsInvite.customer_key))
        )
        return [
            InviteRecord(r.customer_key, r.customer_id, r.outcome, r.slot, r.survey_id)
            for r in rows.scalars()
        ]
