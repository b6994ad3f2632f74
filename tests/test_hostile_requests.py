"""/slack/events against bodies nobody should send: the signature first, then the shape."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox import FakeSlack
from sandbox.payloads import TEAM_ID, event_callback
from storage import surveys as store
from tests.answering import delivered_survey, score_click
from tests.harness import SIGNING_SECRET, Bot
from tests.waiting import wait_until

NOT_JSON = "{this is not json"
NOT_UTF8 = b'{"type": "event_callback", "x": "\xff\xfe"}'
TOO_DEEP = "[" * 100_000 + "]" * 100_000
PAYLOAD_NOT_JSON = urlencode({"payload": "{nope"})
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HUGE_NUMBER = '{"type": "event_callback", "n": ' + "9" * 5000 + "}"


async def post_raw(
    bot: Bot, body: bytes, content_type: str, *, secret: str | None = SIGNING_SECRET
) -> tuple[int, str, str]:
    """POST a body as Slack would (signed with `secret`), or unsigned (None)."""
    ts = str(int(time.time()))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
    if secret is not None:
        signature = SignatureVerifier(secret).generate_signature(
            timestamp=ts, body=body.decode("utf-8", "replace")
        )
        headers["X-Slack-Signature"] = signature or ""
    async with bot.http.post(f"{bot.url}/slack/events", data=body, headers=headers) as response:
        return response.status, response.content_type, await response.text()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (NOT_JSON.encode(), JSON),
        (NOT_UTF8, JSON),
        (TOO_DEEP.encode(), JSON),
        (PAYLOAD_NOT_JSON.encode(), FORM),
        (HUGE_NUMBER.encode(), JSON),
    ],
    ids=["not-json", "not-utf8", "too-deep", "payload-not-json", "huge-number"],
)
@pytest.mark.parametrize("secret", [None, "someone-elses-secret"], ids=["unsigned", "forged"])
async def test_an_unsigned_body_gets_401_json_before_anything_parses_it(
    bot: Bot, body: bytes, content_type: str, secret: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        status, kind, text = await post_raw(bot, body, content_type, secret=secret)
    assert (status, kind) == (401, JSON)
    assert json.loads(text) == {"error": "invalid signature"}
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def signed_payload(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def click(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": "U0CUSTOMER", "team_id": TEAM_ID},
        "actions": [{"action_id": "survey_score_1", "value": "x:1", "action_ts": "1.2"}],
    }
    base.update(overrides)
    return base


MALFORMED_BUT_SIGNED = {
    "not-json": (NOT_JSON.encode(), JSON),
    "too-deep": (TOO_DEEP.encode(), JSON),
    "huge-number": (HUGE_NUMBER.encode(), JSON),
    "payload-not-json": (PAYLOAD_NOT_JSON.encode(), FORM),
    "payload-a-list": (signed_payload([1, 2]), FORM),
    "payload-a-string": (signed_payload("hello"), FORM),
    "event-a-string": (
        json.dumps({**event_callback({}), "event": "reaction_added"}).encode(),
        JSON,
    ),
    "event-without-type": (json.dumps(event_callback({"user": "U1"})).encode(), JSON),
    "actions-missing": (signed_payload({**click(), "actions": None}), FORM),
    "actions-empty": (signed_payload(click(actions=[])), FORM),
    "actions-strings": (signed_payload(click(actions=["x"])), FORM),
    "user-a-string": (signed_payload(click(user="U0CUSTOMER")), FORM),
    "team-a-list": (signed_payload(click(team=[1])), FORM),
    "view-without-type": (
        signed_payload(
            {
                "type": "view_submission",
                "user": {"id": "U1"},
                "view": {"callback_id": "survey_follow_up"},
            }
        ),
        FORM,
    ),
    "view-state-a-list": (
        signed_payload(
            {
                "type": "view_submission",
                "user": {"id": "U1"},
                "view": {
                    "type": "modal",
                    "callback_id": "survey_follow_up",
                    "state": {"values": []},
                },
            }
        ),
        FORM,
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_BUT_SIGNED))
async def test_a_signed_but_malformed_body_gets_a_4xx_never_a_500(
    bot: Bot, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = MALFORMED_BUT_SIGNED[name]
    with caplog.at_level(logging.INFO):
        status, kind, text = await post_raw(bot, body, content_type)
    assert 400 <= status < 500, (status, text)
    assert kind == JSON and "error" in json.loads(text)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_the_bot_still_counts_clicks_after_the_hostile_ones(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    for body, content_type in MALFORMED_BUT_SIGNED.values():
        await post_raw(bot, body, content_type)
    reply = await bot.send_interaction(score_click(d, 4))
    assert reply.status == 200

    async def answered() -> bool:
        (survey,) = await store.all_surveys(bot.workspace.db)
        return survey.status == "answered"

    await wait_until(answered)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("conversation_id", "ZD\u00001", "conversation_id: must not contain control"),
        ("conversation_id", "ZD-1\n2026 level=ERROR forged", "conversation_id: must not contain"),
        ("conversation_id", True, "conversation_id: Input should be a valid string"),
        ("customer_value", True, "customer_value: Input should be a valid number"),
        ("team", "support\u0000", "team: must not contain control"),
    ],
)
async def test_a_hostile_webhook_field_gets_a_400_naming_it_and_nothing_is_stored(
    any_bot: Bot, field: str, value: object, error: str
) -> None:
    body = {"conversation_id": "ZD-1", "customer": {"slack_user_id": "U0CUSTOMER"}, field: value}
    status, answer = await any_bot.send_webhook(body)
    assert status == 400 and answer["error"].startswith(error)
    assert await store.all_surveys(any_bot.workspace.db) == []


async def test_webhook_bodies_that_crash_a_json_parser_get_a_400(any_bot: Bot) -> None:
    huge = b'{"conversation_id": ' + b"9" * 5000 + b', "customer": {"slack_user_id": "U0C"}}'
    deep = b"[" * 1000 + b"]" * 1000
    assert await any_bot.send_webhook(huge) == (
        400,
        {"error": "body: a number has too many digits"},
    )
    assert await any_bot.send_webhook(deep) == (
        400,
        {"error": "body: nested deeper than 16 levels"},
    )
