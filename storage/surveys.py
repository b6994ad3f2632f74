"""What is stored of conversations and surveys, and finding it again.

Reads return frozen records, never table rows. Storing a close is storage.closes;
sending is storage.outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from storage.db import Database
from storage.models import Conversation, Survey
from storage.records import read_model
from storage.vocabulary import ConversationOutcome, Delivery, Purpose, Source, SurveyStatus


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
    """A send to store: a survey with its conversation (which gives it its
    conversation_id), or an invitation or reminder on its own (storage.outbox.add)."""

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
    purpose: Purpose = Purpose.CONVERSATION
    reminds_id: int | None = None  # a reminder's earlier send
    # The customer's account as the helpdesk named it (key and name), else settled at
    # the first answer (bot.accounts).
    account: str | None = None
    account_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class SurveyRecord(NewSurvey):
    """A stored survey, as the outbox and the answers read it."""

    id: int
    conversation_id: int | None  # None for an invitation or a reminder
    lease_until: datetime | None = None
    claimed_at: datetime | None = None
    # Set when a sender died holding the survey: a post may have reached Slack since.
    orphaned_since: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    message_ts: str | None = None
    delivered_at: datetime | None = None
    customer_team: str | None = None  # the customer's own company (Slack team id)
    workspace: str = ""  # the Slack workspace it belongs to ("": SLACK_BOT_TOKEN's)


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
        purpose=Purpose(row.purpose),
    )


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
    if survey.conversation_id is None:  # an invitation or a reminder
        return None
    async with db.session() as session:
        row = await session.get(Conversation, survey.conversation_id)
        return conversation_record(row) if row is not None else None


async def conversations_of(
    db: Database, surveys: Sequence[SurveyRecord]
) -> dict[int, ConversationRecord]:
    """The conversations of these surveys (of any workspaces), in one query: by survey id."""
    wanted = {s.conversation_id: s for s in surveys if s.conversation_id is not None}
    if not wanted:
        return {}
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Conversation).where(col(Conversation.id).in_(list(wanted)))
            )
        ).scalars()
        return {
            wanted[row.id].id: conversation_record(row)
            for row in rows
            if row.id is not None and row.workspace == wanted[row.id].workspace
        }


async def get_survey(db: Database, survey_id: int) -> SurveyRecord | None:
    async with db.session() as session:
        row = await session.get(Survey, survey_id)
        return survey_record(row) if row is not None else None


async def survey_by_token(db: Database, token: str) -> SurveyRecord | None:
    async with db.session() as session:
        result = await session.execute(select(Survey).where(col(Survey.token) == token))
        row = result.scalar_one_or_none()
        return survey_record(row) if row is not None else None


async def reminder_of(db: Database, survey_id: int) -> SurveyRecord | None:
    """The reminder of this send, if it has one (at most one: a unique constraint)."""
    async with db.session() as session:
        result = await session.execute(select(Survey).where(col(Survey.reminds_id) == survey_id))
        row = result.scalar_one_or_none()
        return survey_record(row) if row is not None else None


async def count_by_status(db: Database) -> dict[str, int]:
    async with db.session() as session:
        result = await session.execute(
            select(col(Survey.status), func.count())
            # Surveys, not reminders (a nudge is not a second survey).
            .where(col(Survey.is_test).is_(False), col(Survey.purpose) != Purpose.REMINDER)
            .group_by(col(Survey.status))
        )
        return {status: count for status, count in result.all()}


async def all_surveys(db: Database) -> list[SurveyRecord]:
    async with db.session() as session:
        result = await session.execute(select(Survey).order_by(col(Survey.id)))
        return [survey_record(row) for row in result.scalars().all()]
