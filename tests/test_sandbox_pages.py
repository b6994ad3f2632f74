"""The sandbox page shows what each person may see, and what Slack refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.browser import pages
from sandbox.browser.server import ALERTS, ANN, BO, CAST, CHANNELS, SUPPORT, seed_slack
from sandbox.browser.session import Session
from sandbox.fake_slack import FakeSlack
from sandbox.signed import SlackSender


@pytest_asyncio.fixture
async def session() -> AsyncIterator[Session]:
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        seed_slack(slack)
        # Nothing here reaches a bot: the pages are drawn from the fake's state alone.
        yield Session(slack, SlackSender(http, "http://127.0.0.1:9", "unused"), CAST, CHANNELS)


def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def test_an_ephemeral_message_shows_only_to_its_person(session: Session) -> None:
    await client(session.slack).chat_postEphemeral(
        channel=SUPPORT, user=ANN, text="Your answer: *2*. Only you can see this message."
    )
    assert "Only you can see this message" in pages.conversation(session, ANN, SUPPORT)
    assert "Only visible to you" in pages.conversation(session, ANN, SUPPORT)
    assert "Only you can see this message" not in pages.conversation(session, BO, SUPPORT)


async def test_what_slack_refuses_is_in_the_log_pane_with_slacks_error(session: Session) -> None:
    web = client(session.slack)
    too_many: list[dict[str, Any]] = [{"type": "divider"}] * 51
    attempts = [
        web.api_call("chat.scheduleMeeting"),
        web.chat_postMessage(channel=ALERTS, text="blocks", blocks=too_many),
        web.views_open(trigger_id="", view={"type": "modal"}),
    ]
    for attempt in attempts:
        with pytest.raises(SlackApiError):
            await attempt
    await web.chat_postMessage(channel=ALERTS, text="fine")
    log = pages.log_pane(session)
    assert "✗ chat.scheduleMeeting → unknown_method" in log
    assert "✗ chat.postMessage → invalid_blocks" in log and "51 blocks" in log
    assert "✗ views.open → invalid_arguments" in log
    assert "✓ chat.postMessage" in log


async def test_a_reaction_shows_under_its_message_with_who_reacted(session: Session) -> None:
    session.ws.add_message(SUPPORT, "1700000000.000100", ANN, "Help, please")
    with pytest.raises(aiohttp.ClientConnectionError):
        # The reaction is shown at once; telling the bot fails here, there is none.
        await session.react(BO, SUPPORT, "1700000000.000100", "white_check_mark")
    shown = pages.conversation(session, ANN, SUPPORT)
    assert '<span class=reaction title="Bo Lindqvist">✅ 1</span>' in shown


def test_the_home_tab_is_opened_once_per_visit_not_on_every_refresh(session: Session) -> None:
    assert "/home-open" in pages.page(session, ANN, pages.HOME, None)
    assert "/home-open" not in pages.live(session, ANN, pages.HOME, None)
