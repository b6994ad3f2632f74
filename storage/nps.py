"""Relational NPS rounds in the database: who is active, who was asked lately, a round
stored once with its invitations, and the figures of its answers (GROUP BY, not loops)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
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
from storage.vocabulary import Delivery, DigestPostStatus, NpsOutcome, Purpose, SurveyStatus
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
        .join(Survey, col(Survey.token) == col(NpsInvite.survey_token))
        .join(Response, col(Response.survey_id) == col(Survey.id))
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
    customer_value: float | None
    slot: str | None = None  # wall time in their zone, "2027-01-12T09:41"; None if skipped
    # The invitation of someone asked: its token, when it is due from and expires.
    token: str | None = None
    send_after: datetime | None = None
    expires_at: datetime | None = None
    locale: str | None = None


@dataclass(frozen=True)
class NewRound:
    team: str
    kind: str
    starts_on: str
    spread_days: int
    planned_at: datetime


_SURVEY_COLUMNS = (
    "workspace",
    "token",
    "purpose",
    "team",
    "kind",
    "customer_key",
    "customer_id",
    "customer_email",
    "locale",
    "delivery",
    "status",
    "created_at",
    "send_after",
    "expires_at",
    "attempts",
    "is_test",
)
_INVITE_COLUMNS = (
    "round_id",
    "customer_key",
    "workspace",
    "customer_id",
    "customer_email",
    "outcome",
    "slot",
    "survey_token",
    "customer_value",
)


async def _insert_many(
    session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Many rows in this session's transaction, the driver's fastest way: COPY on
    PostgreSQL, executemany on SQLite. A round is 100,000 rows, and SQLAlchemy's per-row
    parameter processing alone would take most of the 10 s it may take."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        copy = raw.driver_connection.copy_records_to_table  # type: ignore[union-attr]
        await copy(table, records=rows, columns=list(columns))
        return
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    for start in range(0, len(rows), _BATCH * 5):
        await connection.exec_driver_sql(sql, rows[start : start + _BATCH * 5])


def _stored_time(dialect: str, moment: datetime) -> Any:
    """A UTC moment as storage.types.UTCDateTime stores it: naive UTC, and on SQLite the
    text SQLAlchemy writes (so comparisons with other rows hold)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    if dialect == "sqlite":
        return naive.isoformat(" ", "microseconds")
    return naive


async def save_round(db: Database, new: NewRound, invites: Sequence[NewInvite]) -> int | None:
    """Store a round with its invitations (in the outbox) and skips in one transaction;
    None when the round was planned already (here or by another process: the unique
    constraint on team and date decides)."""
    asked = sum(1 for i in invites if i.outcome is NpsOutcome.ASKED)
    try:
        async with db.writing() as session:
            owner = owner_of(session)
            result = await session.execute(
                insert(NpsRound)
                .values(
                    workspace=owner,
                    team=new.team,
                    starts_on=new.starts_on,
                    spread_days=new.spread_days,
                    planned_at=new.planned_at,
                    asked=asked,
                    skipped=len(invites) - asked,
                )
                .returning(col(NpsRound.id))
            )
            round_id = int(str(result.scalar_one()))
            dialect = (await session.connection()).dialect.name
            created = _stored_time(dialect, new.planned_at)
            # A round's slots fall on a few hundred distinct minutes: convert each once.
            stored: dict[datetime, Any] = {}

            def when(moment: datetime) -> Any:
                found = stored.get(moment)
                if found is None:
                    found = stored[moment] = _stored_time(dialect, moment)
                return found

            constant = (Purpose.INVITATION.value, new.team, new.kind)
            sends = [
                (
                    owner,
                    i.token,
                    *constant,
                    i.customer_key,
                    i.customer_id,
                    i.customer_email,
                    i.locale,
                    Delivery.DM.value,
                    SurveyStatus.SCHEDULED.value,
                    created,
                    when(i.send_after),
                    when(i.expires_at),
                    0,
                    False,
                )
                for i in invites
                if i.token and i.send_after and i.expires_at
            ]
            await _insert_many(session, "surveys", _SURVEY_COLUMNS, sends)
            rows = [
                (
                    round_id,
                    i.customer_key,
                    owner,
                    i.customer_id,
                    i.customer_email,
                    i.outcome.value,
                    i.slot,
                    i.token,
                    i.customer_value,
                )
                for i in invites
            ]
            await _insert_many(session, "nps_invites", _INVITE_COLUMNS, rows)
            await session.commit()
    except IntegrityError:
        return None
    if dialect == "postgresql":
        # A round adds up to 100,000 rows at once: without fresh statistics PostgreSQL
        # plans the outbox's claims and the round's joins as if the tables were empty
        # (nested loops over every row) until autovacuum comes by.
        async with db.session() as session:
            await session.execute(text("ANALYZE nps_invites, surveys"))
            await session.commit()
    return round_id


async def slot_of(db: Database, token: str) -> str | None:
    """An NPS invitation's slot (a wall time in its customer's zone), if it has one."""
    async with db.session() as session:
        found = await session.execute(
            select(col(NpsInvite.slot)).where(col(NpsInvite.survey_token) == token).limit(1)
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
        .join(Survey, col(Survey.token) == col(NpsInvite.survey_token))
        .where(col(NpsInvite.round_id) == round_id)
        .group_by(col(Survey.status))
    )
    skipped = select(func.count()).where(
        col(NpsInvite.round_id) == round_id, col(NpsInvite.survey_token).is_(None)
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
        col(Survey.token) == col(NpsInvite.survey_token),
    )
    answer_of = col(Response.survey_id) == col(Survey.id)
    value = func.coalesce(col(NpsInvite.customer_value), 0.0)
    by_score = (
        select(col(Response.score), func.count(), func.sum(value))
        .select_from(NpsInvite)
        .join(Survey, of_round)
        .join(Response, answer_of)
        .group_by(col(Response.score))
    )
    by_reason = (
        select(col(ResponseReason.reason), func.count(), func.sum(value))
        .select_from(NpsInvite)
        .join(Survey, of_round)
        .join(Response, answer_of)
        .join(ResponseReason, col(ResponseReason.response_id) == col(Response.id))
        .where(col(Response.score) <= detractor_max)
        .group_by(col(ResponseReason.reason))
    )
    words = (
        select(col(Response.comment))
        .select_from(NpsInvite)
        .join(Survey, of_round)
        .join(Response, answer_of)
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
    survey_token: str | None


async def invites_of(db: Database, round_id: int) -> list[InviteRecord]:
    """What the round decided for each customer, by customer key."""
    async with db.session() as session:
        rows = await session.execute(
            select(NpsInvite)
            .where(col(NpsInvite.round_id) == round_id)
            .order_by(col(NpsInvite.customer_key))
        )
        return [
            InviteRecord(r.customer_key, r.customer_id, r.outcome, r.slot, r.survey_token)
            for r in rows.scalars()
        ]
