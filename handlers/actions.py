"""Button clicks (block_actions): survey scores, the follow-up buttons, alert buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

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
from bot.home_views import alert_clicked_in_home
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
        view_id=container.get("view_id") if container.get("type") == "view" else None,
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


async def _alert_clicked(
    s: Services, c: AsyncWebClient, k: Click, action: Literal["claim", "resolve"]
) -> None:
    """The same buttons in the alert channel and in a lead's App Home."""
    if k.view_id is not None:
        alert_id = int(k.value) if k.value.isdigit() else None
        await alert_clicked_in_home(s.home_deps(c), k.user_id, action, alert_id, s.clock())
        return
    await alert_button_clicked(s.db, c, s.customers, s.teams, action, k, s.clock(), s.homes)


ACTION_LISTENERS: dict[str | Any, Listener] = {
    ids.SURVEY_SCORE_PATTERN: _listener(
        lambda s, c, k: score_clicked(s.db, c, s.customers, s.teams, k, s.clock(), s.homes)
    ),
    ids.SURVEY_ADD_COMMENT: _listener(
        lambda s, c, k: add_comment_clicked(s.db, c, s.teams, k, s.clock())
    ),
    ids.SURVEY_CHANGE_ANSWER: _listener(
        lambda s, c, k: change_answer_clicked(s.db, c, s.teams, k, s.clock())
    ),
    ids.ALERT_CLAIM: _listener(lambda s, c, k: _alert_clicked(s, c, k, "claim")),
    ids.ALERT_RESOLVE: _listener(lambda s, c, k: _alert_clicked(s, c, k, "resolve")),
}


def register(app: AsyncApp) -> None:
    for action_id, listener in ACTION_LISTENERS.items():
        app.action(action_id)(tracked(listener))
