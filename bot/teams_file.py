"""The teams file of a deployment serving many workspaces: per-workspace sections.

    [[teams]]                      # every workspace without a section of its own
    name = "support"

    [workspaces.T0123ABCD]         # one Slack workspace (its team id)
    webhook_secret = "…"           # its /webhooks/conversation-closed?workspace=T0123ABCD
    zendesk_secret = "…"           # and each helpdesk's endpoint, the same way
    [[workspaces.T0123ABCD.teams]]
    name = "billing"
    support_channels = ["C0456"]

A file without `[workspaces.…]` is the single-workspace file it always was.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.teams import DEFAULT_TEAM, Teams, TeamsFileError, teams_of_tables

WORKSPACE_ID = re.compile(r"^[TE][A-Z0-9]{2,31}$")
HELPDESK_SECRETS = ("zendesk", "intercom", "helpscout", "freshdesk")
SECRET_KEYS = ("webhook_secret", *(f"{name}_secret" for name in HELPDESK_SECRETS))


@dataclass(frozen=True)
class WorkspaceSection:
    teams: Teams | None  # None: the file's top-level teams
    secrets: Mapping[str, str] = field(default_factory=dict)  # "webhook", "zendesk", …


@dataclass(frozen=True)
class TeamsFile:
    teams: Teams
    workspaces: Mapping[str, WorkspaceSection] = field(default_factory=dict)

    def teams_of(self, workspace: str) -> Teams:
        section = self.workspaces.get(workspace)
        return section.teams if section and section.teams else self.teams

    def secret_of(self, workspace: str, source: str) -> str | None:
        """A workspace's own secret for a webhook source ("webhook", "zendesk", …)."""
        section = self.workspaces.get(workspace)
        return section.secrets.get(source) if section else None


def parse_teams_file(text: str, source: str = "teams file") -> TeamsFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TeamsFileError(f"{source} is not valid TOML: {exc}") from None
    sections = data.get("workspaces", {})
    if not isinstance(sections, dict):
        raise TeamsFileError(f"{source}: workspaces must be tables, [workspaces.T…]")
    if "teams" in data or not sections:
        teams = teams_of_tables(data.get("teams"), source)
    else:
        teams = Teams((DEFAULT_TEAM,))
    return TeamsFile(teams, {ws: _section(ws, table, source) for ws, table in sections.items()})


def _section(workspace: str, table: object, source: str) -> WorkspaceSection:
    where = f"{source}, workspace {workspace!r}"
    if not WORKSPACE_ID.match(workspace):
        raise TeamsFileError(f"{where}: not a Slack workspace id (T… or E…)")
    if not isinstance(table, dict):
        raise TeamsFileError(f"{where}: not a table")
    unknown = sorted(set(table) - {"teams", *SECRET_KEYS})
    if unknown:
        raise TeamsFileError(f"{where}: unknown field {unknown[0]!r}")
    secrets = {}
    for key in SECRET_KEYS:
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) < 16:
            raise TeamsFileError(f"{where}: {key} must be a string of 16 characters or more")
        secrets[key.removesuffix("_secret")] = value
    teams = teams_of_tables(table["teams"], where) if "teams" in table else None
    return WorkspaceSection(teams, secrets)


def load_teams_file(path: Path | None) -> TeamsFile:
    """The configured teams, or one DM-only team when no file is given."""
    if path is None:
        return TeamsFile(Teams((DEFAULT_TEAM,)))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TeamsFileError(f"cannot read teams file {path}: {exc.strerror}") from None
    return parse_teams_file(text, source=str(path))
