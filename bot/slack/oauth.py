"""Slack's OAuth install flow, run by bolt: /slack/install and /slack/oauth_redirect.

bolt issues the state, builds Slack's authorize URL, exchanges the code
(oauth.v2.access) and saves the installation in slack_sdk's store; surveybot gives it
the scopes, the stores on our engine, an API client on SLACK_API_URL and its own pages.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urljoin

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.install_pages import (
    ADD_TO_WORKSPACES_URL,
    failed_page,
    install_page,
    installed_page,
)
from bot.slack.installations import Installations

log = logging.getLogger("surveybot.oauth")

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

# The bot scopes manifest.yml asks for, in its order (tests/test_manifest.py holds the two
# equal). A constant, not a read of manifest.yml: the installed bot ships without it.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "users:read.email",
    "reactions:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "im:history",
    "files:write",
    "team:read",
)

_HTML = {"Content-Type": "text/html; charset=utf-8"}


NewInstall = Callable[[str | None, str | None], Awaitable[None]]


async def _installed(args: AsyncSuccessArgs, on_installed: NewInstall | None) -> BoltResponse:
    installation = args.installation
    org_wide = bool(installation.is_enterprise_install)
    log.info(
        "installed workspace=%s enterprise=%s org_wide=%s",
        installation.team_id,
        installation.enterprise_id,
        org_wide,
    )
    add_to_workspaces = (
        ADD_TO_WORKSPACES_URL.format(
            enterprise_id=installation.enterprise_id, app_id=installation.app_id
        )
        if org_wide
        else None
    )
    if on_installed is not None:
        # By its team id, or for an org-wide install by its org: served from now on.
        await on_installed(None if org_wide else installation.team_id, installation.enterprise_id)
    name = installation.enterprise_name if org_wide else installation.team_name
    page = installed_page(name, add_to_workspaces=add_to_workspaces)
    return BoltResponse(status=200, body=page, headers=dict(_HTML))


async def _failed(args: AsyncFailureArgs) -> BoltResponse:
    # The reason only: the error may carry a request's details, never a token though.
    log.info("install failed reason=%s", args.reason)
    page = failed_page(args.reason, args.settings.install_path)
    return BoltResponse(status=args.suggested_status_code, body=page, headers=dict(_HTML))


class InstallFlow(AsyncOAuthFlow):
    """bolt's flow with surveybot's install page."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return install_page(url)


def authorize_url(api_url: str) -> str:
    """Slack's authorize page beside its API: slack.com, slack-gov.com (GovSlack), a fake."""
    return urljoin(api_url, "../oauth/v2/authorize")


def install_flow(
    settings: Settings, installations: Installations, on_installed: NewInstall | None = None
) -> InstallFlow:
    """The flow for bolt's AsyncApp(oauth_flow=...), in OAuth mode only."""
    assert settings.slack_client_id and settings.slack_client_secret
    return InstallFlow(
        # oauth.v2.access and auth.test on SLACK_API_URL (GovSlack, the fake Slack).
        client=AsyncWebClient(base_url=settings.api_url),
        settings=AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            authorization_url=authorize_url(settings.api_url),
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            installation_store=installations.installation_store,
            state_store=installations.state_store,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            callback_options=AsyncCallbackOptions(
                success=functools.partial(_installed, on_installed=on_installed),
                failure=_failed,
            ),
        ),
    )
