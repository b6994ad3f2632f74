"""In a support thread the channel sees the survey: the score stays with the customer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sandbox import FakeSlack
from tests.answering import block_actions, delivered_survey, score_click
from tests.harness import CUSTOMER, SUPPORT_CHANNEL, Bot


def visible_in_channel(slack: FakeSlack, after_ts: str) -> list[str]:
    """Every post and update the bot made in the support channel after the survey went out,
    without the score buttons themselves (they list every score, chosen or not)."""
    shown: list[str] = []
    for call in slack.calls:
        if call.method not in ("chat.postMessage", "chat.update"):
            continue
        if call.args.get("channel") != SUPPORT_CHANNEL:
            continue
        if call.method == "chat.postMessage" and call.args.get("ts", "") <= after_ts:
            continue
        blocks: Any = call.args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        readable = [b for b in blocks if b.get("type") != "actions"]
        shown.append(str(call.args.get("text", "")) + json.dumps(readable, ensure_ascii=False))
    return shown


def leaks(shown: list[str]) -> list[str]:
    return [s for s in shown if "Dissatisfied" in s or "*2" in s or "answer: 2" in s]


async def test_a_low_score_in_a_thread_is_never_shown_to_the_channel(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    assert d.thread_ts  # delivered in the support thread

    await bot.send_interaction(score_click(d, 2))
    await slack.wait_for("chat.postEphemeral", 2)  # the close notice, then the score
    await slack.wait_for("chat.update")

    thank_you = slack.message(d.channel, d.ts)
    assert "Your answer was received" in thank_you["text"]
    assert leaks(visible_in_channel(slack, d.ts)) == []
    private = slack.ephemerals[-1]
    assert private["user"] == CUSTOMER and private["thread_ts"] == d.thread_ts
    assert "2 · Dissatisfied" in private["text"] and "Only you" in private["text"]
    # The buttons stay on the public message, and do not hint at the score.
    buttons = next(b for b in thank_you["blocks"] if b["type"] == "actions")["elements"]
    labels = [e["text"]["text"] for e in buttons]
    assert labels == ["Add a comment", "Change my answer"]

    # Changing one's mind: the buttons come back; the current score is said privately.
    await bot.send_interaction(
        block_actions(
            channel=d.channel,
            message=thank_you,
            action_id="survey_change_answer",
            thread_ts=d.thread_ts,
        )
    )
    await slack.wait_for("chat.update", 2)
    await slack.wait_for("chat.postEphemeral", 3)
    assert leaks(visible_in_channel(slack, d.ts)) == []
    assert "Your answer now: *2 · Dissatisfied*" in slack.ephemerals[-1]["text"]
    assert slack.ephemerals[-1]["user"] == CUSTOMER

    # After the expiry, the closed note thanks without the score.
    bot.clock.advance(timedelta(days=8))
    await bot.send_interaction(score_click(d, 4))
    await slack.wait_for("chat.update", 3)
    closed = slack.message(d.channel, d.ts)
    assert "Thank you for your answer" in closed["text"]
    assert leaks(visible_in_channel(slack, d.ts)) == []
    assert "Satisfied" not in json.dumps(closed, ensure_ascii=False)


async def test_a_dm_survey_still_shows_the_score_to_its_only_reader(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack, source="webhook")
    assert d.thread_ts is None
    await bot.send_interaction(score_click(d, 2))
    await slack.wait_for("chat.update")
    assert "2 · Dissatisfied" in slack.message(d.channel, d.ts)["text"]
    assert [e for e in slack.ephemerals if e["user"] == CUSTOMER] == []
