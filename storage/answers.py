"""Answers: the current one per survey, every click as history, the follow-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import (
    AnswerChange,
    Conversation,
    CustomerEmail,
    Response,
    ResponseReason,
    Survey,
)
from storage.records import read_model
from storage.surveys import SurveyRecord, survey_record
from storage.vocabulary import Purpose, SurveyKind, SurveyStatus

# Statuses in which a delivered survey still takes a (new) answer.
OPEN = (SurveyStatus.DELIVERED, SurveyStatus.ANSWERED)

# (old score, new score) -> whether the reasons and comment still fit the new score.
KeepsFollowUp = Callable[[int, int], bool]


@dataclass(frozen=True)
class AnswerRecord:
    """The answer that counts for a survey, with its follow-up."""

    id: int
    survey_id: int
    team: str
    kind: str
    agent_id: str | None
    customer_id: str | None
    customer_value: float | None
    score: int
    reasons: tuple[str, ...]  # reason codes, in code order
    comment: str | None
    answered_at: datetime
    commented_at: datetime | None
    kudos_sent_at: datetime | None


@dataclass(frozen=True)
class AnswerChangeRecord:
    """One click, kept as history."""

    id: int
    survey_id: int
    score: int
    action_ts: str | None
    answered_at: datetime


@dataclass(frozen=True)
class Click:
    """What storing a click did."""

    response: AnswerRecord
    changed: bool  # False: the same answer again (double click, Slack retry): nothing stored
    previous_score: int | None
    replayed: bool = False  # this very click (its action_ts) was stored before
    superseded: bool = False  # a click made later (by action_ts) was stored before


def click_order(action_ts: str | None) -> tuple[int, int]:
    """A Slack timestamp (`1763900000.000100`) as a number to compare: the later click
    is the larger. One that is no timestamp sorts first."""
    seconds, _, fraction = (action_ts or "").partition(".")
    try:
        return int(seconds), int(fraction[:9].ljust(9, "0"))
    except ValueError:
        return (0, 0)


async def record_click(
    db: Database,
    survey: SurveyRecord,
    score: int,
    *,
    action_ts: str,
    at: datetime,
    keeps_follow_up: KeepsFollowUp,
    customer_team: str | None = None,
    account: tuple[str, str] | None = None,
    account_of_email: Callable[[str], tuple[str, str] | None] | None = None,
) -> Click | None:
    """Make `score` the survey's answer and keep the click as history.

    One transaction: the survey is marked answered, the Response row (unique per
    survey) inserted or changed, and the click added to AnswerChange. The latest
    click by action_ts wins: one already seen (Slack's retries carry the same
    action_ts), or made before the latest stored one, changes nothing; the same
    score again only dates its history entry later. None when the survey
    is no longer open (expired, or closed by the sweep in the meantime).
    `customer_team`: the clicker's own company, kept on the survey in the same write.
    `account` (key, name): the customer's company, kept on the survey where it had none
    and copied onto a first answer, so figures group by it without a join. Without one,
    `account_of_email` names the company of the email linked to the customer's Slack
    id, read in this same transaction.
    """
    async with db.session() as session:
        # The write comes first: it takes the survey's row lock (PostgreSQL) or the
        # write lock (SQLite) before anything is read, so concurrent clicks on one
        # survey run one after the other and each reads what the last one stored.
        opened = await session.execute(
            update(Survey)
            .where(
                col(Survey.id) == survey.id,
                col(Survey.status).in_(OPEN),
                # A reminder is never answered itself: its clicks answer its survey.
                col(Survey.purpose) != Purpose.REMINDER,
            )
            .values(
                status=SurveyStatus.ANSWERED,
                **({"customer_team": customer_team} if customer_team else {}),
                **(
                    {"account": account[0], "account_name": account[1]}
                    if account and survey.account is None
                    else {}
                ),
            )
            .execution_options(synchronize_session=False)
        )
        if opened.rowcount != 1:  # type: ignore[attr-defined]
            await session.rollback()
            return None
        current = (
            await session.execute(select(Response).where(col(Response.survey_id) == survey.id))
        ).scalar_one_or_none()
        clicks = (
            await session.execute(
                select(col(AnswerChange.id), col(AnswerChange.action_ts)).where(
                    col(AnswerChange.survey_id) == survey.id
                )
            )
        ).all()
        latest = max(clicks, key=lambda c: click_order(c[1]), default=None)
        if current is not None and latest is not None:
            # Slack may deliver a customer's clicks out of order: the one clicked last
            # wins, so an earlier one (or the same one again) arriving now changes nothing.
            if click_order(action_ts) <= click_order(latest[1]):
                unchanged = await _answer_record(session, current)
                await session.rollback()
                return Click(
                    unchanged,
                    changed=False,
                    previous_score=unchanged.score,
                    replayed=action_ts in {c[1] for c in clicks},
                    superseded=action_ts != latest[1],
                )
            if current.score == score:
                # The same answer, clicked again later: one entry in the history, dated
                # by its latest click, so an earlier click arriving late cannot undo it.
                await session.execute(
                    update(AnswerChange)
                    .where(col(AnswerChange.id) == latest[0])
                    .values(action_ts=action_ts)
                    .execution_options(synchronize_session=False)
                )
                unchanged = await _answer_record(session, current)
                await session.commit()
                return Click(unchanged, changed=False, previous_score=unchanged.score)

        previous = current.score if current is not None else None
        if current is None and account is None and account_of_email and survey.customer_id:
            email = (
                await session.execute(
                    select(col(CustomerEmail.email))
                    .where(col(CustomerEmail.slack_id) == survey.customer_id)
                    .order_by(col(CustomerEmail.learned_at).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            account = account_of_email(email) if email else None
            if account is not None:
                await session.execute(
                    update(Survey)
                    .where(col(Survey.id) == survey.id, col(Survey.account).is_(None))
                    .values(account=account[0], account_name=account[1])
                    .execution_options(synchronize_session=False)
                )
        if current is None:
            value = (
                await session.execute(
                    select(col(Conversation.customer_value)).where(
                        col(Conversation.id) == survey.conversation_id
                    )
                )
            ).scalar_one_or_none()
            session.add(
                Response(
                    survey_id=survey.id,
                    team=survey.team,
                    kind=SurveyKind(survey.kind),
                    agent_id=survey.agent_id,
                    customer_id=survey.customer_id,
                    customer_value=value,
                    score=score,
                    answered_at=at,
                    is_test=survey.is_test,
                    account=account[0] if account else None,
                    account_name=account[1] if account else None,
                )
            )
        else:
            values: dict[str, object] = {"score": score, "answered_at": at}
            if not keeps_follow_up(current.score, score):
                values.update(comment=None, commented_at=None)
                await session.execute(
                    delete(ResponseReason).where(col(ResponseReason.response_id) == current.id)
                )
            await session.execute(
                update(Response)
                .where(col(Response.survey_id) == survey.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        session.add(
            AnswerChange(survey_id=survey.id, score=score, action_ts=action_ts, answered_at=at)
        )
        # A second first click racing past the lock still meets the unique survey_id.
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            existing = await response_for(db, survey.id)
            if existing is None:
                raise
            return Click(existing, changed=False, previous_score=existing.score)
    stored = await response_for(db, survey.id)
    assert stored is not None
    return Click(stored, changed=True, previous_score=previous)


async def save_follow_up(
    db: Database, survey_id: int, *, reasons: Sequence[str], comment: str | None, at: datetime
) -> AnswerRecord | None:
    """Store the follow-up on the survey's answer, its reasons replacing the earlier ones.

    None when there is no answer. One transaction: the UPDATE comes first and takes
    the answer's lock, so two forms sent at once leave one complete set of reasons.
    """
    async with db.session() as session:
        response_id = (
            await session.execute(
                update(Response)
                .where(col(Response.survey_id) == survey_id)
                .values(comment=comment, commented_at=at)
                .returning(col(Response.id))
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if response_id is None:
            await session.rollback()
            return None
        await session.execute(
            delete(ResponseReason).where(col(ResponseReason.response_id) == response_id)
        )
        codes = sorted(set(reasons))
        if codes:
            await session.execute(
                insert(ResponseReason),
                [{"response_id": response_id, "reason": code} for code in codes],
            )
        await session.commit()
    return await response_for(db, survey_id)


async def claim_kudos(db: Database, survey_id: int, at: datetime) -> bool:
    """True once per answer: whoever flips kudos_sent_at sends the thank-you."""
    claimed = await db.write(
        update(Response)
        .where(col(Response.survey_id) == survey_id, col(Response.kudos_sent_at).is_(None))
        .values(kudos_sent_at=at)
    )
    return claimed == 1


async def _answer_record(session: AsyncSession, row: Response) -> AnswerRecord:
    reasons = (
        await session.execute(
            select(col(ResponseReason.reason))
            .where(col(ResponseReason.response_id) == row.id)
            .order_by(col(ResponseReason.reason))
        )
    ).scalars()
    return read_model(AnswerRecord, row, reasons=tuple(reasons))


async def response_for(db: Database, survey_id: int) -> AnswerRecord | None:
    async with db.session() as session:
        result = await session.execute(select(Response).where(col(Response.survey_id) == survey_id))
        row = result.scalar_one_or_none()
        return await _answer_record(session, row) if row is not None else None


async def answer_history(db: Database, survey_id: int) -> list[AnswerChangeRecord]:
    async with db.session() as session:
        result = await session.execute(
            select(AnswerChange)
            .where(col(AnswerChange.survey_id) == survey_id)
            .order_by(col(AnswerChange.id))
        )
        return [read_model(AnswerChangeRecord, row) for row in result.scalars().all()]


def _overdue(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(Survey.status) == SurveyStatus.DELIVERED,
        col(Survey.expires_at) <= now,
        col(Survey.purpose) != Purpose.REMINDER,  # nothing to answer, nothing to close
    )


async def overdue_unanswered(db: Database, now: datetime, limit: int = 100) -> list[SurveyRecord]:
    """Delivered surveys nobody answered before they expired."""
    async with db.session() as session:
        result = await session.execute(
            select(Survey).where(*_overdue(now)).order_by(col(Survey.expires_at)).limit(limit)
        )
        return [survey_record(row) for row in result.scalars().all()]


async def workspaces_with_overdue(db: Database, now: datetime) -> list[str]:
    """The workspaces that have overdue_unanswered surveys: one look for all of them,
    not one per served workspace (a thousand a minute, each reading every delivered row)."""
    async with db.session() as session:
        result = await session.execute(
            select(col(Survey.workspace)).where(*_overdue(now)).distinct()
        )
        return sorted(result.scalars().all())


async def expire_unanswered(db: Database, survey_id: int) -> bool:
    """Close a delivered survey that got no answer; False if an answer came first."""
    return (
        await db.write(
            update(Survey)
            .where(col(Survey.id) == survey_id, col(Survey.status) == SurveyStatus.DELIVERED)
            .values(status=SurveyStatus.EXPIRED)
        )
    ) == 1


async def purge_comments_before(db: Database, team: str, cutoff: datetime) -> int:
    """Drop the words of a team's answers given before `cutoff`; the scores stay."""
    return await db.write(
        update(Response)
        .where(
            col(Response.team) == team,
            col(Response.answered_at) < cutoff,
            col(Response.comment).is_not(None),
        )
        .values(comment=None)
    )
