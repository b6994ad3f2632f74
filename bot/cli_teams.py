"""What the commands say about teams: which exist, and `settings apply --from-file`."""

from __future__ import annotations

from pathlib import Path

from bot.home.team_settings import Applied
from bot.team_directory import ENVIRONMENT_WORKSPACE
from bot.teams import Teams, TeamsFileError, load_teams
from storage import team_settings as saved_team_settings
from storage.db import Database


class UnknownTeam(ValueError):
    """A --team nobody knows; the command exits 1, as `forget` does for nobody found."""


async def known_team(db: Database, config_path: Path | None, name: str) -> None:
    """A team named in the teams file or saved in the database, else UnknownTeam."""
    known = [t.name for t in load_teams(config_path).teams]
    saved = await saved_team_settings.saved_settings(db, ENVIRONMENT_WORKSPACE)
    known += [t for t in saved if t not in known]
    if name not in known:
        raise UnknownTeam(f"no team named {name!r}; known teams: {', '.join(known)}")


def teams_to_apply(path: Path | None, team: str | None) -> tuple[Path, Teams]:
    """The teams file's teams (or its one named team) for `settings apply`."""
    if path is None:
        raise TeamsFileError(
            "no teams file: give its path (--from-file teams.toml) or set SURVEYBOT_CONFIG"
        )
    teams = load_teams(path)
    if team is None:
        return path, teams
    chosen = teams.by_name(team)
    if chosen is None:
        known = ", ".join(t.name for t in teams.teams)
        raise UnknownTeam(f"no team named {team!r} in {path}; its teams: {known}")
    return path, Teams((chosen,))


def applied_lines(applied: list[Applied], path: Path) -> list[str]:
    """One line per team: what changed from what to what, or that nothing did."""
    lines = []
    for one in applied:
        if one.seeded:
            lines.append(f"{one.team}: saved from {path} (the team was new).")
        elif not one.changes:
            lines.append(f"{one.team}: already as in {path}; nothing to change.")
        else:
            changed = "; ".join(
                f"{c.field} {c.old_value or 'null'} -> {c.new_value or 'null'}" for c in one.changes
            )
            lines.append(f"{one.team}: {changed} (version {one.version}).")
    return [*lines, "A running bot (every replica) uses the new settings within 5 seconds."]
