"""The follow-up form: checked before Slack's ack, saved after it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.answering.alerts import refresh_alert, send_kudos
from bot.answering.answer_blocks import refusal_text
from bot.answering.answers import (
    Answered,
    Refusal,
    RefusalReason,
    answered_survey,
    follow_up_errors,
    locale_of,
    save_follow_up,
    team_of,
)
from bot.answering.follow_up_form import FieldErrors, FollowUpForm
from bot.context import WorkspaceContext
from bot.logs import log_failure
from bot.slack import ids
from storage.db import Database
from storage.vocabulary import Delivery

log = logging.getLogger("surveybot.follow_up")

# The form was acked before the save: a failing database gets a few quick tries, then
# the customer is told (their words are not kept anywhere else, nor logged).
SAVE_RETRY_DELAYS = (0.2, 0.5, 1.0)


async def check_follow_up(
    ctx: WorkspaceContext, token: str | None, user_id: str, form: FollowUpForm
) -> Answered | FieldErrors:
    """The answer this form belongs to, or the errors to show in the modal.

    One quick read, so that Slack's ack can still carry the errors.
    """
    try:
        answered = await _answered_soon(ctx, token, user_id)
    except Exception:
        log.exception("follow-up lookup failed")
        return {ids.FOLLOW_UP_COMMENT_BLOCK: refusal_text(RefusalReason.FAILED, None)}
    if isinstance(answered, Refusal):
        survey = answered.survey
        locale = locale_of(survey, team_of(ctx.teams, survey)) if survey else None
        return {ids.FOLLOW_UP_COMMENT_BLOCK: refusal_text(answered.reason, locale)}
    survey = answered.survey
    errors = follow_up_errors(answered, form, locale_of(survey, team_of(ctx.teams, survey)))
    if errors:
        log.info("follow-up invalid survey=%s blocks=%s", survey.token, ",".join(sorted(errors)))
        return errors
    return answered


# The form opens before its click is stored (the trigger_id cannot wait for the write):
# a form sent within moments of opening may find its answer a little later.
ANSWER_WAIT_SECONDS = 1.5
ANSWER_POLL_SECONDS = 0.1


async def _answered_soon(
    ctx: WorkspaceContext, token: str | None, user_id: str
) -> Answered | Refusal:
    waited = 0.0
    while True:
        answered = await answered_survey(ctx.db, token, user_id, ctx.now())
        if not isinstance(answered, Refusal) or answered.reason is not RefusalReason.NOT_ANSWERED:
            return answered
        if waited >= ANSWER_WAIT_SECONDS:
            return answered
        await asyncio.sleep(ANSWER_POLL_SECONDS)
        waited += ANSWER_POLL_SECONDS


async def follow_up_sent(ctx: WorkspaceContext, answered: Answered, form: FollowUpForm) -> None:
    """Save the reasons and comment, show them on the alert, thank the agent for praise."""
    survey, stored = answered.survey, answered.response
    team = team_of(ctx.teams, survey)
    if (tuple(sorted(form.reasons)), form.comment) == (
        tuple(sorted(stored.reasons)),
        stored.comment,
    ):
        # A replayed or repeated form: an alert already posted shows it; one whose
        # post failed, and kudos not yet sent, get another chance.
        log.info("follow-up unchanged survey=%s", survey.token)
        await refresh_alert(ctx, team, survey, update=False)
        await send_kudos(ctx, team, survey, stored, answered.band)
        return
    try:
        saved = await _save_with_retries(ctx.db, answered, form, ctx.now())
    except Exception as exc:
        log_failure(log, "follow-up not saved", exc, survey=survey.token)
        if survey.channel_id:
            locale = locale_of(survey, team)
            await ctx.client.chat_postEphemeral(
                channel=survey.channel_id,
                user=form_user(answered),
                text=refusal_text(RefusalReason.FAILED, locale),
                thread_ts=survey.thread_ts if survey.delivery is Delivery.THREAD else None,
            )
        return
    if saved is None:
        return
    await refresh_alert(ctx, team, saved.survey)
    await send_kudos(ctx, team, saved.survey, saved.response, saved.band)
    if not saved.survey.is_test:
        ctx.changes.answer_changed(saved.survey.team, saved.survey.agent_id)


def form_user(answered: Answered) -> str:
    """Who sent the form: only the survey's customer gets this far."""
    return str(answered.survey.customer_id)


async def _save_with_retries(
    db: Database, answered: Answered, form: FollowUpForm, now: datetime
) -> Answered | None:
    for delay in SAVE_RETRY_DELAYS:
        try:
            return await save_follow_up(db, answered, form, now)
        except Exception as exc:
            log.warning(
                "follow-up save retry survey=%s error=%s", answered.survey.token, type(exc).__name__
            )
            await asyncio.sleep(delay)
    return await save_follow_up(db, answered, form, now)
