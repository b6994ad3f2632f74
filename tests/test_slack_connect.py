"""Customers from another company in a shared support channel (Slack Connect): surveyed in
the thread, only they may answer, their company is recorded, and their answers count.
Through the real bot against the fake Slack, with signed requests."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from sandbox import FakeSlack
from sandbox.fake_slack.world import FakeUser
from sandbox.payloads import message_posted, reaction_added
from storage import answers, digests
from storage import surveys as store
from storage.db import Database
from storage.surveys import SurveyRecord
from tests.answering import ROOT_TS, block_actions
from tests.harness import AGENT, ALERT_CHANNEL, SUPPORT_CHANNEL, TEAMS_TOML, Bot, running_bot
from tests.waiting import wait_until

CUSTOMER_CO = "T0CUSTOMERCO"
CORA = "U0CORA"  # a customer of CUSTOMER_CO, in our shared support channel
DAN = "U0DAN"  # her colleague, also of CUSTOMER_CO
SECOND_ROOT_TS = "1763900100.000100"
DM_TEAMS = TEAMS_TOML.replace('delivery = "thread"', 'delivery = "dm"')


def teams(**settings: str) -> str:
    return DM_TEAMS + "".join(f'{key} = "{value}"\n' for key, value in settings.items())


@pytest_asyncio.fixture
async def dm_bot(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    """A team that surveys by DM, the external DM left at its default."""
    async with running_bot(slack, sqlite_url, teams_toml=teams()) as running:
        yield running


async def customer_asks(bot: Bot, user: FakeUser, ts: str = ROOT_TS) -> None:
    """Their first message reaches the bot as Slack's event in a shared channel: with
    their own team and profile."""
    event = message_posted(
        user=user.user_id,
        channel=SUPPORT_CHANNEL,
        ts=ts,
        text="Our export fails",
        user_team=user.team_id,
        user_profile=user.user_profile(),
    )
    assert (await bot.send_event(event)).status == 200
    assert await bot.runtime.in_flight.drained(timeout=10)


async def agent_closes(bot: Bot, ts: str = ROOT_TS) -> None:
    await bot.send_event(
        reaction_added(
            user=AGENT, reaction="white_check_mark", channel=SUPPORT_CHANNEL, ts=ts, item_user=None
        )
    )


async def delivered(db: Database, count: int = 1) -> list[SurveyRecord]:
    async def all_delivered() -> bool:
        found = await store.all_surveys(db)
        return len(found) == count and all(s.message_ts for s in found)

    await wait_until(all_delivered, what=f"{count} survey(s) delivered")
    return sorted(await store.all_surveys(db), key=lambda s: s.thread_ts or "")


def click(
    slack: FakeSlack, survey: SurveyRecord, score: int, *, user: str, team: str
) -> dict[str, Any]:
    assert survey.channel_id and survey.message_ts
    return block_actions(
        user=user,
        user_team=team,
        channel=survey.channel_id,
        message=slack.message(survey.channel_id, survey.message_ts),
        action_id=f"survey_score_{score}",
        thread_ts=survey.thread_ts,
    )


async def test_a_slack_connect_customer_is_surveyed_in_the_thread_and_only_they_answer(
    dm_bot: Bot, slack: FakeSlack
) -> None:
    cora = slack.default.add_external_user(CORA, team_id=CUSTOMER_CO, name="Cora Diaz")
    await customer_asks(dm_bot, cora)
    await agent_closes(dm_bot)
    (survey,) = await delivered(dm_bot.workspace.db)

    # In the thread, though the team surveys by DM: Slack would refuse the DM.
    (post,) = slack.called("chat.postMessage")
    assert post.args["channel"] == SUPPORT_CHANNEL and post.args["thread_ts"] == ROOT_TS
    assert survey.delivery == "thread" and survey.customer_team == CUSTOMER_CO
    assert slack.called("conversations.open") == []

    # A colleague of ours clicks: told politely it is not theirs, nothing stored.
    await dm_bot.send_interaction(click(slack, survey, 5, user=AGENT, team=slack.team_id))
    await slack.wait_for("chat.postEphemeral", 2)  # the close notice, then the refusal
    refusal = slack.ephemerals[-1]
    assert refusal["user"] == AGENT and "for someone else" in refusal["text"]
    assert await answers.response_for(dm_bot.workspace.db, survey.id) is None

    # Cora answers; her own team is her company, never the workspace the request names.
    await dm_bot.send_interaction(click(slack, survey, 4, user=CORA, team=CUSTOMER_CO))

    async def answered() -> bool:
        return await answers.response_for(dm_bot.workspace.db, survey.id) is not None

    await wait_until(answered, what="Cora's answer")
    (survey,) = await store.all_surveys(dm_bot.workspace.db)
    assert survey.status == "answered" and survey.customer_team == CUSTOMER_CO

    # The shared thread never shows her score: it went to her alone.
    def thanked() -> bool:
        return (
            "answer was received" in slack.message(SUPPORT_CHANNEL, str(survey.message_ts))["text"]
        )

    await wait_until(thanked, what="the thank-you in the thread")
    thank_you = slack.message(SUPPORT_CHANNEL, str(survey.message_ts))
    assert "Satisfied" not in str(thank_you)

    # Her answer counts for the team like any other: the digest's figures include it.
    now = dm_bot.clock()
    week = (now - timedelta(days=1), now + timedelta(days=1))
    rate = await digests.delivery(dm_bot.workspace.db, "support", *week)
    assert (rate.delivered, rate.answered) == (1, 1)
    (histogram,) = await digests.weekly_histograms(dm_bot.workspace.db, "support", "csat", week)
    assert histogram == {4: 1}


async def test_with_external_dm_try_a_refused_dm_falls_back_to_the_thread_logged_once(
    slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    cora = slack.default.add_external_user(CORA, team_id=CUSTOMER_CO, name="Cora Diaz")
    dan = slack.default.add_external_user(DAN, team_id=CUSTOMER_CO, name="Dan Wu")
    caplog.set_level(logging.INFO, logger="surveybot.slack_connect")
    async with running_bot(slack, sqlite_url, teams_toml=teams(external_dm="try")) as bot:
        await customer_asks(bot, cora)
        await customer_asks(bot, dan, SECOND_ROOT_TS)
        await agent_closes(bot)
        await delivered(bot.workspace.db, 1)
        await agent_closes(bot, SECOND_ROOT_TS)
        surveys = await delivered(bot.workspace.db, 2)

    # A DM was tried for each, Slack refused it, and both went into their threads.
    opened = slack.called("conversations.open")
    assert sorted(c.args["users"] for c in opened) == [CORA, DAN]
    posts = slack.called("chat.postMessage")
    assert sorted(str(p.args.get("thread_ts")) for p in posts) == [ROOT_TS, SECOND_ROOT_TS]
    assert {p.args["channel"] for p in posts} == {SUPPORT_CHANNEL}
    assert [s.delivery for s in surveys] == ["thread", "thread"]
    assert {s.customer_team for s in surveys} == {CUSTOMER_CO}
    said = [r for r in caplog.records if "dm refused" in r.getMessage()]
    assert len(said) == 1, "once per company, not once per survey"
    assert CUSTOMER_CO in said[0].getMessage()
    assert "invalid_user_combination" in said[0].getMessage()


async def test_with_external_dm_try_a_dm_slack_allows_goes_by_dm(
    slack: FakeSlack, sqlite_url: str
) -> None:
    cora = slack.default.add_external_user(CORA, team_id=CUSTOMER_CO, dm_allowed=True)
    async with running_bot(slack, sqlite_url, teams_toml=teams(external_dm="try")) as bot:
        await customer_asks(bot, cora)
        await agent_closes(bot)
        (survey,) = await delivered(bot.workspace.db)
    (post,) = slack.called("chat.postMessage")
    assert post.args["channel"].startswith("D") and "thread_ts" not in post.args
    assert survey.delivery == "dm"


@pytest.mark.parametrize("stranger", ["unseen", "limited"])
async def test_a_stranger_is_named_from_the_event_and_asked_in_the_team_language(
    slack: FakeSlack, sqlite_url: str, stranger: str
) -> None:
    """users.info cannot see them (user_not_found), or shows a stranger with no locale:
    the event's profile names them, the team's language asks them, nothing waits."""
    sam = slack.default.add_external_user(
        CORA,
        team_id=CUSTOMER_CO,
        name="Sam Okafor",
        locale="ja-JP",  # never shown to us: a stranger's locale stays theirs
        stranger=True,
        visible=stranger == "limited",
    )
    async with running_bot(slack, sqlite_url, teams_toml=teams(language="de")) as bot:
        await customer_asks(bot, sam)
        await agent_closes(bot)
        (survey,) = await delivered(bot.workspace.db)
        (post,) = slack.called("chat.postMessage")
        assert post.args["thread_ts"] == ROOT_TS
        assert survey.locale == "de" and survey.customer_team == CUSTOMER_CO
        assert "zufrieden" in post.args["text"].lower()

        await bot.send_interaction(click(slack, survey, 1, user=CORA, team=CUSTOMER_CO))
        alerts = await slack.wait_for("chat.postMessage", 2)
    alert = next(a for a in alerts if a.args["channel"] == ALERT_CHANNEL)
    assert "Sam Okafor" in str(alert.args)
