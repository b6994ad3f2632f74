"""The one polite reminder of a survey nobody answered (a team's `reminder_after`).

It is scheduled when the survey reaches the customer, and only then, at that moment
plus the delay. It waits in the outbox like every send (pacing, quiet hours shifted
to their end, the crash check) and replies in the survey's own thread, or under the
survey in the DM. When it falls due the dispatcher asks `why_dropped`: an answer, a
survey expired or cancelled, or a customer who wrote again in the conversation after
the survey each drop it. There is never a second one (a unique constraint), and it
is no survey: the contact rule (`throttle_days`) and the response rate leave it out.

Relational NPS rounds (issue 18) have their own delay (3 days by default): either
return it from `reminder_delay` for their sends, so the dispatcher schedules it on
delivery like a CSAT's, or call `remind_after(ctx, delivered_survey, delay)` directly.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.context import WorkspaceContext
from bot.delivery.sends import ReminderResult, remind, reminder_dropped
from bot.logs import log_failure
from bot.teams import Team
from storage import support_messages
from storage import surveys as store
from storage.surveys import SurveyRecord
from storage.vocabulary import Purpose, ReminderStatus, SurveyKind

log = logging.getLogger("surveybot.reminders")

# Why a due reminder was dropped besides its survey's status (sends.reminder_dropped).
WROTE_AGAIN = "wrote_again"


# An NPS invitation's one reminder, when its team reminds at all.
NPS_REMINDER_AFTER = timedelta(days=3)


def reminder_delay(team: Team, survey: SurveyRecord) -> timedelta | None:
    """How long after its delivery this send is reminded of; None: never.

    A conversation's survey (CSAT, CES) follows its team's `reminder_after`, in hours;
    a relational NPS invitation of a team that reminds is reminded of after three days
    (people answer a relationship question at their pace). A lead's test survey is
    never reminded of: they asked to see the survey, once.
    """
    if survey.is_test or team.reminder_after is None:
        return None
    if survey.purpose is Purpose.INVITATION and survey.kind == SurveyKind.NPS:
        return NPS_REMINDER_AFTER
    if survey.purpose is not Purpose.CONVERSATION:
        return None
    return timedelta(hours=team.reminder_after)


async def remind_after(
    ctx: WorkspaceContext, survey: SurveyRecord, delay: timedelta
) -> ReminderResult:
    """The entry point: remind of this delivered survey `delay` after its delivery.

    Refused (NOT_WAITING) unless it was delivered and still waits for an answer, and
    ALREADY_REMINDED the second time: calling it twice is safe."""
    if survey.delivered_at is None:
        return ReminderResult(ReminderStatus.NOT_WAITING)
    return await remind(ctx, survey, survey.delivered_at + delay)


async def on_delivered(ctx: WorkspaceContext, team: Team, survey: SurveyRecord) -> None:
    """After the dispatcher recorded a delivery: the team's reminder of it, if any.

    Never raises: the survey is out, and a failure here must not send it back to the
    outbox for a second post. Nothing reminds of it then, which the log says."""
    delay = reminder_delay(team, survey)
    if delay is None:
        return
    try:
        delivered = await store.get_survey(ctx.db, survey.id)  # with its message and time
        if delivered is not None:
            await remind_after(ctx, delivered, delay)
    except Exception as exc:
        log_failure(log, "reminder not scheduled", exc, survey=survey.token)


async def why_dropped(ctx: WorkspaceContext, reminder: SurveyRecord) -> str | None:
    """Why a reminder due now must not go, in one word; None when it goes."""
    earlier = await store.get_survey(ctx.db, reminder.reminds_id or 0)
    reason = reminder_dropped(earlier, ctx.now())
    if reason is None and earlier is not None and await wrote_again(ctx, earlier):
        reason = WROTE_AGAIN
    return reason


async def wrote_again(ctx: WorkspaceContext, survey: SurveyRecord) -> bool:
    """Whether the customer replied in the survey's support thread after the survey was
    posted, as the bot saw it (the support channels' message events). A helpdesk's
    conversation is not seen, so only an answer or the expiry drops its reminder."""
    conversation = await store.conversation_of(ctx.db, survey)
    if (
        conversation is None
        or not (conversation.channel_id and conversation.thread_ts)
        or not (survey.customer_id and survey.message_ts)
    ):
        return False
    return await support_messages.wrote_after(
        ctx.db,
        ctx.workspace,
        conversation.channel_id,
        conversation.thread_ts,
        survey.customer_id,
        survey.message_ts,
    )
