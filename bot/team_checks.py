"""The rules a team setting's value keeps, each worded twice: in English for the operator
reading the teams file, and as a msgid for the lead reading the settings modal.

Each function here checks one value and raises its `Check`'s error; the `Team` model
(bot.teams) puts them beside its fields, and a field's `Setting` names the checks it
can fail, so bot.home.setting_errors finds the lead's words there. Rules between two fields
(a target on the survey's scale, two different reactions) are the model's own.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import LANGUAGES, N_, is_currency, shipped_language
from bot.setting_fields import Check
from storage.vocabulary import SurveyKind

_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_QUIET_HOURS = re.compile(rf"{_HHMM}-{_HHMM}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(rf"({'|'.join(DAYS)}) {_HHMM}")
# Slack's ids: a letter, then upper-case letters or digits; they may grow, so up to 32
# (the id columns' size). Public (C) and private (G) channels: the API takes ids, and
# a name can change any day. People: U, or W on Enterprise Grid.
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,31}")
_MEMBER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
HOW_TO_FIND_A_CHANNEL_ID = (
    "in Slack, open the channel, click its name at the top; the id (C0123ABCD) "
    "is at the bottom of the About tab"
)
HOW_TO_FIND_A_MEMBER_ID = (
    "in Slack, open their profile, click ⋮ (More) and choose Copy member ID; "
    "it looks like U0123ABCD"
)
# An emoji's name as reactions carry it: Slack's own (+1, e-mail) and custom ones
# (lower-case letters, digits, '-', '_'), maybe with a skin tone.
LONGEST_EMOJI = 100
_EMOJI = re.compile(rf"[\w+'-]{{1,{LONGEST_EMOJI}}}(::skin-tone-[2-6])?")
LONGEST_REACTION = LONGEST_EMOJI + len("::skin-tone-2") + 2  # typed with its colons
LONGEST_ZONE = 64  # IANA names are at most about 30 characters
_LONGEST_LOCALE = 35  # BCP 47 tags in practice


def _shown(value: str) -> str:
    """A wrong value quoted in a sentence, cut to a readable length."""
    return repr(value if len(value) <= 60 else value[:59] + "…")


# Each raises an error with a type and its values: the teams file shows the English
# sentence to the operator, the settings modal the lead's words in the team's language.

QUIET_HOURS_FORMAT = Check(
    "quiet_hours_format",
    "{value} is not 'HH:MM-HH:MM' (for example '20:00-08:00')",
    N_("Use HH:MM-HH:MM, for example 20:00-08:00, or leave it empty."),
)
UNKNOWN_TIMEZONE = Check(
    "unknown_timezone",
    "unknown timezone {value} (use an IANA name such as 'Europe/Berlin')",
    N_("Enter a time zone name, for example Europe/Berlin or America/New_York."),
)
DIGEST_SCHEDULE_FORMAT = Check(
    "digest_schedule_format",
    "{value} is not '<day> HH:MM' (for example 'mon 09:00')",
    N_(
        "Enter a day and a time, for example mon 09:00 "
        "(the day is one of mon, tue, wed, thu, fri, sat, sun)."
    ),
)
CURRENCY_CODE = Check(
    "currency_code",
    "{value} is not an ISO 4217 currency code (for example 'USD', 'EUR', 'JPY')",
    N_("Enter a three-letter currency code, for example USD, EUR or JPY."),
)
PROBABILITY_RANGE = Check(
    "probability_range",
    "{value} is not a probability from {low} to {high} (0.95 means a 95 % chance "
    "of losing an unhappy customer)",
    N_(
        "Enter a number from {low} to {high}: {example} means a {percent} chance of "
        "losing an unhappy customer."
    ),
    percents=("percent",),
)
TRANSACTIONAL_SURVEY = Check(
    "transactional_survey",
    "must be 'csat' or 'ces' (NPS is relational, not sent per conversation)",
    N_("Choose CSAT or CES: NPS is sent on a schedule, not after each conversation."),
)
TARGET_CSAT = Check(
    "target_csat",
    "{value} is not a CSAT % from {low} to {high}",
    N_("Enter a CSAT % from {low} to {high}, or leave it empty."),
)
TARGET_CES = Check(
    "target_ces",
    "{value} is not a mean CES from {low} to {high}",
    N_("Enter a mean CES from {low} to {high}, or leave it empty."),
)
CHANNEL_ID = Check(
    "channel_id",
    "{value} is {kind}; use the channel's id ({how})",
    N_("Choose a public or private channel from the list."),
)
MEMBER_ID = Check(
    "member_id",
    "{value} is not a Slack member id; use the person's id ({how})",
    N_("Choose people from the list."),
)
EMOJI_NAME = Check(
    "emoji_name",
    "{value} is not an emoji name (letters, digits, '_', '-' or '+', at most {longest}; "
    "for example 'white_check_mark')",
    N_("Enter an emoji's name, for example white_check_mark."),
)
NO_EMOJI = Check(
    "no_emoji",
    "is empty, so no reaction would ever match it; name an emoji, for example 'white_check_mark'",
    N_("Enter an emoji's name, for example white_check_mark."),
)
SAME_EMOJI = Check(
    "same_emoji",
    "{value} is the close_reaction too, so no conversation could be closed without a "
    "survey; choose another emoji",
    N_("Use another emoji than the close reaction."),
)
REMINDER_BEFORE_EXPIRY = Check(
    "reminder_after_expiry",
    "{value} hours is not before the surveys expire ({hours} hours: expire_days), so no "
    "reminder would ever go; choose fewer hours",
    N_("Enter fewer hours than a survey stays open ({hours}), or leave it empty."),
)
NPS_SCHEDULE_FORMAT = Check(
    "nps_schedule_format",
    "{value} is not 'every N months from YYYY-MM-DD' (N from 1 to 12; for example "
    "'every 6 months from 2027-01-11')",
    N_(
        "Enter every N months from a date, for example every 6 months from 2027-01-11 "
        "(N from 1 to 12), or leave it empty for no rounds."
    ),
)
UNKNOWN_LANGUAGE = Check(
    "unknown_language",
    "{value} is not a language surveybot speaks (one of {languages})",
    N_("Choose one of the options."),
)


# ------------------------------------------------------------------ one value each


def quiet_hours(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _QUIET_HOURS.fullmatch(value):
        raise QUIET_HOURS_FORMAT.error(value=_shown(value))
    return value


def time_zone(value: str) -> str:
    try:
        if len(value) > LONGEST_ZONE:
            raise ValueError  # no zone's name; the file system would refuse it (OSError)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UNKNOWN_TIMEZONE.error(value=_shown(value)) from None
    return value


def digest_schedule(value: str) -> str:
    value = value.strip().lower()
    if not _SCHEDULE.fullmatch(value):
        raise DIGEST_SCHEDULE_FORMAT.error(value=_shown(value))
    return value


_NPS_SCHEDULE = re.compile(r"every ([1-9]|1[0-2]) months? from (\d{4}-\d{2}-\d{2})")


def nps_schedule(value: str | None) -> str | None:
    """'every 6 months from 2027-01-11': rounds start on that date and every 6 months after."""
    if value is None or not value.strip():
        return None
    text = " ".join(value.strip().lower().split())
    found = _NPS_SCHEDULE.fullmatch(text)
    try:
        if found is None:
            raise ValueError
        date.fromisoformat(found.group(2))
    except ValueError:
        raise NPS_SCHEDULE_FORMAT.error(value=_shown(value)) from None
    return text


def currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise CURRENCY_CODE.error(value=_shown(value))
    return code


def probability(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise PROBABILITY_RANGE.error(value=f"{value:g}", low=0, high=1, example=0.95, percent=0.95)
    return value


def transactional(value: SurveyKind) -> SurveyKind:
    if value not in (SurveyKind.CSAT, SurveyKind.CES):
        raise TRANSACTIONAL_SURVEY.error()
    return value


def shipped(value: Any) -> Any:
    """A shipped language's code: 'pt-BR' or 'DE' in a teams file mean one; 'bogus' none."""
    if not isinstance(value, str) or value in LANGUAGES:
        return value
    language = shipped_language(value) if len(value) <= _LONGEST_LOCALE else None
    if language is None:
        raise UNKNOWN_LANGUAGE.error(value=_shown(value), languages=", ".join(LANGUAGES))
    return language


