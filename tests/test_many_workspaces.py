"""One deployment serving two workspaces installed through the OAuth flow: the real bot,
the fake Slack holding both, requests signed as Slack signs them.

Both workspaces use the same channel ids and the same people's ids on purpose: whatever
crossed between them would show.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import pytest_asyncio

from bot.delivery.dispatcher import SURVEY_EVENT_TYPE
from bot.digest.compose import week_containing
from sandbox import FakeSlack, payloads
from sandbox.fake_slack.calls import Call, token_of
from sandbox.fake_slack.workspace import Workspace
from sandbox.signed import HelpdeskSender
from storage import surveys as store
from storage.db import Database
from storage.surveys import SurveyRecord
from tests.databases import empty_postgres
from tests.harness import (
    AGENT,
    ALERT_CHANNEL,
    CUSTOMER,
    DIGEST_CHANNEL,
    SUPPORT_CHANNEL,
    TEAMS_TOML,
    Bot,
    Clock,
    running_bot,
)
from tests.oauth import Browser, oauth_settings
from tests.waiting import wait_until

ONE, TWO = "T0ONE", "T0TWO"
UTC_ZONE = ZoneInfo("UTC")
SECRET_ONE, SECRET_TWO = "webhook-secret-of-one", "webhook-secret-of-two"
ROOT_TS = "1763900000.000100"
# The harness's team everywhere; workspace two has its own, "billing", on the same ids.
TEAMS = f"""{TEAMS_TOML}
[workspaces.{ONE}]
webhook_secret = "{SECRET_ONE}"

