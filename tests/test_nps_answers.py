"""A relational NPS survey: 0–10 buttons, the one open question on every score, and a
detractor's alert, through the real bot against the fake Slack."""

from __future__ import annotations

import json
from typing import Any

from bot.delivery.sends import Invitation, invite
from bot.delivery.survey_blocks import render_survey
from sandbox import FakeSlack
from storage import answers as answer_store
from storage import surveys
from storage.vocabulary import SurveyKind, SurveyStatus
from tests.answering import Delivered, score_click
from tests.contexts import in_workspace
from tests.harness import ALERT_CHANNEL, CUSTOMER, Bot
from tests.waiting import wait_until

ONE_THING = "What is the one thing we could do to make you happier?"


async def delivered_nps(bot: Bot, slack: FakeSlack) -> Delivered:
    team = bot.workspace.teams.by_name("support")
    assert team is not None
    sent = await invite(
        in_workspace(bot.workspace.db, now=bot.clock()),
        Invitation(team, customer_id=CUSTOMER, kind=SurveyKind.NPS),
    )
    bot.runtime.dispatcher.wake()
    await slack.wait_for("chat.postMessage")

    async def delivered() -> bool:
        found = await surveys.survey_by_token(bot.workspace.db, sent.token)
        return found is not None and found.status is SurveyStatus.DELIVERED

    await wait_until(delivered, what="the NPS survey delivered")
    survey = await surveys.survey_by_token(bot.workspace.db, sent.token)
    assert survey is not None and survey.channel_id and survey.message_ts
    message = slack.message(survey.channel_id, survey.message_ts)
    return Delivered(survey, survey.channel_id, survey.message_ts, message, None)


def score_buttons(message: dict[str, Any]) -> list[list[str]]:
    return [
        [e["text"]["text"] for e in block["elements"]]
        for block in message["blocks"]
        if block["type"] == "actions"
    ]


def test_the_nps_message_has_0_to_10_in_two_rows_and_says_what_the_ends_mean() -> None:
    message = render_survey(token="t0k3n", kind="nps", locale="en")
    assert score_buttons(message) == [
        ["0", "1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
    ]
    words = json.dumps(message["blocks"])
    assert "How likely are you to recommend us" in words
    assert "0 = Not at all likely" in words and "10 = Extremely likely" in words


async def test_a_detractor_click_records_the_score_asks_the_one_thing_and_alerts(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_nps(bot, slack)
    await bot.send_interaction(score_click(d, 3))
    (opened,) = await slack.wait_for("views.open")
    modal = opened.args["view"]
    assert ONE_THING in json.dumps(modal["blocks"])
    assert any(b.get("block_id") == "follow_up_reasons" for b in modal["blocks"])

    async def alerted() -> bool:
        return bool(slack.messages.get(ALERT_CHANNEL))

    await wait_until(alerted, what="the detractor's alert")
    (alert,) = slack.messages[ALERT_CHANNEL]
    assert "NPS" in json.dumps(alert) and "3" in json.dumps(alert)
    assert d.survey.id is not None
    answer = await answer_store.response_for(bot.workspace.db, d.survey.id)
    assert answer is not None and answer.score == 3


async def test_a_passive_is_asked_the_one_thing_too_without_reasons_or_alert(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_nps(bot, slack)
    await bot.send_interaction(score_click(d, 8))
    (opened,) = await slack.wait_for("views.open")
    blocks = opened.args["view"]["blocks"]
    assert ONE_THING in json.dumps(blocks)
    assert not any(b.get("block_id") == "follow_up_reasons" for b in blocks)
    assert d.survey.id is not None

    async def stored() -> bool:
        assert d.survey.id is not None
        return await answer_store.response_for(bot.workspace.db, d.survey.id) is not None

    await wait_until(stored, what="the passive's score stored")
    assert not slack.messages.get(ALERT_CHANNEL)


async def test_a_tampered_nps_score_is_refused(bot: Bot, slack: FakeSlack) -> None:
    d = await delivered_nps(bot, slack)
    forged = score_click(d, 10)
    forged["actions"][0]["value"] = f"{d.survey.token}:11"
    forged["actions"][0]["action_id"] = "survey_score_11"
    await bot.send_interaction(forged)
    (note,) = await slack.wait_for("chat.postEphemeral")
    assert "not one this survey offers" in note.args["text"]
    assert d.survey.id is not None
    assert await answer_store.response_for(bot.workspace.db, d.survey.id) is None
