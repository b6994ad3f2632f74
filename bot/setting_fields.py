"""How a team setting is declared: once, beside its field in the `Team` model.

A field of `Team` carries a `Setting` in its annotation: its label, the widget a lead
fills in, a hint, and the checks its value must pass, each worded twice (in English
for the operator reading the teams file, as a msgid for the lead reading the modal).
The settings modal, the form reader, the change text in Home and the error messages
are all built from these declarations; adding a setting is one declaration and its
translations.

Only plain data lives here: rendering is bot.blocks, reading a form is handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from bot.i18n import N_, format_number, format_percent, translator


@dataclass(frozen=True)
class Check:
    """One rule a value must keep; `kind` is the type of the error it raises."""

    kind: str
    operator_text: str  # English, with the value: the teams file, for the operator
    lead_text: str  # msgid, saying what to enter: beside the field, for the lead
    percents: tuple[str, ...] = ()  # values of the error shown as percents, not numbers

    def error(self, **ctx: Any) -> PydanticCustomError:
        return PydanticCustomError(self.kind, self.operator_text, ctx)

    def lead_words(self, ctx: Mapping[str, Any], language: str | None) -> str:
        """What to enter, in `language`, its numbers written that way."""

        def shown(key: str, value: Any) -> str:
            if key in self.percents:
                return format_percent(value, language)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return format_number(value, language)
            return str(value)

        words = {key: shown(key, value) for key, value in ctx.items()}
        return translator(language)(self.lead_text).format(**words)


# ------------------------------------------------------------------ widgets
# What the lead fills in. `wrong` (a msgid) is said when a value is not one the
# widget could have sent: a forged form, or a saved value no longer offered.


@dataclass(frozen=True)
class Channels:
    """Several public or private channels (multi_conversations_select)."""

    wrong: ClassVar[str] = N_("Choose a public or private channel from the list.")


@dataclass(frozen=True)
class Channel:
    """One public or private channel (conversations_select)."""

    wrong: ClassVar[str] = N_("Choose a public or private channel from the list.")


@dataclass(frozen=True)
class People:
    """Several people of the workspace (multi_users_select)."""

    wrong: ClassVar[str] = N_("Choose people from the list.")


@dataclass(frozen=True)
class Choice:
    """One of a few values (static_select): value -> its words."""

    options: tuple[tuple[str, str], ...]
    translated: bool = True  # the words are msgids; language names are not

    wrong: ClassVar[str] = N_("Choose one of the options.")

    def words(self, value: str, language: str | None) -> str | None:
        text = dict(self.options).get(value)
        if text is None or not self.translated:
            return text
        return translator(language)(text)


@dataclass(frozen=True)
class Number:
    """A number (number_input); `decimal` allows a fraction."""

    decimal: bool
    wrong: ClassVar[str | None] = None


@dataclass(frozen=True)
class Text:
    """A line of text (plain_text_input), at most `longest` characters."""

    placeholder: str
    longest: int
    wrong: ClassVar[str | None] = None


Widget = Channels | Channel | People | Choice | Number | Text


@dataclass(frozen=True)
class Setting:
    """A team setting as a lead sees it."""

    label: str  # msgid
    widget: Widget
    hint: str | None = None  # msgid
    optional: bool = False  # may be left empty
    checks: tuple[Check, ...] = ()

    def check(self, kind: str) -> Check | None:
        return next((c for c in self.checks if c.kind == kind), None)


def declared_settings(model: type[BaseModel], *, fixed: tuple[str, ...]) -> dict[str, Setting]:
    """Field -> its Setting, in the model's order; every field but the `fixed` ones must
    declare one, so no field can be forgotten by the modal, the reader or Home."""
    settings: dict[str, Setting] = {}
    for name, info in model.model_fields.items():
        if name in fixed:
            continue
        setting = next((m for m in info.metadata if isinstance(m, Setting)), None)
        if setting is None:
            raise TypeError(f"{model.__name__}.{name} declares no Setting")
        settings[name] = setting
    return settings
