"""auth.test, apps.connections.open, and the OAuth install: the person on Slack's
authorize page (`Installs.authorize`) and the code exchange, oauth.v2.access."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

from sandbox.fake_slack.calls import Call, Method, SlackError, header, token_of
from sandbox.fake_slack.workspace import Workspace

# What the manifest asks for; an install grants it unless a test says otherwise.
DEFAULT_BOT_SCOPE: Final = (
    "channels:history,chat:write,chat:write.public,commands,files:write,groups:history,"
    "im:write,reactions:read,team:read,users:read,users:read.email"
)


def auth_test(ws: Workspace, call: Call) -> dict[str, Any]:
    answer = {
        "url": f"https://{ws.name.lower().replace(' ', '-')}.fake.slack.com/",
        "team": ws.name,
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,  # an org-wide token's is the enterprise id
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": ws.org_wide,
    }
    if ws.enterprise_id is not None:
        answer["enterprise_id"] = ws.enterprise_id
    return answer


def team_info(ws: Workspace, call: Call) -> dict[str, Any]:
    """This workspace, or a company it shares channels with (Slack Connect) by `team`."""
    asked = str(call.args.get("team") or ws.team_id)
    if asked == ws.team_id:
        name = ws.name
    elif asked in ws.companies:
        name = ws.companies[asked]
    else:
        raise SlackError("team_not_found")
    return {"team": {"id": asked, "name": name, "domain": name.lower().replace(" ", "-")}}


def apps_connections_open(ws: Workspace, call: Call) -> dict[str, Any]:
    # Socket Mode needs an app-level token; a bot token is refused like on Slack.
    if not (token_of(call) or "").startswith("xapp-"):
        raise SlackError("not_allowed_token_type")
    host = ws.shared.base_url().removeprefix("http://")
    return {"url": f"ws://{host}/socket"}


METHODS: Final[dict[str, Method]] = {
    "auth.test": auth_test,
    "team.info": team_info,
    "apps.connections.open": apps_connections_open,
}


@dataclass(frozen=True)
class Grant:
    """What a person approved on Slack's install page, waiting for the code exchange."""

    team_id: str
    user_id: str
    scope: str
    redirect_uri: str | None


