"""The follow-up form: checked before Slack's ack, saved after it."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.alerts import refresh_alert, send_kudos
from bot.answers import (
    Answered,
    Refusal,
    RefusalReason,
    answered_survey,
    follow_up_errors,
    locale_of,
    save_follow_up,
    team_of,
)
from bot.blocks.answers import refusal_text
from bot.customers import CustomerDirectory
from bot.follow_up_form import FieldErrors, FollowUpForm
from bot.home_refresh import HomeRefresh
from bot.teams import Teams
from storage.db import Database

log = logging.getLogger("surveybot.follow_up")


async def check_follow_up(
    db: Database, teams: Teams, token: str | None, user_id: str, form: FollowUpForm, now: datetime
) -> Answered | FieldErrors:
    """The answer this form belongs to, or the errors to show in the modal.

    One quick read, so that Slack's ack can still carry the errors.
    """
    try:
        answered = await answered_survey(db, token, user_id, now)
    except Exception:
        log.exception("follow-up lookup failed")
        return {ids.FOLLOW_UP_COMMENT_BLOCK: refusal_text(RefusalReason.FAILED, None)}
    if isinstance(answered, Refusal):
        survey = answered.survey
        locale = locale_of(survey, team_of(teams, survey)) if survey else None
        return {ids.FOLLOW_UP_COMMENT_BLOCK: refusal_text(answered.reason, locale)}
    survey = answered.survey
    errors = follow_up_errors(answered, form, locale_of(survey, team_of(teams, survey)))
    if errors:
        log.info("follow-up invalid survey=%s blocks=%s", survey.token, ",".join(sorted(errors)))
        return errors
    return answered


async def follow_up_sent(
    db: Database,
    client: AsyncWebClient,
    customers: CustomerDirectory,
    teams: Teams,
    answered: Answered,
    form: FollowUpForm,
    now: datetime,
    homes: HomeRefresh | None = None,
) -> None:
    """Save the reasons and comment, show them on the alert, thank the agent for praise."""
    team = team_of(teams, answered.survey)
    saved = await save_follow_up(db, answered, form, now)
    if saved is None:
        return
    await refresh_alert(db, client, customers, team, saved.survey, now)
    await send_kudos(db, client, customers, team, saved.survey, saved.response, saved.band, now)
    if homes is not None and not saved.survey.is_test:
        homes.answer_changed(saved.survey.team, saved.survey.agent_id)
