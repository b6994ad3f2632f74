"""Reading App Home's forms: Slack's view state -> the plain values bot/ checks.

The settings form is read field by field from each setting's widget (bot.teams'
declarations): what Slack sends for that widget becomes the value the teams file
would hold. Anything else is never reshaped (a bare string where Slack sends a list
is not read letter by letter): it is passed on marked as not from Slack, and the
`Team` model refuses it beside its field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.setting_fields import Channel, Channels, Choice, People, Widget
from bot.slack import ids
from bot.teams import LANGUAGE_CHOICE, TEAM_SETTINGS

_MOST_VERSIONS = 2**31  # PostgreSQL's integer

# Where each list widget's choices are in its state.
_LISTS: dict[type[Widget], str] = {
    Channels: "selected_conversations",
    People: "selected_users",
}


@dataclass(frozen=True)
class NotFromSlack:
    """A state no Slack widget sends (a bare string for a list, a number for a text):
    kept apart so that no field type accepts it and the model refuses it by its field."""

    state: Any


def _read(widget: Widget, state: Mapping[str, Any]) -> Any:
    if isinstance(widget, Channels | People):
        chosen = state.get(_LISTS[type(widget)])
        if chosen is None:
            return ()
        return tuple(chosen) if isinstance(chosen, list) else NotFromSlack(chosen)
    if isinstance(widget, Channel):
        channel = state.get("selected_conversation")
        if channel is None or isinstance(channel, str):
            return channel or None
        return NotFromSlack(channel)
    if isinstance(widget, Choice):
        option = state.get("selected_option")
        if option is None:
            return None
        value = option.get("value") if isinstance(option, dict) else None
        return value if isinstance(value, str) else NotFromSlack(option)
    # number_input, plain_text_input: text; empty means "not set"
    value = state.get("value")
    if value is None or isinstance(value, str):
        return (value or "").strip() or None
    return NotFromSlack(value)


def read_settings_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted settings as the teams file would hold them (unchecked); a field the
    form does not carry keeps its saved value."""
    form: dict[str, Any] = {}
    for field, setting in TEAM_SETTINGS.items():
        block = values.get(field)
        state = block.get(ids.TEAM_SETTING_ACTION) if isinstance(block, dict) else None
        if isinstance(state, dict):
            form[field] = _read(setting.widget, state)
    return form


def settings_metadata(private_metadata: str | None) -> tuple[str, int] | None:
    """(team, version the form was opened at), as the modal put them."""
    try:
        data = json.loads(private_metadata or "")
        team, version = data["team"], data["version"]
    except (ValueError, KeyError, TypeError):
        return None
    # A version is a row's counter: anything else was not written by the modal.
    if not isinstance(team, str) or type(version) is not int or not 0 <= version < _MOST_VERSIONS:
        return None
    return team, version


def read_test_survey_language(values: Mapping[str, Any]) -> str | None:
    """The chosen language when it is one the form offered."""
    block = values.get(ids.TEST_SURVEY_LANGUAGE_BLOCK)
    state = block.get(ids.TEST_SURVEY_LANGUAGE_ACTION) if isinstance(block, dict) else None
    option = state.get("selected_option") if isinstance(state, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) and value in dict(LANGUAGE_CHOICE.options) else None
