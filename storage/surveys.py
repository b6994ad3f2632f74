"""Conversations and the survey outbox; reads return frozen records, never table rows."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.batching import GroupCommit
from storage.customers import link_emails_in, people_in
from storage.db import Database
from storage.models import Conversation, Survey
from storage.records import read_model
from storage.statuses import ConversationOutcome, Delivery, Source, SurveyStatus

# Statuses that mean the customer was (or is about to be) asked: they count for the throttle.
ASKED = (
    SurveyStatus.SCHEDULED,
    SurveyStatus.SENDING,
    SurveyStatus.DELIVERED,
    SurveyStatus.ANSWERED,
    SurveyStatus.EXPIRED,
)


@dataclass(frozen=True)
class NewConversation:
    """A closed conversation to store."""

    source: Source
    external_id: str  # "<channel>:<ts>" or the helpdesk's id
    team: str
    closed_at: datetime
    outcome: ConversationOutcome
    channel_id: str | None = None
    thread_ts: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    agent_id: str | None = None  # recorded at close: the credit
    agent_email: str | None = None
    locale: str | None = None
    customer_value: float | None = None
    url: str | None = None  # the helpdesk's page for it, linked from the alert


@dataclass(frozen=True, kw_only=True)
class ConversationRecord(NewConversation):
    """A stored conversation."""

    id: int


@dataclass(frozen=True)
class NewSurvey:
    """A survey to store with its conversation (which gives it its conversation_id)."""

    token: str  # opaque id carried by buttons
    team: str
    kind: str
    customer_key: str  # storage.customers.stable_key: the Slack id once known, else the email
    delivery: Delivery
    status: SurveyStatus
    created_at: datetime
    send_after: datetime
    expires_at: datetime
    customer_id: str | None = None
    customer_email: str | None = None
    agent_id: str | None = None
    locale: str | None = None
    # The thread's channel until delivery, then the channel it was delivered to.
    channel_id: str | None = None
    thread_ts: str | None = None
    is_test: bool = False  # a lead's "Send me a test survey": never counted


@dataclass(frozen=True, kw_only=True)
class SurveyRecord(NewSurvey):
    """A stored survey, as the outbox and the answers read it."""

    id: int
    conversation_id: int
    lease_until: datetime | None = None
    claimed_at: datetime | None = None
    # Set when a sender died holding the survey: a post may have reached Slack since.
    orphaned_since: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    message_ts: str | None = None
    delivered_at: datetime | None = None


def conversation_record(row: Conversation) -> ConversationRecord:
    return read_model(
        ConversationRecord,
        row,
        source=Source(row.source),
        outcome=ConversationOutcome(row.outcome),
    )


def survey_record(row: Survey) -> SurveyRecord:
    return read_model(
        SurveyRecord,
        row,
        delivery=Delivery(row.delivery),
        status=SurveyStatus(row.status),
    )


@dataclass(frozen=True)
class Recorded:
    """What storing a close did: the survey (if any) and whether it was new."""

    conversation: ConversationRecord
    survey: SurveyRecord | None
    created: bool


# A close surveyed in spite of the throttle keeps its row under this status.
THROTTLEABLE = (SurveyStatus.SCHEDULED, SurveyStatus.TOO_LATE)


@dataclass(frozen=True)
class CloseToRecord:
    conversation: NewConversation
    survey: NewSurvey | None
    throttle_since: datetime | None = None
    learned_at: datetime | None = None

    @property
    def checks_throttle(self) -> bool:
        return (
            self.survey is not None
            and self.throttle_since is not None
            and self.survey.status in THROTTLEABLE
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.conversation.source, self.conversation.external_id)


async def record_close(
    db: Database,
    conversation: NewConversation,
    survey: NewSurvey | None,
    *,
    throttle_since: datetime | None = None,
    learned_at: datetime | None = None,
) -> Recorded:
    """Store a closed conversation and its survey in one transaction.

    The unique (source, external_id) row decides duplicates, so two deliveries of
    the same close racing each other still leave exactly one survey. With
    `throttle_since`, a survey for a customer asked since then (under any of their
    names) is stored as throttled; the check and the insert share one transaction
    under a per-customer lock, so two closes at the same instant survey once. With
    `learned_at`, a close naming its customer by Slack id and email links the two.
    Closes that arrive together share that transaction (storage.batching): a burst
    costs a commit per batch, not per close.
    """
    writer: GroupCommit[CloseToRecord, Recorded] = db.group_commit(
        "closes", functools.partial(_record_closes, db)
    )
    return await writer.write(CloseToRecord(conversation, survey, throttle_since, learned_at))


async def _record_closes(db: Database, closes: Sequence[CloseToRecord]) -> list[Recorded]:
    try:
        return await _record_together(db, closes)
    except IntegrityError:
        # Another process stored one of these between our look and our insert: each
        # alone now, in its own transaction, so that one answers as the duplicate.
        return [await _record_alone(db, close) for close in closes]


async def _lock_customers(db: Database, session: AsyncSession, keys: Collection[str]) -> None:
    """Serialise closes for these customers until this transaction ends.

    PostgreSQL: transaction-scoped advisory locks on the keys' hashes, taken in hash
    order so that two batches never wait on each other in a circle. SQLite: this
    process's writers already take turns (Database.writing), and only one process
    writes an SQLite file.
    """
    if keys and db.engine.dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT"
                " hashtextextended(k, 0) AS h FROM unnest(CAST(:keys AS text[])) AS k"
                " ORDER BY h) AS in_order"
            ),
            {"keys": sorted(keys)},
        )


async def _last_asked(
    session: AsyncSession, keys: Collection[str], since: datetime
) -> dict[str, datetime]:
    """When each of these customer keys was last asked (not before `since`)."""
    if not keys:
        return {}
    rows = await session.execute(
        select(col(Survey.customer_key), func.max(col(Survey.created_at)))
        .where(
            col(Survey.customer_key).in_(keys),
            col(Survey.created_at) >= since,
            col(Survey.status).in_(ASKED),
            col(Survey.is_test).is_(False),  # a lead trying the survey is no customer
        )
        .group_by(col(Survey.customer_key))
    )
    return {str(key): at for key, at in rows.all()}


async def _decide_throttle(
    session: AsyncSession, closes: Sequence[CloseToRecord]
) -> list[NewSurvey | None]:
    """Each close's survey, throttled if its customer (by any name) was asked since its
    team's window: before this batch or earlier in it."""
    checked = [close for close in closes if close.checks_throttle]
    if not checked:
        return [close.survey for close in closes]
    people = await people_in(
        session,
        [(c.survey.customer_id, c.survey.customer_email) for c in closes if c.survey is not None],
    )

    def keys_of(survey: NewSurvey) -> frozenset[str]:
        named = (survey.customer_id, (survey.customer_email or "").lower())
        return frozenset({survey.customer_key}).union(*(people.get(n or "", ()) for n in named))

    since = min(close.throttle_since for close in checked if close.throttle_since is not None)
    asked = await _last_asked(
        session, set().union(*(keys_of(c.survey) for c in checked if c.survey)), since
    )
    decided: list[NewSurvey | None] = []
    for close in closes:
        survey = close.survey
        if survey is not None:
            keys = keys_of(survey)
            window = close.throttle_since
            if (
                close.checks_throttle
                and window is not None
                and any(k in asked and asked[k] >= window for k in keys)
            ):
                survey = replace(survey, status=SurveyStatus.THROTTLED)
            if survey.status in ASKED and not survey.is_test:
                for k in keys:
                    asked[k] = max(asked.get(k, survey.created_at), survey.created_at)
        decided.append(survey)
    return decided


