"""World state: the workspaces the fake holds, each with its own team, bot, people and
channels, and what the bot posted in it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.fake_slack.calls import Call, SlackError, required
from sandbox.fake_slack.world import FakeUser, TsClock


@dataclass
class PendingFile:
    filename: str
    length: int
    alt_txt: str | None
    content: bytes | None = None


@dataclass
class Shared:
    """What every workspace of one fake Slack shares: the app, ids, clock and upload slots."""

    app_id: str
    base_url: Callable[[], str]
    clock: TsClock = field(default_factory=TsClock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    used_triggers: set[str] = field(default_factory=set)
    # views.open / views.push calls refused because their trigger_id had expired.
    expired_triggers: list[Call] = field(default_factory=list)
    trigger_lifetime: float = 3.0  # a trigger_id works for 3 s after the click
    # trigger_id -> the user who clicked, for the triggers the browser sandbox issues.
    trigger_users: dict[str, str] = field(default_factory=dict)
    files: dict[str, PendingFile] = field(default_factory=dict)
    missing_text_fallback: list[Call] = field(default_factory=list)

    def next_id(self, prefix: str, width: int = 10) -> str:
        return f"{prefix}{next(self.ids):0{width}d}"


@dataclass
class ViewStore:
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    id_by_external: dict[str, str] = field(default_factory=dict)
    home_id_by_user: dict[str, str] = field(default_factory=dict)
    user_by_id: dict[str, str] = field(default_factory=dict)  # whose modal it is


@dataclass
class Workspace:
    """One Slack workspace with the app installed: a team, its bot token and user."""

    shared: Shared
    team_id: str
    name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    # What the bot posted, per channel, in order (updated in place by chat.update).
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    home_tabs: dict[str, dict[str, Any]] = field(default_factory=dict)  # user -> last view
    uploads: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, FakeUser] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    dms: dict[str, str] = field(default_factory=dict)  # sorted joined user ids -> D/G id
    history: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # ch -> ts -> m
    view_store: ViewStore = field(default_factory=ViewStore)
    # Called with (channel, message) whenever anything is posted or changed (the browser).
    listeners: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    # Enterprise Grid: the org this workspace belongs to. `org_wide`: this "workspace" is
    # an org-wide install's token holder, its team_id the enterprise id (no team of its own).
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    org_wide: bool = False
    # Slack Connect: the companies this workspace shares channels with, team id -> name.
    companies: dict[str, str] = field(default_factory=dict)

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        email: str | None = None,
        tz: str = "UTC",
        tz_offset: int | None = None,
        locale: str = "en-US",
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        self.users[user_id] = FakeUser(
            user_id=user_id,
            team_id=self.team_id,
            name=name,
            email=email,
            tz=tz,
            tz_offset=tz_offset,
            locale=locale,
            is_bot=is_bot,
            is_admin=is_admin,
            is_owner=is_owner,
        )

    def add_external_user(
        self,
        user_id: str,
        *,
        team_id: str,
        name: str = "",
        locale: str = "en-US",
        tz: str = "UTC",
        stranger: bool = False,
        visible: bool = True,
        dm_allowed: bool = False,
        company: str | None = None,
    ) -> FakeUser:
        """Someone of another company (`team_id`, named `company`) in this workspace's
        shared channels."""
        if company is not None:
            self.companies[team_id] = company
        user = self.users[user_id] = FakeUser(
            user_id=user_id,
            team_id=team_id,
            name=name,
            tz=tz,
            locale=locale,
            is_external=True,
            is_stranger=stranger,
            visible=visible,
            dm_allowed=dm_allowed,
        )
        return user

    def refuses_dm(self, user_id: str) -> bool:
        """Slack does not let the app DM this person (another company's, by default)."""
        user = self.users.get(user_id)
        return user is not None and user.is_external and not user.dm_allowed

    def add_channel(
        self,
        channel_id: str,
        name: str = "",
        *,
        is_private: bool = False,
        bot_is_member: bool = True,
        is_archived: bool = False,
    ) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "is_private": is_private,
            "is_member": bot_is_member,
            "is_archived": is_archived,
        }

    def add_message(
        self,
        channel: str,
        ts: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A message someone (not the bot) wrote, as history will show it."""
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        message.update(fields)
        self.channels.setdefault(channel, {"id": channel, "name": channel.lower()})
        self.history.setdefault(channel, {})[ts] = message
        self.changed(channel, message)
        return message

    def changed(self, channel: str, message: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(channel, message)

    def posted_by_bot(self, channel: str, message: dict[str, Any]) -> None:
        self.messages.setdefault(channel, []).append(message)
        self.history.setdefault(channel, {})[message["ts"]] = message
        self.changed(channel, message)

    def dm_channel(self, users_key: str) -> str:
        """The stable D… (one user) or G… (several) conversation id for a set of users."""
        if users_key not in self.dms:
            prefix = "G" if "," in users_key else "D"
            channel_id = self.shared.next_id(prefix, 8)
            self.dms[users_key] = channel_id
            self.channels[channel_id] = {"id": channel_id, "name": "", "is_im": prefix == "D"}
        return self.dms[users_key]

    def resolve_channel(self, channel: str) -> str:
        # Like Slack, posting to a user id posts into the bot's DM with that user; one
        # Slack will not let the app DM (another company's) is no channel it can post to.
        if channel[:1] in ("U", "W"):
            if self.refuses_dm(channel):
                raise SlackError("channel_not_found")
            return self.dm_channel(channel)
        return channel

    def known_channel(self, call: Call) -> str:
        channel = required(call, "channel", error="channel_not_found")
        if channel not in self.channels and channel not in self.history:
            raise SlackError("channel_not_found")
        return channel

    def forget_posts(self) -> None:
        """Forget what the bot posted and showed; keep people, channels and their messages."""
        self.ephemerals.clear()
        self.views.clear()
        self.home_tabs.clear()
        self.uploads.clear()
        self.view_store = ViewStore()
        for channel, posted in self.messages.items():
            history = self.history.get(channel, {})
            for message in posted:
                history.pop(message["ts"], None)
        self.messages.clear()
