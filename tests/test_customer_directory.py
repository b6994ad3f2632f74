"""Names, DM channels and links are asked of Slack once, remembered a while, and not forever."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.digest.compose import covered_week
from bot.digest.job import post_team_digest
from bot.slack.customers import CustomerDirectory, PeopleCaches
from sandbox import FakeSlack
from tests.answering import block_actions, delivered_survey, score_click, view_submission
from tests.harness import AGENT, ALERT_CHANNEL, CUSTOMER, Bot, Clock, running_bot
from tests.test_follow_up_and_alerts import (
    LEAD,
    alert_message,
    everything_posted,
    low_score_with_alert,
)
from tests.waiting import wait_until


def asked_about(slack: FakeSlack, method: str, user: str) -> int:
    key = "users" if method == "conversations.open" else "user"
    return len([c for c in slack.called(method) if c.args.get(key) == user])


async def test_the_weekly_digest_reaches_an_agent_through_the_dm_already_known(
    bot: Bot, slack: FakeSlack
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 5))
    await slack.wait_for("views.open")
    await bot.send_interaction(view_submission(slack.views[-1], comment="Quick and kind"))
    await wait_until(lambda: len(slack.called("chat.postMessage")) == 2)
    dm = slack.called("chat.postMessage")[1].args["channel"]  # the kudos, in the agent's DM
    assert dm.startswith("D") and asked_about(slack, "conversations.open", AGENT) == 1

    team = bot.workspace.teams.default
    next_week = bot.workspace.now() + timedelta(days=7)
    # Next week's digest, run by hand; the directory's memory keeps the bot's own clock.
    ctx = replace(bot.workspace, clock=lambda: next_week)
    posts = await post_team_digest(ctx, team, covered_week(next_week, team.zone))

    assert posts > 0
    summaries = [m for m in slack.messages[dm] if "Kudos" not in m.get("text", "")]
    assert len(summaries) == 1  # the agent's private summary, in the kudos' DM
    assert asked_about(slack, "conversations.open", AGENT) == 1


async def test_an_alert_asks_for_the_customers_name_again_once_it_has_expired(
    slack: FakeSlack, sqlite_url: str
) -> None:
    clock = Clock()
    async with running_bot(slack, sqlite_url, clock=clock) as bot:
        await low_score_with_alert(bot, slack)
        assert asked_about(slack, "users.info", CUSTOMER) == 1
        clock.advance(timedelta(hours=7))  # a profile is remembered for 6 hours
        claim = block_actions(
            channel=ALERT_CHANNEL,
            message=alert_message(slack),
            action_id="alert_claim",
            user=LEAD,
        )
        await bot.send_interaction(claim)
        await wait_until(lambda: "is following up" in everything_posted(alert_message(slack)))
    assert asked_about(slack, "users.info", CUSTOMER) == 2
    assert len(slack.called("chat.getPermalink")) == 1  # a link is remembered for a day


async def test_the_directory_forgets_the_least_recently_used_when_full(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    people = ["U0P1", "U0P2", "U0P3"]
    for person in people:
        slack.add_user(person, tz="UTC")
    directory = CustomerDirectory(client, caches=PeopleCaches(max_entries=2))
    for person in people:
        await directory.profile(person)
        await directory.dm_channel(person)
    await directory.profile("U0P3")  # still known
    await directory.profile("U0P1")  # pushed out by the third
    await directory.dm_channel("U0P1")
    assert [asked_about(slack, "users.info", p) for p in people] == [2, 1, 1]
    assert [asked_about(slack, "conversations.open", p) for p in people] == [2, 1, 1]


async def test_workspaces_share_the_process_bound_but_never_each_others_people(
    slack: FakeSlack,
) -> None:
    """The same user id in two workspaces is two people: each directory asks its own
    workspace, and one bound holds both (the oldest entry goes, whichever workspace's)."""
    caches = PeopleCaches(max_entries=3)
    directories = {}
    for team_id, tz in (("T0AAA", "Europe/Berlin"), ("T0BBB", "Asia/Tokyo")):
        ws = slack.add_workspace(team_id)
        ws.add_user("U0SAME", name=f"someone of {team_id}", tz=tz)
        client = AsyncWebClient(token=ws.bot_token, base_url=slack.api_url)
        directories[team_id] = CustomerDirectory(client, caches=caches, workspace=team_id)
    a, b = directories["T0AAA"], directories["T0BBB"]
    assert (await a.profile("U0SAME")).name == "someone of T0AAA"
    assert str((await b.profile("U0SAME")).zone) == "Asia/Tokyo"
    assert str((await a.profile("U0SAME")).zone) == "Europe/Berlin"  # still A's, remembered
    assert len(slack.called("users.info")) == 2
    for n in range(3):  # B's new people push A's entry out of the shared bound
        ws = slack.workspace("T0BBB")
        ws.add_user(f"U0NEW{n}", tz="UTC")
        await b.profile(f"U0NEW{n}")
    await a.profile("U0SAME")
    assert len(slack.called("users.info")) == 2 + 3 + 1
