"""The outbox: surveys waiting to be sent, claimed under a lease, sent at most once.

Every state change is one conditional UPDATE, so two dispatchers (processes sharing a
PostgreSQL database) never both take a row; see bot.delivery.dispatcher for the sending side.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.batching import GroupCommit
from storage.customers import link_emails_in
from storage.db import Database
from storage.models import Survey
from storage.surveys import NewSurvey, SurveyRecord, reminder_of, survey_record
from storage.vocabulary import Purpose, SurveyStatus
from storage.workspaces import WORKSPACE_KEY


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
        claimed: list[SurveyRecord] = []
        if chosen:
            # The claimed rows come back whole from the UPDATE: no second read.
            result = await session.execute(
                update(Survey)
                .where(col(Survey.id).in_(chosen), _due(now))
                .values(**_claim(now, lease_until))
                .returning(Survey)
                .execution_options(synchronize_session=False)
            )
            claimed = sorted(
                (survey_record(row) for row in result.scalars().all()),
                key=lambda s: (s.send_after, s.id),
            )
        await session.commit()
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


async def add(db: Database, send: NewSurvey) -> SurveyRecord | None:
    """Put an invitation or a reminder in the outbox (a conversation's survey comes with
    its close, storage.closes).

    None when the earlier send already has its reminder: the unique constraint decides,
    so two processes adding one at once still leave one.
    """
    if send.purpose is Purpose.CONVERSATION:
        raise ValueError("a conversation's survey is stored with its close (record_close)")
    values = {field.name: getattr(send, field.name) for field in fields(send)}
    try:
        async with db.writing() as session:
            row = Survey(**values)
            session.add(row)
            await session.commit()
            return survey_record(row)
    except IntegrityError:
        if send.reminds_id is not None and await reminder_of(db, send.reminds_id) is not None:
            return None
        raise


async def cancel(db: Database, survey_id: int, reason: str) -> bool:
    """Drop a claimed send that is no longer wanted (a reminder of an answered survey)."""
    return (
        await db.write(
            update(Survey)
            .where(col(Survey.id) == survey_id, col(Survey.status) == SurveyStatus.SENDING)
            .values(status=SurveyStatus.CANCELLED, last_error=reason[:500], lease_until=None)
        )
        == 1
    )


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


@dataclass(frozen=True)
class _Delivered:
    workspace: str | None
    survey_id: int
    channel_id: str
    message_ts: str
    at: datetime
    customer_id: str
    locale: str | None
    emails: tuple[str, ...]


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
    Deliveries recorded at the same moment share one transaction (storage.batching),
    whichever workspaces they belong to; one that fails fails alone.
    """
    writer: GroupCommit[_Delivered, Exception | None] = db.shared_group_commit(
        "delivered", functools.partial(_record_deliveries, db)
    )
    failure = await writer.write(
        _Delivered(
            db.workspace,
            survey_id,
            channel_id,
            message_ts,
            at,
            customer_id,
            locale,
            tuple(sorted(emails)),
        )
    )
    if failure is not None:
        raise failure


async def _record_deliveries(
    db: Database, deliveries: Sequence[_Delivered]
) -> list[Exception | None]:
    try:
        await _write_deliveries(db, deliveries)
        return [None] * len(deliveries)
    except Exception as exc:
        if len(deliveries) == 1:
            return [exc]
    failures: list[Exception | None] = []
    for delivery in deliveries:  # each alone: only the one that fails learns of it
        try:
            await _write_deliveries(db, [delivery])
            failures.append(None)
        except Exception as exc:
            failures.append(exc)
    return failures


def _delivered_statement(*, in_workspace: bool) -> Any:
    """The UPDATE of `_write_deliveries`, for executemany: each row matched by id, and by
    its workspace unless written from the plain database (which sees every workspace)."""
    surveys = Survey.__table__  # type: ignore[attr-defined]
    match = surveys.c.id == bindparam("b_id")
    if in_workspace:
        match = match & (surveys.c.workspace == bindparam("b_workspace"))
    return (
        update(surveys)
        .where(match)
        .values(
            locale=func.coalesce(bindparam("b_locale", type_=String), surveys.c.locale),
            status=SurveyStatus.DELIVERED,
            channel_id=bindparam("b_channel"),
            message_ts=bindparam("b_ts"),
            delivered_at=bindparam("b_at"),
            customer_id=bindparam("b_customer"),
            lease_until=None,
            orphaned_since=None,
            last_error=None,
        )
    )


async def _write_deliveries(db: Database, deliveries: Sequence[_Delivered]) -> None:
    # One order for every batch: two processes' batches then take the delivery tallies'
    # row locks (their triggers, storage.tally_triggers) one after the other, never
    # crosswise. (A deadlock all the same fails the batch, whose rows go again alone.)
    deliveries = sorted(deliveries, key=lambda d: (d.workspace or "", d.survey_id))
    async with db.writing() as session:
        session.sync_session.info[WORKSPACE_KEY] = None  # rows of every workspace
        for in_workspace in (True, False):
            rows = [
                {
                    "b_id": d.survey_id,
                    "b_workspace": d.workspace,
                    "b_locale": d.locale,
                    "b_channel": d.channel_id,
                    "b_ts": d.message_ts,
                    "b_at": d.at,
                    "b_customer": d.customer_id,
                }
                for d in deliveries
                if (d.workspace is not None) == in_workspace
            ]
            if rows:  # one statement for all (executemany)
                await session.execute(_delivered_statement(in_workspace=in_workspace), rows)
        for d in deliveries:
            if d.emails:
                session.sync_session.info[WORKSPACE_KEY] = d.workspace
                await link_emails_in(session, dict.fromkeys(d.emails, d.customer_id), d.at)
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
            # A reminder is dropped by the dispatcher when due, which logs and counts why.
            col(Survey.purpose) != Purpose.REMINDER,
        )
        .values(status=SurveyStatus.CANCELLED, last_error="customer wrote again in the thread")
    )


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


async def cancel_workspace_sends(db: Database, workspace: str, reason: str, now: datetime) -> int:
    """Cancel every send of a workspace still waiting (scheduled, or claimed by a sender
    that died): the workspace uninstalled the app. Sends under way finish or fail."""
    return await db.write(
        update(Survey)
        .where(
            col(Survey.workspace) == workspace,
            col(Survey.status).in_((SurveyStatus.SCHEDULED, SurveyStatus.SENDING)),
            or_(col(Survey.status) == SurveyStatus.SCHEDULED, col(Survey.lease_until) < now),
        )
        .values(status=SurveyStatus.CANCELLED, last_error=reason[:500], lease_until=None)
    )
