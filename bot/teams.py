"""The teams file (TOML): one `[[teams]]` table per support team."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.i18n import is_currency
from bot.scales import CES, SurveyKind
from bot.scoring import DEFAULT_CHURN_PROBABILITY
from storage.statuses import Delivery

_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_QUIET_HOURS = re.compile(rf"^{_HHMM}-{_HHMM}$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(rf"^({'|'.join(_DAYS)}) {_HHMM}$")
# Public (C), private (G) channels; the API takes ids, and a name can change any day.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")
HOW_TO_FIND_A_CHANNEL_ID = (
    "in Slack, open the channel, click its name at the top; the id (C0123ABCD) "
    "is at the bottom of the About tab"
)


class TeamsFileError(ValueError):
    """The teams file cannot be used; the message names the team and the field."""


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    support_channels: tuple[str, ...] = ()
    alert_channel: str | None = None
    digest_channel: str | None = None
    survey: SurveyKind = SurveyKind.CSAT
    timezone: str = "UTC"
    digest_schedule: str = "mon 09:00"
    delay_minutes: int = Field(default=5, ge=0, le=7 * 24 * 60)
    throttle_days: int = Field(default=7, ge=0, le=365)
    expire_days: int = Field(default=7, ge=1, le=90)
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    quiet_hours: str | None = "20:00-08:00"
    close_reaction: str = "white_check_mark"
    skip_reaction: str = "no_entry_sign"
    delivery: Delivery = Delivery.THREAD
    language: str = "en"
    leads: tuple[str, ...] = ()
    # The score the team aims for: CSAT % (0–100) or mean CES (1–7); digests compare with it.
    target: float | None = None
    # How the trend is drawn: Slack's native chart block, a PNG upload, or not at all.
    chart: Literal["native", "image", "none"] = "native"
    # Revenue at risk: in this ISO 4217 currency, at this chance of losing an unhappy customer.
    currency: str = "USD"
    churn_probability: float = DEFAULT_CHURN_PROBABILITY

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not is_currency(code):
            raise ValueError(
                f"{value!r} is not an ISO 4217 currency code (for example 'USD', 'EUR', 'JPY')"
            )
        return code

    @field_validator("churn_probability")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(
                f"{value:g} is not a probability from 0 to 1 (0.95 means a 95 % chance of "
                "losing an unhappy customer)"
            )
        return value

    @field_validator("survey")
    @classmethod
    def _transactional_only(cls, value: SurveyKind) -> SurveyKind:
        if value not in (SurveyKind.CSAT, SurveyKind.CES):
            raise ValueError(
                "must be 'csat' or 'ces' (NPS is relational, not sent per conversation)"
            )
        return value

    @model_validator(mode="after")
    def _target_on_the_scale(self) -> Team:
        # A mean CES lies on the CES scale; a CSAT % between 0 and 100.
        low, high = (CES.lowest, CES.highest) if self.survey is SurveyKind.CES else (0, 100)
        if self.target is not None and not low <= self.target <= high:
            unit = "a mean CES" if self.survey is SurveyKind.CES else "a CSAT %"
            raise ValueError(f"target: {self.target:g} is not {unit} from {low:g} to {high:g}")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r} (use an IANA name such as 'Europe/Berlin')"
            ) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_format(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _QUIET_HOURS.match(value):
            raise ValueError(f"{value!r} is not 'HH:MM-HH:MM' (for example '20:00-08:00')")
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _schedule_format(cls, value: str) -> str:
        value = value.strip().lower()
        if not _SCHEDULE.match(value):
            raise ValueError(f"{value!r} is not '<day> HH:MM' (for example 'mon 09:00')")
        return value

    @field_validator("support_channels", "alert_channel", "digest_channel")
    @classmethod
    def _channel_ids(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        for channel in (value,) if isinstance(value, str) else value or ():
            if not _CHANNEL_ID.match(channel):
                kind = "a channel name" if channel.startswith("#") else "not a channel id"
                raise ValueError(
                    f"{channel!r} is {kind}; use the channel's id ({HOW_TO_FIND_A_CHANNEL_ID})"
                )
        return value

    @field_validator("close_reaction", "skip_reaction")
    @classmethod
    def _bare_emoji_name(cls, value: str) -> str:
        return value.strip().strip(":")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        if not self.quiet_hours:
            return None
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def digest_weekday(self) -> int:
        return _DAYS.index(self.digest_schedule.split()[0])

    @property
    def digest_time(self) -> time:
        return time.fromisoformat(self.digest_schedule.split()[1])


DEFAULT_TEAM = Team(name="support", delivery=Delivery.DM)


@dataclass(frozen=True)
class Teams:
    """All configured teams, looked up the ways the sources need."""

    teams: tuple[Team, ...]

    def __post_init__(self) -> None:
        if not self.teams:
            raise TeamsFileError("the teams file lists no [[teams]]")

    @property
    def default(self) -> Team:
        return self.teams[0]

    def by_name(self, name: str) -> Team | None:
        return next((t for t in self.teams if t.name == name), None)

    def by_support_channel(self, channel_id: str) -> Team | None:
        return next((t for t in self.teams if channel_id in t.support_channels), None)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        # Checks across fields name their field in the message itself.
        field = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)


def parse_teams(text: str, source: str = "teams file") -> Teams:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TeamsFileError(f"{source} is not valid TOML: {exc}") from None
    tables = data.get("teams")
    if not isinstance(tables, list) or not tables:
        raise TeamsFileError(f"{source} has no [[teams]] tables")
    teams: list[Team] = []
    for index, table in enumerate(tables, start=1):
        label = f"team {table.get('name')!r}" if table.get("name") else f"team #{index}"
        try:
            teams.append(Team.model_validate(table))
        except ValidationError as exc:
            raise TeamsFileError(f"{source}, {label}: {_describe(exc)}") from None
    names = [t.name for t in teams]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TeamsFileError(f"{source}: team name {duplicates[0]!r} is used twice")
    channels = [c for t in teams for c in t.support_channels]
    shared = sorted({c for c in channels if channels.count(c) > 1})
    if shared:
        raise TeamsFileError(f"{source}: support channel {shared[0]} belongs to two teams")
    return Teams(tuple(teams))


def load_teams(path: Path | None) -> Teams:
    """The configured teams, or one DM-only team when no file is given."""
    if path is None:
        return Teams((DEFAULT_TEAM,))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TeamsFileError(f"cannot read teams file {path}: {exc.strerror}") from None
    return parse_teams(text, source=str(path))
