"""Renewing rotating bot tokens before they expire, once per installation.

Token rotation is off unless the app's settings turn it on (and Slack never lets it be
turned off again). When it is on, each bot token lasts 12 hours and its refresh token
works once: one process renews each installation's token, under a lock that other
processes wait on, and they then find the new token in the store instead of refreshing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.installations import Installations
from storage import served
from storage.db import Database

log = logging.getLogger("surveybot.tokens")

# Renewed this long before it expires: a job every few minutes has ample time.
RENEW_BEFORE = timedelta(hours=2)


class TokenRefresher:
    def __init__(
        self,
        db: Database,
        installations: Installations,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        clock: Callable[[], datetime],
        renewed: Callable[[str], Awaitable[None]],
    ) -> None:
        self._db = db
        self._installations = installations
        self._rotator = AsyncTokenRotator(
            client_id=client_id,
            client_secret=client_secret,
            client=AsyncWebClient(base_url=api_url),
        )
        self._clock = clock
        self._renewed = renewed
        # This process renews one installation at a time (its jobs may overlap).
        self._turn = asyncio.Lock()

    async def renew_due(self) -> int:
        """Renew every token expiring within RENEW_BEFORE; answer how many this process did."""
        renewed = 0
        for install in await self._installations.installed():
            if self._due(install.token_expires_at):
                renewed += await self._renew(install.workspace)
        return renewed

    def _due(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at <= self._clock() + RENEW_BEFORE

    async def _renew(self, workspace: str) -> int:
        async with self._turn, served.refreshing_token(self._db, workspace, self._clock()):
            # Read again under the lock: another process may have renewed it meanwhile.
            install = await self._installations.find(workspace)
            if install is None or not self._due(install.token_expires_at):
                return 0
            store = self._installations.installation_store
            bot = await store.async_find_bot(
                enterprise_id=install.enterprise_id,
                team_id=install.team_id,
                is_enterprise_install=install.is_enterprise_install,
            )
            if bot is None:
                return 0
            minutes = int(RENEW_BEFORE.total_seconds() // 60)
            rotated = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=minutes
            )
            if rotated is None:
                return 0
            await store.async_save_bot(rotated)
        log.info("bot token renewed workspace=%s", workspace)
        await self._renewed(workspace)
        return 1
