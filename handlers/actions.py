"""Button clicks (block_actions): survey scores, the follow-up buttons, alert buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.clicks import (
    Click,
    add_comment_clicked,
    alert_button_clicked,
    change_answer_clicked,
    score_clicked,
)
from bot.services import Services
from handlers.context import Listener, services_of, tracked


def click_of(body: dict[str, Any], action: dict[str, Any]) -> Click:
    """Slack's block_actions payload as plain values; nothing in it is trusted yet."""
    container = body.get("container") or {}
    return Click(
        user_id=str((body.get("user") or {}).get("id", "")),
        action_id=str(action.get("action_id") or ""),
        value=str(action.get("value") or ""),
        action_ts=str(action.get("action_ts") or ""),
        trigger_id=body.get("trigger_id"),
        channel_id=container.get("channel_id") or (body.get("channel") or {}).get("id"),
        message_ts=container.get("message_ts"),
        thread_ts=container.get("thread_ts"),
    )


ClickHandler = Callable[[Services, AsyncWebClient, Click], Awaitable[None]]


def _listener(handle: ClickHandler) -> Listener:
    async def on_click(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: Any,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await handle(services_of(context), client, click_of(body, action))

    return on_click


ACTION_LISTENERS: dict[str | Any, Listener] = {
    ids.SURVEY_SCORE_PATTERN: _listener(
        lambda s, c, k: score_clicked(s.db, c, s.customers, s.teams, k, s.clock())
    ),
    ids.SURVEY_ADD_COMMENT: _listener(
        lambda s, c, k: add_comment_clicked(s.db, c, s.teams, k, s.clock())
    ),
    ids.SURVEY_CHANGE_ANSWER: _listener(
        lambda s, c, k: change_answer_clicked(s.db, c, s.teams, k, s.clock())
    ),
    ids.ALERT_CLAIM: _listener(
        lambda s, c, k: alert_button_clicked(s.db, c, s.customers, "claim", k, s.clock())
    ),
    ids.ALERT_RESOLVE: _listener(
        lambda s, c, k: alert_button_clicked(s.db, c, s.customers, "resolve", k, s.clock())
    ),
}


def register(app: AsyncApp) -> None:
    for action_id, listener in ACTION_LISTENERS.items():
        app.action(action_id)(tracked(listener))
