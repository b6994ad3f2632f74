"""A workspace's teams as saved in the database, the same on every replica within seconds.

The teams file decides which teams exist and seeds each one's settings the first time;
from then on the database is the truth. A save through this process is used at once;
a save through another replica is seen at the next `refresh`, which asks only for each
team's version (a few rows) and reads the settings of the teams whose version moved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from pydantic import ValidationError

from bot.logs import fields
from bot.teams import Team, Teams, saved_team
from storage import team_settings as store
from storage.db import Database

log = logging.getLogger("surveybot.team_settings")

# The workspace key of single-workspace mode: the one workspace of SLACK_BOT_TOKEN.
ENVIRONMENT_WORKSPACE = ""
# How often a replica asks whether another one saved; the promise is "within 5 s".
RECHECK_SECONDS = 2.0

TeamChanged = Callable[[Team], None]


def settings_json(team: Team) -> str:
    return json.dumps(team.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def team_from_json(name: str, text: str) -> Team:
    values = json.loads(text)
    # Fields added to Team after the row was saved take their defaults.
    return Team.model_validate({**values, "name": name})


class TeamDirectory:
    """The teams of one workspace, looked up the ways the sources need (like `Teams`)."""

    def __init__(self, db: Database, workspace: str, file_teams: Teams) -> None:
        self._db = db
        self.workspace = workspace
        self._file = file_teams
        self._current = file_teams
        self._versions: dict[str, int] = {}
        self._listeners: list[TeamChanged] = []

    # The read side, as `Teams` has it.
    @property
    def teams(self) -> tuple[Team, ...]:
        return self._current.teams

    @property
    def default(self) -> Team:
        return self._current.default

    def by_name(self, name: str) -> Team | None:
        return self._current.by_name(name)

    def by_support_channel(self, channel_id: str) -> Team | None:
        return self._current.by_support_channel(channel_id)

    def snapshot(self) -> Teams:
        return self._current

    def version_of(self, name: str) -> int:
        return self._versions.get(name, 0)

    def on_change(self, listener: TeamChanged) -> None:
        """Call `listener` with each team whose settings change from now on."""
        self._listeners.append(listener)

    async def load(self, now: datetime) -> Teams:
        """Seed the teams the database has not seen from the file, then read them all."""
        seeds = {team.name: settings_json(team) for team in self._file.teams}
        for name in await store.seed(self._db, self.workspace, seeds, now):
            log.info("team settings seeded from the teams file team=%s", name)
        saved = await store.saved_settings(self._db, self.workspace)
        teams = []
        for file_team in self._file.teams:
            row = saved.get(file_team.name)
            team = self._usable(file_team, row.settings) if row else file_team
            self._versions[file_team.name] = row.version if row else 0
            differing = _differing(file_team, team)
            if differing:
                # Operators editing the file after the first start should know why it
                # "does nothing", and how to make it count.
                log.warning(
                    "team settings differ from the teams file; the database's are used "
                    "(`surveybot settings apply --from-file` applies the file)",
                    extra=fields(team=team.name, **differing),
                )
            teams.append(team)
        self._current = Teams(tuple(teams))
        return self._current

    async def refresh(self, versions: dict[str, int] | None = None) -> list[Team]:
        """Take in what other replicas saved since the last look; answer the changed teams.

        `versions`: the teams' versions when already read (for many workspaces at once)."""
        if versions is None:
            versions = await store.versions(self._db, self.workspace)
        moved = [
            name
            for name in (t.name for t in self._file.teams)
            if versions.get(name, 0) > self._versions.get(name, 0)
        ]
        if not moved:
            return []
        saved = await store.saved_settings(self._db, self.workspace, moved)
        changed = []
        for name in moved:
            row = saved.get(name)
            current = self.by_name(name)
            if row is None or current is None:
                continue
            team = self._usable(current, row.settings)
            if self._take(team, row.version):
                changed.append(team)
        return changed

    def saved(self, team: Team, version: int) -> None:
        """This process saved the team: use it at once, without waiting for a refresh."""
        self._take(team, version)

    def _take(self, team: Team, version: int) -> bool:
        if version <= self._versions.get(team.name, 0):
            return False  # an older save than the one in use (a refresh raced a save)
        self._versions[team.name] = version
        self._current = Teams(
            tuple(team if t.name == team.name else t for t in self._current.teams)
        )
        log.info("team settings in use team=%s version=%d", team.name, version)
        for listener in self._listeners:
            listener(team)
        return True

    def _usable(self, fallback: Team, text: str) -> Team:
        try:
            values = json.loads(text)
            if not isinstance(values, dict):
                raise ValueError("saved settings are no JSON object")
            team, refused = saved_team(fallback, values)
        except (ValidationError, ValueError, TypeError) as exc:
            log.error(
                "saved team settings unusable, keeping the previous ones team=%s error=%s",
                fallback.name,
                type(exc).__name__,
            )
            return fallback
        if refused:
            # A check added since refuses what was saved (leads once read letter by
            # letter): those fields keep the file's value, the rest stays as saved.
            log.warning(
                "saved team settings refused, using the teams file's team=%s fields=%s",
                fallback.name,
                ",".join(refused),
            )
        return team


def _differing(file_team: Team, saved: Team) -> dict[str, str]:
    """Each field the database holds otherwise than the file, with both values."""
    before, after = file_team.model_dump(mode="json"), saved.model_dump(mode="json")
    return {
        name: f"file {json.dumps(before[name])}, database {json.dumps(after.get(name))}"
        for name in before
        if name != "name" and before[name] != after.get(name)
    }
