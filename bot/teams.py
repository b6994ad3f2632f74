"""The teams file (TOML): one `[[teams]]` table per support team, and the `Team` model
that checks it, and every settings form, field by field."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot import team_checks as check
from bot.i18n import LANGUAGES, N_
from bot.scales import CES
from bot.scoring import DEFAULT_CHURN_PROBABILITY
from bot.setting_fields import (
    Channel,
    Channels,
    Choice,
    Number,
    People,
    Setting,
    Text,
    declared_settings,
)
from storage.vocabulary import ChartKind, Delivery, ExternalDm, SurveyKind


class TeamsFileError(ValueError):
    """The teams file cannot be used; the message names the team and the field."""


# The choices' words are msgids, translated where they are shown.
SURVEYS = (
    (SurveyKind.CSAT.value, N_("CSAT: how satisfied (1–5)")),
    (SurveyKind.CES.value, N_("CES: how easy (1–7)")),
)
DELIVERIES = (
    (Delivery.THREAD.value, N_("In the support thread")),
    (Delivery.DM.value, N_("By direct message")),
)
EXTERNAL_DMS = (
    (ExternalDm.THREAD.value, N_("In the support thread")),
    (ExternalDm.TRY.value, N_("A direct message first, else the thread")),
)
CHARTS = (
    ("native", N_("Slack's native chart")),
    ("image", N_("A PNG image (older clients)")),
    ("none", N_("No chart")),
)
# Shipped languages, by the name each gives itself (the same in every language).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "it": "Italiano",
    "pl": "Polski",
    "zh_Hans": "简体中文",
    "bg": "Български",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
    "ja": "日本語",
    "nl": "Nederlands",
}
LANGUAGE_CHOICE = Choice(
    tuple((code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES), translated=False
)
MOST_LISTED = 100  # channels or leads of one team
# A reminder later than a survey's longest life (90 days) would never go.
REMINDER_LONGEST_HOURS = 90 * 24


class Team(BaseModel):
    """A support team's settings. Each field declares how a lead sees it (a `Setting`:
    label, widget, hint, the checks it can fail), in the settings modal's order; `name`
    is the team's key, never edited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    support_channels: Annotated[
        tuple[str, ...],
        Field(max_length=MOST_LISTED),
        AfterValidator(check.channel_ids),
        Setting(N_("Support channels"), Channels(), optional=True, checks=(check.CHANNEL_ID,)),
    ] = ()
    alert_channel: Annotated[
        str | None,
        AfterValidator(check.channel_id),
        Setting(N_("Alert channel"), Channel(), optional=True, checks=(check.CHANNEL_ID,)),
    ] = None
    digest_channel: Annotated[
        str | None,
        AfterValidator(check.channel_id),
        Setting(N_("Digest channel"), Channel(), optional=True, checks=(check.CHANNEL_ID,)),
    ] = None
    survey: Annotated[
        SurveyKind,
        AfterValidator(check.transactional),
        Setting(N_("Survey"), Choice(SURVEYS), checks=(check.TRANSACTIONAL_SURVEY,)),
    ] = SurveyKind.CSAT
    delivery: Annotated[Delivery, Setting(N_("Delivery"), Choice(DELIVERIES))] = Delivery.THREAD
    # Customers of another company in a shared channel (Slack Connect): Slack rarely lets
    # an app DM them, so they are asked in the thread whatever `delivery` says, unless
    # the team would rather try a DM first.
    external_dm: Annotated[
        ExternalDm,
        Setting(
            N_("Customers from other companies (Slack Connect)"),
            Choice(EXTERNAL_DMS),
            hint=N_("Slack rarely lets an app message people of another company directly"),
        ),
    ] = ExternalDm.THREAD
    language: Annotated[
        str,
        BeforeValidator(check.shipped),
        Setting(N_("Language"), LANGUAGE_CHOICE, checks=(check.UNKNOWN_LANGUAGE,)),
    ] = "en"
    delay_minutes: Annotated[
        int,
        Field(ge=0, le=7 * 24 * 60),
        Setting(N_("Delay after the close (minutes)"), Number(decimal=False)),
    ] = 5
    throttle_days: Annotated[
        int,
        Field(ge=0, le=365),
        Setting(N_("At most one survey per customer every (days)"), Number(decimal=False)),
    ] = 7
    expire_days: Annotated[
        int,
        Field(ge=1, le=90),
        Setting(N_("Surveys expire after (days)"), Number(decimal=False)),
    ] = 7
    # One polite reminder of a survey nobody answered, this many hours after it reached
    # the customer; None sends none. Relational NPS rounds have their own delay.
    reminder_after: Annotated[
        int | None,
        Field(ge=1, le=REMINDER_LONGEST_HOURS),
        Setting(
            N_("Remind once after (hours)"),
            Number(decimal=False),
            hint=N_(
                "one polite reminder if the customer has not answered or written again; "
                "empty sends none"
            ),
            optional=True,
            checks=(check.REMINDER_BEFORE_EXPIRY,),
        ),
    ] = None
    sample_rate: Annotated[
        float,
        Field(ge=0.0, le=1.0),
        Setting(N_("Share of conversations surveyed (0–1)"), Number(decimal=True)),
    ] = 1.0
    quiet_hours: Annotated[
        str | None,
        AfterValidator(check.quiet_hours),
        Setting(
            N_("Quiet hours (customer's time)"),
            Text("20:00-08:00", longest=20),
            hint=N_("HH:MM-HH:MM; leave empty to send at any hour"),
            optional=True,
            checks=(check.QUIET_HOURS_FORMAT,),
        ),
    ] = "20:00-08:00"
    timezone: Annotated[
        str,
        AfterValidator(check.time_zone),
        Setting(
            N_("Team time zone"),
            Text("Europe/Berlin", longest=check.LONGEST_ZONE),
            checks=(check.UNKNOWN_TIMEZONE,),
        ),
    ] = "UTC"
    digest_schedule: Annotated[
        str,
        AfterValidator(check.digest_schedule),
        Setting(
            N_("Weekly digest"),
            Text("mon 09:00", longest=20),
            hint=N_("<day> HH:MM in the team's time zone"),
            checks=(check.DIGEST_SCHEDULE_FORMAT,),
        ),
    ] = "mon 09:00"
    # The score the team aims for: CSAT % (0–100) or mean CES (1–7); digests compare with it.
    target: Annotated[
        float | None,
        Setting(
            N_("Target (CSAT % or mean CES)"),
            Number(decimal=True),
            optional=True,
            checks=(check.TARGET_CSAT, check.TARGET_CES),
        ),
    ] = None
    # How the trend is drawn: Slack's native chart block, a PNG upload, or not at all.
    chart: Annotated[ChartKind, Setting(N_("Trend chart"), Choice(CHARTS))] = ChartKind.NATIVE
    # Revenue at risk: in this ISO 4217 currency, at this chance of losing an unhappy customer.
    currency: Annotated[
        str,
        AfterValidator(check.currency),
        Setting(
            N_("Currency of customer values"),
            Text("USD", longest=10),
            hint=N_("ISO 4217 code, for revenue at risk"),
            checks=(check.CURRENCY_CODE,),
        ),
    ] = "USD"
    churn_probability: Annotated[
        float,
        AfterValidator(check.probability),
        Setting(
            N_("Chance of losing an unhappy customer (0–1)"),
            Number(decimal=True),
            checks=(check.PROBABILITY_RANGE,),
        ),
    ] = DEFAULT_CHURN_PROBABILITY
    # How long customers' words are kept (the scores stay); None: until someone is forgotten.
    retention_days: Annotated[
        int | None,
        Field(ge=1, le=3650),
        Setting(
            N_("Keep customers' comments for (days)"),
            Number(decimal=False),
            hint=N_("empty keeps them until a person is forgotten; scores always stay"),
            optional=True,
        ),
    ] = None
    close_reaction: Annotated[
        str,
        AfterValidator(check.emoji_name),
        Setting(
            N_("Close reaction"),
            Text("white_check_mark", longest=check.LONGEST_REACTION),
            checks=(check.EMOJI_NAME, check.NO_EMOJI),
        ),
    ] = "white_check_mark"
    skip_reaction: Annotated[
        str,
        AfterValidator(check.emoji_name),
        Setting(
            N_("Close without survey"),
            Text("no_entry_sign", longest=check.LONGEST_REACTION),
            checks=(check.EMOJI_NAME, check.NO_EMOJI, check.SAME_EMOJI),
        ),
    ] = "no_entry_sign"
    # Relational NPS rounds (opt-in): when, whom (customers with a conversation closed in
    # the last `nps_active_days`) and over how many days each round is spread.
    nps_schedule: Annotated[
        str | None,
        AfterValidator(check.nps_schedule),
        Setting(
            N_("NPS rounds"),
            Text("every 6 months from 2027-01-11", longest=40),
            hint=N_("every N months from YYYY-MM-DD; leave empty for no NPS rounds"),
            optional=True,
            checks=(check.NPS_SCHEDULE_FORMAT,),
        ),
    ] = None
    nps_active_days: Annotated[
        int,
        Field(ge=1, le=730),
        Setting(N_("NPS asks customers active in the last (days)"), Number(decimal=False)),
    ] = 90
    nps_spread_days: Annotated[
        int,
        Field(ge=1, le=30),
        Setting(N_("Each NPS round is spread over (days)"), Number(decimal=False)),
    ] = 5
    leads: Annotated[
        tuple[str, ...],
        Field(max_length=MOST_LISTED),
        AfterValidator(check.member_ids),
        Setting(
            N_("Leads (may change these settings)"),
            People(),
            optional=True,
            checks=(check.MEMBER_ID,),
        ),
    ] = ()

    @field_validator("target")
    @classmethod
    def _target_on_the_scale(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A mean CES lies on the CES scale; a CSAT % between 0 and 100. `survey` is checked
        # before `target`: when it is wrong itself, it alone is reported.
        survey = info.data.get("survey")
        if value is None or survey is None:
            return value
        if survey is SurveyKind.CES:
            rule, low, high = check.TARGET_CES, CES.lowest, CES.highest
        else:
            rule, low, high = check.TARGET_CSAT, 0, 100
        if not low <= value <= high:
            raise rule.error(value=f"{value:g}", low=low, high=high)
        return value

    @field_validator("reminder_after")
    @classmethod
    def _reminder_before_expiry(cls, value: int | None, info: ValidationInfo) -> int | None:
        # `expire_days` is checked first; when it is wrong itself, it alone is reported.
        return check.reminder_before_expiry(value, info.data.get("expire_days"))

    @field_validator("skip_reaction")
    @classmethod
    def _not_the_close_reaction(cls, value: str, info: ValidationInfo) -> str:
        # Equal, a reaction would always close with a survey: skipping would do nothing.
        return check.another_emoji(value, info.data.get("close_reaction"))

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
        return check.DAYS.index(self.digest_schedule.split()[0])

    @property
    def digest_time(self) -> time:
        return time.fromisoformat(self.digest_schedule.split()[1])


# Every field of Team a lead can change -> how it is shown and checked.
TEAM_SETTINGS = declared_settings(Team, fixed=("name",))


def saved_team(fallback: Team, saved: Mapping[str, Any]) -> tuple[Team, tuple[str, ...]]:
    """A team as saved, and the fields whose saved value a check added since refuses: those
    keep `fallback`'s value, the others stay as saved (leads once read letter by letter,
    'U', '0', 'L'…, give way and let the lead back in). Fields added to Team after the
    row was saved take their defaults."""
    try:
        return Team.model_validate({**saved, "name": fallback.name}), ()
    except ValidationError as exc:
        refused = tuple(dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"]))
    kept = {f: getattr(fallback, f) for f in refused if f in TEAM_SETTINGS}
    return Team.model_validate({**saved, **kept, "name": fallback.name}), refused


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
    return teams_of_tables(data.get("teams"), source)


def teams_of_tables(tables: object, source: str) -> Teams:
    """The [[teams]] tables of a teams file (or of one workspace's section), checked."""
    if not isinstance(tables, list) or not tables:
        raise TeamsFileError(f"{source} has no [[teams]] tables")
    teams: list[Team] = []
    for index, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise TeamsFileError(f"{source}, team #{index}: not a table")
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
