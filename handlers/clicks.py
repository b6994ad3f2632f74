"""A click on a button, anywhere: Slack's payload as one plain `Click`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.answering.clicks import Click
from bot.context import WorkspaceContext
from bot.slack.client import PacedWebClient
from bot.slack.pacing import workspace_key
from handlers.context import Listener, workspace_of

log = logging.getLogger("surveybot.handlers.clicks")


def click_of(body: dict[str, Any], action: dict[str, Any]) -> Click:
    """Slack's block_actions payload as plain values; nothing in it is trusted yet."""
    container = body.get("container") or {}
    user = body.get("user") or {}
    return Click(
        user_id=str(user.get("id", "")),
        action_id=str(action.get("action_id") or ""),
        value=str(action.get("value") or ""),
        action_ts=str(action.get("action_ts") or ""),
        trigger_id=body.get("trigger_id"),
        channel_id=container.get("channel_id") or (body.get("channel") or {}).get("id"),
        message_ts=container.get("message_ts"),
        thread_ts=container.get("thread_ts"),
        view_id=container.get("view_id") if container.get("type") == "view" else None,
        response_url=body["response_url"] if isinstance(body.get("response_url"), str) else None,
        # The clicker's own team, not bolt's context.team_id (the host workspace).
        user_team=user["team_id"] if isinstance(user.get("team_id"), str) else None,
    )


ClickHandler = Callable[[WorkspaceContext, Click], Awaitable[None]]


def per_person(handle: ClickHandler) -> ClickHandler:
    """Home's buttons, limited per person: a click over the limit is dropped quietly."""

    async def limited(ctx: WorkspaceContext, click: Click) -> None:
        client = ctx.client
        if isinstance(client, PacedWebClient) and not await client.pacer.person_may_click(
            workspace_key(client.token), click.user_id
        ):
            log.info("home click refused reason=too_many action=%s", click.action_id[:64])
            return
        await handle(ctx, click)

    return limited


def click_listener(handle: ClickHandler) -> Listener:
    """A listener that acks, then hands the workspace's context and the click to `handle`."""

    async def on_click(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any
    ) -> None:
        await ack()
        await handle(workspace_of(context), click_of(body, action))

    return on_click
