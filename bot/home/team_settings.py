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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.context import WorkspaceContext
from bot.home.setting_errors import field_errors
from bot.i18n import N_, translator
from bot.team_directory import settings_json, team_from_json
from bot.teams import TEAM_SETTINGS, Team, Teams
from storage import team_settings as store
from storage.db import Database
from storage.team_settings import TEAMS_FILE, FieldChange, SettingChange

log = logging.getLogger("surveybot.team_settings")

# Every field of the teams file a lead can change; the name is the team's key.
EDITABLE_FIELDS: tuple[str, ...] = tuple(TEAM_SETTINGS)
# What an unreadable saved row is compared with: every field at its default.
DEFAULT_FIELDS = Team(name="-")


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


@dataclass(frozen=True)
class Applied:
    """One team after `settings apply --from-file`."""

    team: str
    version: int
    changes: tuple[FieldChange, ...]  # empty: the database already matched the file
    seeded: bool = False


async def apply_file(
    db: Database, workspace: str, file_teams: Teams, now: datetime
) -> list[Applied]:
    """Save each file team's settings over the database's, as an App Home save would:
    a new version and one history row per changed field, by `TEAMS_FILE`."""
    applied = []
    for file_team in file_teams.teams:
        wanted = settings_json(file_team)
        if await store.seed(db, workspace, {file_team.name: wanted}, now):
            applied.append(Applied(file_team.name, 1, (), seeded=True))
            continue
        while True:  # a lead saving at the same moment: read again, apply again
            row = await store.settings_of(db, workspace, file_team.name)
            assert row is not None  # seeded above, and rows are never deleted
            try:
                saved = team_from_json(file_team.name, row.settings)
                changes = tuple(changed_fields(saved, file_team))
            except (ValidationError, ValueError):
                changes = tuple(changed_fields(DEFAULT_FIELDS, file_team))
            if not changes:
                applied.append(Applied(file_team.name, row.version, ()))
                break
            version = await store.save(
                db,
                workspace,
                file_team.name,
                edited_version=row.version,
                settings=wanted,
                changes=changes,
                by=TEAMS_FILE,
                at=now,
            )
            if version is not None:
                log.info(
                    "team settings applied from the teams file team=%s version=%d fields=%s",
                    file_team.name,
                    version,
                    ",".join(c.field for c in changes),
                )
                applied.append(Applied(file_team.name, version, changes))
                break
    return applied


def may_edit(team: Team, user_id: str, *, is_admin: bool) -> bool:
    return is_admin or user_id in team.leads


# Refusals are msgids: shown in the reader's language (bot.home.views).
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


async def current_version(ctx: WorkspaceContext, team: str) -> int:
    saved = await store.settings_of(ctx.db, ctx.workspace, team)
    return saved.version if saved else 0


async def save_settings(
    ctx: WorkspaceContext,
    current: Team,
    submitted: Team,
    *,
    edited_version: int,
    by: str,
    is_admin: bool,
    now: datetime,
) -> Saved | Conflict | Refused:
    """Save a checked change (leads and admins only), audit it, and put it to use at once
    (other replicas take it at their next refresh)."""
    if not may_edit(current, by, is_admin=is_admin):
        log.info("team settings refused team=%s user=%s reason=not_a_lead", current.name, by)
        return Refused(NOT_ALLOWED)
    changes = tuple(changed_fields(current, submitted))
    db, workspace = ctx.db, ctx.workspace
    version = await store.save(
        db,
        workspace,
        current.name,
        edited_version=edited_version,
        settings=settings_json(submitted),
        changes=changes,
        by=by,
        at=now,
    )
    if version is None:
        meanwhile = tuple(await store.changes_since(db, workspace, current.name, edited_version))
        log.info(
            "team settings conflict team=%s user=%s edited=%d", current.name, by, edited_version
        )
        return Conflict(meanwhile, await current_version(ctx, current.name))
    log.info(
        "team settings saved team=%s user=%s version=%d fields=%s",
        current.name,
        by,
        version,
        ",".join(c.field for c in changes) or "-",
    )
    ctx.teams.saved(submitted, version)
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
