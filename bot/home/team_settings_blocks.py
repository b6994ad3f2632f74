"""The "Team settings" and "Send me a test survey" modals.

Every setting of the `Team` model has an input block whose block_id is the field's
name, drawn from the field's declaration (bot.setting_fields: label, widget, hint), so
a field error from the model lands beside its field. Reading the form back is
handlers.settings_form's work, checking it bot.home.team_settings'.
"""

from __future__ import annotations

import json
from typing import Any

from bot.i18n import Translate, translator
from bot.setting_fields import Channel, Channels, Choice, Number, People, Setting, Widget
from bot.slack import ids
from bot.teams import LANGUAGE_CHOICE, TEAM_SETTINGS, Team
from bot.text import escape_mrkdwn, truncate

Block = dict[str, Any]


def _option(value: str, text: str) -> Block:
    return {"text": {"type": "plain_text", "text": truncate(text, 75)}, "value": value}


def _select(choice: Choice, current: Any, _: Translate) -> Block:
    options = [
        _option(value, _(text) if choice.translated else text) for value, text in choice.options
    ]
    element: Block = {"type": "static_select", "options": options}
    chosen = next((o for o in options if o["value"] == current), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _channel_filter() -> Block:
    return {"include": ["public", "private"], "exclude_bot_users": True}


def _element(widget: Widget, current: Any, _: Translate) -> Block:
    """The widget filled in with the saved value (as the teams file holds it)."""
    element: Block
    if isinstance(widget, Channels):
        element = {"type": "multi_conversations_select", "filter": _channel_filter()}
        if current:
            element["initial_conversations"] = list(current)
    elif isinstance(widget, Channel):
        element = {"type": "conversations_select", "filter": _channel_filter()}
        if current:
            element["initial_conversation"] = current
    elif isinstance(widget, People):
        element = {"type": "multi_users_select"}
        if current:
            element["initial_users"] = list(current)
    elif isinstance(widget, Choice):
        element = _select(widget, current, _)
    elif isinstance(widget, Number):
        element = {"type": "number_input", "is_decimal_allowed": widget.decimal}
        if current is not None:
            element["initial_value"] = f"{current:g}" if widget.decimal else str(current)
    else:
        element = {
            "type": "plain_text_input",
            "placeholder": {"type": "plain_text", "text": widget.placeholder},
            "max_length": widget.longest,
        }
        if current:
            element["initial_value"] = current
    return element


def _input(field: str, setting: Setting, current: Any, _: Translate) -> Block:
    block: Block = {
        "type": "input",
        "block_id": field,
        "label": {"type": "plain_text", "text": _(setting.label)},
        "element": {**_element(setting.widget, current, _), "action_id": ids.TEAM_SETTING_ACTION},
        "optional": setting.optional,
    }
    if setting.hint:
        block["hint"] = {"type": "plain_text", "text": _(setting.hint)}
    return block


def render_settings_modal(team: Team, version: int) -> Block:
    """Every setting of the team, filled in with what is saved now, in the team's
    language (language names stay as each language calls itself)."""
    _ = translator(team.language)
    saved = team.model_dump(mode="json")
    blocks = [_input(field, setting, saved[field], _) for field, setting in TEAM_SETTINGS.items()]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_TEAM_SETTINGS,
        "private_metadata": json.dumps({"team": team.name, "version": version}),
        "title": {"type": "plain_text", "text": _("Team settings")},
        "submit": {"type": "plain_text", "text": _("Save")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        _(
                            "Settings of *{team}*. Changes apply at once, to the next survey "
                            "and digest; each is kept with who made it."
                        ).format(team=escape_mrkdwn(team.name)),
                        3000,
                    ),
                },
            },
            *blocks,
        ],
    }


def render_not_allowed(text: str, language: str | None = None) -> Block:
    """A refusal; `text` is a msgid, shown in `language`."""
    _ = translator(language)
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NOT_ALLOWED,
        "title": {"type": "plain_text", "text": _("Team settings")},
        "close": {"type": "plain_text", "text": _("Close")},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _(text)}}],
    }


def render_test_survey_modal(team: Team) -> Block:
    _ = translator(team.language)
    return {
        "type": "modal",
        "callback_id": ids.VIEW_TEST_SURVEY,
        "private_metadata": team.name,
        "title": {"type": "plain_text", "text": _("Test survey")},
        "submit": {"type": "plain_text", "text": _("Send it to me")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _(
                        "You get *{team}*'s survey by direct message, exactly as a "
                        "customer would. It is marked as a test and never counted."
                    ).format(team=escape_mrkdwn(team.name)),
                },
            },
            {
                "type": "input",
                "block_id": ids.TEST_SURVEY_LANGUAGE_BLOCK,
                "label": {"type": "plain_text", "text": _("Language")},
                "element": {
                    **_select(LANGUAGE_CHOICE, team.language, _),
                    "action_id": ids.TEST_SURVEY_LANGUAGE_ACTION,
                },
            },
        ],
    }
