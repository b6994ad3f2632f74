"""Storing closed conversations with their surveys: duplicates, the throttle, batches.

A burst of closes shares transactions (storage.batching); what each close is told
is what it would have been told alone.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.batching import GroupCommit
from storage.customers import link_emails_in, people_in
from storage.db import Database
from storage.models import Conversation, Survey
from storage.surveys import (
    ConversationRecord,
    NewConversation,
    NewSurvey,
    SurveyRecord,
    conversation_record,
    survey_record,
)
from storage.vocabulary import Purpose, SurveyStatus
from storage.workspaces import WORKSPACE_KEY

# Statuses that mean the customer was (or is about to be) asked: they count for the throttle.
ASKED = (
    SurveyStatus.SCHEDULED,
    SurveyStatus.SENDING,
    SurveyStatus.DELIVERED,
    SurveyStatus.ANSWERED,
    SurveyStatus.EXPIRED,
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
    # The workspace it belongs to (None: written from the plain database, as "").
    workspace: str | None = None

    @property
    def checks_throttle(self) -> bool:
        return (
            self.survey is not None
            and self.throttle_since is not None
            and self.survey.status in THROTTLEABLE
        )

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.workspace or "", self.conversation.source, self.conversation.external_id)


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
    Closes that arrive together share that transaction (storage.batching), whichever
    workspaces they belong to: a burst costs a commit per batch, not per close, even
    spread over a thousand workspaces. Each close is looked up, throttled and stored
    within its own workspace.
    """
    writer: GroupCommit[CloseToRecord, Recorded] = db.shared_group_commit(
        "closes", functools.partial(_record_closes, db)
    )
    return await writer.write(
        CloseToRecord(conversation, survey, throttle_since, learned_at, db.workspace)
    )


async def _record_closes(db: Database, closes: Sequence[CloseToRecord]) -> list[Recorded]:
    try:
        return await _record_together(db, closes)
    except IntegrityError:
        # Another process stored one of these between our look and our insert: each
        # alone now, in its own transaction, so that one answers as the duplicate.
        return [await _record_alone(db, close) for close in closes]


def _as(session: AsyncSession, workspace: str | None) -> AsyncSession:
    """The session, from now on reading and writing in this workspace (None: all, as "")."""
    session.sync_session.info[WORKSPACE_KEY] = workspace
    return session


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
    session: AsyncSession, keys: Collection[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], datetime]:
    """When each of these customer keys, each with its workspace, was last asked (not
    before `since`)."""
    if not keys:
        return {}
    rows = await session.execute(
        select(col(Survey.workspace), col(Survey.customer_key), func.max(col(Survey.created_at)))
        .where(
            tuple_(col(Survey.workspace), col(Survey.customer_key)).in_(sorted(keys)),
            col(Survey.created_at) >= since,
            col(Survey.status).in_(ASKED),
            col(Survey.is_test).is_(False),  # a lead trying the survey is no customer
            col(Survey.purpose) != Purpose.REMINDER,  # a reminder asks nothing new
        )
        .group_by(col(Survey.workspace), col(Survey.customer_key))
    )
    return {(str(workspace), str(key)): at for workspace, key, at in rows.all()}


async def _decide_throttle(
    session: AsyncSession, closes: Sequence[CloseToRecord]
) -> list[NewSurvey | None]:
    """Each close's survey, throttled if its customer (by any name, in its workspace) was
    asked since its team's window: before this batch or earlier in it."""
    checked = [close for close in closes if close.checks_throttle]
    if not checked:
        return [close.survey for close in closes]
    people = await people_in(
        session,
        [
            (c.workspace or "", c.survey.customer_id, c.survey.customer_email)
            for c in closes
            if c.survey is not None
        ],
    )

    def keys_of(close: CloseToRecord, survey: NewSurvey) -> frozenset[tuple[str, str]]:
        workspace = close.workspace or ""
        named = (survey.customer_id, (survey.customer_email or "").lower())
        keys = frozenset({survey.customer_key}).union(
            *(people.get((workspace, n or ""), ()) for n in named)
        )
        return frozenset((workspace, key) for key in keys)

    since = min(close.throttle_since for close in checked if close.throttle_since is not None)
    asked = await _last_asked(
        session, set().union(*(keys_of(c, c.survey) for c in checked if c.survey)), since
    )
    decided: list[NewSurvey | None] = []
    for close in closes:
        survey = close.survey
        if survey is not None:
            keys = keys_of(close, survey)
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
) -> dict[tuple[str, str, str], Recorded]:
    """The closes of this batch already stored (each in its own workspace), as their
    duplicates will answer them."""
    keys = sorted({close.key for close in closes})
    rows = (
        (
            await session.execute(
                select(Conversation).where(
                    tuple_(
                        col(Conversation.workspace),
                        col(Conversation.source),
                        col(Conversation.external_id),
                    ).in_(keys)
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
        (row.workspace, row.source, row.external_id): Recorded(
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
    """Insert these rows (each naming its workspace) in one statement; answer their new
    ids, in order."""
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
        # Every statement names each row's workspace itself: the session reads them all.
        _as(session, None)
        await _lock_customers(
            db, session, {c.survey.customer_key for c in closes if c.checks_throttle and c.survey}
        )
        answered = await _stored(session, closes)
        new: dict[tuple[str, str, str], CloseToRecord] = {}
        for close in closes:
            if close.key not in answered:
                new.setdefault(close.key, close)  # the same close twice in one batch: once
        fresh = list(new.values())
        surveys = await _decide_throttle(session, fresh)
        # Inserted in key order, so that two processes' batches never wait on each
        # other's rows in a circle.
        order = sorted(range(len(fresh)), key=lambda n: fresh[n].key)
        fresh = [fresh[n] for n in order]
        surveys = [surveys[n] for n in order]
        conversation_ids = await _insert(
            session,
            Conversation,
            [{**_values(c.conversation), "workspace": c.workspace or ""} for c in fresh],
        )
        with_survey = [
            (survey, conversation_id, close.workspace or "")
            for survey, conversation_id, close in zip(surveys, conversation_ids, fresh, strict=True)
            if survey is not None
        ]
        survey_ids = await _insert(
            session,
            Survey,
            [
                {**_values(survey), "conversation_id": cid, "workspace": workspace}
                for survey, cid, workspace in with_survey
            ],
        )
        for close in fresh:
            named = close.conversation
            if close.learned_at and named.customer_id and named.customer_email:
                await link_emails_in(
                    _as(session, close.workspace),
                    {named.customer_email: named.customer_id},
                    close.learned_at,
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
        stored = await _stored(_as(session, None), [close])
    if close.key not in stored:  # the conflict was not the conversation: surface it
        raise RuntimeError("conversation insert failed without an existing row")
    return stored[close.key]
