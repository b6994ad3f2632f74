"""Sends without a close: an invitation to a survey, and one reminder of an earlier send.

Both wait in the outbox beside the surveys of closed conversations and go out through
the same dispatcher: the same pacing, quiet hours, crash check and "at most once".
A team's `reminder_after` adds reminders when a survey is delivered
(bot.delivery.reminders); relational NPS rounds (bot.nps) add invitations. After
adding one, wake the dispatcher so a send due now goes now.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.context import WorkspaceContext
from bot.delivery import timing
from bot.teams import Team
from storage import customers as people
from storage import outbox
from storage.surveys import NewSurvey, SurveyRecord
from storage.vocabulary import Delivery, Purpose, ReminderStatus, SurveyKind, SurveyStatus

log = logging.getLogger("surveybot.sends")
TOKEN_BYTES = 12  # a survey's opaque id: 16 URL-safe characters


def posts_in_thread(send: SurveyRecord) -> bool:
    """Whether a send is a reply in a thread (else it goes to its customer by DM).

    A reminder always replies in the thread chosen when it was added; an invitation,
    having no conversation, always goes by DM.
    """
    threaded = bool(send.channel_id and send.thread_ts)
    if send.purpose is Purpose.REMINDER:
        return threaded
    if send.purpose is Purpose.INVITATION:
        return False
    return send.delivery == Delivery.THREAD and threaded


def reminder_thread(earlier: SurveyRecord) -> tuple[str, str] | None:
    """Where a reminder of this delivered send replies, as (channel, thread_ts): the
    support thread the survey was posted in, or the survey message itself in a DM.
    None while it has not reached Slack."""
    if not (earlier.channel_id and earlier.message_ts):
        return None
    if posts_in_thread(earlier) and earlier.thread_ts:
        return earlier.channel_id, earlier.thread_ts
    return earlier.channel_id, earlier.message_ts


def reminder_dropped(earlier: SurveyRecord | None, now: datetime) -> str | None:
    """Why a reminder due now must not go (its survey no longer waits for an answer):
    one word, for the log line and the metric's label (bot.delivery.reminders adds
    "wrote_again", which needs the database)."""
    if earlier is None:
        return "gone"
    if earlier.status is not SurveyStatus.DELIVERED:
        return str(earlier.status)  # answered, cancelled, expired, never delivered
    if now >= earlier.expires_at:
        return str(SurveyStatus.EXPIRED)
    return None


@dataclass(frozen=True)
class Invitation:
    """A survey to send by DM to a customer, about no conversation in particular."""

    team: Team
    customer_id: str | None = None
    customer_email: str | None = None
    kind: SurveyKind | None = None  # the team's survey unless given
    locale: str | None = None
    send_after: datetime | None = None  # now unless given


def new_tokens(count: int) -> list[str]:
    """`count` opaque survey ids at once, each like secrets.token_urlsafe(12): one
    read of the system's randomness for a whole NPS round, not one per person."""
    raw = secrets.token_bytes(TOKEN_BYTES * count)
    return [
        base64.urlsafe_b64encode(raw[n : n + TOKEN_BYTES]).decode()
        for n in range(0, len(raw), TOKEN_BYTES)
    ]


def invitation_row(invitation: Invitation, now: datetime) -> NewSurvey:
    """The outbox row of an invitation: by DM at `send_after` (now at the earliest),
    expiring after the team's `expire_days`. Relational NPS rounds store many at once."""
    if not (invitation.customer_id or invitation.customer_email):
        raise ValueError("an invitation needs its customer: a Slack user id or an email")
    team = invitation.team
    due = max(invitation.send_after or now, now)
    return NewSurvey(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        team=team.name,
        kind=(invitation.kind or team.survey).value,
        customer_key=people.stable_key(invitation.customer_id, invitation.customer_email),
        customer_id=invitation.customer_id,
        customer_email=invitation.customer_email,
        locale=invitation.locale,
        delivery=Delivery.DM,
        status=SurveyStatus.SCHEDULED,
        created_at=now,
        send_after=due,
        expires_at=timing.expires_at(due, team.expire_days),
        purpose=Purpose.INVITATION,
    )


async def invite(ctx: WorkspaceContext, invitation: Invitation) -> SurveyRecord:
    """Put an invitation in the outbox; it goes by DM at `send_after`, never in the
    customer's quiet hours, and expires after the team's `expire_days`."""
    added = await outbox.add(ctx.db, invitation_row(invitation, ctx.now()))
    assert added is not None  # only a second reminder is ever refused
    log.info("invitation scheduled team=%s survey=%s", invitation.team.name, added.token)
    ctx.changes.survey_scheduled()
    return added


@dataclass(frozen=True)
class ReminderResult:
    status: ReminderStatus
    reminder: SurveyRecord | None = None


async def remind(ctx: WorkspaceContext, earlier: SurveyRecord, at: datetime) -> ReminderResult:
    """Add the one reminder of a delivered survey or invitation, due at `at`.

    It replies in the survey's own thread (or under the survey in the DM), and is
    dropped when it falls due if the survey was answered, cancelled or expired by then.
    """
    where = reminder_thread(earlier)
    now = ctx.now()
    due = max(at, now)
    if (
        earlier.purpose is Purpose.REMINDER
        or where is None
        or reminder_dropped(earlier, due) is not None
    ):
        return ReminderResult(ReminderStatus.NOT_WAITING)
    channel_id, thread_ts = where
    added = await outbox.add(
        ctx.db,
        NewSurvey(
            token=secrets.token_urlsafe(12),
            team=earlier.team,
            kind=earlier.kind,
            customer_key=earlier.customer_key,
            customer_id=earlier.customer_id,
            customer_email=earlier.customer_email,
            agent_id=earlier.agent_id,
            locale=earlier.locale,  # the language the survey was asked in
            delivery=earlier.delivery,
            channel_id=channel_id,
            thread_ts=thread_ts,
            status=SurveyStatus.SCHEDULED,
            created_at=now,
            send_after=due,
            expires_at=earlier.expires_at,
            is_test=earlier.is_test,
            purpose=Purpose.REMINDER,
            reminds_id=earlier.id,
        ),
    )
    if added is None:
        return ReminderResult(ReminderStatus.ALREADY_REMINDED)
    log.info("reminder scheduled survey=%s reminder=%s", earlier.token, added.token)
    ctx.changes.survey_scheduled()
    return ReminderResult(ReminderStatus.SCHEDULED, added)
