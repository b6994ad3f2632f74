"""The fake workspaces' people and clock, shaped the way the Web API returns them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass
class FakeUser:
    user_id: str
    team_id: str
    name: str = ""
    email: str | None = None
    tz: str = "UTC"
    tz_offset: int | None = None
    locale: str = "en-US"
    is_bot: bool = False
    is_admin: bool = False
    is_owner: bool = False
    # Slack Connect: someone of another company in a shared channel. A stranger is shown
    # in part (users.info: `is_stranger`, no time zone, locale or email); one the token
    # may not see at all gets `user_not_found`. Slack refuses an app's DM to them unless
    # their organisation allows it.
    is_external: bool = False
    is_stranger: bool = False
    visible: bool = True
    dm_allowed: bool = True

    def user_profile(self) -> dict[str, Any]:
        """The `user_profile` a message event carries in a shared channel."""
        name = self.name or self.user_id.lower()
        return {
            "avatar_hash": "g0123456789a",
            "image_72": "https://a.slack-edge.com/avatar-72.png",
            "first_name": name.split()[0],
            "real_name": name,
            "display_name": name,
            "team": self.team_id,
            "name": name.lower().replace(" ", "."),
            "is_restricted": False,
            "is_ultra_restricted": False,
        }

    def stranger_api(self) -> dict[str, Any]:
        """users.info on a stranger: who they are and their team, nothing more."""
        name = self.name or self.user_id.lower()
        return {
            "id": self.user_id,
            "team_id": self.team_id,
            "name": name.lower().replace(" ", "."),
            "deleted": False,
            "is_bot": False,
            "is_app_user": False,
            "is_stranger": True,
            "updated": 1700000000,
            "profile": {
                "real_name": name,
                "display_name": name,
                "avatar_hash": "g0123456789a",
                "team": self.team_id,
            },
        }

    def to_api(self, *, include_locale: bool = False) -> dict[str, Any]:
        """The ``user`` object of users.info / users.lookupByEmail."""
        name = self.name or self.user_id.lower()
        offset, label = _tz_details(self.tz)
        if self.tz_offset is not None:
            offset = self.tz_offset
        profile: dict[str, Any] = {
            "real_name": name,
            "real_name_normalized": name,
            "display_name": name,
            "display_name_normalized": name,
            "team": self.team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        user: dict[str, Any] = {
            "id": self.user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": name,
            "tz": self.tz,
            "tz_label": label,
            "tz_offset": offset,
            "is_admin": self.is_admin or self.is_owner,
            "is_owner": self.is_owner,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "profile": profile,
        }
        # Slack only sends locale when asked (include_locale=true).
        if include_locale:
            user["locale"] = self.locale
        return user


def _tz_details(tz: str) -> tuple[int, str]:
    """Current UTC offset in seconds and a readable label for an IANA zone name."""
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return 0, tz
    delta = now.utcoffset()
    offset = int(delta.total_seconds()) if delta is not None else 0
    return offset, now.tzname() or tz


class TsClock:
    """Message timestamps: wall-clock based, strictly increasing, unique.

    Wall-clock based so that code measuring a message's age sees sensible values
    (and follows time-machine in tests); strictly increasing so ordering is stable.
    """

    def __init__(self) -> None:
        self._last_us = 0

    def next(self) -> str:
        now_us = int(time.time() * 1_000_000)
        self._last_us = max(now_us, self._last_us + 1)
        return format_ts(self._last_us)

    def now(self) -> float:
        return max(time.time(), self._last_us / 1_000_000)


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_key(ts: str) -> int:
    """A message ts as integer microseconds, for sorting and range comparisons."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
