"""What the bot needs to know about a person in Slack, asked once and remembered a while."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import utcnow

log = logging.getLogger("surveybot.customers")

K = TypeVar("K")
V = TypeVar("V")

HOUR = 3600.0
# A name, time zone or language can change; Slack ids, DM channels and links do not.
PROFILE_SECONDS = 6 * HOUR
STABLE_SECONDS = 24 * HOUR
NO_ACCOUNT_SECONDS = 1 * HOUR
# users.lookupByEmail's answer for an address no account in the workspace has.
NO_ACCOUNT_ERRORS = frozenset({"users_not_found"})
# Each cache holds at most this many people or links in a process, every workspace's
# together; the least recently used go first.
MAX_ENTRIES = 50_000
# users.info's answers for someone the token may not see (a stranger in Slack Connect).
UNSEEN_ERRORS = frozenset({"user_not_found", "user_not_visible"})


@dataclass(frozen=True)
class CustomerProfile:
    user_id: str
    zone: ZoneInfo | None
    locale: str | None
    name: str | None = None  # to show, never to mention
    email: str | None = None  # links the Slack id to a helpdesk's email (users:read.email)
    is_admin: bool = False  # a workspace admin or owner: may see and steer every team
    team_id: str | None = None  # their own company's Slack team (another one in Slack Connect)
    # Slack Connect: someone of another company whom Slack shows the app only in part
    # (`is_stranger`), or not at all (users.info: user_not_found).
    is_stranger: bool = False
    seen_by_slack: bool = True  # False: users.info said it cannot see them


@dataclass(frozen=True)
class SeenAuthor:
    """What a message event says of its author (`user_profile`, `user_team`): all the
    bot learns of a stranger from another company when users.info cannot see them."""

    name: str | None
    team_id: str | None


class _InWorkspace(Generic[K, V]):
    """One workspace's part of a cache the whole process shares: keys carry the
    workspace, so nothing one workspace learned is ever read in another."""

    def __init__(self, cache: TTLCache[tuple[str, K], V], workspace: str) -> None:
        self._cache = cache
        self._workspace = workspace

    def get(self, key: K) -> V | None:
        return self._cache.get((self._workspace, key))

    def __contains__(self, key: K) -> bool:
        return (self._workspace, key) in self._cache

    def __getitem__(self, key: K) -> V:
        return self._cache[(self._workspace, key)]

    def __setitem__(self, key: K, value: V) -> None:
        self._cache[(self._workspace, key)] = value

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._cache.pop((self._workspace, key), default)

    def items(self) -> list[tuple[K, V]]:
        return [(key, value) for (ws, key), value in self._cache.items() if ws == self._workspace]


class PeopleCaches:
    """What the customer directories of a process remember, in all: bounded for the
    process, not per workspace (a thousand workspaces share the same entries)."""

    def __init__(
        self, *, clock: Callable[[], datetime] = utcnow, max_entries: int = MAX_ENTRIES
    ) -> None:
        def timer() -> float:
            return clock().timestamp()

        def cache(seconds: float) -> TTLCache[Any, Any]:
            return TTLCache(max_entries, seconds, timer=timer)

        self.profiles = cache(PROFILE_SECONDS)
        self.emails = cache(STABLE_SECONDS)
        # An address without a Slack account may get one (a new hire, an invited guest).
        self.no_account = cache(NO_ACCOUNT_SECONDS)
        self.dm_channels = cache(STABLE_SECONDS)
        self.permalinks = cache(STABLE_SECONDS)
        self.seen_authors = cache(PROFILE_SECONDS)
        # A company's name changes rarely; one it could not be asked (no team:read yet,
        # team_not_found) is remembered as unknown for as long.
        self.companies = cache(STABLE_SECONDS)


class CustomerDirectory:
    """users.info / users.lookupByEmail / conversations.open / chat.getPermalink, remembered.

    conversations.open and users.lookupByEmail are Tier 3 (~50/min): asking once per
    person keeps a busy week of surveys inside the limit, and an alert updated five
    times asks for its customer's name and its conversation's link once. Built once
    per workspace with its client; entries expire on the bot's clock. Many workspaces'
    directories share one `PeopleCaches`, each reading and writing its own keys.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        caches: PeopleCaches | None = None,
        workspace: str = "",
    ) -> None:
        self._client = client
        shared = caches or PeopleCaches(clock=clock)
        self._profiles: _InWorkspace[str, CustomerProfile] = _InWorkspace(
            shared.profiles, workspace
        )
        self._emails: _InWorkspace[str, str] = _InWorkspace(shared.emails, workspace)
        self._no_account: _InWorkspace[str, bool] = _InWorkspace(shared.no_account, workspace)
        self._dm_channels: _InWorkspace[str, str] = _InWorkspace(shared.dm_channels, workspace)
        self._permalinks: _InWorkspace[tuple[str, str], str] = _InWorkspace(
            shared.permalinks, workspace
        )
        self._seen_authors: _InWorkspace[str, SeenAuthor] = _InWorkspace(
            shared.seen_authors, workspace
        )
        self._companies: _InWorkspace[str, str | None] = _InWorkspace(shared.companies, workspace)
        self._own_team: str | None = None

    async def user_id_for_email(self, email: str) -> str:
        key = email.lower()
        user_id = self._emails.get(key)
        if user_id is None:
            try:
                response = await self._client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if exc.response.get("error") in NO_ACCOUNT_ERRORS:
                    self._no_account[key] = True
                raise
            user_id = self._emails[key] = str(response["user"]["id"])
            self._no_account.pop(key, None)
        return user_id

    def known_user_id_for_email(self, email: str) -> str | None:
        """The Slack id of `email` if already looked up; never asks Slack."""
        return self._emails.get(email.lower())

    def known_without_account(self, email: str) -> bool:
        """True when Slack said within the hour that no account has this email."""
        return bool(self._no_account.get(email.lower()))

    def forget(self, slack_ids: Iterable[str], emails: Iterable[str]) -> None:
        """Drop everything remembered about these people (`surveybot forget`)."""
        ids = set(slack_ids)
        for email in emails:
            ids.add(self._emails.pop(email.lower(), "") or "")
            self._no_account.pop(email.lower(), None)
        for user_id in ids - {""}:
            self._profiles.pop(user_id, None)
            self._dm_channels.pop(user_id, None)
            self._seen_authors.pop(user_id, None)
        for email, user_id in list(self._emails.items()):
            if user_id in ids:
                self._emails.pop(email, None)

    def author_seen(self, user_id: str, author: SeenAuthor) -> None:
        """A message event's word on its author, for when users.info cannot see them."""
        if author.name or author.team_id:
            self._seen_authors[user_id] = author

    async def own_team(self) -> str | None:
        """The workspace the token speaks for (auth.test, once): people of another team
        are another company's. None while Slack cannot say."""
        if self._own_team is None:
            try:
                response = await self._client.auth_test()
            except SlackApiError as exc:
                log.warning("auth.test failed error=%s", exc.response.get("error"))
                return None
            self._own_team = str(response.get("team_id") or "") or None
        return self._own_team

    async def company_name(self, team_id: str) -> str | None:
        """The name of a company shared channels connect us to (team.info), or None."""
        if team_id in self._companies:
            return self._companies[team_id]
        name: str | None = None
        try:
            response = await self._client.team_info(team=team_id)
            name = str((response.get("team") or {}).get("name") or "") or None
        except SlackApiError as exc:
            # An install from before team:read was asked for answers missing_scope.
            log.info("team.info failed team=%s error=%s", team_id, exc.response.get("error"))
        self._companies[team_id] = name
        return name

    async def profile(self, user_id: str) -> CustomerProfile:
        cached = self._profiles.get(user_id)
        if cached is not None:
            return cached
        try:
            response = await self._client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            # Without a profile the survey still goes out, in the team's zone and language.
            # Not the user's id: it is usually a customer's.
            error = exc.response.get("error")
            log.warning("users.info failed error=%s", error)
            seen = self._seen_authors.get(user_id)
            return CustomerProfile(
                user_id,
                None,
                None,
                seen.name if seen else None,
                team_id=seen.team_id if seen else None,
                seen_by_slack=error not in UNSEEN_ERRORS,
            )
        user = response["user"]
        zone = None
        try:
            if user.get("tz"):
                zone = ZoneInfo(user["tz"])
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        details = user.get("profile") or {}
        # A stranger's limited profile may lack a name: the message event had one.
        seen = self._seen_authors.get(user_id) or SeenAuthor(None, None)
        name = details.get("real_name") or user.get("real_name") or seen.name
        email = details.get("email")
        profile = CustomerProfile(
            user_id,
            zone,
            user.get("locale"),
            name or user.get("name"),
            str(email).lower() if email else None,
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            team_id=user.get("team_id") or details.get("team") or seen.team_id,
            is_stranger=bool(user.get("is_stranger")),
        )
        self._profiles[user_id] = profile
        return profile

    def known_dm_channel(self, user_id: str) -> str | None:
        """The DM channel if already known: a survey can go to the user id otherwise,
        so a burst of new customers does not queue behind conversations.open (Tier 3)."""
        return self._dm_channels.get(user_id)

    def remember_dm_channel(self, user_id: str, channel: str) -> None:
        if channel.startswith("D"):
            self._dm_channels[user_id] = channel

    async def dm_channel(self, user_id: str) -> str:
        channel = self._dm_channels.get(user_id)
        if channel is None:
            response = await self._client.conversations_open(users=user_id)
            channel = self._dm_channels[user_id] = str(response["channel"]["id"])
        return channel

    async def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a message, or None when Slack will not give one."""
        link = self._permalinks.get((channel, ts))
        if link is None:
            try:
                response = await self._client.chat_getPermalink(channel=channel, message_ts=ts)
            except SlackApiError as exc:
                log.warning(
                    "permalink failed channel=%s error=%s", channel, exc.response.get("error")
                )
                return None
            link = self._permalinks[(channel, ts)] = str(response["permalink"])
        return link
