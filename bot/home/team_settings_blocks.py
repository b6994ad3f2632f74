"""The "Team settings" and "Send me a test survey" modals, and reading them back.

Every field of the teams file has an input block whose block_id is the field's
name, so a field error from the Team model lands beside its field. Reading the form
turns Slack's state into the raw values the teams file would hold; checking them is
bot.team_settings' work.
"""

from __future__ import annotations

import json
from typing import Any

from bot.i18n import LANGUAGES as SHIPPED
from bot.i18n import N_, Translate, translator
from bot.slack import ids
from bot.teams import Team
from bot.text import escape_mrkdwn, truncate

Block = dict[str, Any]

# Shipped languages, by the name each gives itself.
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
LANGUAGES: dict[str, str] = {code: LANGUAGE_NAMES.get(code, code) for code in SHIPPED}
# The choices' texts are msgids, translated where the modal is drawn.
SURVEYS = {"csat": N_("CSAT: how satisfied (1–5)"), "ces": N_("CES: how easy (1–7)")}
DELIVERIES = {"thread": N_("In the support thread"), "dm": N_("By direct message")}
CHARTS = {
    "native": N_("Slack's native chart"),
    "image": N_("A PNG image (older clients)"),
    "none": N_("No chart"),
}

# Each field's label (msgids): in the modal, and in the Home's "last settings change".
FIELD_LABELS: dict[str, str] = {
    "support_channels": N_("Support channels"),
    "alert_channel": N_("Alert channel"),
    "digest_channel": N_("Digest channel"),
    "survey": N_("Survey"),
    "delivery": N_("Delivery"),
    "language": N_("Language"),
    "delay_minutes": N_("Delay after the close (minutes)"),
    "throttle_days": N_("At most one survey per customer every (days)"),
    "expire_days": N_("Surveys expire after (days)"),
    "sample_rate": N_("Share of conversations surveyed (0–1)"),
    "quiet_hours": N_("Quiet hours (customer's time)"),
    "timezone": N_("Team time zone"),
    "digest_schedule": N_("Weekly digest"),
    "target": N_("Target (CSAT % or mean CES)"),
    "chart": N_("Trend chart"),
    "currency": N_("Currency of customer values"),
    "churn_probability": N_("Chance of losing an unhappy customer (0–1)"),
    "close_reaction": N_("Close reaction"),
    "skip_reaction": N_("Close without survey"),
    "leads": N_("Leads (may change these settings)"),
}
# The fields chosen from a list: each value's words (msgids).
CHOICES: dict[str, dict[str, str]] = {"survey": SURVEYS, "delivery": DELIVERIES, "chart": CHARTS}

ACTION = "value"  # every input's action_id; the block_id names the field


def _option(value: str, text: str) -> Block:
    return {"text": {"type": "plain_text", "text": truncate(text, 75)}, "value": value}


def _input(
    field: str, label: str, element: Block, *, hint: str | None = None, optional: bool = False
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": field,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": ACTION},
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _text(value: str | None, placeholder: str) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
    if value:
        element["initial_value"] = value
    return element


def _number(value: float | int | None, *, decimal: bool) -> Block:
    element: Block = {"type": "number_input", "is_decimal_allowed": decimal}
    if value is not None:
        element["initial_value"] = f"{value:g}" if decimal else str(value)
    return element