async def _stored(
    session: AsyncSession, closes: Sequence[CloseToRecord]
) -> dict[tuple[str, str], Recorded]:
    """The closes of this batch already stored, as their duplicates will answer them."""
    by_source: dict[str, set[str]] = {}
    for close in closes:
        by_source.setdefault(close.key[0], set()).add(close.key[1])
    rows = (
        (
            await session.execute(
                select(Conversation).where(
                    or_(
                        *(
                            (col(Conversation.source) == source)
                            & col(Conversation.external_id).in_(ids)
                            for source, ids in by_source.items()
                        )
                    )
                )
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return {}
    surveys = {
        row.conversation_id: survey_record(row)
        for row in (
            await session.execute(
                select(Survey).where(col(Survey.conversation_id).in_([r.id for r in rows]))
            )
        ).scalars()
    }
    return {
        (row.source, row.external_id): Recorded(
            conversation_record(row), surveys.get(row.id or 0), created=False
        )
        for row in rows
    }


def _values(new: NewConversation | NewSurvey) -> dict[str, Any]:
    """Its fields as column values (dataclasses.asdict deep-copies each: a burst's cost)."""
    return {field.name: getattr(new, field.name) for field in fields(new)}


async def _insert(
    session: AsyncSession, table: type[Conversation] | type[Survey], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert these rows in one statement; answer their new ids, in order."""
    if not rows:
        return []
    # The table, not the mapped class: the ORM's bulk insert costs more than the write.
    columns = table.__table__  # type: ignore[union-attr]
    result = await session.execute(
        insert(columns).returning(columns.c.id, sort_by_parameter_order=True), rows
    )
    return [int(row_id) for row_id in result.scalars() if row_id is not None]


async def _record_together(db: Database, closes: Sequence[CloseToRecord]) -> list[Recorded]:
    async with db.writing() as session:
        await _lock_customers(
            db, session, {c.survey.customer_key for c in closes if c.checks_throttle and c.survey}
        )
        answered = await _stored(session, closes)
        new: dict[tuple[str, str], CloseToRecord] = {}
        for close in closes:
            if close.key not in answered:
                new.setdefault(close.key, close)  # the same close twice in one batch: once
        fresh = list(new.values())
        surveys = await _decide_throttle(session, fresh)
        conversation_ids = await _insert(
            session, Conversation, [_values(close.conversation) for close in fresh]
        )
        with_survey = [
            (survey, conversation_id)
            for survey, conversation_id in zip(surveys, conversation_ids, strict=True)
            if survey is not None
        ]
        survey_ids = await _insert(
            session,
            Survey,
            [{**_values(survey), "conversation_id": cid} for survey, cid in with_survey],
        )
        for close in fresh:
            named = close.conversation
            if close.learned_at and named.customer_id and named.customer_email:
                await link_emails_in(
                    session, {named.customer_email: named.customer_id}, close.learned_at
                )
        await session.commit()
    stored_surveys = iter(survey_ids)
    for close, survey, conversation_id in zip(fresh, surveys, conversation_ids, strict=True):
        answered[close.key] = Recorded(
            ConversationRecord(**_values(close.conversation), id=conversation_id),
            None
            if survey is None
            else SurveyRecord(
                **_values(survey), id=next(stored_surveys), conversation_id=conversation_id
            ),
            created=True,
        )
    results: list[Recorded] = []
    for close in closes:
        recorded = answered[close.key]
        results.append(recorded)
        if recorded.created:  # a second copy of it in this batch is its duplicate
            answered[close.key] = replace(recorded, created=False)
    return results


async def _record_alone(db: Database, close: CloseToRecord) -> Recorded:
    try:
        return (await _record_together(db, [close]))[0]
    except IntegrityError:
        pass
    async with db.session() as session:
        stored = await _stored(session, [close])
    if close.key not in stored:  # the conflict was not the conversation: surface it
        raise RuntimeError("conversation insert failed without an existing row")
    return stored[close.key]


async def find_conversation(
    db: Database, source: str, external_id: str
) -> ConversationRecord | None:
    async with db.session() as session:
        result = await session.execute(
            select(Conversation).where(
                col(Conversation.source) == source, col(Conversation.external_id) == external_id
            )
        )
        row = result.scalar_one_or_none()
        return conversation_record(row) if row is not None else None


async def survey_for_conversation(db: Database, conversation_id: int) -> SurveyRecord | None:
    async with db.session() as session:
        result = await session.execute(
            select(Survey).where(col(Survey.conversation_id) == conversation_id)
        )
        row = result.scalar_one_or_none()
        return survey_record(row) if row is not None else None


async def conversation_of(db: Database, survey: SurveyRecord) -> ConversationRecord | None:
    async with db.session() as session:
        row = await session.get(Conversation, survey.conversation_id)
        return conversation_record(row) if row is not None else None


async def get_survey(db: Database, survey_id: int) -> SurveyRecord | None:
    async with db.session() as session:
        row = await session.get(Survey, survey_id)
        return survey_record(row) if row is not None else None


async def survey_by_token(db: Database, token: str) -> SurveyRecord | None:
    async with db.session() as session:
        result = await session.execute(select(Survey).where(col(Survey.token) == token))
        row = result.scalar_one_or_none()
        return survey_record(row) if row is not None else None


def _due(now: datetime) -> ColumnElement[bool]:
    """Due now: waiting to be sent, or claimed by a sender that died (its lease ran out)."""
    waiting = or_(
        col(Survey.status) == SurveyStatus.SCHEDULED,
        (col(Survey.status) == SurveyStatus.SENDING) & (col(Survey.lease_until) < now),
    )
    return waiting & (col(Survey.send_after) <= now)


def _claim(now: datetime, lease_until: datetime) -> dict[str, object]:
    # SET reads the row as it was: a row still "sending" here was left by a sender
    # whose lease ran out, and since its claim a post may have reached Slack unrecorded.
    # The mark stays until the survey is recorded as delivered.
    was_orphaned = col(Survey.status) == SurveyStatus.SENDING
    since = func.coalesce(
        col(Survey.orphaned_since), col(Survey.claimed_at), col(Survey.send_after)
    )
    return {
        "status": SurveyStatus.SENDING,
        "lease_until": lease_until,
        "claimed_at": now,
        "orphaned_since": case((was_orphaned, since), else_=col(Survey.orphaned_since)),
    }


async def claim_due(
    db: Database,
    now: datetime,
    lease_until: datetime,
    limit: int,
    busy_customers: Collection[str] = (),
) -> list[SurveyRecord]:
    """Take up to `limit` due surveys for sending, oldest due first, one per customer.

    PostgreSQL skips rows another dispatcher is claiming (FOR UPDATE SKIP LOCKED);
    SQLite runs the one statement under its write lock. A customer with a survey
    being sent (here or by another process, lease still valid) waits their turn.
    """
    other = aliased(Survey)
    in_flight = (
        select(col(other.id))
        .where(
            col(other.customer_key) == col(Survey.customer_key),
            col(other.status) == SurveyStatus.SENDING,
            col(other.lease_until) >= now,
        )
        .exists()
    )
    not_busy = ~in_flight
    if busy_customers:
        not_busy = not_busy & col(Survey.customer_key).not_in(list(busy_customers))
    # Scheduled rows and rows left by a dead sender, asked apart: each walks its own
    # stretch of the (status, send_after) index in order and stops at `limit`. One
    # query with OR sorts the whole backlog first: in a burst, every claim.
    waiting_kinds = (
        col(Survey.status) == SurveyStatus.SCHEDULED,
        (col(Survey.status) == SurveyStatus.SENDING) & (col(Survey.lease_until) < now),
    )
    async with db.writing() as session:
        found: list[tuple[datetime, int]] = []
        for waiting in waiting_kinds:
            candidates = await session.execute(
                select(col(Survey.send_after), col(Survey.id))
                .where(waiting, col(Survey.send_after) <= now, not_busy)
                .order_by(col(Survey.send_after), col(Survey.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            found += [(due, i) for due, i in candidates.all() if i is not None]
        chosen = [survey_id for _, survey_id in sorted(found)[:limit]]
        ids: list[int] = []
        if chosen:
            result = await session.execute(
                update(Survey)
                .where(col(Survey.id).in_(chosen), _due(now))
                .values(**_claim(now, lease_until))
                .returning(col(Survey.id))
                .execution_options(synchronize_session=False)
            )
            ids = [row for row in result.scalars().all() if row is not None]
        await session.commit()
    if not ids:
        return []
    async with db.session() as session:
        rows = (
            (
                await session.execute(
                    select(Survey).where(col(Survey.id).in_(ids)).order_by(col(Survey.send_after))
                )
            )
            .scalars()
            .all()
        )
        claimed = [survey_record(row) for row in rows]
    kept: list[SurveyRecord] = []
    seen: set[str] = set()
    for survey in claimed:
        if survey.customer_key in seen:
            # Two of one customer's surveys in one batch: the later one waits its turn.
            await release(db, survey.id)
            continue
        seen.add(survey.customer_key)
        kept.append(survey)
    return kept


async def release(db: Database, survey_id: int) -> None:
    """Back to the outbox untouched (claimed, then not sent)."""
    await _update_survey(db, survey_id, status=SurveyStatus.SCHEDULED, lease_until=None)


async def next_due_at(db: Database) -> datetime | None:
    """The next moment something in the outbox falls due (a send time or a lease ending)."""
    async with db.session() as session:
        scheduled, lease = (
            await session.execute(
                select(
                    select(func.min(col(Survey.send_after)))
                    .where(col(Survey.status) == SurveyStatus.SCHEDULED)
                    .scalar_subquery(),
                    select(func.min(col(Survey.lease_until)))
                    .where(col(Survey.status) == SurveyStatus.SENDING)
                    .scalar_subquery(),
                )
            )
        ).one()
    moments = [m for m in (scheduled, lease) if m is not None]
    return min(moments) if moments else None


@dataclass(frozen=True)
class Outbox:
    depth: int  # due now and not delivered
    oldest_due: datetime | None


async def outbox(db: Database, now: datetime) -> Outbox:
    waiting = col(Survey.status).in_((SurveyStatus.SCHEDULED, SurveyStatus.SENDING)) & (
        col(Survey.send_after) <= now
    )
    async with db.session() as session:
        depth, oldest = (
            await session.execute(
                select(func.count(), func.min(col(Survey.send_after))).where(waiting)
            )
        ).one()
    return Outbox(int(depth), oldest)


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
    locale: str | None = None,
    emails: Collection[str] = (),
) -> None:
    """The survey is in front of its customer; `locale` is the language it was asked in.

    `emails` are the customer's addresses learned on the way (their Slack profile):
    linked to `customer_id` in the same transaction, for the throttle and `forget`.
    """
    values: dict[str, object] = {} if locale is None else {"locale": locale}
    async with db.writing() as session:
        await session.execute(
            update(Survey)
            .where(col(Survey.id) == survey_id)
            .values(
                **values,
                status=SurveyStatus.DELIVERED,
                channel_id=channel_id,
                message_ts=message_ts,
                delivered_at=at,
                customer_id=customer_id,
                lease_until=None,
                orphaned_since=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        await link_emails_in(session, dict.fromkeys(emails, customer_id), at)
        await session.commit()


async def postpone(
    db: Database,
    survey_id: int,
    until: datetime,
    *,
    error: str | None = None,
    attempts: int | None = None,
) -> None:
    """Back to the outbox, due again at `until` (quiet hours, or a retry)."""
    values: dict[str, object] = {
        "status": SurveyStatus.SCHEDULED,
        "send_after": until,
        "lease_until": None,
    }
    if error is not None:
        values["last_error"] = error[:500]
    if attempts is not None:
        values["attempts"] = attempts
    await _update_survey(db, survey_id, **values)


async def give_up(
    db: Database,
    survey_id: int,
    status: Literal[SurveyStatus.FAILED, SurveyStatus.UNREACHABLE],
    *,
    error: str,
    attempts: int,
) -> None:
    """Stop trying: failed (another attempt cannot fix it) or unreachable (kept, counted)."""
    await _update_survey(
        db, survey_id, status=status, last_error=error[:500], attempts=attempts, lease_until=None
    )


async def mark_expired(db: Database, survey_id: int) -> None:
    await _update_survey(db, survey_id, status=SurveyStatus.EXPIRED, lease_until=None)


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
            col(Survey.status) == SurveyStatus.SCHEDULED,
        )
        .values(status=SurveyStatus.CANCELLED, last_error="customer wrote again in the thread")
    )


async def count_by_status(db: Database) -> dict[str, int]:
    async with db.session() as session:
        result = await session.execute(
            select(col(Survey.status), func.count())
            .where(col(Survey.is_test).is_(False))
            .group_by(col(Survey.status))
        )
        return {status: count for status, count in result.all()}


async def all_surveys(db: Database) -> list[SurveyRecord]:
    async with db.session() as session:
        result = await session.execute(select(Survey).order_by(col(Survey.id)))
        return [survey_record(row) for row in result.scalars().all()]


@dataclass(frozen=True)
class RetryOutcome:
    requeued: int  # back in the outbox, due now
    expired: int  # failed and past their expiry: asking now would be too late


async def retry_failed(db: Database, *, now: datetime, since: datetime | None) -> RetryOutcome:
    """Put failed surveys that have not expired back in the outbox, with fresh attempts."""
    failed = col(Survey.status) == SurveyStatus.FAILED
    if since is not None:
        failed = failed & (col(Survey.created_at) >= since)
    requeued = await db.write(
        update(Survey)
        .where(failed, col(Survey.expires_at) > now)
        .values(status=SurveyStatus.SCHEDULED, send_after=now, attempts=0, lease_until=None)
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
