"""Events API listeners: the close reaction, and the customer writing again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.delivery.closes import customer_wrote_again
from bot.delivery.sources import close_from_slack, close_notice, message_seen, reaction_meaning
from handlers.context import Listener, runtime_of, tracked, workspace_of
from handlers.home import on_app_home_opened


async def on_reaction_added(event: dict[str, Any], context: Any) -> None:
    ctx = workspace_of(context)
    item = event.get("item") or {}
    if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
        return
    meaning = reaction_meaning(ctx.teams, item["channel"], event.get("reaction", ""))
    if meaning is None:
        return
    team, skip = meaning
    closer = event.get("user", "")
    result = await close_from_slack(
        ctx,
        channel_id=item["channel"],
        message_ts=item["ts"],
        closer_id=closer,
        skip_survey=skip,
        # Not trusted as the customer: the message may be a reply, so the root is read.
        message_author=None,
    )
    await ctx.client.chat_postEphemeral(
        channel=item["channel"],
        user=closer,
        text=close_notice(result, team, event.get("item_user")),
    )


# Message events that are a message as posted (edits and deletions nest theirs).
POSTED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "bot_message"})


async def on_message(event: dict[str, Any], context: Any) -> None:
    """A message in a support channel is remembered (a later close needs no history
    read); a reply in a closed thread by its customer cancels the waiting survey."""
    channel, ts = event.get("channel"), event.get("ts")
    subtype = event.get("subtype")
    if not isinstance(channel, str) or not isinstance(ts, str) or subtype not in POSTED_SUBTYPES:
        return
    ctx = workspace_of(context)
    if ctx.teams.by_support_channel(channel) is None:
        return
    thread_ts, user = event.get("thread_ts"), event.get("user")
    by_person = isinstance(user, str) and not event.get("bot_id") and subtype != "bot_message"
    await message_seen(
        ctx,
        channel_id=channel,
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) else None,
        author=user if by_person else None,
        author_team=event.get("user_team") if by_person else None,
        author_name=_profile_name(event.get("user_profile")) if by_person else None,
    )
    if isinstance(thread_ts, str) and thread_ts != ts and by_person:
        await customer_wrote_again(ctx, channel, thread_ts, str(user))


def _profile_name(profile: Any) -> str | None:
    """The author's name in a message event's `user_profile` (Slack Connect sends it)."""
    if not isinstance(profile, dict):
        return None
    name = profile.get("real_name") or profile.get("display_name") or profile.get("name")
    return name[:200] if isinstance(name, str) and name else None


async def on_uninstalled(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    """The workspace uninstalled the app, or revoked its bot token: nothing more goes
    there. A revoked user token alone changes nothing (the app keeps none)."""
    if event.get("type") == "tokens_revoked":
        tokens = event.get("tokens")
        if not isinstance(tokens, dict) or not tokens.get("bot"):
            return
    event_time = body.get("event_time")
    ctx = workspace_of(context)
    sent_at = (
        datetime.fromtimestamp(event_time, UTC)
        if isinstance(event_time, int | float) and event_time > 0
        else ctx.now()
    )
    await runtime_of(context).uninstalled(
        context.team_id, context.enterprise_id, reason=str(event.get("type")), sent_at=sent_at
    )


# Every event the app listens to; the manifest test checks the manifest declares these.
EVENT_LISTENERS: dict[str, Listener] = {
    "reaction_added": on_reaction_added,
    "message": on_message,
    "app_home_opened": on_app_home_opened,
    "app_uninstalled": on_uninstalled,
    "tokens_revoked": on_uninstalled,
}


def register(app: AsyncApp) -> None:
    for event_type, listener in EVENT_LISTENERS.items():
        app.event(event_type)(tracked(listener))
