"""What customers and agents read: the survey message, escaped echoes."""

from __future__ import annotations

from bot.delivery.survey_blocks import parse_score_button_value, render_survey
from bot.scales import CES, CSAT
from bot.text import escape_mrkdwn, quote


def button_texts(message: dict[str, object]) -> list[str]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    actions = next(b for b in blocks if b["type"] == "actions")
    return [e["text"]["text"] for e in actions["elements"]]


def test_a_csat_survey_asks_the_question_with_five_labelled_buttons() -> None:
    message = render_survey(token="tok", kind="csat", locale="en")
    assert message["text"] == CSAT.question
    assert button_texts(message) == [
        "1 · Very dissatisfied",
        "2 · Dissatisfied",
        "3 · Neutral",
        "4 · Satisfied",
        "5 · Very satisfied",
    ]


def test_a_ces_survey_has_seven_buttons_from_very_difficult_to_very_easy() -> None:
    texts = button_texts(render_survey(token="tok", kind="ces", locale="en-GB"))
    assert len(texts) == len(CES.scores) == 7
    assert texts[0] == "1 · Very difficult" and texts[-1] == "7 · Very easy"


def test_a_button_carries_only_the_survey_token_and_the_score() -> None:
    message = render_survey(token="abcDEF_123", kind="csat", locale=None)
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    values = [e["value"] for e in actions["elements"]]
    assert values == [f"abcDEF_123:{s}" for s in range(1, 6)]
    assert parse_score_button_value(values[2]) == ("abcDEF_123", 3)
    assert parse_score_button_value("nonsense") is None
    assert parse_score_button_value("tok:five") is None


def test_hostile_text_can_neither_ping_nor_disguise_a_link() -> None:
    hostile = "<!channel> call <@U123> at <https://evil.example|your bank> & more"
    safe = escape_mrkdwn(hostile)
    assert "<" not in safe and ">" not in safe
    assert safe.startswith("&lt;!channel&gt;")
    assert "&amp; more" in safe
    assert quote("line one\n<!here>") == "> line one\n> &lt;!here&gt;"
