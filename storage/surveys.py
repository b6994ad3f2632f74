"""Conversations and the survey outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import Database
from storage.models import Conversation, Survey

WAITING = ("scheduled", "sending")
# Statuses that mean the customer was (or is about to be) asked: they count for the throttle.
ASKED = ("scheduled", "sending", "delivered", "answered", "expired")


@dataclass(frozen=True)
class Recorded:
    """What storing a close did: the survey (if any) and whether it was new."""

    conversation: Conversation
    survey: Survey | None
    created: bool


async def record_close(db: Database, conversation: Conversation, survey: Survey | None) -> Recorded:
    """Store a closed conversation and its survey in one transaction.

    The unique (source, external_id) row decides duplicates, so two deliveries of
    the same close racing each other still leave exactly one survey.
    """
    async with db.session() as session:
        session.add(conversation)
        try:
            await session.flush()
            if survey is not None:
                assert conversation.id is not None  # flushed: the database gave it an id
                survey.conversation_id = conversation.id
                session.add(survey)
            await session.commit()
            return Recorded(conversation, survey, created=True)
        except IntegrityError:
            await session.rollback()
    existing = await find_conversation(db, conversation.source, conversation.external_id)
    if existing is None:  # the conflict was not the conversation: surface it
        raise RuntimeError("conversation insert failed without an existing row")
    assert existing.id is not None
    return Recorded(existing, await survey_for_conversation(db, existing.id), created=False)


async def find_conversation(db: Database, source: str, external_id: str) -> Conversation | None:
    async with db.session() as session:
        result = await session.execute(
            select(Conversation).where(
                col(Conversation.source) == source, col(Conversation.external_id) == external_id
            )
        )
        return result.scalar_one_or_none()


async def survey_for_conversation(db: Database, conversation_id: int) -> Survey | None:
    async with db.session() as session:
        result = await session.execute(
            select(Survey).where(col(Survey.conversation_id) == conversation_id)
        )
        return result.scalar_one_or_none()


async def conversation_of(db: Database, survey: Survey) -> Conversation | None:
    async with db.session() as session:
        return await session.get(Conversation, survey.conversation_id)


async def get_survey(db: Database, survey_id: int) -> Survey | None:
    async with db.session() as session:
        return await session.get(Survey, survey_id)


async def survey_by_token(db: Database, token: str) -> Survey | None:
    async with db.session() as session:
        result = await session.execute(select(Survey).where(col(Survey.token) == token))
        return result.scalar_one_or_none()


async def customer_asked_since(db: Database, customer_key: str, since: datetime) -> bool:
    async with db.session() as session:
        result = await session.execute(
            select(func.count())
            .select_from(Survey)
            .where(
                col(Survey.customer_key) == customer_key,
                col(Survey.created_at) >= since,
                col(Survey.status).in_(ASKED),
                col(Survey.is_test).is_(False),  # a lead trying the survey is no customer
            )
        )
        return bool(result.scalar_one())


def _due(now: datetime) -> ColumnElement[bool]:
    """Due now: waiting to be sent, or claimed by a sender that died (its lease ran out)."""
    waiting = or_(
        col(Survey.status) == "scheduled",
        (col(Survey.status) == "sending") & (col(Survey.lease_until) < now),
    )
    return waiting & (col(Survey.send_after) <= now)


async def due_survey_ids(db: Database, now: datetime, limit: int = 50) -> list[int]:
    """Surveys ready to send, and ones whose sender died mid-way (lease expired)."""
    async with db.session() as session:
        result = await session.execute(
            select(col(Survey.id)).where(_due(now)).order_by(col(Survey.send_after)).limit(limit)
        )
        return [row for row in result.scalars().all() if row is not None]


async def claim_survey(
    db: Database, survey_id: int, now: datetime, lease_until: datetime
) -> Survey | None:
    """Take a due survey for sending; None if another process took it first.

    A conditional UPDATE is atomic on both SQLite and PostgreSQL, so of two
    dispatchers exactly one sees its row count as 1.
    """
    claimed = await db.write(
        update(Survey)
        .where(col(Survey.id) == survey_id, _due(now))
        .values(status="sending", lease_until=lease_until)
    )
    return await get_survey(db, survey_id) if claimed == 1 else None


async def _update_survey(db: Database, survey_id: int, **values: object) -> None:
    await db.write(update(Survey).where(col(Survey.id) == survey_id).values(**values))


async def mark_delivered(
    db: Database,
    survey_id: int,
    *,
    channel_id: str,
    message_ts: str,
    at: datetime,
    customer_id: str,
) -> None:
    await _update_survey(
        db,
        survey_id,
        status="delivered",
        channel_id=channel_id,
        message_ts=message_ts,
        delivered_at=at,
        customer_id=customer_id,
        lease_until=None,
        last_error=None,
    )


async def postpone(
    db: Database,
    survey_id: int,
    until: datetime,
    *,
    error: str | None = None,
    attempts: int | None = None,
) -> None:
    """Back to the outbox, due again at `until` (quiet hours, or a retry)."""
    values: dict[str, object] = {"status": "scheduled", "send_after": until, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:500]
    if attempts is not None:
        values["attempts"] = attempts
    await _update_survey(db, survey_id, **values)


async def mark_failed(db: Database, survey_id: int, *, error: str, attempts: int) -> None:
    await _update_survey(
        db, survey_id, status="failed", last_error=error[:500], attempts=attempts, lease_until=None
    )


async def mark_expired(db: Database, survey_id: int) -> None:
    await _update_survey(db, survey_id, status="expired", lease_until=None)


async def set_customer(db: Database, survey_id: int, customer_id: str) -> None:
    await _update_survey(db, survey_id, customer_id=customer_id, customer_key=customer_id)


async def cancel_waiting_in_thread(
    db: Database, channel_id: str, thread_ts: str, customer_id: str
) -> int:
    """Cancel a survey not yet sent for this thread: the customer is still talking."""
    return await db.write(
        update(Survey)
        .where(
            col(Survey.channel_id) == channel_id,
            col(Survey.thread_ts) == thread_ts,
            col(Survey.customer_id) == customer_id,
            col(Survey.status) == "scheduled",
        )
        .values(status="cancelled", last_error="customer wrote again in the thread")
    )


async def count_by_status(db: Database) -> dict[str, int]:
    async with db.session() as session:
        result = await session.execute(
            select(col(Survey.status), func.count())
            .where(col(Survey.is_test).is_(False))
            .group_by(col(Survey.status))
        )
        return {status: count for status, count in result.all()}


async def all_surveys(db: Database) -> Sequence[Survey]:
    async with db.session() as session:
        result = await session.execute(select(Survey).order_by(col(Survey.id)))
        return result.scalars().all()


@dataclass(frozen=True)
class RetryOutcome:
    requeued: int  # back in the outbox, due now
    expired: int  # failed and past their expiry: asking now would be too late


async def retry_failed(db: Database, *, now: datetime, since: datetime | None) -> RetryOutcome:
    """Put failed surveys that have not expired back in the outbox, with fresh attempts."""
    failed = col(Survey.status) == "failed"
    if since is not None:
        failed = failed & (col(Survey.created_at) >= since)
    requeued = await db.write(
        update(Survey)
        .where(failed, col(Survey.expires_at) > now)
        .values(status="scheduled", send_after=now, attempts=0, lease_until=None)
    )
    async with db.session() as session:
        expired = (
            await session.execute(
                select(func.count())
                .select_from(Survey)
                .where(failed, col(Survey.expires_at) <= now)
            )
        ).scalar_one()
    return RetryOutcome(requeued=requeued, expired=int(expired))
