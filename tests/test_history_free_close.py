"""A close needs no history read when the bot saw the conversation start: Slack allows
apps outside its Marketplace one `conversations.history` call a minute. Through the real
bot and the fake Slack."""

from __future__ import annotations

from sandbox import FakeSlack
from sandbox.payloads import message_posted, message_shortcut, reaction_added
from storage import surveys as store
from tests.answering import ROOT_TS, close_by_reaction
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, Bot
from tests.waiting import wait_until

REPLY_TS = "1763900060.000100"
CUSTOMER_COMPANY = "T0CUSTOMERCO"


async def customer_asks(bot: Bot) -> None:
    """The customer's first message arrives as Slack's message event (and nowhere else:
    the fake's history does not have it, so a read would find nothing)."""
    event = message_posted(
        user=CUSTOMER,
        channel=SUPPORT_CHANNEL,
        ts=ROOT_TS,
        text="My invoice is wrong",
        user_team=CUSTOMER_COMPANY,
    )
    assert (await bot.send_event(event)).status == 200
    await heard(bot)


async def heard(bot: Bot) -> None:
    """The events sent so far are handled (in Slack, a close comes long after them)."""
    assert await bot.runtime.in_flight.drained(timeout=10)


async def one_survey(bot: Bot) -> store.SurveyRecord:
    await wait_until(lambda: store.all_surveys(bot.workspace.db), what="the survey")
    (survey,) = await store.all_surveys(bot.workspace.db)
    return survey


async def test_a_close_by_reaction_reads_no_history_when_the_root_was_seen(
    bot: Bot, slack: FakeSlack
) -> None:
    await customer_asks(bot)
    await close_by_reaction(bot)
    survey = await one_survey(bot)
    assert survey.customer_id == CUSTOMER and survey.agent_id == AGENT
    assert slack.called("conversations.history") == []


async def test_a_close_by_shortcut_on_a_reply_reads_no_history_when_the_root_was_seen(
    bot: Bot, slack: FakeSlack
) -> None:
    await customer_asks(bot)
    reply = message_posted(user=AGENT, channel=SUPPORT_CHANNEL, ts=REPLY_TS, thread_ts=ROOT_TS)
    await bot.send_event(reply)
    await heard(bot)
    payload = message_shortcut(
        callback_id="close_and_survey",
        user=AGENT,
        channel=SUPPORT_CHANNEL,
        message={"type": "message", "user": AGENT, "ts": REPLY_TS, "thread_ts": ROOT_TS},
    )
    await bot.send_interaction(payload)
    survey = await one_survey(bot)
    assert survey.customer_id == CUSTOMER and survey.thread_ts == ROOT_TS
    assert slack.called("conversations.history") == []


async def test_a_reaction_on_a_seen_reply_closes_nothing_and_reads_nothing(
    bot: Bot, slack: FakeSlack
) -> None:
    await customer_asks(bot)
    await bot.send_event(
        message_posted(user=AGENT, channel=SUPPORT_CHANNEL, ts=REPLY_TS, thread_ts=ROOT_TS)
    )
    await heard(bot)
    await bot.send_event(
        reaction_added(
            user=AGENT,
            reaction="white_check_mark",
            channel=SUPPORT_CHANNEL,
            ts=REPLY_TS,
            item_user=AGENT,
        )
    )
    (notice,) = await slack.wait_for("chat.postEphemeral")
    assert "Only the first message of a conversation can close it." in notice.args["text"]
    assert await store.all_surveys(bot.workspace.db) == []
    assert slack.called("conversations.history") == []


async def test_a_root_from_before_the_install_is_read_once_and_remembered(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "Written before surveybot came")
    await close_by_reaction(bot)
    survey = await one_survey(bot)
    assert survey.customer_id == CUSTOMER
    assert len(slack.called("conversations.history")) == 1
    await close_by_reaction(bot)  # a second reaction: the same close, nothing read again
    await wait_until(lambda: len(slack.called("chat.postEphemeral")) == 2)
    assert len(slack.called("conversations.history")) == 1
