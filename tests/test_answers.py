"""Answers come back: clicks, the thank-you, refusals, expiry — real bot, fake Slack."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sandbox import FakeSlack
from sandbox.payloads import buttons, fresh_action_ts
from storage import answers
from storage import surveys as store
from tests.answering import (
    Delivered,
    block_actions,
    delivered_survey,
    score_click,
)
from tests.harness import AGENT, ALERT_CHANNEL, Bot, Clock, running_bot


async def history(bot: Bot, d: Delivered) -> list[int]:
    assert d.survey.id is not None
    return [c.score for c in await answers.answer_history(bot.workspace.db, d.survey.id)]


async def settle() -> None:
    """Work after the ack runs on; give it a moment before asserting on absence."""
    await asyncio.sleep(0.3)


async def test_a_click_turns_the_survey_into_a_thank_you_and_tells_the_score_privately(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    response = await bot.send_interaction(score_click(d, 4))
    assert response.status == 200
    (update,) = await slack.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (d.channel, d.ts)
    shown = slack.message(d.channel, d.ts)
    assert shown["text"] == "Thank you! Your answer was received."
    await slack.wait_for("chat.postEphemeral", 2)
    assert "4 · Satisfied" in slack.ephemerals[-1]["text"]
    assert not [a for a in buttons(shown) if a.startswith("survey_score_")]
    assert buttons(shown) == ["survey_add_comment", "survey_change_answer"]
    assert await history(bot, d) == [4]
    # A middle score opens no form and alerts nobody.
    await settle()
    assert slack.called("views.open") == []
    assert ALERT_CHANNEL not in slack.messages


async def test_a_change_of_mind_counts_and_the_first_answer_stays_in_history(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 3))
    await slack.wait_for("chat.update")
    thank_you = slack.message(d.channel, d.ts)
    change = block_actions(
        channel=d.channel,
        message=thank_you,
        action_id="survey_change_answer",
        thread_ts=d.thread_ts,
    )
    await bot.send_interaction(change)
    await slack.wait_for("chat.update", 2)
    again = slack.message(d.channel, d.ts)
    assert "survey_score_4" in buttons(again)
    await slack.wait_for("chat.postEphemeral", 3)  # close notice, score, the answer now
    assert "Your answer now: *3 · Neutral*" in slack.ephemerals[-1]["text"]
    d.message = again
    await bot.send_interaction(score_click(d, 4))
    await slack.wait_for("chat.update", 3)
    await slack.wait_for("chat.postEphemeral", 4)
    assert "4 · Satisfied" in slack.ephemerals[-1]["text"]
    assert await history(bot, d) == [3, 4]
    assert d.survey.id is not None
    current = await answers.response_for(bot.workspace.db, d.survey.id)
    assert current is not None and current.score == 4


async def test_someone_else_clicking_is_told_privately_and_nothing_is_stored(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 1, user=AGENT))
    await slack.wait_for("chat.postEphemeral", 2)  # the first one: the close notice
    notice = slack.ephemerals[-1]
    assert notice["user"] == AGENT and "for someone else" in notice["text"]
    assert notice.get("thread_ts") == d.thread_ts
    await settle()
    assert await history(bot, d) == []
    assert slack.called("chat.update") == [] and slack.called("views.open") == []
    survey = await store.survey_by_token(bot.workspace.db, d.survey.token)
    assert survey is not None and survey.status == "delivered"


@pytest.mark.parametrize(
    "tampered",
    ["nosuchtoken:2", "{token}:9", "{token}:abc", "abc", "{token}:0", ""],
)
async def test_a_tampered_button_value_is_refused_politely_and_stores_nothing(
    bot: Bot, slack: FakeSlack, tampered: str
) -> None:
    d = await delivered_survey(bot, slack, source="webhook")
    payload = score_click(d, 2, value=tampered.format(token=d.survey.token))
    response = await bot.send_interaction(payload)
    assert response.status == 200
    await slack.wait_for("chat.postEphemeral")
    (notice,) = slack.ephemerals
    assert notice["user"] == "U0CUSTOMER" and notice["text"].startswith("Sorry")
    await settle()
    assert await history(bot, d) == []
    assert slack.called("chat.update") == [] and ALERT_CHANNEL not in slack.messages


async def test_a_click_from_a_copy_of_the_message_elsewhere_is_refused(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack, source="webhook")
    payload = score_click(d, 1)
    payload["container"]["message_ts"] = "1763999999.000001"
    await bot.send_interaction(payload)
    await slack.wait_for("chat.postEphemeral")
    await settle()
    assert await history(bot, d) == []


async def test_double_clicks_and_slack_retries_store_one_answer_and_one_alert(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    first = score_click(d, 1)
    retry = dict(first, trigger_id="retry.1336.aaaa")  # Slack's retry: same action_ts
    double = score_click(d, 1)  # a second click on the same button: new action_ts
    results = await asyncio.gather(
        bot.send_interaction(first), bot.send_interaction(retry), bot.send_interaction(double)
    )
    assert [r.status for r in results] == [200, 200, 200]
    await slack.wait_for("chat.postMessage", 2)  # the survey, then the alert
    await settle()
    assert await history(bot, d) == [1]
    assert len(slack.messages[ALERT_CHANNEL]) == 1
    assert len(slack.called("views.open")) == 1


async def test_an_expired_survey_refuses_the_click_and_loses_its_buttons(
    slack: FakeSlack, sqlite_url: str
) -> None:
    clock = Clock()
    async with running_bot(slack, sqlite_url, clock=clock) as bot:
        d = await delivered_survey(bot, slack, source="webhook")
        clock.set(d.survey.expires_at + timedelta(seconds=1))
        await bot.send_interaction(score_click(d, 5))
        await slack.wait_for("chat.update")
        (notice,) = slack.ephemerals
        assert "closed" in notice["text"]
        shown = slack.message(d.channel, d.ts)
        assert buttons(shown) == [] and "This survey has closed." in shown["text"]
        assert await history(bot, d) == []
        survey = await store.survey_by_token(bot.workspace.db, d.survey.token)
        assert survey is not None and survey.status == "expired"


async def test_the_sweep_closes_unanswered_surveys_past_their_expiry(
    slack: FakeSlack, sqlite_url: str
) -> None:
    clock = Clock()
    async with running_bot(slack, sqlite_url, clock=clock, expiry_interval_seconds=0.05) as bot:
        d = await delivered_survey(bot, slack, source="webhook")
        await settle()
        assert slack.called("chat.update") == []  # not yet due
        clock.set(d.survey.expires_at)
        (update,) = await slack.wait_for("chat.update")
        assert (update.args["channel"], update.args["ts"]) == (d.channel, d.ts)
        shown = slack.message(d.channel, d.ts)
        assert buttons(shown) == [] and shown["text"] == "This survey has closed."
        await settle()
        assert len(slack.called("chat.update")) == 1  # closed once, not every minute
        survey = await store.survey_by_token(bot.workspace.db, d.survey.token)
        assert survey is not None and survey.status == "expired"


async def test_an_answered_survey_is_left_alone_by_the_sweep(
    slack: FakeSlack, sqlite_url: str
) -> None:
    clock = Clock()
    async with running_bot(slack, sqlite_url, clock=clock, expiry_interval_seconds=0.05) as bot:
        d = await delivered_survey(bot, slack, source="webhook")
        await bot.send_interaction(score_click(d, 4, action_ts=fresh_action_ts()))
        await slack.wait_for("chat.update")
        clock.set(d.survey.expires_at + timedelta(hours=1))
        await settle()
        assert len(slack.called("chat.update")) == 1
        survey = await store.survey_by_token(bot.workspace.db, d.survey.token)
        assert survey is not None and survey.status == "answered"


async def test_a_shutdown_right_after_the_ack_lets_the_thank_you_and_alert_finish(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url) as bot:
        d = await delivered_survey(bot, slack)
        reply = await bot.send_interaction(score_click(d, 1))
        assert reply.status == 200
        # SIGTERM arrives now: the process stops with the click's work still running.
    assert "Your answer was received" in slack.message(d.channel, d.ts)["text"]
    assert len(slack.messages[ALERT_CHANNEL]) == 1


async def test_two_clicks_delivered_in_reverse_order_keep_the_later_one(
    any_bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(any_bot, slack)
    first = score_click(d, 5, action_ts="1763900000.100000")
    correction = score_click(d, 2, action_ts="1763900002.100000")  # two seconds later
    await any_bot.send_interaction(correction)
    await slack.wait_for("chat.postMessage", 2)  # the survey, then the low score's alert
    await any_bot.send_interaction(first)  # Slack delivers the earlier click last
    await settle()
    response = await answers.response_for(any_bot.workspace.db, d.survey.id or 0)
    assert response is not None and response.score == 2
    assert await history(any_bot, d) == [2]
    assert len(slack.called("views.open")) == 1  # the low score's form, and nothing for 5
