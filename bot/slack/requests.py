"""A request to /slack/events, checked before bolt sees it: its signature, then its shape.

Bolt parses the body before it checks the signature, and reads ids out of it with
the assumption that Slack wrote it; a body that is not JSON, too deep, or has a
string where Slack sends an object made it answer 500. Here the signature comes
first (nothing of an unsigned body is parsed), then a parse that cannot crash, then
the shapes bolt and our listeners rely on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

# Slack's payloads (a message with its blocks inside an interaction) nest about 15 deep.
MAX_DEPTH = 64
_TIMESTAMP_DIGITS = 12


def json_depth(value: object) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest = 0
    todo: list[tuple[object, int]] = [(value, 1)]
    while todo:
        current, depth = todo.pop()
        if isinstance(current, dict | list):
            deepest = max(deepest, depth)
            children = current.values() if isinstance(current, dict) else current
            todo.extend((child, depth + 1) for child in children)
    return deepest


def is_signed(secret: str, headers: Mapping[str, str], raw: bytes) -> bool:
    """Whether Slack signed this body (fresh timestamp, right HMAC); never raises."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    # slack_sdk's verifier raises on these instead of answering False.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
        return False
    if not signature.isascii() or not secret:
        return False
    try:
        raw.decode("utf-8")  # the verifier decodes it; Slack only sends UTF-8
    except UnicodeDecodeError:
        return False
    return SignatureVerifier(secret).is_valid(raw, timestamp, signature)


@dataclass(frozen=True)
class Malformed:
    """A signed body that is not a Slack request we can read; the reason is for the 400."""

    error: str


def parse_body(text: str, content_type: str | None) -> dict[str, Any] | Malformed:
    """The body as bolt will read it (same rules as its parse_body), without crashing."""
    if not text:
        return {}
    try:
        if content_type == "application/json" or text.startswith("{"):
            body = json.loads(text)
        elif "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            body = {} if payload is None else json.loads(payload)
        else:
            body = dict(parse_qsl(text, keep_blank_values=True))
    except RecursionError:
        return Malformed(f"body: nested deeper than {MAX_DEPTH} levels")
    except ValueError:  # not JSON, or an integer over Python's 4300 digits
        return Malformed("body: not valid JSON")
    if not isinstance(body, dict):
        return Malformed("body: must be a JSON object")
    if json_depth(body) > MAX_DEPTH:
        return Malformed(f"body: nested deeper than {MAX_DEPTH} levels")
    problem = shape_problem(body)
    return Malformed(problem) if problem else body


# Keys whose value Slack always sends as a string (or leaves out, or null).
_TEXT = (
    "type",
    "callback_id",
    "trigger_id",
    "response_url",
    "api_app_id",
    "event_id",
    "team_id",
    "user_id",
    "channel_id",
    "enterprise_id",
    "context_team_id",
    "context_enterprise_id",
    "user_team",
    "thread_ts",
    "message_ts",
    "action_ts",
    "action_id",
    "block_id",
    "value",
    "function_execution_id",
    "bot_access_token",
    "private_metadata",
    "app_installed_team_id",
    "reaction",
    "subtype",
    "ts",
    "item_user",
)
# Keys that are an id as a string, or an object carrying that id.
_ID_OR_OBJECT = ("team", "enterprise", "user", "channel")
# Keys that are objects; bolt and the listeners look inside them.
_OBJECTS = (
    "event",
    "view",
    "container",
    "message",
    "previous_message",
    "item",
    "assistant_thread",
    "function_data",
    "state",
)
# Interactions name the person who acted as an object, never as a bare id.
_INTERACTIONS = frozenset(
    {"block_actions", "view_submission", "view_closed", "message_action", "shortcut"}
)


def _flat_problem(where: str, part: Mapping[str, Any]) -> str | None:
    for key in _TEXT:
        if part.get(key) is not None and not isinstance(part[key], str):
            return f"{where}{key}: must be a string"
    for key in _ID_OR_OBJECT:
        value = part.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict):
            return f"{where}{key}: must be a string or an object"
        for inner in ("id", "team_id"):
            if value.get(inner) is not None and not isinstance(value[inner], str):
                return f"{where}{key}.{inner}: must be a string"
    for key in _OBJECTS:
        if key in part and part[key] is not None and not isinstance(part[key], dict):
            return f"{where}{key}: must be an object"
    for key in ("authorizations", "response_urls", "actions"):
        value = part.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
        ):
            return f"{where}{key}: must be a list of objects"
    return None


def shape_problem(body: Mapping[str, Any]) -> str | None:
    """What in a parsed body is not shaped as Slack sends it, or None."""
    parts: list[tuple[str, Any]] = [("", body)]
    for key in ("event", "view", "container", "message", "previous_message", "function_data"):
        parts.append((f"{key}.", body.get(key)))
    event = body.get("event")
    if isinstance(event, dict):
        for key in ("item", "message", "previous_message", "assistant_thread"):
            parts.append((f"event.{key}.", event.get(key)))
    for key in ("authorizations", "response_urls", "actions"):
        items = body.get(key)
        if isinstance(items, list):
            parts.extend((f"{key}[{i}].", item) for i, item in enumerate(items))
    for where, part in parts:
        if isinstance(part, dict) and (problem := _flat_problem(where, part)):
            return problem

    kind = body.get("type")
    if kind == "event_callback" and not isinstance(body.get("event"), dict):
        return "event: an event_callback needs its event"
    if isinstance(event, dict) and not isinstance(event.get("type"), str):
        return "event.type: is required"
    if kind in _INTERACTIONS:
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return "user: an interaction names its user as an object with an id"
    if kind == "block_actions" and not body.get("actions"):
        return "actions: a click needs at least one action"
    if kind == "block_actions" and not all(
        isinstance(a.get("action_id"), str) for a in body.get("actions") or []
    ):
        return "actions: every action needs its action_id"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return "view.type: is required"
        if not isinstance(view.get("callback_id"), str):
            return "view.callback_id: is required"
        state = view.get("state")
        values = state.get("values", {}) if isinstance(state, dict) else {}
        if not isinstance(values, dict) or not all(
            isinstance(block, dict) and all(isinstance(e, dict) for e in block.values())
            for block in values.values()
        ):
            return "view.state.values: must map blocks to their elements"
    if kind in ("message_action", "shortcut") and not isinstance(body.get("callback_id"), str):
        return "callback_id: is required"
    return None
