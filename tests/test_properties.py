"""Any body, signed or not, to either door of the running bot: a 2xx or 4xx with a JSON
(or, for Slack's acks, empty) body, within Slack's 3 seconds, never a 500; nothing is
stored for a refused input, and the bot keeps serving.

Examples per property: SURVEYBOT_PROPERTY_EXAMPLES (100 by default, as in CI); run
more by hand, e.g. `SURVEYBOT_PROPERTY_EXAMPLES=5000 pytest tests/test_properties.py`.
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.delivery.webhook import sign
from sandbox.payloads import TEAM_ID
from storage.models import AnswerChange, Conversation
from tests.harness import AGENT, CUSTOMER, SIGNING_SECRET, SUPPORT_CHANNEL, WEBHOOK_SECRET, Bot

EXAMPLES = int(os.environ.get("SURVEYBOT_PROPERTY_EXAMPLES", "100"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One bot serves every example: that it keeps serving is part of the property.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLACK_ACK_SECONDS = 3.0

DELETE = object()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["\x00", "U0\nlevel=ERROR", "\ud800", "9" * 5000, "", "T0OTHER"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((*prefix, key))
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.append((*prefix, index))
            found += _paths(inner, (*prefix, index))
    return found


def _apply(template: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    body = copy.deepcopy(template)
    for path, new in changes:
        parent: Any = body
        try:
            for step in path[:-1]:
                parent = parent[step]
            if new is DELETE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = new
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this path
    return body


def mutations(template: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The template with up to three of its values replaced by anything, or removed."""
    change = st.tuples(st.sampled_from(_paths(template)), st.just(DELETE) | json_values)
    return st.lists(change, max_size=3).map(lambda changes: _apply(template, changes))


USER = {"id": CUSTOMER, "team_id": TEAM_ID}
CLICK = {
    "type": "block_actions",
    "team": {"id": TEAM_ID},
    "user": USER,
    "trigger_id": "1.2.3",
    "container": {"type": "message", "message_ts": "1763900000.000100", "channel_id": "D0001"},
    "channel": {"id": "D0001"},
    "actions": [
        {"action_id": "survey_score_1", "block_id": "b", "value": "tok:1", "action_ts": "1.2"}
    ],
}
ALERT_CLICK = {**CLICK, "actions": [{"action_id": "alert_claim", "value": "1", "action_ts": "1.3"}]}
FORM = {
    "type": "view_submission",
    "team": {"id": TEAM_ID},
    "user": USER,
    "view": {
        "type": "modal",
        "callback_id": "survey_follow_up",
        "private_metadata": "tok",
        "state": {"values": {"follow_up_comment": {"comment": {"value": "hello"}}}},
    },
}
SHORTCUT = {
    "type": "message_action",
    "callback_id": "close_and_survey",
    "team": {"id": TEAM_ID},
    "user": {"id": AGENT},
    "channel": {"id": SUPPORT_CHANNEL},
    "message": {"ts": "1763900000.000100", "user": CUSTOMER},
}
EVENT = {
    "type": "event_callback",
    "team_id": TEAM_ID,
    "event_id": "Ev1",
    "event": {
        "type": "reaction_added",
        "user": AGENT,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": SUPPORT_CHANNEL, "ts": "1763900000.000100"},
    },
}

slack_bodies = st.one_of(
    st.binary(max_size=200).map(lambda b: (b, "application/json")),
    json_values.map(lambda v: (json.dumps(v).encode(), "application/json")),
    mutations(EVENT).map(lambda v: (json.dumps(v).encode(), "application/json")),
    st.one_of(mutations(CLICK), mutations(ALERT_CLICK), mutations(FORM), mutations(SHORTCUT)).map(
        lambda v: (
            urlencode({"payload": json.dumps(v)}).encode(),
            "application/x-www-form-urlencoded",
        )
    ),
    json_values.map(
        lambda v: (
            urlencode({"payload": json.dumps(v)}).encode(),
            "application/x-www-form-urlencoded",
        )
    ),
)

CLOSE = {
    "conversation_id": "ZD-1",
    "customer": {"slack_user_id": CUSTOMER, "email": "ann@example.com"},
    "agent": {"slack_user_id": AGENT},
    "team": "support",
    "survey": "csat",
    "closed_at": "2026-11-23T09:30:00+01:00",
    "locale": "de",
    "customer_value": 120,
}
webhook_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    mutations(CLOSE).map(lambda v: json.dumps(v).encode()),
)


async def rows(bot: Bot, table: type[Conversation] | type[AnswerChange]) -> int:
    async with bot.workspace.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


def assert_answered_well(status: int, content_type: str, text: str) -> None:
    assert status < 500, (status, text[:300])
    assert 200 <= status < 300 or 400 <= status < 500, status
    if text:
        assert content_type == "application/json", (content_type, text[:300])
        json.loads(text)


async def post(bot: Bot, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, str]:
    timeout = aiohttp.ClientTimeout(total=SLACK_ACK_SECONDS)  # an ack that never comes fails
    async with bot.http.post(f"{bot.url}{path}", data=body, headers=headers, timeout=timeout) as r:
        return r.status, r.content_type, await r.text()


@PROPERTY
@given(body=slack_bodies, signed=st.booleans())
async def test_any_body_to_slack_events_gets_an_answer_never_a_500(
    bot: Bot, body: tuple[bytes, str], signed: bool
) -> None:
    raw, content_type = body
    ts = str(int(time.time()))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
    if signed:
        # Slack signs text: bytes that are not UTF-8 are sent as the text they decode to.
        text = raw.decode("utf-8", "replace")
        headers["X-Slack-Signature"] = (
            SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=text) or ""
        )
        raw = text.encode()
    before = await rows(bot, AnswerChange)
    status, kind, text = await post(bot, "/slack/events", raw, headers)
    assert_answered_well(status, kind, text)
    if status >= 400:
        assert await rows(bot, AnswerChange) == before
    if not signed:
        assert status == 401
    assert (await bot.get("/healthz"))[0] == 200


@PROPERTY
@given(raw=webhook_bodies, signed=st.booleans())
async def test_any_body_to_the_webhook_gets_an_answer_never_a_500(
    any_bot: Bot, raw: bytes, signed: bool
) -> None:
    bot = any_bot  # on both stores: PostgreSQL refuses NUL and overlong values itself
    ts = str(int(time.time()))
    signature = sign(WEBHOOK_SECRET if signed else "not-the-secret", ts, raw)
    headers = {"X-Surveybot-Timestamp": ts, "X-Surveybot-Signature": signature}
    before = await rows(bot, Conversation)
    status, kind, text = await post(bot, "/webhooks/conversation-closed", raw, headers)
    assert_answered_well(status, kind, text)
    assert text  # the webhook always says what happened
    if status >= 400:
        assert await rows(bot, Conversation) == before
    if not signed:
        assert status == 401
    assert (await bot.get("/healthz"))[0] == 200
