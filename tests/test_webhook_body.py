"""The helpdesk webhook: signatures and every 400 naming its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.closes import ClosedConversation, CloseResult
from bot.delivery.webhook import (
    BadRequest,
    close_answer,
    parse_close,
    sign,
    signature_problem,
    without_unusable_extras,
)
from bot.teams import parse_teams
from storage.vocabulary import CloseStatus

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TEAMS = parse_teams('[[teams]]\nname = "support"\n[[teams]]\nname = "billing"\n')
SECRET = "whsec"


def test_a_genuine_fresh_signature_passes() -> None:
    body = b'{"conversation_id": "1"}'
    ts = str(int(NOW.timestamp()))
    assert signature_problem(SECRET, ts, sign(SECRET, ts, body), body, NOW) is None


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        (None, "sha256=00", "missing"),
        ("yesterday", "sha256=00", "not unix seconds"),
        (str(int((NOW - timedelta(minutes=6)).timestamp())), None, "missing"),
        ("STALE", "GOOD", "stale"),
        ("NOW", "sha256=" + "0" * 64, "wrong signature"),
    ],
)
def test_forged_or_stale_requests_are_refused(
    timestamp: str | None, signature: str | None, problem: str
) -> None:
    body = b'{"conversation_id": "1"}'
    now_ts = str(int(NOW.timestamp()))
    stale_ts = str(int((NOW - timedelta(minutes=6)).timestamp()))
    timestamp = {"NOW": now_ts, "STALE": stale_ts}.get(timestamp or "", timestamp)
    if signature == "GOOD":
        signature = sign(SECRET, timestamp or "", body)
    found = signature_problem(SECRET, timestamp, signature, body, NOW)
    assert found is not None and problem in found


def body(**fields: object) -> bytes:
    base: dict[str, object] = {"conversation_id": "ZD-1", "customer": {"email": "Ann@Example.com"}}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b"{not json", "body: not valid JSON"),
        (b"[1, 2]", "body: must be a JSON object"),
        (body(conversation_id=None), "conversation_id: is required"),
        (body(conversation_id=""), "conversation_id:"),
        (body(customer=None), "customer: is required"),
        (body(customer={}), "customer: give slack_user_id or email"),
        (body(customer={"email": "not-an-email"}), "customer.email:"),
        (body(customer={"slack_user_id": "bob"}), "customer.slack_user_id:"),
        (body(survey="nps"), "survey:"),
        (body(survey="stars"), "survey:"),
        (body(team="sales"), "team: no team named 'sales'"),
        (body(closed_at="last tuesday"), "closed_at:"),
        (body(closed_at="2027-01-01T00:00:00Z"), "closed_at: is in the future"),
        (body(customer_value=-5), "customer_value:"),
        (body(closed_at="0001-01-01T00:30:00+01:00"), "closed_at: out of range"),
        (body(locale="<!channel>"), "locale:"),
    ],
)
def test_each_invalid_body_names_the_bad_field(raw: bytes, named: str) -> None:
    result = parse_close(raw, TEAMS, NOW)
    assert isinstance(result, BadRequest)
    assert result.error.startswith(named.split(":")[0])
    assert named in result.error


def test_a_full_body_becomes_a_close_for_the_named_team() -> None:
    result = parse_close(
        body(
            conversation_id=1234,
            agent={"slack_user_id": "U0AGENT"},
            team="billing",
            survey="ces",
            closed_at="2026-11-23T09:30:00+01:00",
            locale="de-DE",
            customer_value=99.5,
        ),
        TEAMS,
        NOW,
    )
    assert isinstance(result, ClosedConversation)
    assert result.external_id == "1234" and result.team.name == "billing"
    assert result.customer_email == "ann@example.com" and result.agent_id == "U0AGENT"
    assert result.closed_at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert result.kind == "ces" and result.customer_value == 99.5


def test_a_non_ascii_signature_is_refused_not_a_crash() -> None:
    body = b'{"conversation_id": "1"}'
    ts = str(int(NOW.timestamp()))
    assert signature_problem(SECRET, ts, "sha256=\u00e9\u00e9", body, NOW) == "wrong signature"


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (body(customer_value=True), "customer_value: Input should be a valid number"),
        (body(customer_value="120"), "customer_value:"),
        (body(conversation_id=True), "conversation_id: Input should be a valid string"),
        (body(conversation_id="ZD-1\n2026 level=ERROR forged"), "conversation_id: must not"),
        (body(conversation_id="ZD\u00001"), "conversation_id: must not contain control"),
        (body(conversation_id="ZD\ud8001"), "conversation_id: Input should be a valid string"),
        (body(conversation_id="x" * 201), "conversation_id:"),
        (body(team="support\u2028x"), "team: must not contain control"),
        (b'{"conversation_id": ' + b"9" * 5000 + b"}", "body: a number has too many digits"),
        (b"[" * 1000 + b"]" * 1000, "body: nested deeper than 16 levels"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "body: nested deeper than 16 levels"),
        (b"\xff\xfe{}", "body: not valid JSON"),
    ],
)
def test_hostile_bodies_get_a_400_naming_the_problem(raw: bytes, named: str) -> None:
    result = parse_close(raw, TEAMS, NOW)
    assert isinstance(result, BadRequest)
    assert named in result.error


def test_a_numeric_conversation_id_is_text_and_a_whole_number_value_an_amount() -> None:
    result = parse_close(body(conversation_id=42, customer_value=120), TEAMS, NOW)
    assert isinstance(result, ClosedConversation)
    assert result.external_id == "42" and result.customer_value == 120.0


def test_an_ordinary_helpdesk_body_is_accepted_as_helpdesks_send_it() -> None:
    # A customer's name, a ticket without an assignee, a blank custom field: all ordinary.
    result = parse_close(
        body(
            customer={"email": "ann@example.com", "name": "Ann Example", "id": 7},
            agent={"email": "", "name": None},
            customer_value="",
            locale=None,
            team="",
            closed_at="",
        ),
        TEAMS,
        NOW,
    )
    assert isinstance(result, ClosedConversation)
    assert result.customer_email == "ann@example.com"
    assert result.agent_email is None and result.agent_id is None
    assert result.customer_value is None and result.locale is None
    assert result.team.name == "support" and result.closed_at == NOW


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (body(customer={"name": "Ann"}), "customer: give slack_user_id or email"),
        (
            body(customer={"email": "", "slack_user_id": ""}),
            "customer: give slack_user_id or email",
        ),
        (body(customer={"slack_user_id": "bob"}), "customer.slack_user_id: is not a Slack user id"),
        (body(locale="english please"), "locale: is not a language tag (like de or pt-BR)"),
    ],
)
def test_a_refusal_says_what_is_wrong_in_words_never_as_a_pattern(raw: bytes, said: str) -> None:
    result = parse_close(raw, TEAMS, NOW)
    assert isinstance(result, BadRequest)
    assert result.error.startswith(said)
    assert "pattern" not in result.error and "^" not in result.error


def test_the_conversation_url_is_kept_for_the_alert() -> None:
    url = "https://example.zendesk.com/agent/tickets/35436"
    result = parse_close(body(conversation_url=url), TEAMS, NOW)
    assert isinstance(result, ClosedConversation)
    assert result.url == url
    # As some helpdesks' placeholders write it: without its scheme.
    result = parse_close(body(conversation_url=url.removeprefix("https://")), TEAMS, NOW)
    assert isinstance(result, ClosedConversation)
    assert result.url == url


def test_the_answer_says_when_the_survey_goes_and_why_it_waits() -> None:
    teams = parse_teams(
        '[[teams]]\nname = "support"\ndelay_minutes = 10\n'
        'quiet_hours = "20:00-08:00"\ntimezone = "Europe/Rome"\n'
    )
    evening = datetime(2026, 11, 23, 18, 55, tzinfo=UTC)  # 19:55 in Rome
    closed = parse_close(body(), teams, evening)
    assert isinstance(closed, ClosedConversation)
    due = evening + timedelta(minutes=10)
    answer = close_answer(closed, CloseResult(CloseStatus.SCHEDULED, "tok", due), evening)
    assert answer["send_after"] == "2026-11-24T07:00:00Z"  # 08:00 in Rome
    assert answer["waits_for"] == ["delay", "quiet_hours"]
    assert "delay of 10 min" in answer["why"] and "quiet hours 20:00-08:00" in answer["why"]


def test_a_close_without_a_survey_says_why() -> None:
    closed = parse_close(body(), TEAMS, NOW)
    assert isinstance(closed, ClosedConversation)
    answer = close_answer(closed, CloseResult(CloseStatus.THROTTLED, "tok"), NOW)
    assert answer == {
        "survey_id": "tok",
        "status": "throttled",
        "why": "the customer was sent a survey in the last 7 days (throttle_days)",
    }


@pytest.mark.parametrize(
    ("extra", "noted"),
    [
        ({"agent": {"email": "x"}}, "agent.email: value is not a valid email address"),
        ({"agent": {"slack_user_id": "bob"}}, "agent.slack_user_id: is not a Slack user id"),
        ({"conversation_url": "javascript:alert(1)"}, "conversation_url: must be an http"),
        ({"conversation_url": "https://x.example/a|b"}, "conversation_url: must be a link"),
    ],
)
def test_an_unusable_agent_or_link_costs_the_credit_or_the_link_never_the_survey(
    extra: dict[str, object], noted: str
) -> None:
    data = {"conversation_id": "ZD-1", "customer": {"email": "ann@example.com"}, **extra}
    usable, ignored = without_unusable_extras(data)
    assert len(ignored) == 1 and ignored[0].startswith(noted)
    assert set(usable) == {"conversation_id", "customer"}
    result = parse_close(json.dumps(data).encode(), TEAMS, NOW)
    assert isinstance(result, ClosedConversation)
    assert result.agent_email is None and result.agent_id is None and result.url is None
