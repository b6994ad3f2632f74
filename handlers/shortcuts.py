"""The message shortcut "Close & send survey"."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.delivery.sources import close_from_slack, close_notice
from bot.slack import ids
from handlers.context import Listener, tracked, workspace_of


async def on_close_and_survey(ack: AsyncAck, shortcut: dict[str, Any], context: Any) -> None:
    await ack()
    ctx = workspace_of(context)
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id", "")
    agent = (shortcut.get("user") or {}).get("id", "")
    result = await close_from_slack(
        ctx,
        channel_id=channel,
        message_ts=message.get("ts", ""),
        thread_ts=message.get("thread_ts"),
        closer_id=agent,
        message_author=None if message.get("bot_id") else message.get("user"),
    )
    team = ctx.teams.by_support_channel(channel)
    customer = message.get("user") if not message.get("thread_ts") else None
    await ctx.client.chat_postEphemeral(
        channel=channel, user=agent, text=close_notice(result, team, customer)
    )


SHORTCUT_LISTENERS: dict[str, Listener] = {
    ids.SHORTCUT_CLOSE_AND_SURVEY: on_close_and_survey,
}


def register(app: AsyncApp) -> None:
    for callback_id, listener in SHORTCUT_LISTENERS.items():
        app.shortcut(callback_id)(tracked(listener))
