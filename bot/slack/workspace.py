"""The workspace behind SLACK_BOT_TOKEN: checked at start, watched by /healthz."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("surveybot.workspace")

# Slack's answers that mean the token itself is unusable; anything else may pass.
TOKEN_REFUSALS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


class TokenRefused(RuntimeError):
    """Slack refuses SLACK_BOT_TOKEN; the message says so in one sentence."""


def refusal_sentence(error: str) -> str:
    return (
        f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-…) "
        "again from your app's OAuth & Permissions page, or reinstall the app"
    )


def app_token_refusal(error: str) -> str:
    return (
        f"Slack refused SLACK_APP_TOKEN ({error}): generate an app-level token (xapp-…) "
        "with the connections:write scope under Basic Information -> App-Level Tokens"
    )


async def check_app_token(api_url: str, app_token: str) -> None:
    """Socket Mode's client retries a refused app token forever: ask Slack once first."""
    client = AsyncWebClient(base_url=api_url)
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        if error in TOKEN_REFUSALS or error in ("not_allowed_token_type", "invalid_token"):
            raise TokenRefused(app_token_refusal(error)) from None
    except OSError:
        pass  # Slack unreachable: Socket Mode's own retries are the right answer


@dataclass
class Workspace:
    """Who the token speaks for, and whether Slack still accepts it."""

    client: AsyncWebClient
    # /healthz asks Slack at most this often: a probe may run every few seconds.
    recheck_seconds: float = 60.0
    team_id: str | None = None
    token_error: str | None = None
    _checked_at: float = 0.0

    async def verify(self) -> None:
        """At start: refuse a token Slack refuses; start anyway if Slack is only unreachable."""
        try:
            response = await self.client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            if error in TOKEN_REFUSALS:
                raise TokenRefused(refusal_sentence(error)) from None
            log.warning("auth.test failed at start error=%s", error)
            return
        except OSError as exc:  # Slack unreachable: the outbox waits, the bot still serves
            log.warning("auth.test unreachable at start error=%s", type(exc).__name__)
            return
        self.team_id = str(response.get("team_id") or "") or None
        self._checked_at = time.monotonic()
        log.info("slack token accepted team=%s", self.team_id)

    async def token_problem(self) -> str | None:
        """Why Slack no longer accepts the token (revoked, uninstalled), or None."""
        if time.monotonic() - self._checked_at < self.recheck_seconds:
            return self.token_error
        self._checked_at = time.monotonic()
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            self.token_error = error if error in TOKEN_REFUSALS else None
        except OSError:
            pass  # unreachable says nothing about the token
        else:
            self.token_error = None
        return self.token_error
