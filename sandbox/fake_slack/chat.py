"""chat.*: post, update, ephemeral and permalink, with Slack's content checks."""

from __future__ import annotations

import logging
from typing import Any, Final

from sandbox.blockkit import MAX_MESSAGE_TEXT, MSG_BLOCKS_TOO_LONG, validate_blocks
from sandbox.fake_slack.calls import Call, Method, SlackError, invalid_blocks, required
from sandbox.fake_slack.workspace import Workspace

log = logging.getLogger(__name__)


def post_message(ws: Workspace, call: Call) -> dict[str, Any]:
    channel = ws.resolve_channel(required(call, "channel", error="channel_not_found"))
    text, blocks = checked_content(ws, call)
    ts = ws.shared.clock.next()
    message: dict[str, Any] = {
        "type": "message",
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.shared.app_id,
        "team": ws.team_id,
        "text": text,
        "ts": ts,
    }
    if blocks is not None:
        message["blocks"] = blocks
    if "attachments" in call.args:
        message["attachments"] = call.args["attachments"]
    if "metadata" in call.args:
        message["metadata"] = checked_metadata(call.args["metadata"])
    thread_ts = call.args.get("thread_ts")
    if thread_ts:
        message["thread_ts"] = str(thread_ts)
    ws.posted_by_bot(channel, message)
    return {"channel": channel, "ts": ts, "message": dict(message)}


def update(ws: Workspace, call: Call) -> dict[str, Any]:
    channel = required(call, "channel", error="channel_not_found")
    ts = required(call, "ts", error="message_not_found")
    posted = ws.messages.get(channel, [])
    index = next((i for i, m in enumerate(posted) if m["ts"] == ts), None)
    if index is None:
        # Only the bot's own messages can be edited (and never ephemerals).
        raise SlackError("message_not_found")
    text, blocks = checked_content(ws, call)
    # Fields left out keep their old value; an empty blocks list removes the blocks.
    updated = dict(posted[index])
    if "text" in call.args:
        updated["text"] = text
    if blocks is not None:
        if blocks:
            updated["blocks"] = blocks
        else:
            updated.pop("blocks", None)
    if "attachments" in call.args:
        updated["attachments"] = call.args["attachments"]
    updated["edited"] = {"user": ws.bot_user_id, "ts": ws.shared.clock.next()}
    # A new dict, so earlier references keep showing the old version.
    posted[index] = updated
    ws.history.setdefault(channel, {})[ts] = updated
    ws.changed(channel, updated)
    return {"channel": channel, "ts": ts, "text": updated["text"], "message": dict(updated)}


def post_ephemeral(ws: Workspace, call: Call) -> dict[str, Any]:
    channel = ws.resolve_channel(required(call, "channel", error="channel_not_found"))
    user = required(call, "user", error="user_not_found")
    text, blocks = checked_content(ws, call)
    message_ts = ws.shared.clock.next()
    ephemeral: dict[str, Any] = {
        "channel": channel,
        "user": user,
        "text": text,
        "message_ts": message_ts,
    }
    if blocks is not None:
        ephemeral["blocks"] = blocks
    if call.args.get("thread_ts"):
        ephemeral["thread_ts"] = str(call.args["thread_ts"])
    ws.ephemerals.append(ephemeral)
    ws.changed(channel, ephemeral)
    return {"message_ts": message_ts}


def get_permalink(ws: Workspace, call: Call) -> dict[str, Any]:
    channel = required(call, "channel", error="channel_not_found")
    ts = required(call, "message_ts", error="message_not_found")
    permalink = f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    thread_ts = ws.history.get(channel, {}).get(ts, {}).get("thread_ts")
    if thread_ts and thread_ts != ts:
        permalink += f"?thread_ts={thread_ts}&cid={channel}"
    return {"channel": channel, "permalink": permalink}


def checked_content(ws: Workspace, call: Call) -> tuple[str, list[dict[str, Any]] | None]:
    """The call's text and blocks, after Slack's presence and Block Kit checks."""
    text = str(call.args.get("text") or "")
    raw_blocks = call.args.get("blocks")
    if isinstance(raw_blocks, str) and raw_blocks.strip() == "":
        raw_blocks = None
    if raw_blocks is not None and not isinstance(raw_blocks, list):
        raise SlackError("invalid_blocks_format")
    # chat.update may send only `blocks: []` (drop the blocks, keep the old text).
    clears_blocks = call.method == "chat.update" and "blocks" in call.args
    if not (text or raw_blocks or call.args.get("attachments") or clears_blocks):
        raise SlackError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    if raw_blocks:
        errors = validate_blocks(raw_blocks, surface="message")
        if any(e.startswith(MSG_BLOCKS_TOO_LONG) for e in errors):
            raise SlackError(MSG_BLOCKS_TOO_LONG, errors=errors)
        if errors:
            raise invalid_blocks(errors)
        if not text:
            # Slack accepts this, but notifications then show no text: warn only.
            log.warning("fake slack: %s sent blocks without a text fallback", call.method)
            ws.shared.missing_text_fallback.append(call)
    return text, raw_blocks


def checked_metadata(metadata: Any) -> dict[str, Any]:
    """Slack's message metadata: an event_type and an event_payload object."""
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


METHODS: Final[dict[str, Method]] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
