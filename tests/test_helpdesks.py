"""Each helpdesk's own endpoint: its vendor's signature, its payload, one survey.

The samples in tests/helpdesk_samples are payloads in each vendor's shape; the
signatures below were computed with openssl, not with our code, e.g.
`openssl dgst -sha1 -hmac intercom-client-secret < intercom.json` (file without its
final newline), and are written literally: a known-answer vector for each scheme.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.closes import ClosedConversation
from bot.delivery.helpdesks import (
    FRESHDESK_TOKEN_HEADER,
    HELPDESKS,
    Ignored,
    freshdesk_problem,
    helpscout_body,
    helpscout_problem,
    intercom_body,
    intercom_problem,
    zendesk_problem,
)
from bot.delivery.webhook import BadRequest, close_from
from bot.settings import Settings
from bot.teams import parse_teams
from sandbox import FakeSlack
from storage import surveys as store
from tests.harness import CUSTOMER, Bot, running_bot
from tests.test_properties import PROPERTY, json_values, mutations
from tests.waiting import wait_until

SAMPLES = Path(__file__).parent / "helpdesk_samples"


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes().strip()


ZENDESK_SECRET = "zendesk-signing-secret"
INTERCOM_SECRET = "intercom-client-secret"
HELPSCOUT_SECRET = "helpscout-secret-key"
FRESHDESK_TOKEN = "freshdesk-shared-token"

# printf '%s' "2026-11-23T10:00:00Z$(cat zendesk.json)" | openssl dgst -sha256 \
#   -hmac zendesk-signing-secret -binary | base64
ZENDESK_TIMESTAMP = "2026-11-23T10:00:00Z"
ZENDESK_SIGNATURE = "SbzR29BKLYSpJfUG0Ru1MkOWHb1dabvGG9TlcmY1Jn4="
INTERCOM_SIGNATURE = "sha1=2f3bba605cb2e8a433ac4b90d94d71544f0b3577"
# openssl dgst -sha1 -hmac helpscout-secret-key -binary < helpscout.json | base64
HELPSCOUT_SIGNATURE = "SFB0GE47hgxpRdyeu0fqBIUKXFo="

SIGNED_AT = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)
INTERCOM_CLOSED_AT = datetime(2025, 11, 23, 9, 16, 29, tzinfo=UTC)
HELPSCOUT_CLOSED_AT = datetime(2026, 11, 23, 9, 55, tzinfo=UTC)


# --- the vendors' signatures, known answers ---------------------------------------------


def test_zendesk_signature_is_base64_hmac_sha256_of_timestamp_and_body() -> None:
    headers = {
        "X-Zendesk-Webhook-Signature": ZENDESK_SIGNATURE,
        "X-Zendesk-Webhook-Signature-Timestamp": ZENDESK_TIMESTAMP,
    }
    body = sample("zendesk")
    assert zendesk_problem(ZENDESK_SECRET, headers, body, SIGNED_AT) is None
    assert zendesk_problem("other", headers, body, SIGNED_AT) == "wrong signature"
    assert zendesk_problem(ZENDESK_SECRET, headers, body + b" ", SIGNED_AT) == "wrong signature"
    later = SIGNED_AT + timedelta(minutes=6)
    assert "stale timestamp" in (zendesk_problem(ZENDESK_SECRET, headers, body, later) or "")
    assert "missing" in (zendesk_problem(ZENDESK_SECRET, {}, body, SIGNED_AT) or "")


def test_intercom_signature_is_sha1_hex_hmac_of_the_body() -> None:
    headers = {"X-Hub-Signature": INTERCOM_SIGNATURE}
    body = sample("intercom")
    assert intercom_problem(INTERCOM_SECRET, headers, body, SIGNED_AT) is None
    assert intercom_problem("other", headers, body, SIGNED_AT) == "wrong signature"
    assert intercom_problem(INTERCOM_SECRET, {}, body, SIGNED_AT) == "missing X-Hub-Signature"


def test_help_scout_signature_is_base64_hmac_sha1_of_the_body() -> None:
    headers = {"X-HelpScout-Signature": HELPSCOUT_SIGNATURE}
    body = sample("helpscout")
    assert helpscout_problem(HELPSCOUT_SECRET, headers, body, SIGNED_AT) is None
    assert helpscout_problem(HELPSCOUT_SECRET, headers, body[:-1], SIGNED_AT) == "wrong signature"


def test_freshdesk_token_is_compared_whole() -> None:
    body = sample("freshdesk")
    ok = {FRESHDESK_TOKEN_HEADER: FRESHDESK_TOKEN}
    assert freshdesk_problem(FRESHDESK_TOKEN, ok, body, SIGNED_AT) is None
    for guess in (FRESHDESK_TOKEN[:-1], FRESHDESK_TOKEN + "x", "é" * 5):
        headers = {FRESHDESK_TOKEN_HEADER: guess}
        assert freshdesk_problem(FRESHDESK_TOKEN, headers, body, SIGNED_AT) is not None


# --- the vendors' payloads, as a close ---------------------------------------------------


def test_intercom_close_names_customer_agent_time_and_link() -> None:
    generic = intercom_body(json.loads(sample("intercom")), {})
    assert generic == {
        "conversation_id": "21322009097",
        "customer": {"email": "ann@example.com"},
        "agent": {"email": "bo@support.example"},
        "closed_at": "2025-11-23T09:16:29+00:00",
        "conversation_url": "https://app.intercom.io/a/apps/i6wc9ipe/conversations/21322009097",
    }


def test_intercom_api_2_conversation_is_read_too() -> None:
    item = {
        "type": "conversation",
        "id": "123",
        "source": {"author": {"type": "user", "id": "5f", "email": "ann@example.com"}},
        "admin_assignee_id": 991,
        "conversation_parts": {
            "conversation_parts": [
                {
                    "part_type": "close",
                    "created_at": 1763889389,
                    "author": {"type": "admin", "id": "991", "email": "bo@support.example"},
                }
            ]
        },
    }
    generic = intercom_body({"topic": "conversation.admin.closed", "data": {"item": item}}, {})
    assert isinstance(generic, dict)
    assert generic["customer"] == {"email": "ann@example.com"}
    assert generic["agent"] == {"email": "bo@support.example"}


def test_intercom_ping_and_other_topics_are_ignored_not_refused() -> None:
    assert isinstance(intercom_body({"topic": "ping"}, {}), Ignored)
    assert isinstance(intercom_body({"topic": "conversation.admin.replied"}, {}), Ignored)
    closed_without_customer = {"topic": "conversation.admin.closed", "data": {"item": {"id": 1}}}
    refused = intercom_body(closed_without_customer, {})
    assert isinstance(refused, BadRequest) and refused.error.startswith("customer:")


def test_help_scout_closed_conversation_names_customer_closer_and_link() -> None:
    generic = helpscout_body(json.loads(sample("helpscout")), {"X-HelpScout-Event": "convo.status"})
    assert generic == {
        "conversation_id": "291938",
        "customer": {"email": "ann@example.com"},
        "agent": {"email": "bo@support.example"},
        "closed_at": "2026-11-23T09:55:00Z",
        "conversation_url": "https://secure.helpscout.net/conversation/291938/349/",
    }


def test_help_scout_other_events_and_statuses_are_ignored() -> None:
    data = json.loads(sample("helpscout"))
    assert isinstance(helpscout_body(data, {"X-HelpScout-Event": "convo.assigned"}), Ignored)
    active = {**data, "status": "active"}
    assert isinstance(helpscout_body(active, {"X-HelpScout-Event": "convo.status"}), Ignored)


# --- through the real bot, against the fake Slack ---------------------------------------


@pytest_asyncio.fixture
async def bot(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    async with running_bot(
        slack,
        sqlite_url,
        zendesk_secret=ZENDESK_SECRET,
        intercom_secret=INTERCOM_SECRET,
        helpscout_secret=HELPSCOUT_SECRET,
        freshdesk_token=FRESHDESK_TOKEN,
    ) as running:
        yield running


async def post(bot: Bot, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **headers}
    async with bot.http.post(f"{bot.url}{path}", data=body, headers=headers) as response:
        return response.status, await response.json()


async def one_survey_delivered_to_the_customer(bot: Bot, slack: FakeSlack) -> store.SurveyRecord:
    (message,) = await slack.wait_for("chat.postMessage")
    assert message.args["channel"] == CUSTOMER
    assert message.args["text"] == "How satisfied are you with the help you received?"

    async def delivered() -> bool:
        surveys = await store.all_surveys(bot.workspace.db)
        return len(surveys) == 1 and surveys[0].status == "delivered"

    await wait_until(partial(delivered))
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.customer_id == CUSTOMER
    return survey


def fresh_zendesk_headers(body: bytes) -> dict[str, str]:
    """Signed now, as Zendesk signs (computed here with hmac, not with the bot's code)."""
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mac = hmac.new(ZENDESK_SECRET.encode(), timestamp.encode() + body, hashlib.sha256)
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(mac.digest()).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


async def test_zendesk_trigger_schedules_one_survey(
    bot: Bot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="surveybot.webhook")
    body = sample("zendesk")
    status, answer = await post(bot, "/webhooks/zendesk", body, fresh_zendesk_headers(body))
    assert status == 202, answer
    assert answer["status"] == "scheduled" and answer["send_after"]
    # The log line says what the answer says: when, and why then.
    (line,) = [r.getMessage() for r in caplog.records if "close answered" in r.getMessage()]
    assert f"source=zendesk status=scheduled survey={answer['survey_id']}" in line
    assert f"send_after={answer['send_after']}" in line
    survey = await one_survey_delivered_to_the_customer(bot, slack)
    conversation = await store.conversation_of(bot.workspace.db, survey)
    assert conversation is not None
    assert conversation.external_id == "zendesk:35436"
    assert conversation.url == "https://example.zendesk.com/agent/tickets/35436"
    assert conversation.agent_email == "bo@support.example"


async def test_zendesk_stale_or_wrong_signature_is_refused(bot: Bot) -> None:
    body = sample("zendesk")
    stale = {
        "X-Zendesk-Webhook-Signature": ZENDESK_SIGNATURE,
        "X-Zendesk-Webhook-Signature-Timestamp": ZENDESK_TIMESTAMP,
    }
    status, answer = await post(bot, "/webhooks/zendesk", body, stale)
    assert (status, answer["error"]) == (401, "stale timestamp (more than 5 minutes from now)")
    headers = fresh_zendesk_headers(body)
    status, answer = await post(bot, "/webhooks/zendesk", body.replace(b"35436", b"35437"), headers)
    assert (status, answer["error"]) == (401, "wrong signature")
    assert await store.all_surveys(bot.workspace.db) == []


async def test_intercom_admin_close_schedules_one_survey(bot: Bot, slack: FakeSlack) -> None:
    bot.clock.set(INTERCOM_CLOSED_AT + timedelta(minutes=1))
    headers = {"X-Hub-Signature": INTERCOM_SIGNATURE}
    status, answer = await post(bot, "/webhooks/intercom", sample("intercom"), headers)
    assert (status, answer["status"]) == (202, "scheduled"), answer
    survey = await one_survey_delivered_to_the_customer(bot, slack)
    assert survey.agent_id is None  # known by email only; the credit is the email's


async def test_intercom_names_its_team_in_the_url(bot: Bot) -> None:
    bot.clock.set(INTERCOM_CLOSED_AT + timedelta(minutes=1))
    headers = {"X-Hub-Signature": INTERCOM_SIGNATURE}
    status, answer = await post(bot, "/webhooks/intercom?team=sales", sample("intercom"), headers)
    assert (status, answer) == (400, {"error": "team: no team named 'sales' in the teams file"})


async def test_intercom_wrong_signature_is_refused(bot: Bot) -> None:
    headers = {"X-Hub-Signature": "sha1=" + "0" * 40}
    status, answer = await post(bot, "/webhooks/intercom", sample("intercom"), headers)
    assert (status, answer) == (401, {"error": "wrong signature"})
    assert await store.all_surveys(bot.workspace.db) == []


async def test_intercom_ping_is_answered_200_and_stores_nothing(bot: Bot) -> None:
    body = b'{"type": "notification_event", "topic": "ping", "data": {"item": {}}}'
    mac = hmac.new(INTERCOM_SECRET.encode(), body, hashlib.sha1).hexdigest()
    status, answer = await post(bot, "/webhooks/intercom", body, {"X-Hub-Signature": f"sha1={mac}"})
    assert (status, answer["status"]) == (200, "ignored")
    assert await store.all_surveys(bot.workspace.db) == []


async def test_help_scout_closed_conversation_schedules_one_survey(
    bot: Bot, slack: FakeSlack
) -> None:
    bot.clock.set(HELPSCOUT_CLOSED_AT + timedelta(minutes=1))
    headers = {"X-HelpScout-Signature": HELPSCOUT_SIGNATURE, "X-HelpScout-Event": "convo.status"}
    status, answer = await post(bot, "/webhooks/helpscout", sample("helpscout"), headers)
    assert (status, answer["status"]) == (202, "scheduled"), answer
    await one_survey_delivered_to_the_customer(bot, slack)


async def test_help_scout_wrong_signature_is_refused(bot: Bot) -> None:
    headers = {"X-HelpScout-Signature": "AAAA", "X-HelpScout-Event": "convo.status"}
    status, answer = await post(bot, "/webhooks/helpscout", sample("helpscout"), headers)
    assert (status, answer) == (401, {"error": "wrong signature"})


async def test_freshdesk_rule_schedules_one_survey(bot: Bot, slack: FakeSlack) -> None:
    headers = {FRESHDESK_TOKEN_HEADER: FRESHDESK_TOKEN}
    status, answer = await post(bot, "/webhooks/freshdesk", sample("freshdesk"), headers)
    assert (status, answer["status"]) == (202, "scheduled"), answer
    survey = await one_survey_delivered_to_the_customer(bot, slack)
    assert survey.agent_id is None  # the ticket had no agent: its blank email is no agent


async def test_freshdesk_wrong_token_is_refused(bot: Bot) -> None:
    headers = {FRESHDESK_TOKEN_HEADER: "guess"}
    status, answer = await post(bot, "/webhooks/freshdesk", sample("freshdesk"), headers)
    assert (status, answer) == (401, {"error": f"wrong {FRESHDESK_TOKEN_HEADER}"})


@pytest.mark.parametrize(
    ("path", "variable"),
    [
        ("/webhooks/zendesk", "SURVEYBOT_ZENDESK_SECRET"),
        ("/webhooks/intercom", "SURVEYBOT_INTERCOM_SECRET"),
        ("/webhooks/helpscout", "SURVEYBOT_HELPSCOUT_SECRET"),
        ("/webhooks/freshdesk", "SURVEYBOT_FRESHDESK_TOKEN"),
    ],
)
async def test_a_helpdesk_without_its_secret_is_told_which_to_set(
    slack: FakeSlack, sqlite_url: str, path: str, variable: str
) -> None:
    async with (
        running_bot(slack, sqlite_url) as bot,
        aiohttp.ClientSession() as http,
        http.post(f"{bot.url}{path}", data=b"{}") as response,
    ):
        assert response.status == 503
        assert (await response.json())["error"].endswith(f"webhook disabled: set {variable}")


# --- the README's recipes ------------------------------------------------------------

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
RENDERED = {  # what each helpdesk writes for its placeholders, a ticket without an agent
    "{{ticket.id}}": "35436",
    "{{ticket.requester.email}}": "ann@example.com",
    "{{ticket.assignee.email}}": "",
    "{{ticket.agent.email}}": "",
    "{{ticket.link}}": "https://example.zendesk.com/agent/tickets/35436",
    "{{ticket.url}}": "example.freshdesk.com/a/tickets/35436",
    "{{ticket.organization.id}}": "360001",
    "{{ticket.organization.name}}": "Acme Corp",
    "{{ticket.company.name}}": "Acme Corp",
}


def recipe_bodies() -> list[str]:
    section = README.split("## Connecting your helpdesk", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```json\n")[1:]]


@pytest.mark.parametrize("recipe", recipe_bodies(), ids=["zendesk", "freshdesk"])
def test_each_recipe_body_is_a_close_the_webhook_accepts(recipe: str) -> None:
    for placeholder, value in RENDERED.items():
        recipe = recipe.replace(placeholder, value)
    teams = parse_teams('[[teams]]\nname = "support"\n')
    closed = close_from(json.loads(recipe), teams, SIGNED_AT, id_prefix="x:")
    assert isinstance(closed, ClosedConversation), closed
    assert closed.customer_email == "ann@example.com" and closed.agent_email is None
    assert closed.url is not None and closed.url.startswith("https://")
    assert closed.account is not None and closed.account.name == "Acme Corp"


def test_every_helpdesk_secret_is_in_the_settings_table() -> None:
    for helpdesk in HELPDESKS:
        assert f"| `{helpdesk.secret_variable}` |" in README
        assert f"/webhooks/{helpdesk.name}" in README


def test_each_secret_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for helpdesk in HELPDESKS:
        monkeypatch.setenv(helpdesk.secret_variable, f"secret-of-{helpdesk.name}")
    settings = Settings(_env_file=None)
    for helpdesk in HELPDESKS:
        assert settings.helpdesk_secret(helpdesk.name) == f"secret-of-{helpdesk.name}"


# --- whatever a helpdesk sends, an answer --------------------------------------------


@PROPERTY
@given(
    data=st.one_of(
        json_values,
        mutations(json.loads(sample("intercom"))),
        mutations(json.loads(sample("helpscout"))),
    )
)
def test_any_payload_maps_to_a_close_or_a_reason_never_a_crash(data: Any) -> None:
    teams = parse_teams('[[teams]]\nname = "support"\n')
    for to_generic, headers in (
        (intercom_body, {}),
        (helpscout_body, {"X-HelpScout-Event": "convo.status"}),
    ):
        generic = to_generic(data if isinstance(data, dict) else {"data": data}, headers)
        if isinstance(generic, dict):
            closed = close_from(generic, teams, SIGNED_AT)
            assert isinstance(closed, ClosedConversation | BadRequest)
        else:
            assert isinstance(generic, Ignored | BadRequest)
