"""conversations.*: DMs, channel history and threads, paginated as Slack does."""

from __future__ import annotations

from typing import Any, Final

from sandbox.fake_slack.calls import Call, Method, SlackError, flag, paginate, required
from sandbox.fake_slack.workspace import Workspace
from sandbox.fake_slack.world import ts_key


def open_dm(ws: Workspace, call: Call) -> dict[str, Any]:
    users = [u for u in str(call.args.get("users", "")).split(",") if u.strip()]
    if not users:
        channel = call.args.get("channel")
        if channel:
            return {"channel": {"id": str(channel)}, "no_op": True, "already_open": True}
        raise SlackError("users_list_not_supplied")
    if any(ws.refuses_dm(u.strip()) for u in users):
        # Slack's answer for a DM with someone of another organisation it does not allow.
        raise SlackError("invalid_user_combination")
    key = ",".join(sorted(u.strip() for u in users))
    already_open = key in ws.dms
    body: dict[str, Any] = {"channel": {"id": ws.dm_channel(key)}}
    if already_open:
        body.update(no_op=True, already_open=True)
    return body


def history(ws: Workspace, call: Call) -> dict[str, Any]:
    channel = ws.known_channel(call)
    args = call.args
    inclusive = flag(args.get("inclusive"))
    latest = ts_key(str(args["latest"])) if args.get("latest") else None
    oldest = ts_key(str(args["oldest"])) if args.get("oldest") else None

    def in_range(ts: str) -> bool:
        key = ts_key(ts)
        if latest is not None and (key > latest or (key == latest and not inclusive)):
            return False
        return oldest is None or key > oldest or (key == oldest and inclusive)

    # History lists top-level messages only; replies are read with conversations.replies.
    roots = [
        m
        for m in ws.history.get(channel, {}).values()
        if m.get("thread_ts", m["ts"]) == m["ts"] and in_range(m["ts"])
    ]
    roots.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
    page, next_cursor = paginate(roots, call)
    with_metadata = flag(args.get("include_all_metadata"))
    return {
        "messages": [metadata_shown(with_thread_info(ws, channel, m), with_metadata) for m in page],
        "has_more": bool(next_cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": next_cursor},
    }


def replies(ws: Workspace, call: Call) -> dict[str, Any]:
    channel = ws.known_channel(call)
    ts = required(call, "ts", error="thread_not_found")
    messages = ws.history.get(channel, {})
    if ts not in messages:
        raise SlackError("thread_not_found")
    root_ts = messages[ts].get("thread_ts", ts)
    thread_replies = [
        m for m in messages.values() if m.get("thread_ts") == root_ts and m["ts"] != root_ts
    ]
    thread_replies.sort(key=lambda m: ts_key(m["ts"]))
    thread = [with_thread_info(ws, channel, messages[root_ts])] if root_ts in messages else []
    with_metadata = flag(call.args.get("include_all_metadata"))
    page, next_cursor = paginate(thread + [dict(m) for m in thread_replies], call)
    return {
        "messages": [metadata_shown(m, with_metadata) for m in page],
        "has_more": bool(next_cursor),
        "response_metadata": {"next_cursor": next_cursor},
    }


def with_thread_info(ws: Workspace, channel: str, message: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``message``; thread roots gain Slack's reply_count & co."""
    ts = message["ts"]
    thread_replies = [
        m
        for m in ws.history.get(channel, {}).values()
        if m.get("thread_ts") == ts and m["ts"] != ts
    ]
    result = dict(message)
    if thread_replies:
        users = sorted({str(m.get("user", "")) for m in thread_replies})
        result.update(
            thread_ts=ts,
            reply_count=len(thread_replies),
            reply_users=users,
            reply_users_count=len(users),
            latest_reply=max((m["ts"] for m in thread_replies), key=ts_key),
        )
    return result


def metadata_shown(message: dict[str, Any], include_all_metadata: bool) -> dict[str, Any]:
    """History shows a message's metadata only when asked with include_all_metadata."""
    if include_all_metadata or "metadata" not in message:
        return message
    return {k: v for k, v in message.items() if k != "metadata"}


def info(ws: Workspace, call: Call) -> dict[str, Any]:
    """Slack's conversation object; a private channel the bot is not in does not exist
    for it (channel_not_found), a public one says is_member: false."""
    channel_id = required(call, "channel", error="channel_not_found")
    known = ws.channels.get(channel_id)
    if known is None and channel_id in ws.history:
        known = {"id": channel_id, "name": channel_id.lower()}
    if known is None:
        raise SlackError("channel_not_found")
    is_im = bool(known.get("is_im"))
    is_private = bool(known.get("is_private")) or is_im
    is_member = bool(known.get("is_member", True))
    if is_private and not is_member:
        raise SlackError("channel_not_found")
    return {
        "channel": {
            "id": channel_id,
            "name": known.get("name", ""),
            "is_channel": not is_private and not is_im,
            "is_group": is_private and not is_im,
            "is_im": is_im,
            "is_private": is_private,
            "is_archived": bool(known.get("is_archived")),
            "is_member": is_member,
            "created": 1700000000,
        }
    }


METHODS: Final[dict[str, Method]] = {
    "conversations.info": info,
    "conversations.open": open_dm,
    "conversations.history": history,
    "conversations.replies": replies,
}