class AuthorizeRefused(Exception):
    """Slack's authorize page shows an error instead of redirecting (a bad install link)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class Installs:
    """The app's OAuth credentials and the codes Slack handed to its redirect URL."""

    client_id: str = "1000000001.2000000002"
    client_secret: str = "fake-client-secret"
    grants: dict[str, Grant] = field(default_factory=dict)
    # The app settings' Redirect URLs (manifest: oauth_config.redirect_urls).
    redirect_urls: list[str] = field(default_factory=list)
    # Token rotation (app settings, OAuth & Permissions): installs get a refresh token
    # and a bot token that expires after `expires_in` seconds (Slack: 12 hours).
    rotation: bool = False
    expires_in: int = 43_200
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> team
    issued: dict[str, str] = field(default_factory=dict)  # rotated bot token -> team
    refreshes: int = 0  # refresh grants answered (one per expiry, however many replicas)

    def authorize(self, url: str, ws: Workspace, user_id: str, *, allow: bool = True) -> str:
        """A person opens the app's authorize link, picks `ws` and clicks Allow (or Cancel):
        the URL Slack sends their browser back to, with a code (or an error) and the state.

        Refused as Slack's page refuses: another app's client_id, no bot scope, a
        redirect_uri not among the app's Redirect URLs.
        """
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        if query.get("client_id") != self.client_id:
            raise AuthorizeRefused("invalid_client_id")
        scope = query.get("scope", "")
        if not scope:
            raise AuthorizeRefused("invalid_scope")
        asked = query.get("redirect_uri")
        if asked is not None and asked not in self.redirect_urls:
            raise AuthorizeRefused("bad_redirect_uri")
        redirect = asked or next(iter(self.redirect_urls), None)
        if redirect is None:
            raise AuthorizeRefused("no_redirect_uri")
        back: dict[str, str] = {}
        if allow:
            back["code"] = self.grant(ws, user_id, scope=scope, redirect_uri=asked)
        else:
            back["error"] = "access_denied"
        if "state" in query:
            back["state"] = query["state"]
        return f"{redirect}?{urlencode(back)}"

    def grant(
        self,
        ws: Workspace,
        user_id: str,
        *,
        scope: str = DEFAULT_BOT_SCOPE,
        redirect_uri: str | None = None,
    ) -> str:
        """A person installs the app in `ws`: the one-time code the redirect carries."""
        code = f"{ws.team_id}.{secrets.token_hex(4)}.{secrets.token_hex(16)}"
        self.grants[code] = Grant(ws.team_id, user_id, scope, redirect_uri)
        return code

    def exchange(self, call: Call, workspaces: Mapping[str, Workspace]) -> dict[str, Any]:
        """oauth.v2.access: the code for the workspace's bot token, in Slack's shape."""
        client_id, client_secret = self._client(call)
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        if call.args.get("grant_type") == "refresh_token":
            return self._refresh(call, workspaces)
        code = str(call.args.get("code") or "")
        # A code works once: Slack answers a second exchange as an invalid code.
        grant = self.grants.pop(code, None)
        if grant is None:
            raise SlackError("invalid_code")
        redirect_uri = call.args.get("redirect_uri")
        if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        ws = workspaces[grant.team_id]
        enterprise = (
            {"id": ws.enterprise_id, "name": ws.enterprise_name or ws.enterprise_id}
            if ws.enterprise_id is not None
            else None
        )
        return {
            **self._rotating(ws),
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": ws.bot_user_id,
            "app_id": ws.shared.app_id,
            # An org-wide install on Enterprise Grid names no team, only its enterprise.
            "team": None if ws.org_wide else {"id": ws.team_id, "name": ws.name},
            "enterprise": enterprise,
            "authed_user": {"id": grant.user_id},
            "is_enterprise_install": ws.org_wide,
        }

    def _rotating(self, ws: Workspace) -> dict[str, Any]:
        """The access token; with rotation on, a new expiring one and its refresh token."""
        if not self.rotation:
            return {"access_token": ws.bot_token}
        token = f"xoxe.xoxb-{ws.team_id.lower()}-{secrets.token_hex(6)}"
        refresh = f"xoxe-1-{secrets.token_hex(12)}"
        self.issued[token] = ws.team_id
        self.refresh_tokens[refresh] = ws.team_id
        return {"access_token": token, "refresh_token": refresh, "expires_in": self.expires_in}

    def _refresh(self, call: Call, workspaces: Mapping[str, Workspace]) -> dict[str, Any]:
        """grant_type=refresh_token: a refresh token works once, as on Slack."""
        team = self.refresh_tokens.pop(str(call.args.get("refresh_token") or ""), None)
        if team is None:
            raise SlackError("invalid_refresh_token")
        self.refreshes += 1
        ws = workspaces[team]
        return {
            **self._rotating(ws),
            "token_type": "bot",
            "scope": DEFAULT_BOT_SCOPE,
            "bot_user_id": ws.bot_user_id,
            "app_id": ws.shared.app_id,
            "team": None if ws.org_wide else {"id": ws.team_id, "name": ws.name},
            "enterprise": None,
            "is_enterprise_install": ws.org_wide,
        }

    @staticmethod
    def _client(call: Call) -> tuple[str, str]:
        """Client id and secret: HTTP Basic (what Slack recommends) or form arguments."""
        authorization = header(call, "authorization") or ""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise SlackError("invalid_client_id") from None
            client_id, _, client_secret = decoded.partition(":")
            return client_id, client_secret
        return str(call.args.get("client_id") or ""), str(call.args.get("client_secret") or "")
