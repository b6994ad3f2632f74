"""Button clicks (block_actions): survey scores, the follow-up buttons, alert buttons."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.alerts import AlertRefusal, act_on_alert, alert_on_answer
from bot.answers import Answered, Refusal, answered_survey, locale_of, record_answer, team_of
from bot.blocks.answers import (
    Band,
    RefusalReason,
    refusal_text,
    render_change_answer,
    render_follow_up,
    render_thank_you,
)
from bot.blocks.survey import parse_score_button_value
from bot.expiry import close_on_click
from handlers.context import services_of

log = logging.getLogger("surveybot.handlers.actions")


def _clicker(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(channel, message ts, thread ts) of the clicked message, as Slack reports them."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts"), container.get("thread_ts")


async def _refuse(
    client: AsyncWebClient, body: dict[str, Any], text: str, thread_ts: str | None = None
) -> None:
    channel, _, container_thread = _where(body)
    if channel:
        await client.chat_postEphemeral(
            channel=channel, user=_clicker(body), text=text, thread_ts=thread_ts or container_thread
        )


async def on_score(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: Any,
    client: AsyncWebClient,
) -> None:
    await ack()
    services = services_of(context)
    parsed = parse_score_button_value(str(action.get("value") or ""))
    token, score = parsed if parsed else (None, None)
    if score is not None and action.get("action_id") != ids.survey_score_action(score):
        score = None  # the button's id and its value disagree: someone edited one
    channel, message_ts, _ = _where(body)
    try:
        outcome = await record_answer(
            services.db,
            token,
            score,
            _clicker(body),
            str(action.get("action_ts") or ""),
            services.clock(),
            channel_id=channel,
            message_ts=message_ts,
        )
        if isinstance(outcome, Refusal):
            survey = outcome.survey
            locale = locale_of(survey, team_of(services.teams, survey)) if survey else None
            await _refuse(client, body, refusal_text(outcome.reason, locale))
            if survey is not None and outcome.reason is RefusalReason.EXPIRED:
                await close_on_click(services.db, client, services.teams, survey)
            return
        survey, response = outcome.survey, outcome.response
        team = team_of(services.teams, survey)
        locale = locale_of(survey, team)
        if outcome.changed and outcome.band is not Band.MIDDLE:
            # The trigger_id dies 3 s after the click: the form opens before anything slower.
            try:
                await client.views_open(
                    trigger_id=body["trigger_id"],
                    view=render_follow_up(
                        token=survey.token,
                        kind=survey.kind,
                        score=response.score,
                        locale=locale,
                        reasons=[r for r in (response.reasons or "").split(",") if r],
                        comment=response.comment,
                    ),
                )
            except Exception:
                log.exception("follow-up form did not open survey=%s", survey.token)
        await client.chat_update(
            channel=str(survey.channel_id),
            ts=str(survey.message_ts),
            **render_thank_you(
                token=survey.token,
                kind=survey.kind,
                score=response.score,
                locale=locale,
                expires_at=survey.expires_at,
            ),
        )
        if outcome.changed:
            await alert_on_answer(services.db, client, team, survey, response, services.clock())
    except Exception:
        # Already acked: log, never lose the ack to an exception.
        log.exception("score click failed token=%s", token)


async def _answered_or_refuse(
    body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> Answered | None:
    services = services_of(context)
    answered = await answered_survey(
        services.db, str(action.get("value") or ""), _clicker(body), services.clock()
    )
    if isinstance(answered, Refusal):
        survey = answered.survey
        locale = locale_of(survey, team_of(services.teams, survey)) if survey else None
        await _refuse(client, body, refusal_text(answered.reason, locale))
        if survey is not None and answered.reason is RefusalReason.EXPIRED:
            await close_on_click(services.db, client, services.teams, survey)
        return None
    return answered


async def on_add_comment(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: Any,
    client: AsyncWebClient,
) -> None:
    await ack()
    try:
        answered = await _answered_or_refuse(body, action, context, client)
        if answered is None:
            return
        survey, response = answered.survey, answered.response
        locale = locale_of(survey, team_of(services_of(context).teams, survey))
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=render_follow_up(
                token=survey.token,
                kind=survey.kind,
                score=response.score,
                locale=locale,
                reasons=[r for r in (response.reasons or "").split(",") if r],
                comment=response.comment,
            ),
        )
    except Exception:
        log.exception("add comment failed")


async def on_change_answer(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: Any,
    client: AsyncWebClient,
) -> None:
    await ack()
    try:
        answered = await _answered_or_refuse(body, action, context, client)
        if answered is None:
            return
        survey = answered.survey
        locale = locale_of(survey, team_of(services_of(context).teams, survey))
        await client.chat_update(
            channel=str(survey.channel_id),
            ts=str(survey.message_ts),
            **render_change_answer(
                token=survey.token, kind=survey.kind, score=answered.response.score, locale=locale
            ),
        )
    except Exception:
        log.exception("change answer failed")


def _alert_listener(kind: str) -> Callable[..., Awaitable[None]]:
    async def on_alert_button(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: Any,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        services = services_of(context)
        value = str(action.get("value") or "")
        channel, message_ts, _ = _where(body)
        try:
            result = await act_on_alert(
                services.db,
                client,
                kind,
                int(value) if value.isdigit() else None,
                _clicker(body),
                services.clock(),
                channel_id=channel,
                message_ts=message_ts,
            )
            if isinstance(result, AlertRefusal):
                await _refuse(client, body, result.text)
        except Exception:
            log.exception("alert %s failed alert=%s", kind, value)

    return on_alert_button


Listener = Callable[..., Awaitable[None]]

ACTION_LISTENERS: dict[str | Any, Listener] = {
    ids.SURVEY_SCORE_PATTERN: on_score,
    ids.SURVEY_ADD_COMMENT: on_add_comment,
    ids.SURVEY_CHANGE_ANSWER: on_change_answer,
    ids.ALERT_CLAIM: _alert_listener("claim"),
    ids.ALERT_RESOLVE: _alert_listener("resolve"),
}


def register(app: AsyncApp) -> None:
    for action_id, listener in ACTION_LISTENERS.items():
        app.action(action_id)(listener)