def channel_id(value: str | None) -> str | None:
    if value is not None and not _CHANNEL_ID.fullmatch(value):
        kind = "a channel name" if value.startswith("#") else "not a channel id"
        raise CHANNEL_ID.error(value=_shown(value), kind=kind, how=HOW_TO_FIND_A_CHANNEL_ID)
    return value


def channel_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        channel_id(value)
    return values


def member_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not _MEMBER_ID.fullmatch(value):
            raise MEMBER_ID.error(value=_shown(value), how=HOW_TO_FIND_A_MEMBER_ID)
    return values


def emoji_name(value: str) -> str:
    """The bare name (':tada:' is 'tada'), as a reaction event carries it."""
    name = value.strip().strip(":")
    if not name:
        raise NO_EMOJI.error()
    if not _EMOJI.fullmatch(name):
        raise EMOJI_NAME.error(value=_shown(value), longest=LONGEST_EMOJI)
    return name


def reminder_before_expiry(value: int | None, expire_days: int | None) -> int | None:
    """A reminder due once its survey has expired would never go."""
    if value is not None and expire_days is not None and value >= expire_days * 24:
        raise REMINDER_BEFORE_EXPIRY.error(value=value, hours=expire_days * 24)
    return value


def another_emoji(value: str, close_reaction: str | None) -> str:
    if value == close_reaction:
        raise SAME_EMOJI.error(value=_shown(value))
    return value
