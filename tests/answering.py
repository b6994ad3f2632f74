"""Interactivity payloads as Slack sends them, and a delivered survey to click on."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

from sandbox import FakeSlack
from storage import surveys as store
from storage.models import Survey
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, Bot

ROOT_TS = "1763900000.000100"
_counter = itertools.count(1)


def fresh_trigger() -> str:
    """trigger_ids are single-use: every payload gets its own."""
    return f"{next(_counter)}.1336.4f1c2b9a8e0d7c6b5a4f3e2d1c0b9a8e"


def fresh_action_ts() -> str:
    return f"1763910{next(_counter):03d}.{next(_counter):06d}"


@dataclass
class Delivered:
    survey: Survey
    channel: str
    ts: str
    message: dict[str, Any]
    thread_ts: str | None


async def delivered_survey(bot: Bot, slack: FakeSlack, *, source: str = "slack") -> Delivered:
    """A survey sent through the real paths: a close in Slack, or a helpdesk webhook."""
    if source == "slack":
        slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "My invoice is wrong")
        await bot.send_event(
            {
                "type": "reaction_added",
                "user": AGENT,
                "reaction": "white_check_mark",
                "item_user": CUSTOMER,
                "item": {"type": "message", "channel": SUPPORT_CHANNEL, "ts": ROOT_TS},
                "event_ts": "1763900100.000200",
            }
        )
    else:
        await bot.send_webhook(
            {
                "conversation_id": "ZD-1001",
                "customer": {"slack_user_id": CUSTOMER},
                "agent": {"slack_user_id": AGENT},
                "customer_value": 120,
            }
        )
    (post,) = await slack.wait_for("chat.postMessage")
    for _ in range(100):
        (survey,) = await store.all_surveys(bot.services.db)
        if survey.status == "delivered":
            break
        await asyncio.sleep(0.02)
    assert survey.status == "delivered" and survey.channel_id and survey.message_ts
    message = slack.message(survey.channel_id, survey.message_ts)
    return Delivered(
        survey, survey.channel_id, survey.message_ts, message, post.args.get("thread_ts")
    )


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
    user: str = CUSTOMER,
    value: str | None = None,
    action_ts: str | None = None,
    thread_ts: str | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A button click as Slack posts it to the interactivity URL."""
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
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0001"},
        "api_app_id": "A0SURVEYBOT",
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": trigger_id or fresh_trigger(),
        "team": {"id": "T0001", "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel[0] == "D" else "support"},
        "message": message,
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
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
    reasons: list[str] | None = None,
    comment: str | None = None,
    user: str = CUSTOMER,
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
    return {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0001"},
        "api_app_id": "A0SURVEYBOT",
        "token": "legacy-verification-token",
        "trigger_id": fresh_trigger(),
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(view: dict[str, Any], *, user: str = CUSTOMER) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": {"id": "T0001", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0001"},
        "api_app_id": "A0SURVEYBOT",
        "token": "legacy-verification-token",
        "view": view,
        "is_cleared": False,
        "is_enterprise_install": False,
        "enterprise": None,
    }
