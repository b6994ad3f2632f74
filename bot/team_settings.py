"""Team settings edited in App Home: who may, what a valid change is, saving it.

The teams file seeds each team's settings once; after that the database holds them
and every save is checked by the same `Team` model the file is, so a value refused in
the file is refused in the modal too (there in the team's language). Saves are
optimistic: a save names the version it was edited from, and a save that lost the race
is told who changed what meanwhile, never silently overwritten.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.i18n import N_, translator
from bot.setting_errors import field_errors
from bot.teams import TEAM_SETTINGS, Team, Teams, saved_team
from storage import team_settings as store
from storage.db import Database
from storage.team_settings import FieldChange, SettingChange

log = logging.getLogger("surveybot.team_settings")

# Every field of the teams file a lead can change; the name is the team's key.
EDITABLE_FIELDS: tuple[str, ...] = tuple(TEAM_SETTINGS)


def settings_json(team: Team) -> str:
    return json.dumps(team.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def team_from_json(name: str, text: str) -> Team:
    values = json.loads(text)
    # Fields added to Team after the row was saved take their defaults.
    return Team.model_validate({**values, "name": name})


def _value_json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False)


def _value_of(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # written by an older version: shown as it is


@dataclass(frozen=True)
class ChangedSetting:
    """One field of a save, its values as the teams file holds them (None: empty)."""

    field: str
    old: Any
    new: Any
    changed_by: str
    changed_at: datetime


def changed_settings(changes: Sequence[SettingChange]) -> tuple[ChangedSetting, ...]:
    """The audit rows of a save as plain values, for Home to show."""
    return tuple(
        ChangedSetting(
            c.field, _value_of(c.old_value), _value_of(c.new_value), c.changed_by, c.changed_at
        )
        for c in changes
    )


def changed_fields(old: Team, new: Team) -> list[FieldChange]:
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    return [
        FieldChange(name, _value_json(before.get(name)), _value_json(after.get(name)))
        for name in EDITABLE_FIELDS
        if before.get(name) != after.get(name)
    ]


async def saved_teams(db: Database, file_teams: Teams, now: datetime) -> Teams:
    """The teams as saved, seeding the ones the database has not seen from the file.

    The file decides which teams exist; the database what their settings are.
    """
    seeds = {team.name: settings_json(team) for team in file_teams.teams}
    for name in await store.seed(db, seeds, now):
        log.info("team settings seeded from the teams file team=%s", name)
    saved = await store.saved_settings(db)
    teams = []
    for file_team in file_teams.teams:
        row = saved.get(file_team.name)
        team = file_team
        try:
            if row:
                team, refused = saved_team(file_team, json.loads(row.settings))
                if refused:
                    log.warning(
                        "saved team settings refused, using the teams file's team=%s fields=%s",
                        file_team.name,
                        ",".join(refused),
                    )
        except (ValidationError, ValueError, TypeError) as exc:
            log.error(
                "saved team settings unusable, using the teams file team=%s error=%s",
                file_team.name,
                type(exc).__name__,
            )
        differing = [c.field for c in changed_fields(file_team, team)]
        if differing:
            # Operators editing the file after the first start should know why it "does nothing".
            log.info(
                "team settings from the database, not the file team=%s fields=%s",
                team.name,
                ",".join(differing),
            )
        teams.append(team)
    return Teams(tuple(teams))


def may_edit(team: Team, user_id: str, *, is_admin: bool) -> bool:
    return is_admin or user_id in team.leads


# Refusals are msgids: shown in the reader's language (bot.home_views).
NOT_ALLOWED = N_(
    "Only this team's leads and workspace admins can change its settings. "
    "Nothing was saved; ask a lead if something should change."
)


# Said beside `leads` when a save would leave a team that had leads with none.
KEEP_A_LEAD = N_(
    "Keep at least one lead: with none, only workspace admins could change these settings."
)


def check_settings(current: Team, submitted: Mapping[str, Any]) -> Team | dict[str, str]:
    """The team with the submitted values, or field -> what to enter there instead, in the
    team's language (the modal's); the teams file says the same in English.

    A form that empties `leads` is refused: whoever saves it, often the last lead, would
    lock themselves (and every lead after them) out of these settings without a word.
    Handing over stays possible: choose the new lead, then save.
    """
    try:
        team = Team.model_validate({**current.model_dump(), **submitted, "name": current.name})
    except ValidationError as exc:
        return field_errors(exc, current.language)
    if current.leads and not team.leads:
        return {"leads": translator(current.language)(KEEP_A_LEAD)}
    return team


@dataclass(frozen=True)
class Saved:
    team: Team
    version: int
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Conflict:
    """Someone saved between opening the form and submitting it: nothing was written."""

    changes: tuple[SettingChange, ...]
    version: int  # the version now saved


@dataclass(frozen=True)
class Refused:
    text: str


async def current_version(db: Database, team: str) -> int:
    saved = await store.settings_of(db, team)
    return saved.version if saved else 0


async def save_settings(
    db: Database,
    current: Team,
    submitted: Team,
    *,
    edited_version: int,
    by: str,
    is_admin: bool,
    now: datetime,
    use_team: Callable[[Team], None],
) -> Saved | Conflict | Refused:
    """Save a checked change (leads and admins only), audit it, and put it to use at once."""
    if not may_edit(current, by, is_admin=is_admin):
        log.info("team settings refused team=%s user=%s reason=not_a_lead", current.name, by)
        return Refused(NOT_ALLOWED)
    changes = tuple(changed_fields(current, submitted))
    version = await store.save(
        db,
        current.name,
        edited_version=edited_version,
        settings=settings_json(submitted),
        changes=changes,
        by=by,
        at=now,
    )
    if version is None:
        meanwhile = tuple(await store.changes_since(db, current.name, edited_version))
        log.info(
            "team settings conflict team=%s user=%s edited=%d", current.name, by, edited_version
        )
        return Conflict(meanwhile, await current_version(db, current.name))
    log.info(
        "team settings saved team=%s user=%s version=%d fields=%s",
        current.name,
        by,
        version,
        ",".join(c.field for c in changes) or "-",
    )
    use_team(submitted)
    return Saved(submitted, version, changes)


def conflict_errors(conflict: Conflict, language: str | None = None) -> dict[str, str]:
    """Modal errors (block id -> text) beside the fields someone else changed meanwhile."""
    _ = translator(language)
    fields = [c.field for c in conflict.changes if c.field in TEAM_SETTINGS]
    text = (
        _(
            "Someone else changed these settings while you were editing ({fields}). Nothing "
            "was saved: close this form and open it again to see their change."
        ).format(fields=", ".join(_(TEAM_SETTINGS[f].label) for f in dict.fromkeys(fields)))
        if fields
        else _(
            "Someone else changed these settings while you were editing. Nothing was saved: "
            "close this form and open it again to see their change."
        )
    )
    # Each field's block id is its name.
    targets = fields or [next(iter(TEAM_SETTINGS))]
    return {block: text for block in dict.fromkeys(targets)}
