"""Exporting answers and erasing a customer: what operators owe their customers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.customers import identities_in
from storage.db import Database
from storage.models import (
    AccountPerson,
    AccountSpan,
    Alert,
    AnswerChange,
    AnswerRevision,
    AnswerTally,
    Conversation,
    CustomerEmail,
    DeliveryTally,
    DigestPost,
    NpsInvite,
    NpsRound,
    Response,
    ResponseReason,
    ServedWorkspace,
    SupportMessage,
    Survey,
    TeamSettingChange,
    TeamSettings,
)


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
    account: str  # the account's key: "helpdesk:…", "slack:T…" or "domain:…"
    account_name: str


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
            col(Response.account),
            col(Response.account_name),
        )
        .join(Survey, col(Survey.id) == col(Response.survey_id))
        # Outer: an answer to an invitation (a relational round) has no conversation.
        .outerjoin(Conversation, col(Conversation.id) == col(Survey.conversation_id))
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
                source=row[9] or "",
                conversation_id=row[10] or "",
                account=row[11] or "",
                account_name=row[12] or "",
            )


@dataclass(frozen=True)
class Forgotten:
    """What erasing one person removed, and every name they were known by."""

    slack_ids: frozenset[str]
    emails: frozenset[str]
    conversations: int
    surveys: int
    answers: int
    alerts: int
    links: int  # email <-> Slack id links
    flushed: bool = True  # SQLite's write-ahead log emptied too (False: busy, run forget again)

    @property
    def found(self) -> bool:
        return any((self.conversations, self.surveys, self.answers, self.alerts, self.links))


async def _ids(session: AsyncSession, id_column: Any, *any_of: Any) -> list[int]:
    """The ids of the rows matching any of the conditions."""
    result = await session.execute(select(id_column).where(or_(*any_of)))
    return [int(i) for i in result.scalars().all()]


async def forget_customer(db: Database, customer: str) -> Forgotten:
    """Erase everything stored about one person, named by any of their ids, in one transaction.

    The person is every Slack id and email linked to the one given (the links table,
    and conversations and surveys that carry both names).
    """
    customer = customer.strip()
    given_email = customer.lower() if "@" in customer else ""
    async with db.session() as session, session.begin():
        person = await identities_in(
            session, [customer if not given_email else ""], [given_email], from_history=True
        )
        ids, emails = person.slack_ids, person.emails
        conversation_ids = await _ids(
            session,
            col(Conversation.id),
            col(Conversation.customer_id).in_(ids),
            col(Conversation.customer_email).in_(emails),
        )
        survey_ids = await _ids(
            session,
            col(Survey.id),
            col(Survey.conversation_id).in_(conversation_ids),
            col(Survey.customer_id).in_(ids),
            col(Survey.customer_key).in_(person.keys),
            col(Survey.customer_email).in_(emails),
        )
        response_ids = await _ids(
            session,
            col(Response.id),
            col(Response.survey_id).in_(survey_ids),
            col(Response.customer_id).in_(ids),
        )
        await session.execute(
            delete(AnswerChange).where(col(AnswerChange.survey_id).in_(survey_ids))
        )
        await session.execute(
            delete(ResponseReason).where(col(ResponseReason.response_id).in_(response_ids))
        )
        alerts = await session.execute(delete(Alert).where(col(Alert.survey_id).in_(survey_ids)))
        answers = await session.execute(delete(Response).where(col(Response.id).in_(response_ids)))
        # Accounts' snapshots hold people by id (the deletes above retired them already).
        people = [*ids, *(f"#{response_id}" for response_id in response_ids)]
        await session.execute(delete(AccountPerson).where(col(AccountPerson.person).in_(people)))
        await session.execute(delete(Survey).where(col(Survey.id).in_(survey_ids)))
        await session.execute(
            delete(Conversation).where(col(Conversation.id).in_(conversation_ids))
        )
        # What NPS rounds decided about them (their ids, emails and monthly value).
        await session.execute(
            delete(NpsInvite).where(
                or_(
                    col(NpsInvite.customer_key).in_(person.keys),
                    col(NpsInvite.customer_id).in_(ids),
                    col(NpsInvite.customer_email).in_(emails),
                )
            )
        )
        # Which support messages they wrote (kept so a close needs no history read).
        await session.execute(delete(SupportMessage).where(col(SupportMessage.author).in_(ids)))
        links = await session.execute(
            delete(CustomerEmail).where(
                or_(col(CustomerEmail.email).in_(emails), col(CustomerEmail.slack_id).in_(ids))
            )
        )
    # SQLite keeps the deleted rows' old pages in its write-ahead log until a checkpoint.
    flushed = await db.flush_write_ahead_log()
    return Forgotten(
        flushed=flushed,
        slack_ids=ids,
        emails=emails,
        conversations=len(conversation_ids),
        surveys=len(survey_ids),
        answers=int(answers.rowcount),  # type: ignore[attr-defined]
        alerts=int(alerts.rowcount),  # type: ignore[attr-defined]
        links=int(links.rowcount),  # type: ignore[attr-defined]
    )


@dataclass(frozen=True)
class WorkspaceForgotten:
    flushed: bool  # False: SQLite's write-ahead log may still hold erased rows
    conversations: int
    surveys: int
    answers: int
    team_settings: int

    @property
    def found(self) -> bool:
        return bool(self.conversations or self.surveys or self.answers or self.team_settings)


async def forget_workspace_rows(db: Database, workspace: str) -> WorkspaceForgotten:
    """Erase every row of one Slack workspace, in one transaction: its conversations,
    surveys, answers, alerts, digests, email links, support messages and team settings."""
    scoped = db.in_workspace(workspace)
    async with scoped.session() as session, session.begin():
        # Rows without a workspace column of their own go with their survey or answer;
        # subqueries, not id lists: a large workspace's ids would pass PostgreSQL's limit
        # on parameters, and the view limits a subquery like any other query.
        await session.execute(
            delete(AnswerChange).where(col(AnswerChange.survey_id).in_(select(col(Survey.id))))
        )
        await session.execute(
            delete(ResponseReason).where(
                col(ResponseReason.response_id).in_(select(col(Response.id)))
            )
        )
        await session.execute(delete(Alert))
        answers = await session.execute(delete(Response))
        surveys = await session.execute(delete(Survey))
        conversations = await session.execute(delete(Conversation))
        for table in (
            SupportMessage,
            CustomerEmail,
            DigestPost,
            TeamSettingChange,
            NpsInvite,
            NpsRound,
            AnswerTally,
            DeliveryTally,
            AnswerRevision,
            AccountPerson,
            AccountSpan,
        ):
            await session.execute(delete(table))
        settings = await session.execute(delete(TeamSettings))
        # Not limited by the view (the table is keyed by workspace): named outright.
        await session.execute(
            delete(ServedWorkspace).where(col(ServedWorkspace.workspace) == workspace)
        )
    flushed = await db.flush_write_ahead_log()
    return WorkspaceForgotten(
        flushed=flushed,
        conversations=int(conversations.rowcount),  # type: ignore[attr-defined]
        surveys=int(surveys.rowcount),  # type: ignore[attr-defined]
        answers=int(answers.rowcount),  # type: ignore[attr-defined]
        team_settings=int(settings.rowcount),  # type: ignore[attr-defined]
    )
