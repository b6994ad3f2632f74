"""Modal submissions (view_submission, view_closed): the follow-up form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.alerts import refresh_alert, send_kudos
from bot.answers import (
    Refusal,
    answered_survey,
    follow_up_errors,
    locale_of,
    save_follow_up,
    team_of,
)
from bot.blocks.answers import RefusalReason, read_follow_up, refusal_text
from handlers.context import services_of

log = logging.getLogger("surveybot.handlers.views")


async def on_follow_up_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id", ""))
    form = read_follow_up(((view.get("state") or {}).get("values")) or {})
    now = services.clock()
    # Validation needs the answer it belongs to: one quick read before the ack, so
    # errors can still be shown in the modal.
    try:
        answered = await answered_survey(services.db, view.get("private_metadata"), user_id, now)
    except Exception:
        log.exception("follow-up lookup failed")
        await ack(
            response_action="errors",
            errors={ids.FOLLOW_UP_COMMENT_BLOCK: refusal_text(RefusalReason.FAILED, None)},
        )
        return
    if isinstance(answered, Refusal):
        survey = answered.survey
        locale = locale_of(survey, team_of(services.teams, survey)) if survey else None
        await ack(
            response_action="errors",
            errors={ids.FOLLOW_UP_COMMENT_BLOCK: refusal_text(answered.reason, locale)},
        )
        return
    survey = answered.survey
    team = team_of(services.teams, survey)
    errors = follow_up_errors(answered, form, locale_of(survey, team))
    if errors:
        log.info("follow-up invalid survey=%s blocks=%s", survey.token, ",".join(sorted(errors)))
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    try:
        saved = await save_follow_up(services.db, answered, form, now)
        if saved is None:
            return
        await refresh_alert(services.db, client, survey)
        if saved.first_comment:
            await send_kudos(client, saved.survey, saved.response, saved.band)
    except Exception:
        log.exception("follow-up failed survey=%s", survey.token)


async def on_follow_up_closed(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
    await ack()
    # The thank-you keeps its "Add a comment" button; nothing else to do.
    log.info("follow-up closed survey=%s", view.get("private_metadata"))


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_FOLLOW_UP)(on_follow_up_submitted)
    app.view_closed(ids.VIEW_FOLLOW_UP)(on_follow_up_closed)
