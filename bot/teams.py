"""The teams file (TOML): one `[[teams]]` table per support team."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from bot.i18n import is_currency
from bot.scales import CES
from bot.scoring import DEFAULT_CHURN_PROBABILITY
from storage.vocabulary import ChartKind, Delivery, SurveyKind

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


# The checks below raise errors with a type and its values (ctx): the teams file shows
# their English message (an operator's), the settings modal words each type in the
# team's language (bot.setting_errors).
QUIET_HOURS_FORMAT = "quiet_hours_format"
UNKNOWN_TIMEZONE = "unknown_timezone"
DIGEST_SCHEDULE_FORMAT = "digest_schedule_format"
CURRENCY_CODE = "currency_code"
PROBABILITY_RANGE = "probability_range"
TRANSACTIONAL_SURVEY = "transactional_survey"
TARGET_RANGE = "target_range"
CHANNEL_ID = "channel_id"


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
    chart: ChartKind = ChartKind.NATIVE
    # Revenue at risk: in this ISO 4217 currency, at this chance of losing an unhappy customer.
    currency: str = "USD"
    churn_probability: float = DEFAULT_CHURN_PROBABILITY

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not is_currency(code):
            raise PydanticCustomError(
                CURRENCY_CODE,
                "{value} is not an ISO 4217 currency code (for example 'USD', 'EUR', 'JPY')",
                {"value": repr(value)},
            )
        return code

    @field_validator("churn_probability")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise PydanticCustomError(
                PROBABILITY_RANGE,
                "{value} is not a probability from {low} to {high} (0.95 means a 95 % chance "
                "of losing an unhappy customer)",
                {"value": f"{value:g}", "low": 0, "high": 1},
            )
        return value

    @field_validator("survey")
    @classmethod
    def _transactional_only(cls, value: SurveyKind) -> SurveyKind:
        if value not in (SurveyKind.CSAT, SurveyKind.CES):
            raise PydanticCustomError(
                TRANSACTIONAL_SURVEY,
                "must be 'csat' or 'ces' (NPS is relational, not sent per conversation)",
            )
        return value

    @field_validator("target")
    @classmethod
    def _target_on_the_scale(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A mean CES lies on the CES scale; a CSAT % between 0 and 100. `survey` is checked
        # before `target`: when it is wrong itself, it alone is reported.
        survey = info.data.get("survey")
        if value is None or survey is None:
            return value
        low, high = (CES.lowest, CES.highest) if survey is SurveyKind.CES else (0, 100)
        if not low <= value <= high:
            unit = "a mean CES" if survey is SurveyKind.CES else "a CSAT %"
            raise PydanticCustomError(
                TARGET_RANGE,
                "{value} is not {unit} from {low} to {high}",
                {
                    "value": f"{value:g}",
                    "unit": unit,
                    "survey": survey.value,
                    "low": low,
                    "high": high,
                },
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                UNKNOWN_TIMEZONE,
                "unknown timezone {value} (use an IANA name such as 'Europe/Berlin')",
                {"value": repr(value)},
            ) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_format(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _QUIET_HOURS.match(value):
            raise PydanticCustomError(
                QUIET_HOURS_FORMAT,
                "{value} is not 'HH:MM-HH:MM' (for example '20:00-08:00')",
                {"value": repr(value)},
            )
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _schedule_format(cls, value: str) -> str:
        value = value.strip().lower()
        if not _SCHEDULE.match(value):
            raise PydanticCustomError(
                DIGEST_SCHEDULE_FORMAT,
                "{value} is not '<day> HH:MM' (for example 'mon 09:00')",
                {"value": repr(value)},
            )
        return value

    @field_validator("support_channels", "alert_channel", "digest_channel")
    @classmethod
    def _channel_ids(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        for channel in (value,) if isinstance(value, str) else value or ():
            if not _CHANNEL_ID.match(channel):
                kind = "a channel name" if channel.startswith("#") else "not a channel id"
                raise PydanticCustomError(
                    CHANNEL_ID,
                    "{value} is {kind}; use the channel's id ({how})",
                    {"value": repr(channel), "kind": kind, "how": HOW_TO_FIND_A_CHANNEL_ID},
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


class TeamLookup(Protocol):
    """Where the teams are looked up: the file's `Teams`, or a workspace's `TeamDirectory`
    (the teams as saved in the database)."""

    @property
    def teams(self) -> tuple[Team, ...]: ...

    @property
    def default(self) -> Team: ...

    def by_name(self, name: str) -> Team | None: ...

    def by_support_channel(self, channel_id: str) -> Team | None: ...


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
        # In English, as pydantic or the checks above word it: the operator reads it.
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
