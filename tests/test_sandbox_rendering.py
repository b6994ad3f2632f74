"""The browser sandbox draws each Block Kit block and element as Slack shows it."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.browser import blocks as bk
from sandbox.browser.mrkdwn import mrkdwn

WHERE = bk.Where(
    names={"U0ANN": "Ann Weber"},
    channels={"C0SUPPORT": "support"},
    tz="America/New_York",
    container={"channel": "C0SUPPORT", "ts": "1.000001"},
)


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def draw(block: dict[str, Any]) -> str:
    return bk.block(block, WHERE)


def test_mrkdwn_bold_italics_strike_and_code() -> None:
    shown = mrkdwn("*late* reply, _very_ ~old~ `code`")
    assert shown == "<b>late</b> reply, <i>very</i> <s>old</s> <code>code</code>"


def test_mrkdwn_links_mentions_and_escapes() -> None:
    shown = mrkdwn(
        "<@U0ANN> in <#C0SUPPORT>: <https://example.com/a?b=1&amp;c=2|the docs> &lt;b&gt;",
        names=WHERE.names,
        channels=WHERE.channels,
    )
    assert '<span class="mention">@Ann Weber</span>' in shown
    assert '<span class="mention">#support</span>' in shown
    assert '<a href="https://example.com/a?b=1&amp;c=2" target="_blank"' in shown
    assert ">the docs</a>" in shown
    assert "&lt;b&gt;" in shown and "<b>" not in shown  # text never becomes markup


def test_mrkdwn_quotes_and_broadcasts() -> None:
    shown = mrkdwn("They wrote:\n&gt; Still broken\n&gt; after a week\n<!here> look")
    assert "<blockquote>Still broken<br>after a week</blockquote>" in shown
    assert '<span class="mention">@here</span>' in shown


def test_mrkdwn_dates_in_the_viewers_time_zone() -> None:
    # 1764000000 = 2025-11-24 16:00 UTC = 11:00 in New York.
    token = "<!date^1764000000^{date_short} at {time}|Nov 24, 2025>"
    assert ">Nov 24, 2025 at 11:00</time>" in mrkdwn(token, tz="America/New_York")
    assert ">Nov 24, 2025 at 17:00</time>" in mrkdwn(token, tz="Europe/Berlin")
    assert mrkdwn("<!date^oops^{date}|the fallback>") == "the fallback"


def test_mrkdwn_emoji_and_sandbox_permalinks() -> None:
    shown = mrkdwn(
        ":rotating_light: <https://fake.slack.com/archives/C0SUPPORT/p1764000000000100|Open>"
    )
    assert shown.startswith("🚨 ")
    assert '<a href="/?c=C0SUPPORT&amp;t=1764000000.000100">Open</a>' in shown


def test_header() -> None:
    assert draw({"type": "header", "text": plain("Good news <3")}) == (
        '<h3 class="b-header">Good news &lt;3</h3>'
    )


def test_section_with_fields_and_a_button_accessory() -> None:
    shown = draw(
        {
            "type": "section",
            "block_id": "b1",
            "text": md("*CSAT* 82 %"),
            "fields": [md("*Answers*\n40"), plain("Target 80")],
            "accessory": {
                "type": "button",
                "action_id": "drill",
                "text": plain("Show answers"),
                "value": "x",
            },
        }
    )
    assert "<b>CSAT</b> 82 %" in shown
    assert '<div class="b-field"><b>Answers</b><br>40</div>' in shown
    assert "Target 80" in shown
    assert 'hx-post="/act"' in shown and ">Show answers</button>" in shown
    assert "&quot;action_id&quot;: &quot;drill&quot;" in shown  # what the click posts


def test_context_divider_and_image() -> None:
    assert draw({"type": "context", "elements": [md("_since_ today"), plain("x")]}) == (
        '<div class="b-context"><span><i>since</i> today</span> <span>x</span></div>'
    )
    assert draw({"type": "divider"}) == '<hr class="b-divider">'
    image = draw({"type": "image", "image_url": "https://x.example/c.png", "alt_text": "trend"})
    assert '<img src="https://x.example/c.png" alt="trend">' in image


def test_actions_with_buttons_in_their_styles() -> None:
    shown = draw(
        {
            "type": "actions",
            "block_id": "survey",
            "elements": [
                {"type": "button", "action_id": "s1", "text": plain("1"), "value": "1"},
                {
                    "type": "button",
                    "action_id": "s5",
                    "text": plain("5"),
                    "value": "5",
                    "style": "primary",
                },
            ],
        }
    )
    assert shown.count("<button") == 2
    assert 'class="button primary"' in shown


def test_input_with_checkboxes_and_a_text_field() -> None:
    reasons = draw(
        {
            "type": "input",
            "block_id": "follow_up_reasons",
            "optional": True,
            "label": plain("What went wrong?"),
            "element": {
                "type": "checkboxes",
                "action_id": "reasons",
                "options": [
                    {"text": plain("Slow response"), "value": "slow_response"},
                    {"text": plain("Other"), "value": "other"},
                ],
                "initial_options": [{"text": plain("Other"), "value": "other"}],
            },
        }
    )
    assert "What went wrong?" in reasons and "(optional)" in reasons
    assert 'name="follow_up_reasons|reasons" value="slow_response">' in reasons
    assert 'value="other" checked>' in reasons
    comment = draw(
        {
            "type": "input",
            "block_id": "c",
            "label": plain("Your comment"),
            "element": {
                "type": "plain_text_input",
                "action_id": "comment",
                "multiline": True,
                "max_length": 3000,
            },
        }
    )
    assert '<textarea name="c|comment" placeholder="" maxlength="3000">' in comment


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (
            {
                "type": "static_select",
                "action_id": "lang",
                "options": [{"text": plain("Deutsch"), "value": "de"}],
                "initial_option": {"text": plain("Deutsch"), "value": "de"},
            },
            '<option value="de" selected>Deutsch</option>',
        ),
        ({"type": "users_select", "action_id": "who"}, '<option value="U0ANN">Ann Weber</option>'),
        (
            {"type": "conversations_select", "action_id": "where"},
            '<option value="C0SUPPORT">#support</option>',
        ),
        ({"type": "number_input", "action_id": "n", "min_value": "0"}, 'type="number" step="1"'),
    ],
)
def test_selects_and_inputs_inside_a_form(element: dict[str, Any], expected: str) -> None:
    block = {"type": "input", "block_id": "b", "label": plain("L"), "element": element}
    shown = draw(block)
    assert expected in shown
    assert 'hx-trigger="change"' not in shown  # read on submit, not sent on change


def test_a_select_outside_a_form_is_an_action_at_once() -> None:
    shown = draw(
        {
            "type": "actions",
            "block_id": "drill",
            "elements": [
                {
                    "type": "static_select",
                    "action_id": "drill_reason",
                    "options": [{"text": plain("Slow"), "value": "slow_response"}],
                }
            ],
        }
    )
    assert 'hx-trigger="change"' in shown and 'hx-post="/act"' in shown


def test_the_native_chart_block_is_drawn_as_a_line_or_bars() -> None:
    def chart(kind: str) -> dict[str, Any]:
        return {
            "type": "data_visualization",
            "title": "CSAT by week",
            "chart": {
                "type": kind,
                "series": [{"name": "CSAT", "data": [{"label": "Nov 9", "value": 80}]}],
                "axis_config": {"categories": ["Nov 9"]},
            },
        }

    line = draw(chart("line"))
    assert "<figcaption>CSAT by week</figcaption>" in line and "<polyline" in line
    assert ">Nov 9</text>" in line
    assert "<rect" in draw(chart("bar"))


def test_an_unknown_block_is_shown_plainly_never_dropped() -> None:
    shown = draw({"type": "rich_text", "elements": [{"type": "rich_text_section"}]})
    assert "Block type “rich_text” is not drawn by the sandbox." in shown
    assert "rich_text_section" in shown  # its JSON, for whoever debugs it
    element = draw({"type": "actions", "elements": [{"type": "datepicker", "action_id": "d"}]})
    assert "[datepicker]" in element
