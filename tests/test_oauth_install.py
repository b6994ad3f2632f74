"""Installing surveybot through Slack's OAuth flow: the real bot, a browser's requests,
and the fake Slack's authorize page and oauth.v2.access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio
import yaml
from pydantic import ValidationError
from slack_sdk.oauth.installation_store import Installation

from bot.settings import Settings, setting_problem
from bot.slack.installations import Installations
from sandbox import FakeSlack
from storage.db import Database
from tests.harness import Bot, running_bot
from tests.oauth import ADMIN, Browser, oauth_settings

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


@pytest_asyncio.fixture
async def oauth_bot(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    async with running_bot(slack, sqlite_url, **oauth_settings(slack)) as running:
        slack.installs.redirect_urls = [f"{running.url}/slack/oauth_redirect"]
        yield running


@pytest_asyncio.fixture
async def browser(oauth_bot: Bot, slack: FakeSlack) -> AsyncIterator[Browser]:
    # Cookies by hand, as a browser sends them back (aiohttp keeps Secure ones for https).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Browser(oauth_bot, slack, http)


@pytest.fixture
def installations(oauth_bot: Bot, slack: FakeSlack) -> Installations:
    return Installations(oauth_bot.workspace.db, slack.installs.client_id)


def manifest_bot_scopes() -> list[str]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = data["oauth_config"]["scopes"]["bot"]
    assert isinstance(scopes, list)
    return scopes


# --- the pages -------------------------------------------------------------------------


async def test_the_install_page_links_to_slacks_authorize_url_with_the_manifests_bot_scopes(
    browser: Browser, slack: FakeSlack
) -> None:
    status, page = await browser.open_install_page()
    assert status == 200
    assert "<title>Install surveybot</title>" in page
    link = await browser.add_to_slack()
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == slack.base_url
    assert parts.path == "/oauth/v2/authorize"
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["client_id"] == [slack.installs.client_id]
    assert query["scope"][0].split(",") == manifest_bot_scopes()
    assert query.get("user_scope", [""]) == [""]  # no user scopes
    assert query["state"][0] and query["state"][0] in browser.cookie


async def test_an_install_stores_the_workspace_and_shows_what_to_do_next(
    browser: Browser, slack: FakeSlack, installations: Installations
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    status, page = await browser.install(slack.team_id)

    assert status == 200
    assert "surveybot is installed" in page and "Fake Workspace" in page
    assert "/invite @surveybot" in page and "App Home" in page and "Team settings" in page
    assert await installations.bot_token(slack.team_id) == slack.bot_token
    (installed,) = await installations.installed()
    assert installed.workspace == slack.team_id and installed.team_id == slack.team_id
    assert installed.bot_user_id == slack.bot_user_id and not installed.is_enterprise_install
    assert installed.installed_at >= before
    # The code went to SLACK_API_URL (the fake checked the app's credentials).
    assert len(slack.called("oauth.v2.access")) == 1


async def test_two_workspaces_installed_each_find_their_own_token(
    browser: Browser, slack: FakeSlack, installations: Installations
) -> None:
    other = slack.add_workspace("T0OTHER", name="Other Co")
    assert (await browser.install(slack.team_id))[0] == 200
    assert (await browser.install("T0OTHER"))[0] == 200

    assert await installations.bot_token(slack.team_id) == slack.bot_token
    assert await installations.bot_token("T0OTHER") == other.bot_token
    assert other.bot_token != slack.bot_token
    assert {w.workspace for w in await installations.installed()} == {slack.team_id, "T0OTHER"}
    assert await installations.bot_token("T0NEVER") is None


async def test_a_cancelled_install_says_so_and_stores_nothing(
    browser: Browser, slack: FakeSlack, installations: Installations
) -> None:
    status, page = await browser.install(slack.team_id, allow=False)

    assert "surveybot was not installed" in page and "cancelled" in page
    assert 'href="/slack/install">Try again' in page
    assert "Traceback" not in page and "{" not in page.split("<body>")[1]
    assert status == 200
    assert await installations.installed() == []
    assert slack.called("oauth.v2.access") == []


async def test_a_used_or_unknown_state_fails_readably_and_stores_nothing(
    browser: Browser, slack: FakeSlack, installations: Installations
) -> None:
    link = await browser.add_to_slack()
    redirect = slack.authorize(link, slack.team_id, ADMIN)
    assert (await browser.follow(redirect))[0] == 200
    # The same redirect again (a reload, a replay): its state is spent.
    status, page = await browser.follow(redirect)
    assert status == 401 and "expired or was already used" in page
    # A state the bot never issued, with a cookie to match.
    browser.cookie = "slack-app-oauth-state=forged"
    status, page = await browser.follow(
        f"{browser.bot.url}/slack/oauth_redirect?code=x&state=forged"
    )
    assert status == 401 and "expired or was already used" in page
    assert "Try again" in page
    assert len(await installations.installed()) == 1
    assert len(slack.called("oauth.v2.access")) == 1


async def test_a_code_used_twice_fails_readably(
    browser: Browser, slack: FakeSlack, installations: Installations
) -> None:
    other = slack.add_workspace("T0OTHER", name="Other Co")
    first = slack.authorize(await browser.add_to_slack(), other.team_id, ADMIN)
    assert (await browser.follow(first))[0] == 200
    await installations.remove(other.team_id)
    # The spent code, with a fresh state: Slack refuses the exchange.
    code = parse_qs(urlsplit(first).query)["code"][0]
    state = parse_qs(urlsplit(await browser.add_to_slack()).query)["state"][0]
    status, page = await browser.follow(
        f"{browser.bot.url}/slack/oauth_redirect?code={code}&state={state}"
    )

    assert status == 401
    assert "Slack did not accept the installation code" in page and "Try again" in page
    assert await installations.installed() == []


async def test_an_org_wide_install_is_stored_by_its_enterprise_and_links_to_its_workspaces(
    browser: Browser, slack: FakeSlack, installations: Installations
) -> None:
    org = slack.add_org("E0STARSHIP", name="Starship")
    status, page = await browser.install("E0STARSHIP")

    assert status == 200 and "Starship" in page
    add = f"https://app.slack.com/manage/E0STARSHIP/integrations/profile/{slack.app_id}/workspaces/add"
    assert f'href="{add}"' in page
    (installed,) = await installations.installed()
    assert installed.workspace == "E0STARSHIP" and installed.enterprise_id == "E0STARSHIP"
    assert installed.team_id is None and installed.is_enterprise_install
    assert await installations.bot_token("E0STARSHIP") == org.bot_token


async def test_what_slack_names_is_escaped_on_the_pages(browser: Browser, slack: FakeSlack) -> None:
    slack.add_workspace("T0EVIL", name='<script>alert("x")</script>')
    _, page = await browser.install("T0EVIL")
    assert "<script>" not in page and "&lt;script&gt;" in page
    _, page = await browser.follow(
        f"{browser.bot.url}/slack/oauth_redirect?error=%3Cb%3Eno%3C%2Fb%3E&state=x"
    )
    assert "<b>no</b>" not in page and "&lt;b&gt;no&lt;/b&gt;" in page


async def test_one_workspace_mode_has_no_install_pages(bot: Bot) -> None:
    for path in ("/slack/install", "/slack/oauth_redirect?code=x&state=y"):
        status, text = await bot.get(path)
        assert status == 404
        assert "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET" in text


# --- the settings ----------------------------------------------------------------------


def test_oauth_mode_needs_all_three_settings_and_then_no_bot_token() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, slack_client_id="1.2", slack_state_secret="s")
    assert setting_problem(refused.value) == (
        "SLACK_CLIENT_ID and SLACK_STATE_SECRET are set but SLACK_CLIENT_SECRET is not: "
        "installing through Slack's OAuth flow needs all three of SLACK_CLIENT_ID, "
        "SLACK_CLIENT_SECRET, SLACK_STATE_SECRET (or none, for one workspace with "
        "SLACK_BOT_TOKEN)"
    )
    oauth = Settings(
        _env_file=None,
        slack_client_id="1.2",
        slack_client_secret="c",
        slack_state_secret="s",
        slack_signing_secret="x",
    )
    # Each installed workspace's token is in its installation.
    assert oauth.oauth and oauth.missing_for_http() == []
    one = Settings(_env_file=None, slack_signing_secret="x")
    assert not one.oauth and one.missing_for_http() == ["SLACK_BOT_TOKEN"]


# --- the store, on SQLite and PostgreSQL ---------------------------------------------------

CLIENT_ID = "111.222"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def an_install(
    team_id: str | None, at: datetime, *, token: str, enterprise_id: str | None = None
) -> Installation:
    return Installation(
        app_id="A0001",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name=team_id,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write",
        user_id=ADMIN,
        is_enterprise_install=team_id is None,
        installed_at=at,
    )


async def test_a_late_uninstall_does_not_undo_a_reinstall(db: Database) -> None:
    installations = Installations(db, CLIENT_ID)
    store = installations.installation_store
    await store.async_save(an_install("T1", T0, token="xoxb-first"))
    await store.async_save(an_install("T1", T0 + timedelta(hours=1), token="xoxb-again"))
    assert await installations.bot_token("T1") == "xoxb-again"  # the newest install

    # app_uninstalled sent before the reinstall, handled after it: ignored.
    assert not await installations.remove("T1", before=T0 + timedelta(minutes=30))
    assert await installations.bot_token("T1") == "xoxb-again"
    # One sent after it removes every install of the workspace.
    assert await installations.remove("T1", before=T0 + timedelta(hours=2))
    assert await installations.bot_token("T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert not await installations.remove("T1")  # nothing left to remove


async def test_workspaces_are_found_by_team_then_by_org_wide_enterprise(db: Database) -> None:
    installations = Installations(db, CLIENT_ID)
    store = installations.installation_store
    # A workspace of a Grid org installed on its own, and the org installed org-wide.
    await store.async_save(an_install("T1", T0, token="xoxb-t1", enterprise_id="E1"))
    await store.async_save(
        an_install(None, T0 + timedelta(hours=1), token="xoxb-org", enterprise_id="E1")
    )
    await store.async_save(an_install("T2", T0 + timedelta(hours=2), token="xoxb-t2"))
    await Installations(db, "another.app").installation_store.async_save(
        an_install("T3", T0, token="xoxb-not-ours")
    )

    assert await installations.bot_token("T1") == "xoxb-t1"
    assert await installations.bot_token("E1") == "xoxb-org"
    assert await installations.bot_token("T3") is None  # another app's install
    listed = await installations.installed()
    assert [(w.workspace, w.enterprise_id, w.team_id) for w in listed] == [
        ("T2", None, "T2"),
        ("E1", "E1", None),
        ("T1", "E1", "T1"),
    ]
    assert listed[1].is_enterprise_install and listed[0].installed_at == T0 + timedelta(hours=2)
    # Removing the org-wide install leaves the workspace installed on its own.
    assert await installations.remove("E1")
    assert await installations.bot_token("T1") == "xoxb-t1"
    assert await installations.bot_token("E1") is None
