"""What the dispatcher needs to know about a customer, from Slack, cached."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("surveybot.customers")


@dataclass(frozen=True)
class CustomerProfile:
    user_id: str
    zone: ZoneInfo | None
    locale: str | None
    name: str | None = None  # to show, never to mention
    is_admin: bool = False  # a workspace admin or owner: may see and steer every team


class CustomerDirectory:
    """users.info / users.lookupByEmail / conversations.open / chat.getPermalink, remembered.

    conversations.open and users.lookupByEmail are Tier 3 (~50/min): asking once per
    person keeps a busy week of surveys inside the limit, and an alert updated five
    times asks for its customer's name and its conversation's link once.
    """

    def __init__(self, client: AsyncWebClient, ttl_seconds: float = 6 * 3600) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._profiles: dict[str, tuple[float, CustomerProfile]] = {}
        self._dm_channels: dict[str, str] = {}
        self._emails: dict[str, str] = {}
        self._permalinks: dict[tuple[str, str], str] = {}

    async def user_id_for_email(self, email: str) -> str:
        key = email.lower()
        if key not in self._emails:
            response = await self._client.users_lookupByEmail(email=email)
            self._emails[key] = response["user"]["id"]
        return self._emails[key]

    async def profile(self, user_id: str) -> CustomerProfile:
        cached = self._profiles.get(user_id)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        try:
            response = await self._client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            # Without a profile the survey still goes out, in the team's zone and language.
            log.warning("users.info failed user=%s error=%s", user_id, exc.response.get("error"))
            return CustomerProfile(user_id, None, None)
        user = response["user"]
        zone = None
        try:
            if user.get("tz"):
                zone = ZoneInfo(user["tz"])
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        name = (user.get("profile") or {}).get("real_name") or user.get("real_name")
        profile = CustomerProfile(
            user_id,
            zone,
            user.get("locale"),
            name or user.get("name"),
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        )
        self._profiles[user_id] = (time.monotonic(), profile)
        return profile

    async def dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            response = await self._client.conversations_open(users=user_id)
            self._dm_channels[user_id] = response["channel"]["id"]
        return self._dm_channels[user_id]

    async def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a message, or None when Slack will not give one."""
        if (channel, ts) not in self._permalinks:
            try:
                response = await self._client.chat_getPermalink(channel=channel, message_ts=ts)
            except SlackApiError as exc:
                log.warning(
                    "permalink failed channel=%s error=%s", channel, exc.response.get("error")
                )
                return None
            self._permalinks[(channel, ts)] = str(response["permalink"])
        return self._permalinks[(channel, ts)]


_directories: dict[tuple[str, str | None], CustomerDirectory] = {}


def directory_for(client: AsyncWebClient) -> CustomerDirectory:
    """The process's directory for this workspace (bolt hands listeners copies of the client)."""
    key = (client.base_url, client.token)
    if key not in _directories:
        _directories[key] = CustomerDirectory(client)
    return _directories[key]
