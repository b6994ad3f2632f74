"""A person installing surveybot through Slack's OAuth flow, as their browser does it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import aiohttp

from sandbox import FakeSlack
from tests.harness import Bot

ADMIN = "U0ADMIN"


@dataclass
class Browser:
    """A person's browser: follows the bot's pages, keeps the install page's cookie."""

    bot: Bot
    slack: FakeSlack
    http: aiohttp.ClientSession
    cookie: str = ""

    async def open_install_page(self) -> tuple[int, str]:
        async with self.http.get(f"{self.bot.url}/slack/install") as response:
            cookies = SimpleCookie(response.headers.get("Set-Cookie", ""))
            self.cookie = "; ".join(f"{k}={m.value}" for k, m in cookies.items())
            return response.status, await response.text()

    async def add_to_slack(self) -> str:
        """The "Add to Slack" link of the install page."""
        status, page = await self.open_install_page()
        assert status == 200
        found = re.search(r'<a class="button" href="([^"]+)">Add to Slack</a>', page)
        assert found, page
        return html.unescape(found.group(1))

    async def follow(self, url: str) -> tuple[int, str]:
        async with self.http.get(url, headers={"Cookie": self.cookie}) as response:
            assert response.headers["Content-Type"].startswith("text/html")
            return response.status, await response.text()

    async def install(self, team_id: str, *, allow: bool = True) -> tuple[int, str]:
        """Install page, Slack's authorize page (Allow or Cancel), back to the bot."""
        link = await self.add_to_slack()
        return await self.follow(self.slack.authorize(link, team_id, ADMIN, allow=allow))


def oauth_settings(slack: FakeSlack) -> dict[str, Any]:
    return {
        "slack_client_id": slack.installs.client_id,
        "slack_client_secret": slack.installs.client_secret,
        "slack_state_secret": "test-state-secret",
    }