[workspaces.{TWO}]
webhook_secret = "{SECRET_TWO}"
{TEAMS_TOML.replace("[[teams]]", f"[[workspaces.{TWO}.teams]]").replace('"support"', '"billing"')}
"""
_events = itertools.count(1)


def into_next_week(clock: Clock) -> None:
    """Tuesday noon of next week (the teams' zone, UTC): the latest digest then covers
    this week, whichever day the test runs (a plain week later, on a Monday before the
    digest's hour, covers last week, from before the teams existed)."""
    this_week = week_containing(clock(), UTC_ZONE)
    clock.set(this_week.end + timedelta(days=1, hours=12))


def add_people(ws: Workspace) -> None:
    ws.add_user(CUSTOMER, name=f"ann of {ws.team_id}", email=f"ann@{ws.team_id.lower()}.example")
    ws.add_user(AGENT, name=f"bo of {ws.team_id}")
    for channel in (SUPPORT_CHANNEL, ALERT_CHANNEL, DIGEST_CHANNEL):
        ws.add_channel(channel)


@pytest_asyncio.fixture
async def shared_postgres(postgres_url: str) -> str:
    """One empty PostgreSQL database for both processes."""
    database = Database(postgres_url)
    await empty_postgres(database)
    await database.dispose()
    return postgres_url


@pytest.fixture
def two_workspaces(slack: FakeSlack) -> tuple[Workspace, Workspace]:
    one = slack.add_workspace(ONE, bot_token="xoxb-one-token")
    two = slack.add_workspace(TWO, bot_token="xoxb-two-token")
    for ws in (one, two):
        add_people(ws)
    return one, two


@pytest_asyncio.fixture
async def many(
    slack: FakeSlack, sqlite_url: str, two_workspaces: tuple[Workspace, Workspace]
) -> AsyncIterator[Bot]:
    async with running_bot(
        slack, sqlite_url, teams_toml=TEAMS, slack_bot_token=None, **oauth_settings(slack)
    ) as running:
        slack.installs.redirect_urls = [f"{running.url}/slack/oauth_redirect"]
        yield running


@pytest_asyncio.fixture
async def installed(
    many: Bot, slack: FakeSlack, two_workspaces: tuple[Workspace, Workspace]
) -> tuple[Workspace, Workspace]:
    """Both workspaces installed through the flow, as their admins would."""
    for ws in two_workspaces:
        await install(many, slack, ws.team_id)
    return two_workspaces


async def install(bot: Bot, slack: FakeSlack, team_id: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        status, page = await Browser(bot, slack, http).install(team_id)
    assert status == 200, page


def envelope(team_id: str, event: dict[str, Any], *, at: float | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": team_id,
        "api_app_id": payloads.APP_ID,
        "type": "event_callback",
        "event_id": f"Ev{next(_events):08d}",
        "event_time": int(at if at is not None else time.time()),
        "authorizations": [{"team_id": team_id, "is_bot": True, "is_enterprise_install": False}],
        "event": event,
    }


async def send(bot: Bot, body: dict[str, Any]) -> int:
    reply = await bot.sender.post(json.dumps(body), "application/json")
    return reply.status


async def close_by_reaction(
    bot: Bot, ws: Workspace, *, root: str = ROOT_TS, customer: str = CUSTOMER
) -> None:
    if customer not in ws.users:
        ws.add_user(customer, name=customer.lower())
    ws.add_message(SUPPORT_CHANNEL, root, customer, "My invoice is wrong")
    event = payloads.reaction_added(
        user=AGENT,
        reaction="white_check_mark",
        channel=SUPPORT_CHANNEL,
        ts=root,
        item_user=customer,
    )
    assert await send(bot, envelope(ws.team_id, event)) == 200


def posts_in(slack: FakeSlack, ws: Workspace, method: str = "chat.postMessage") -> list[Call]:
    return [call for call in slack.called(method) if token_of(call) == ws.bot_token]


def surveys_in(ws: Workspace) -> list[dict[str, Any]]:
    return [
        message
        for messages in ws.messages.values()
        for message in messages
        if message.get("metadata", {}).get("event_type") == SURVEY_EVENT_TYPE
    ]


async def stored(bot: Bot, workspace: str) -> list[SurveyRecord]:
    return [s for s in await store.all_surveys(bot.runtime.db) if s.workspace == workspace]


async def delivered_in(bot: Bot, ws: Workspace, count: int = 1) -> list[SurveyRecord]:
    async def delivered() -> bool:
        return sum(s.status == "delivered" for s in await stored(bot, ws.team_id)) >= count

    await wait_until(delivered, what=f"{count} survey(s) delivered in {ws.team_id}")
    return await stored(bot, ws.team_id)


def click(ws: Workspace, survey: SurveyRecord, score: int, *, team: str) -> dict[str, Any]:
    assert survey.channel_id and survey.message_ts
    message = next(m for m in ws.messages[survey.channel_id] if m["ts"] == survey.message_ts)
    payload = payloads.block_actions(
        channel=survey.channel_id,
        message=message,
        action_id=f"survey_score_{score}",
        user=CUSTOMER,
        thread_ts=message.get("thread_ts"),
        user_team=team,
    )
    payload["team"] = {"id": team, "domain": team.lower()}
    return payload


async def test_two_workspaces_each_close_answer_and_get_their_own_digest_and_home(
    many: Bot, slack: FakeSlack, installed: tuple[Workspace, Workspace]
) -> None:
    one, two = installed
    for ws in installed:
        await close_by_reaction(many, ws)
    (survey_one,) = await delivered_in(many, one)
    (survey_two,) = await delivered_in(many, two)
    # Each survey went out once, with its own workspace's token, into its own thread.
    assert len(surveys_in(one)) == len(surveys_in(two)) == 1
    assert (survey_one.team, survey_two.team) == ("support", "billing")
    assert len(posts_in(slack, one)) == len(posts_in(slack, two)) == 1

    for ws, survey, score in ((one, survey_one, 5), (two, survey_two, 1)):
        reply = await many.send_interaction(click(ws, survey, score, team=ws.team_id))
        assert reply.status == 200

    async def answered() -> bool:
        return all(s.status == "answered" for s in await store.all_surveys(many.runtime.db))

    await wait_until(answered, what="both surveys answered")
    # The low score of two alerts in two only; one's happy customer alerts nobody.
    await wait_until(lambda: bool(two.messages.get(ALERT_CHANNEL)), what="two's alert")
    assert not one.messages.get(ALERT_CHANNEL)

    # Each workspace's Home counts the agent's one answer there (the same id, two people).
    for ws in installed:
        opened = {"type": "app_home_opened", "user": AGENT, "tab": "home", "channel": "D0HOME"}
        assert await send(many, envelope(ws.team_id, opened)) == 200
    await wait_until(lambda: AGENT in one.home_tabs and AGENT in two.home_tabs, what="Homes")
    home_one, home_two = (json.dumps(ws.home_tabs[AGENT]) for ws in installed)
    for home in (home_one, home_two):
        assert "*CSAT*: 1 answer." in home and "2 answers" not in home

    # Each workspace has its own digest job, posting with its own token in its channel,
    # next week (this week's answers are the week it covers).
    into_next_week(many.clock)
    jobs = {job.id: job for job in many.runtime.scheduler.jobs()}
    assert {f"digest:{ONE}:support", f"digest:{TWO}:billing"} <= set(jobs)
    assert not any(job_id.endswith((f"{ONE}:billing", f"{TWO}:support")) for job_id in jobs)
    await jobs[f"digest:{ONE}:support"].func()
    await jobs[f"digest:{TWO}:billing"].func()
    assert one.messages.get(DIGEST_CHANNEL) and two.messages.get(DIGEST_CHANNEL)
    digest_one = json.dumps(one.messages[DIGEST_CHANNEL])
    digest_two = json.dumps(two.messages[DIGEST_CHANNEL])
    assert "billing" in digest_two and "billing" not in digest_one
    assert {token_of(c) for c in posts_in(slack, one)} == {one.bot_token}


async def test_a_forged_click_naming_another_workspace_answers_nothing(
    many: Bot, slack: FakeSlack, installed: tuple[Workspace, Workspace]
) -> None:
    one, two = installed
    await close_by_reaction(many, two)
    (survey_two,) = await delivered_in(many, two)
    # Signed, and naming workspace one, but pointing at workspace two's survey.
    forged = click(two, survey_two, 1, team=ONE)
    reply = await many.send_interaction(forged)
    assert reply.status == 200
    await wait_until(lambda: len(slack.called("chat.postEphemeral")) >= 1, what="a refusal")
    (survey_after,) = await stored(many, TWO)
    assert survey_after.status == "delivered"  # not answered
    assert not two.messages.get(ALERT_CHANNEL) and not one.messages.get(ALERT_CHANNEL)


async def post_close(
    bot: Bot, workspace: str | None, secret: str, body: dict[str, Any]
) -> tuple[int, Any]:
    reply = await HelpdeskSender(bot.http, bot.url, secret).closed(body, workspace=workspace)
    return reply.status, reply.body


CLOSE = {
    "conversation_id": "ZD-7",
    "customer": {"slack_user_id": CUSTOMER},
    "agent": {"slack_user_id": AGENT},
}


async def test_a_webhook_is_for_the_workspace_its_secret_belongs_to(
    many: Bot, slack: FakeSlack, installed: tuple[Workspace, Workspace]
) -> None:
    one, two = installed
    # One's secret, naming workspace two in the body: refused, nothing stored.
    status, body = await post_close(many, ONE, SECRET_ONE, {**CLOSE, "workspace": TWO})
    assert (status, body["error"]) == (
        403,
        "workspace: the signing secret belongs to another workspace",
    )
    # One's secret on two's URL: the signature is two's to give.
    status, _ = await post_close(many, TWO, SECRET_ONE, CLOSE)
    assert status == 401
    # No workspace named: which secret to check is unknown.
    status, body = await post_close(many, None, SECRET_ONE, CLOSE)
    assert status == 400 and "?workspace=" in body["error"]
    assert await store.all_surveys(many.runtime.db) == []
    # Named rightly: the close is two's, the survey goes out in two.
    status, _ = await post_close(many, TWO, SECRET_TWO, {**CLOSE, "workspace": TWO})
    assert status == 202
    (survey,) = await delivered_in(many, two)
    assert survey.team == "billing" and not surveys_in(one)


async def test_after_an_uninstall_nothing_goes_there_and_a_late_revocation_undoes_no_reinstall(
    many: Bot, slack: FakeSlack, installed: tuple[Workspace, Workspace]
) -> None:
    one, two = installed
    # A survey of one still waiting when one uninstalls (its customer is busy with one).
    await close_by_reaction(many, one)
    await delivered_in(many, one)
    before_uninstall = time.time()
    uninstalled = {"type": "app_uninstalled"}
    assert await send(many, envelope(ONE, uninstalled)) == 200

    async def gone() -> bool:
        installs = many.runtime.installed
        assert installs is not None
        served = {ctx.workspace for ctx in installs.in_memory()}
        return ONE not in served and await installs.installations.find(ONE) is None

    await wait_until(gone, what="one's tokens deleted and one served no more")
    posted_in_one = len(posts_in(slack, one))
    await close_by_reaction(many, one, root="1763900001.000100", customer="U0SECOND")
    await close_by_reaction(many, two)
    await delivered_in(many, two)
    assert len(posts_in(slack, one)) == posted_in_one  # nothing more to one
    assert len(await stored(many, ONE)) == 1  # its rows stay; the new close was refused

    # Reinstalled; then a tokens_revoked sent before the reinstall arrives late.
    await install(many, slack, ONE)
    late = {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}
    # Sent before the uninstall (Slack counts event_time in whole seconds).
    assert await send(many, envelope(ONE, late, at=before_uninstall - 2)) == 200
    installs = many.runtime.installed
    assert installs is not None
    assert await installs.installations.find(ONE) is not None
    await close_by_reaction(many, one, root="1763900002.000100", customer="U0NEWCUSTOMER")
    await delivered_in(many, one, count=2)


async def test_an_uninstall_cancels_the_workspaces_waiting_surveys_only(
    slack: FakeSlack, sqlite_url: str, two_workspaces: tuple[Workspace, Workspace]
) -> None:
    waiting = TEAMS.replace("delay_minutes = 0", "delay_minutes = 30")
    async with running_bot(
        slack, sqlite_url, teams_toml=waiting, slack_bot_token=None, **oauth_settings(slack)
    ) as bot:
        slack.installs.redirect_urls = [f"{bot.url}/slack/oauth_redirect"]
        for ws in two_workspaces:
            await install(bot, slack, ws.team_id)
            await close_by_reaction(bot, ws)

        async def both_waiting() -> bool:
            return len(await store.all_surveys(bot.runtime.db)) == 2

        await wait_until(both_waiting, what="two surveys waiting")
        assert await send(bot, envelope(ONE, {"type": "app_uninstalled"})) == 200

        async def cancelled() -> bool:
            return [s.status for s in await stored(bot, ONE)] == ["cancelled"]

        await wait_until(cancelled, what="one's survey cancelled")
        (survey_one,) = await stored(bot, ONE)
        (survey_two,) = await stored(bot, TWO)
        assert survey_one.last_error == "workspace_uninstalled"
        assert survey_two.status == "scheduled"
        # Its data stays until `surveybot forget --workspace` or retention.
        assert survey_one.workspace == ONE


async def test_an_org_wide_install_is_stored_and_serves_the_orgs_requests(
    many: Bot, slack: FakeSlack
) -> None:
    org = slack.add_org("E0ORG", bot_token="xoxb-org-token")
    add_people(org)
    await install(many, slack, "E0ORG")
    org.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "Help")
    event = payloads.reaction_added(
        user=AGENT,
        reaction="white_check_mark",
        channel=SUPPORT_CHANNEL,
        ts=ROOT_TS,
        item_user=CUSTOMER,
    )
    body = envelope("T0ORGMEMBER", event)
    # An org-wide install's events carry the org's authorization, with no team.
    body["enterprise_id"] = "E0ORG"
    body["authorizations"] = [
        {"enterprise_id": "E0ORG", "team_id": None, "is_bot": True, "is_enterprise_install": True}
    ]
    assert await send(many, body) == 200
    (survey,) = await delivered_in(many, org)
    assert survey.workspace == "E0ORG"
    assert {token_of(c) for c in posts_in(slack, org)} == {"xoxb-org-token"}
    # The close's notice to the agent, made with the org's token, names the workspace.
    (notice,) = await slack.wait_for("chat.postEphemeral")
    assert notice.args.get("team_id") == "T0ORGMEMBER"


@pytest.mark.postgres
async def test_two_processes_on_postgresql_serve_two_workspaces_and_send_each_survey_once(
    slack: FakeSlack, shared_postgres: str, two_workspaces: tuple[Workspace, Workspace]
) -> None:
    postgres_url = shared_postgres
    settings = {"slack_bot_token": None, **oauth_settings(slack)}
    async with (
        running_bot(slack, postgres_url, teams_toml=TEAMS, **settings) as first,
        running_bot(slack, postgres_url, teams_toml=TEAMS, **settings) as second,
    ):
        slack.installs.redirect_urls = [
            f"{first.url}/slack/oauth_redirect",
            f"{second.url}/slack/oauth_redirect",
        ]
        await install(first, slack, ONE)
        await install(second, slack, TWO)
        # Closes reach either process; each survey goes out once, from whichever claims it.
        for index, root in enumerate(("1763900000.000100", "1763900001.000100")):
            for ws, bot in ((two_workspaces[0], first), (two_workspaces[1], second)):
                customer = f"U0C{index}"
                ws.add_user(customer, name=customer)
                ws.add_message(SUPPORT_CHANNEL, root, customer, "hello")
                event = payloads.reaction_added(
                    user=AGENT,
                    reaction="white_check_mark",
                    channel=SUPPORT_CHANNEL,
                    ts=root,
                    item_user=customer,
                )
                other = second if bot is first else first
                assert await send(other if index else bot, envelope(ws.team_id, event)) == 200
        for ws in two_workspaces:
            await delivered_in(first, ws, count=2)
        assert slack.surveys_posted() and set(slack.surveys_posted().values()) == {1}
        for ws in two_workspaces:
            assert len(surveys_in(ws)) == 2

        # Both processes run each workspace's digest job: it is posted once per workspace.
        into_next_week(first.clock)
        into_next_week(second.clock)
        counts = []
        for bot in (first, second):
            for job in bot.runtime.scheduler.jobs():
                if job.id.startswith("digest:T0"):
                    await job.func()
            counts.append([len(ws.messages.get(DIGEST_CHANNEL, [])) for ws in two_workspaces])
        assert counts[0] == counts[1] and min(counts[0]) >= 1


async def renew_at_once(*bots: Bot) -> int:
    """Every process's refresher at the same moment, twice each: who renews?"""
    refreshers = [bot.runtime.refresher for bot in bots]
    assert all(refreshers)
    runs = [r.renew_due() for r in refreshers for _ in range(2) if r is not None]
    return sum(await asyncio.gather(*runs))


async def test_a_rotating_token_is_renewed_once_and_then_used(
    many: Bot, slack: FakeSlack, two_workspaces: tuple[Workspace, Workspace]
) -> None:
    one, _ = two_workspaces
    slack.installs.rotation, slack.installs.expires_in = True, 3600  # due within 2 hours
    await install(many, slack, ONE)
    installs = many.runtime.installed
    assert installs is not None
    first = await installs.installations.find(ONE)
    assert first is not None and first.token_expires_at is not None
    slack.installs.expires_in = 43_200
    assert await renew_at_once(many) == 1
    assert slack.installs.refreshes == 1  # a second use of the refresh token would fail
    renewed = await installs.installations.find(ONE)
    assert renewed is not None and renewed.bot_token != first.bot_token
    await close_by_reaction(many, one)
    await delivered_in(many, one)
    tokens = {token_of(call) for call in slack.called("chat.postMessage")}
    assert tokens == {renewed.bot_token}


@pytest.mark.postgres
async def test_two_processes_renew_a_rotating_token_once(
    slack: FakeSlack, shared_postgres: str, two_workspaces: tuple[Workspace, Workspace]
) -> None:
    postgres_url = shared_postgres
    settings = {"slack_bot_token": None, **oauth_settings(slack)}
    slack.installs.rotation, slack.installs.expires_in = True, 3600
    async with (
        running_bot(slack, postgres_url, teams_toml=TEAMS, **settings) as first,
        running_bot(slack, postgres_url, teams_toml=TEAMS, **settings) as second,
    ):
        slack.installs.redirect_urls = [f"{first.url}/slack/oauth_redirect"]
        await install(first, slack, ONE)
        slack.installs.expires_in = 43_200
        assert await renew_at_once(first, second) == 1
        assert slack.installs.refreshes == 1
