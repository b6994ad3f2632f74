"""What a lead reads beside a settings field they filled in wrong, in the team's language.

The `Team` model checks a settings form exactly as it checks the teams file. Its errors
carry a type and the values behind it: pydantic's own (such as `greater_than_equal`
with its bound) are worded here, each check of bot.team_checks brings the lead's words
with it (the field's `Setting` names the checks it can fail), and a value the field's
widget could never have sent gets the widget's own words ("choose from the list").
Numbers are written the way the language writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.i18n import Translate, format_number, plural_translator, translator
from bot.setting_fields import Setting
from bot.teams import TEAM_SETTINGS, Team

_WHOLE_NUMBER = {"int_type", "int_parsing", "int_parsing_size", "int_from_float"}
_NUMBER = {"float_type", "float_parsing", "finite_number"}
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_CHOICE = {"enum", "literal_error"}
_REQUIRED = {"missing", "string_type", "none_required"}


def field_errors(error: ValidationError, language: str | None) -> dict[str, str]:
    """Field of `Team` -> what to enter there (its first error), in `language`."""
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        if field not in TEAM_SETTINGS:
            field = next(iter(TEAM_SETTINGS))
        errors.setdefault(field, _message(field, item, language))
    return errors


def _message(field: str, item: ErrorDetails, language: str | None) -> str:
    _ = translator(language)
    ngettext = plural_translator(language)
    kind = item["type"]
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    setting: Setting = TEAM_SETTINGS[field]

    def number(value: Any) -> str:
        return format_number(value, language)

    rule = setting.check(kind)
    if rule is not None:
        return rule.lead_words(ctx, language)
    if kind in _WHOLE_NUMBER or kind in _NUMBER or kind in _BOUNDS:
        whole = kind in _WHOLE_NUMBER or (kind not in _NUMBER and _is_whole(field))
        return _number_message(field, whole, kind, ctx, _, number)
    if kind == "string_too_short":
        count = int(ctx["min_length"])
        text = ngettext(
            "Use at least {count} character.", "Use at least {count} characters.", count
        )
        return text.format(count=number(count))
    if kind == "string_too_long":
        count = int(ctx["max_length"])
        text = ngettext("Use at most {count} character.", "Use at most {count} characters.", count)
        return text.format(count=number(count))
    if kind == "too_short":
        count = int(ctx["min_length"])
        text = ngettext("Choose at least {count} item.", "Choose at least {count} items.", count)
        return text.format(count=number(count))
    if kind == "too_long":
        count = int(ctx["max_length"])
        text = ngettext("Choose at most {count} item.", "Choose at most {count} items.", count)
        return text.format(count=number(count))
    if kind == "string_pattern_mismatch":
        return _("Use the format shown under this field.")
    if kind in _CHOICE:
        return _("Choose one of the options.")
    if kind in _REQUIRED and item.get("input") is None:
        return _("Fill in this field.")
    # Not a value the field's widget sends (a forged form): say what the widget is for.
    if setting.widget.wrong is not None:
        return _(setting.widget.wrong)
    return _("This value is not valid.")


def _number_message(
    field: str,
    whole: bool,
    kind: str,
    ctx: Mapping[str, Any],
    _: Translate,
    number: Callable[[Any], str],
) -> str:
    """The field's whole range when it has one (from its Field(ge=…, le=…)), else the
    bound that was broken."""
    low, high, exclusive = _range(field)
    if low is not None and high is not None and not exclusive:
        text = (
            _("Enter a whole number from {low} to {high}.")
            if whole
            else _("Enter a number from {low} to {high}.")
        )
        return text.format(low=number(low), high=number(high))
    if kind == "greater_than_equal":
        text = (
            _("Enter a whole number of at least {low}.")
            if whole
            else _("Enter a number of at least {low}.")
        )
        return text.format(low=number(ctx["ge"]))
    if kind == "less_than_equal":
        text = (
            _("Enter a whole number of at most {high}.")
            if whole
            else _("Enter a number of at most {high}.")
        )
        return text.format(high=number(ctx["le"]))
    if kind == "greater_than":
        return _("Enter a number greater than {low}.").format(low=number(ctx["gt"]))
    if kind == "less_than":
        return _("Enter a number less than {high}.").format(high=number(ctx["lt"]))
    return _("Enter a whole number.") if whole else _("Enter a number.")


def _range(field: str) -> tuple[Any, Any, bool]:
    """(lowest, highest, whether a bound is exclusive) of a field's Field(ge=…, le=…)."""
    info = Team.model_fields.get(field)
    low: Any = None
    high: Any = None
    exclusive = False
    for constraint in info.metadata if info else ():
        if isinstance(constraint, Ge):
            low = constraint.ge
        elif isinstance(constraint, Gt):
            low, exclusive = constraint.gt, True
        elif isinstance(constraint, Le):
            high = constraint.le
        elif isinstance(constraint, Lt):
            high, exclusive = constraint.lt, True
    return low, high, exclusive


def _is_whole(field: str) -> bool:
    info = Team.model_fields.get(field)
    return info is not None and info.annotation is int
