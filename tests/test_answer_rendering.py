"""The thank-you, the follow-up form, the alert and kudos as dicts, within Block Kit limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.answering.alert_blocks import AlertFacts, render_alert, render_kudos
from bot.answering.answer_blocks import render_closed, render_follow_up, render_thank_you
from bot.answering.answers import RefusalReason, refusal_for_click
from bot.answering.follow_up_form import FollowUpForm, validate_follow_up
from bot.scales import Band
from handlers.views import read_follow_up
from sandbox.blockkit import validate_blocks, validate_view
from storage.surveys import SurveyRecord
from storage.vocabulary import AlertStatus

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def a_survey(**changes: Any) -> SurveyRecord:
    values: dict[str, Any] = {
        "id": 1,
        "token": "tok",
        "conversation_id": 1,
        "team": "support",
        "kind": "csat",
        "customer_key": "U1",
        "customer_id": "U1",
        "delivery": "dm",
        "channel_id": "D1",
        "message_ts": "1.000001",
        "status": "delivered",
        "created_at": NOW,
        "send_after": NOW,
        "expires_at": NOW + timedelta(days=7),
    }
    values.update(changes)
    return SurveyRecord(**values)


@pytest.mark.parametrize(
    ("survey", "score", "user", "where", "expected"),
    [
        (None, 3, "U1", ("D1", "1.000001"), RefusalReason.UNKNOWN),
        (a_survey(status="scheduled"), 3, "U1", ("D1", "1.000001"), RefusalReason.UNKNOWN),
        (a_survey(), 3, "U2", ("D1", "1.000001"), RefusalReason.NOT_YOURS),
        (a_survey(), 3, "U1", ("D1", "9.000001"), RefusalReason.WRONG_MESSAGE),
        (a_survey(), 6, "U1", ("D1", "1.000001"), RefusalReason.BAD_SCORE),
        (a_survey(kind="ces"), 7, "U1", ("D1", "1.000001"), None),
        (a_survey(expires_at=NOW), 3, "U1", ("D1", "1.000001"), RefusalReason.EXPIRED),
        (a_survey(status="cancelled"), 3, "U1", ("D1", "1.000001"), RefusalReason.UNKNOWN),
        (a_survey(status="answered"), 3, "U1", ("D1", "1.000001"), None),
    ],
)
def test_a_click_counts_only_from_the_customer_on_their_open_survey(
    survey: SurveyRecord | None,
    score: int,
    user: str,
    where: tuple[str, str],
    expected: RefusalReason | None,
) -> None:
    reason = refusal_for_click(
        survey, score=score, user_id=user, now=NOW, channel_id=where[0], message_ts=where[1]
    )
    assert reason == expected


def test_messages_and_the_form_fit_block_kit_limits() -> None:
    for kind, score in (("csat", 1), ("csat", 3), ("csat", 5), ("ces", 7), ("nps", 0)):
        thanks = render_thank_you(token="t", kind=kind, score=score, locale="en", expires_at=NOW)
        assert validate_blocks(thanks["blocks"], surface="message") == []
        assert thanks["text"]
        form = render_follow_up(
            token="t", kind=kind, score=score, locale="en", comment="x" * 5000, reasons=["other"]
        )
        assert validate_view(form) == []
        assert len(form["title"]["text"]) <= 24 and form["private_metadata"] == "t"
    closed = render_closed(kind="csat", score=None, locale=None)
    assert validate_blocks(closed["blocks"], surface="message") == []


def test_the_alert_fits_block_kit_even_with_a_long_hostile_comment() -> None:
    facts = AlertFacts(
        alert_id=7,
        kind="csat",
        score=1,
        customer="<@U0BOSS> Ann",
        agent_id="U0AGENT",
        permalink=None,
        helpdesk_ref="ZD-`1`<!here>",
        reasons=("slow_response", "unknown_code"),
        comment="<!channel> " * 1000,
        answered_at=NOW,
        status=AlertStatus.OPEN,
    )
    alert = render_alert(facts)
    assert validate_blocks(alert["blocks"], surface="message") == []
    posted = str(alert)
    assert "<!channel>" not in posted and "<!here>" not in posted and "<@U0BOSS>" not in posted
    assert "unknown_code" not in posted
    kudos = render_kudos(kind="csat", score=5, customer="Ann", comment="<@U0BOSS> thanks")
    assert validate_blocks(kudos["blocks"], surface="message") == []
    assert "<@U0BOSS>" not in str(kudos)


def test_the_follow_up_form_is_read_and_checked_as_slack_sends_it() -> None:
    state = {
        "follow_up_reasons": {
            "reasons": {"type": "checkboxes", "selected_options": [{"value": "slow_response"}]}
        },
        "follow_up_comment": {"comment": {"type": "plain_text_input", "value": "  late  "}},
    }
    form = read_follow_up(state)
    assert form == FollowUpForm(reasons=("slow_response",), comment="late")
    assert validate_follow_up(form, band=Band.LOW, locale=None) == {}
    # Reasons only belong to a low score; the error names a block the form shows.
    assert list(validate_follow_up(form, band=Band.HIGH, locale=None)) == ["follow_up_comment"]
    assert read_follow_up({}) == FollowUpForm(reasons=(), comment=None)
