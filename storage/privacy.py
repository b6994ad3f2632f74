"""Exporting answers and erasing a customer: what operators owe their customers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlmodel import col

from storage.db import Database
from storage.models import Alert, AnswerChange, Conversation, Response, ResponseReason, Survey


@dataclass(frozen=True)
class ExportRow:
    survey_id: str
    team: str
    kind: str
    score: int
    reasons: str  # reason codes, comma-separated
    comment: str
    answered_at: datetime
    agent_id: str
    customer_id: str
    source: str
    conversation_id: str


async def export_answers(
    db: Database, *, team: str | None = None, since: datetime | None = None
) -> AsyncIterator[ExportRow]:
    """Every current answer, oldest first, streamed so a large export stays small in memory."""
    reasons = (
        select(func.aggregate_strings(col(ResponseReason.reason), ","))
        .where(col(ResponseReason.response_id) == col(Response.id))
        .scalar_subquery()
    )
    query = (
        select(
            col(Survey.token),
            col(Response.team),
            col(Response.kind),
            col(Response.score),
            reasons,
            col(Response.comment),
            col(Response.answered_at),
            col(Response.agent_id),
            col(Response.customer_id),
            col(Conversation.source),
            col(Conversation.external_id),
        )
        .join(Survey, col(Survey.id) == col(Response.survey_id))
        .join(Conversation, col(Conversation.id) == col(Survey.conversation_id))
        # A lead's test answers are not the customers' answers.
        .where(col(Response.is_test).is_(False))
        .order_by(col(Response.answered_at), col(Response.id))
    )
    if team is not None:
        query = query.where(col(Response.team) == team)
    if since is not None:
        query = query.where(col(Response.answered_at) >= since)
    async with db.session() as session:
        result = await session.stream(query)
        async for row in result:
            yield ExportRow(
                survey_id=row[0],
                team=row[1],
                kind=row[2],
                score=row[3],
                # The aggregate's order is the store's: sorted, so exports compare.
                reasons=",".join(sorted(row[4].split(","))) if row[4] else "",
                comment=row[5] or "",
                answered_at=row[6],
                agent_id=row[7] or "",
                customer_id=row[8] or "",
                source=row[9],
                conversation_id=row[10],
            )


@dataclass(frozen=True)
class Forgotten:
    conversations: int
    surveys: int
    answers: int
    alerts: int


async def forget_customer(db: Database, customer: str) -> Forgotten:
    """Erase everything stored about one customer (Slack id or email), in one transaction."""
    email = customer.lower()
    async with db.session() as session, session.begin():
        conversation_ids = list(
            (
                await session.execute(
                    select(col(Conversation.id)).where(
                        or_(
                            col(Conversation.customer_id) == customer,
                            col(Conversation.customer_email) == email,
                        )
                    )
                )
            )
            .scalars()
            .all()
        )
        survey_ids = list(
            (
                await session.execute(
                    select(col(Survey.id)).where(
                        or_(
                            col(Survey.conversation_id).in_(conversation_ids),
                            col(Survey.customer_id) == customer,
                            col(Survey.customer_key) == customer,
                            col(Survey.customer_email) == email,
                        )
                    )
                )
            )
            .scalars()
            .all()
        )
        await session.execute(
            delete(AnswerChange).where(col(AnswerChange.survey_id).in_(survey_ids))
        )
        await session.execute(
            delete(ResponseReason).where(
                col(ResponseReason.response_id).in_(
                    select(col(Response.id)).where(col(Response.survey_id).in_(survey_ids))
                )
            )
        )
        alerts = await session.execute(delete(Alert).where(col(Alert.survey_id).in_(survey_ids)))
        answers = await session.execute(
            delete(Response).where(col(Response.survey_id).in_(survey_ids))
        )
        await session.execute(delete(Survey).where(col(Survey.id).in_(survey_ids)))
        await session.execute(
            delete(Conversation).where(col(Conversation.id).in_(conversation_ids))
        )
    return Forgotten(
        conversations=len(conversation_ids),
        surveys=len(survey_ids),
        answers=int(answers.rowcount),  # type: ignore[attr-defined]
        alerts=int(alerts.rowcount),  # type: ignore[attr-defined]
    )
