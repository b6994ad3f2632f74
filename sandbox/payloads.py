"""Request bodies in the shapes Slack sends them: events, clicks, forms, shortcuts."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

TEAM_ID = "T0001"
APP_ID = "A0SURVEYBOT"
_counter = itertools.count(1)


def fresh_trigger() -> str:
    """trigger_ids are single-use: every payload gets its own. The middle part is when
    it was issued (epoch milliseconds): the fake Slack lets it expire 3 s later."""
    return f"{next(_counter)}.{time.time_ns() // 1_000_000}.4f1c2b9a8e0d7c6b5a4f3e2d1c0b9a8e"


def fresh_action_ts() -> str:
    return f"{int(time.time())}.{next(_counter):06d}"


def _user(user: str, team_id: str = TEAM_ID) -> dict[str, str]:
    # team_id: the clicker's own team (another company's, for a Slack Connect customer).
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id}


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):08d}",
        "event_time": int(time.time()),
        "event": event,
    }


def reaction_added(
    *, user: str, reaction: str, channel: str, ts: str, item_user: str | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": fresh_action_ts(),
    }
    if item_user:
        event["item_user"] = item_user
    return event


def button(message: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the button with this action_id in a posted message."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return block["block_id"], element
    raise AssertionError(f"no button {action_id} in {json.dumps(message)[:400]}")


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def block_actions(
    *,
    channel: str,
    message: dict[str, Any],
    action_id: str,
    user: str,
    value: str | None = None,
    action_ts: str | None = None,
    thread_ts: str | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    user_team: str = TEAM_ID,
) -> dict[str, Any]:
    """A button click as Slack posts it to the interactivity URL; `response_url` one
    the fake Slack minted (FakeSlack.response_url), else one the bot may not use.
    `user_team`: the clicker's own team; `team` stays the workspace the app is in."""
    block_id, element = button(message, action_id)
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": _user(user, user_team),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": trigger_id or fresh_trigger(),
        "team": {"id": TEAM_ID, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel[0] == "D" else "support"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url or "https://hooks.slack.com/actions/T0001/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": element["text"],
                "value": element["value"] if value is None else value,
                "type": "button",
                "action_ts": action_ts or fresh_action_ts(),
            }
        ],
    }


def view_submission(
    view: dict[str, Any],
    *,
    user: str,
    reasons: list[str] | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """The follow-up form submitted, with the view as Slack stored it plus its state."""
    values: dict[str, Any] = {}
    block_ids = {b.get("block_id") for b in view["blocks"]}
    if "follow_up_reasons" in block_ids or reasons:
        values["follow_up_reasons"] = {
            "reasons": {
                "type": "checkboxes",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": code, "emoji": True}, "value": code}
                    for code in reasons or []
                ],
            }
        }
    values["follow_up_comment"] = {"comment": {"type": "plain_text_input", "value": comment}}
    return _submitted(view, values, user=user)


def _submitted(view: dict[str, Any], values: dict[str, Any], *, user: str) -> dict[str, Any]:
    """A view_submission as Slack posts it: the view as Slack stored it plus its state."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": fresh_trigger(),
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(view: dict[str, Any], *, user: str) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "view": view,
        "is_cleared": False,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def message_shortcut(
    *, callback_id: str, user: str, channel: str, message: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": fresh_trigger(),
        "response_url": "https://hooks.slack.com/app/T0001/1/abc",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "channel": {"id": channel, "name": "support"},
        "user": {"id": user, "name": user.lower()},
        "message_ts": message["ts"],
        "message": message,
    }


def app_home_opened(*, user: str, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user[1:]}",
        "tab": tab,
        "event_ts": fresh_action_ts(),
    }


def element_in_view(view: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the interactive element with this action_id in a view."""
    for block in view.get("blocks", []):
        candidates = list(block.get("elements", []))
        if "accessory" in block:
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    raise AssertionError(f"no element {action_id} in view {json.dumps(view)[:400]}")


def view_block_actions(
    view: dict[str, Any],
    *,
    user: str,
    action_id: str,
    selected_option: str | None = None,
    selected_user: str | None = None,
) -> dict[str, Any]:
    """A click or a choice on an element of a Home tab or a modal, as Slack posts it."""
    block_id, element = element_in_view(view, action_id)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element["type"],
        "action_ts": fresh_action_ts(),
    }
    if element["type"] == "button":
        action.update(text=element["text"], value=element.get("value", ""))
    if selected_option is not None:
        options = element.get("options", [])
        action["selected_option"] = next(o for o in options if o["value"] == selected_option)
    if selected_user is not None:
        action["selected_user"] = selected_user
    return {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": fresh_trigger(),
        "team": {"id": TEAM_ID, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [action],
    }


def input_state(view: dict[str, Any], **chosen: Any) -> dict[str, Any]:
    """A modal's state as Slack sends it on submit: each input's initial value, unless
    `chosen` gives another (by block_id; None clears it)."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        block_id = block["block_id"]
        state: dict[str, Any] = {"type": kind}
        given = chosen.get(block_id, ...)
        if kind == "static_select":
            picked = (
                given if given is not ... else (element.get("initial_option") or {}).get("value")
            )
            options = {o["value"]: o for o in element.get("options", [])}
            state["selected_option"] = options.get(picked) if picked is not None else None
        elif kind == "conversations_select":
            state["selected_conversation"] = (
                given if given is not ... else element.get("initial_conversation")
            )
        elif kind == "multi_conversations_select":
            state["selected_conversations"] = list(
                given if given is not ... else element.get("initial_conversations", [])
            )
        elif kind == "multi_users_select":
            state["selected_users"] = list(
                given if given is not ... else element.get("initial_users", [])
            )
        else:
            state["value"] = given if given is not ... else element.get("initial_value")
        values[block_id] = {element["action_id"]: state}
    return values


def submission(view: dict[str, Any], *, user: str, **chosen: Any) -> dict[str, Any]:
    """Any modal submitted as Slack posts it, its inputs as shown unless `chosen` says."""
    return _submitted(view, input_state(view, **chosen), user=user)


def message_posted(
    *,
    user: str | None,
    channel: str,
    ts: str,
    text: str = "",
    thread_ts: str | None = None,
    user_team: str = TEAM_ID,
    bot_id: str | None = None,
    user_profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `message` event as Slack sends it for a message posted in a channel; in a
    shared channel (Slack Connect) with the author's `user_profile` and their
    `user_team`, and the workspace it came from as `source_team`."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if user is not None:
        event |= {"user": user, "user_team": user_team, "team": user_team}
        if user_profile is not None:
            event |= {"user_profile": user_profile, "source_team": user_team}
    if bot_id is not None:
        event |= {"subtype": "bot_message", "bot_id": bot_id}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event
