"""What a lead reads beside a wrong settings value: what to enter, in the team's
language, for every check of the Team model (the modal itself is in test_home.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.home.setting_errors import field_errors
from bot.home.team_settings import check_settings
from bot.home.team_settings_blocks import render_settings_modal
from bot.i18n import LANGUAGES, SOURCE_LANGUAGE, translator
from bot.setting_fields import declared_settings
from bot.teams import TEAM_SETTINGS, Team
from handlers.settings_form import read_settings_form
from sandbox.payloads import input_state

TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]

# Every wrong value a settings form can carry, field by field.
WRONG: list[dict[str, Any]] = [
    {
        "delay_minutes": "-5",
        "throttle_days": "soon",
        "expire_days": "2.5",
        "sample_rate": "half",
        "churn_probability": "1.5",
        "quiet_hours": "8pm",
        "timezone": "Mars/Olympus",
        "digest_schedule": "monday 9",
        "currency": "EURO",
        "target": "120",
        "alert_channel": "#support",
        "digest_channel": "D0DIRECT",
        "chart": "pie",
        "delivery": "email",
        "survey": "nps",
        "close_reaction": None,
    },
    {"survey": "ces", "target": "9"},
    {"survey": None, "support_channels": ("general",)},
    {"language": "bogus", "leads": ("anna",), "close_reaction": "<!channel>"},
    {"leads": "U0LEAD", "close_reaction": "::", "skip_reaction": ":white_check_mark:"},
    {"skip_reaction": "white_check_mark", "timezone": "A" * 256},
]


def errors_in(language: str, submitted: dict[str, Any]) -> dict[str, str]:
    errors = check_settings(Team(name="support", language=language), submitted)
    assert isinstance(errors, dict), errors
    return errors


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_settings_error_is_in_the_teams_language(language: str) -> None:
    for submitted in WRONG:
        english = errors_in(SOURCE_LANGUAGE, submitted)
        translated = errors_in(language, submitted)
        assert translated.keys() == english.keys()
        for field, text in translated.items():
            assert text != english[field], f"{language} {field}: {text!r} is English"
            assert "{" not in text and "Input should" not in text


def test_the_english_errors_say_what_to_enter() -> None:
    errors = errors_in(SOURCE_LANGUAGE, WRONG[0])
    # Every field but the target: with the survey wrong, it has no scale to be checked on.
    assert errors == {
        "delay_minutes": "Enter a whole number from 0 to 10,080.",
        "throttle_days": "Enter a whole number from 0 to 365.",
        "expire_days": "Enter a whole number from 1 to 90.",
        "sample_rate": "Enter a number from 0 to 1.",
        "churn_probability": (
            "Enter a number from 0 to 1: 0.95 means a 95% chance of losing an unhappy customer."
        ),
        "quiet_hours": "Use HH:MM-HH:MM, for example 20:00-08:00, or leave it empty.",
        "timezone": "Enter a time zone name, for example Europe/Berlin or America/New_York.",
        "digest_schedule": "Enter a day and a time, for example mon 09:00 "
        "(the day is one of mon, tue, wed, thu, fri, sat, sun).",
        "currency": "Enter a three-letter currency code, for example USD, EUR or JPY.",
        "alert_channel": "Choose a public or private channel from the list.",
        "digest_channel": "Choose a public or private channel from the list.",
        "chart": "Choose one of the options.",
        "delivery": "Choose one of the options.",
        "survey": "Choose CSAT or CES: NPS is sent on a schedule, not after each conversation.",
        "close_reaction": "Fill in this field.",
    }
    assert errors_in(SOURCE_LANGUAGE, {"target": "120"}) == {
        "target": "Enter a CSAT % from 0 to 100, or leave it empty."
    }


def wrong(kind: str | PydanticCustomError, field: str, **ctx: Any) -> ValidationError:
    """An error of a kind no Team field has today, as pydantic reports it."""
    detail: InitErrorDetails = {"type": kind, "loc": (field,), "input": "x"}
    if ctx:
        detail["ctx"] = ctx
    return ValidationError.from_exception_data("Team", [detail])


def test_counted_limits_take_the_plural_form_of_the_language() -> None:
    too_many = wrong("too_long", "leads", field_type="Tuple", max_length=2, actual_length=3)
    assert field_errors(too_many, "pl") == {"leads": "Wybierz najwyżej 2 pozycje."}
    too_short = wrong("string_too_short", "currency", min_length=5)
    assert field_errors(too_short, "pl") == {"currency": "Wpisz co najmniej 5 znaków."}
    assert field_errors(too_short, "en") == {"currency": "Use at least 5 characters."}


def test_a_check_without_its_own_words_reads_as_not_valid_in_the_teams_language() -> None:
    new_check = wrong(PydanticCustomError("brand_new_check", "no words yet"), "currency")
    assert field_errors(new_check, "pl") == {"currency": "Ta wartość jest nieprawidłowa."}
    assert field_errors(new_check, "ja") == {"currency": "この値は無効です。"}
    assert field_errors(new_check, None) == {"currency": "This value is not valid."}


def test_values_that_would_silently_do_nothing_say_what_to_enter() -> None:
    assert errors_in(SOURCE_LANGUAGE, WRONG[3]) == {
        "language": "Choose one of the options.",
        "leads": "Choose people from the list.",
        "close_reaction": "Enter an emoji's name, for example white_check_mark.",
    }
    assert errors_in(SOURCE_LANGUAGE, WRONG[4]) == {
        "leads": "Choose people from the list.",
        "close_reaction": "Enter an emoji's name, for example white_check_mark.",
    }
    assert errors_in(SOURCE_LANGUAGE, WRONG[5]) == {
        "skip_reaction": "Use another emoji than the close reaction.",
        "timezone": "Enter a time zone name, for example Europe/Berlin or America/New_York.",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_emptying_the_leads_is_refused_in_the_teams_language(language: str) -> None:
    team = Team(name="support", language=language, leads=("U0LEAD",))
    errors = check_settings(team, {"leads": ()})
    assert isinstance(errors, dict) and set(errors) == {"leads"}
    english = (
        "Keep at least one lead: with none, only workspace admins could change these settings."
    )
    assert (errors["leads"] == english) == (language == SOURCE_LANGUAGE)
    # A team without leads (admins only) saves as before; handing over is a save too.
    assert isinstance(check_settings(Team(name="support"), {"leads": ()}), Team)
    assert isinstance(check_settings(team, {"leads": ("U0NEXT",)}), Team)


def test_a_team_field_without_its_setting_declared_is_refused_when_the_code_loads() -> None:
    class Forgotten(BaseModel):
        name: str
        colour: str = "blue"

    with pytest.raises(TypeError, match=r"Forgotten\.colour declares no Setting"):
        declared_settings(Forgotten, fixed=("name",))


def test_each_setting_is_shown_and_read_from_its_declaration() -> None:
    """Each field, followed from its declaration through the modal and the form reader
    (Home's change text: test_home.py, through the bot)."""
    team = Team(name="support", language="de", leads=("U0LEAD",))
    modal = render_settings_modal(team, version=1)
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == list(TEAM_SETTINGS)
    for block in inputs:
        setting = TEAM_SETTINGS[block["block_id"]]
        assert block["label"]["text"] == translator("de")(setting.label)
        assert block["optional"] == setting.optional
    # The form as shown reads back as the saved team.
    assert check_settings(team, read_settings_form(input_state(modal))) == team