def _select(choices: dict[str, str], current: str, _: Translate | None = None) -> Block:
    """A choice of `choices`; with `_` their texts are msgids to translate."""
    options = [_option(value, _(text) if _ else text) for value, text in choices.items()]
    element: Block = {"type": "static_select", "options": options}
    chosen = next((o for o in options if o["value"] == current), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _channel_filter() -> Block:
    return {"include": ["public", "private"], "exclude_bot_users": True}


def _channel(current: str | None) -> Block:
    element: Block = {"type": "conversations_select", "filter": _channel_filter()}
    if current:
        element["initial_conversation"] = current
    return element


def _channels(current: tuple[str, ...]) -> Block:
    element: Block = {"type": "multi_conversations_select", "filter": _channel_filter()}
    if current:
        element["initial_conversations"] = list(current)
    return element


def _users(current: tuple[str, ...]) -> Block:
    element: Block = {"type": "multi_users_select"}
    if current:
        element["initial_users"] = list(current)
    return element


def render_settings_modal(team: Team, version: int) -> Block:
    """Every field of the teams file, filled in with what is saved now, in the team's
    language (language names stay as each language calls itself)."""
    _ = translator(team.language)

    def label(field: str) -> str:
        # Not `_(FIELD_LABELS["…"])`: extraction would take the field's key for a text.
        return _(FIELD_LABELS[field])

    blocks = [
        _input(
            "support_channels",
            label("support_channels"),
            _channels(team.support_channels),
            optional=True,
        ),
        _input(
            "alert_channel",
            label("alert_channel"),
            _channel(team.alert_channel),
            optional=True,
        ),
        _input(
            "digest_channel",
            label("digest_channel"),
            _channel(team.digest_channel),
            optional=True,
        ),
        _input("survey", label("survey"), _select(SURVEYS, team.survey.value, _)),
        _input("delivery", label("delivery"), _select(DELIVERIES, team.delivery, _)),
        _input("language", label("language"), _select(LANGUAGES, team.language)),
        _input(
            "delay_minutes",
            label("delay_minutes"),
            _number(team.delay_minutes, decimal=False),
        ),
        _input(
            "throttle_days",
            label("throttle_days"),
            _number(team.throttle_days, decimal=False),
        ),
        _input(
            "expire_days",
            label("expire_days"),
            _number(team.expire_days, decimal=False),
        ),
        _input(
            "sample_rate",
            label("sample_rate"),
            _number(team.sample_rate, decimal=True),
        ),
        _input(
            "quiet_hours",
            label("quiet_hours"),
            _text(team.quiet_hours, "20:00-08:00"),
            hint=_("HH:MM-HH:MM; leave empty to send at any hour"),
            optional=True,
        ),
        _input("timezone", label("timezone"), _text(team.timezone, "Europe/Berlin")),
        _input(
            "digest_schedule",
            label("digest_schedule"),
            _text(team.digest_schedule, "mon 09:00"),
            hint=_("<day> HH:MM in the team's time zone"),
        ),
        _input(
            "target",
            label("target"),
            _number(team.target, decimal=True),
            optional=True,
        ),
        _input("chart", label("chart"), _select(CHARTS, team.chart, _)),
        _input(
            "currency",
            label("currency"),
            _text(team.currency, "USD"),
            hint=_("ISO 4217 code, for revenue at risk"),
        ),
        _input(
            "churn_probability",
            label("churn_probability"),
            _number(team.churn_probability, decimal=True),
        ),
        _input(
            "close_reaction",
            label("close_reaction"),
            _text(team.close_reaction, "white_check_mark"),
        ),
        _input(
            "skip_reaction",
            label("skip_reaction"),
            _text(team.skip_reaction, "no_entry_sign"),
        ),
        _input(
            "leads",
            label("leads"),
            _users(team.leads),
            optional=True,
        ),
    ]
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


FORM_FIELDS: dict[str, str] = {
    field: field
    for field in (
        "support_channels",
        "alert_channel",
        "digest_channel",
        "survey",
        "delivery",
        "language",
        "delay_minutes",
        "throttle_days",
        "expire_days",
        "sample_rate",
        "quiet_hours",
        "timezone",
        "digest_schedule",
        "target",
        "chart",
        "currency",
        "churn_probability",
        "close_reaction",
        "skip_reaction",
        "leads",
    )
}  # field -> the block it is shown in


def read_settings_form(values: dict[str, Any]) -> dict[str, Any]:
    """The submitted fields as the teams file would hold them (unchecked)."""
    form: dict[str, Any] = {}
    for field, block_id in FORM_FIELDS.items():
        state = (values.get(block_id) or {}).get(ACTION)
        if not isinstance(state, dict):
            continue
        kind = state.get("type")
        if kind == "multi_conversations_select":
            form[field] = tuple(state.get("selected_conversations") or ())
        elif kind == "conversations_select":
            form[field] = state.get("selected_conversation") or None
        elif kind == "multi_users_select":
            form[field] = tuple(state.get("selected_users") or ())
        elif kind == "static_select":
            form[field] = (state.get("selected_option") or {}).get("value")
        else:  # plain_text_input, number_input: text; empty means "not set"
            value = state.get("value")
            form[field] = value.strip() if isinstance(value, str) and value.strip() else None
    return form


def settings_metadata(private_metadata: str | None) -> tuple[str, int] | None:
    try:
        data = json.loads(private_metadata or "")
        return str(data["team"]), int(data["version"])
    except (ValueError, KeyError, TypeError):
        return None


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
                    **_select(LANGUAGES, team.language),
                    "action_id": ids.TEST_SURVEY_LANGUAGE_ACTION,
                },
            },
        ],
    }


def read_test_survey_language(values: dict[str, Any]) -> str | None:
    state = (values.get(ids.TEST_SURVEY_LANGUAGE_BLOCK) or {}).get(ids.TEST_SURVEY_LANGUAGE_ACTION)
    value = ((state or {}).get("selected_option") or {}).get("value")
    return value if value in LANGUAGES else None
