"""Surveys past their expiry lose their buttons and say that they have closed."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.answering.answer_blocks import render_closed
from bot.answering.answers import locale_of, score_may_show_on_survey, team_of
from bot.context import WorkspaceContext
from storage import answers as store
from storage import surveys
from storage.surveys import SurveyRecord
from storage.vocabulary import SurveyStatus

log = logging.getLogger("surveybot.expiry")


async def show_closed(ctx: WorkspaceContext, survey: SurveyRecord) -> None:
    """Replace the survey message by the closed notice (with the answer, if any)."""
    if not (survey.channel_id and survey.message_ts):
        return
    response = await store.response_for(ctx.db, survey.id)
    message = render_closed(
        kind=survey.kind,
        score=response.score if response else None,
        locale=locale_of(survey, team_of(ctx.teams, survey)),
        show_score=score_may_show_on_survey(survey),
    )
    await ctx.client.chat_update(channel=survey.channel_id, ts=survey.message_ts, **message)
    # Its reminder, if one went, showed the same buttons: it closes with it.
    reminder = await surveys.reminder_of(ctx.db, survey.id)
    if (
        reminder is not None
        and reminder.status is SurveyStatus.DELIVERED
        and reminder.channel_id
        and reminder.message_ts
    ):
        await ctx.client.chat_update(channel=reminder.channel_id, ts=reminder.message_ts, **message)


async def expire_overdue(ctx: WorkspaceContext, limit: int = 100) -> int:
    """Close delivered surveys nobody answered in time; answer how many were closed."""
    closed = 0
    for survey in await store.overdue_unanswered(ctx.db, ctx.now(), limit):
        if not await store.expire_unanswered(ctx.db, survey.id):
            continue  # answered at the last moment: that answer counts
        closed += 1
        log.info("survey expired survey=%s", survey.token)
        try:
            await show_closed(ctx, survey)
        except SlackApiError as exc:
            # The survey is closed either way; a click on a stale button is refused.
            log.warning(
                "closing survey message failed survey=%s error=%s",
                survey.token,
                exc.response.get("error"),
            )
    return closed


async def close_on_click(ctx: WorkspaceContext, survey: SurveyRecord) -> None:
    """A click on an expired survey: close it now if the sweep has not yet."""
    if await store.expire_unanswered(ctx.db, survey.id):
        log.info("survey expired survey=%s by=click", survey.token)
    await show_closed(ctx, survey)
