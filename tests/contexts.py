"""A workspace's context around a test database, for tests that call a flow directly."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.context import NoChanges, WorkspaceContext
from bot.slack.customers import CustomerDirectory
from bot.team_directory import ENVIRONMENT_WORKSPACE, TeamDirectory
from bot.teams import DEFAULT_TEAM, Team, Teams
from storage.db import Database

# Nothing listens here: a flow that should not call Slack fails loudly if it does.
NO_SLACK = "http://127.0.0.1:9/api/"


def in_workspace(
    db: Database,
    client: AsyncWebClient | None = None,
    now: datetime | None = None,
    *,
    teams: tuple[Team, ...] = (DEFAULT_TEAM,),
    workspace: str = ENVIRONMENT_WORKSPACE,
) -> WorkspaceContext:
    """A workspace (the environment's by default) on `db`, its clock stopped at `now`
    (else running)."""
    client = client or AsyncWebClient(token="xoxb-test", base_url=NO_SLACK)
    stopped = now

    def clock() -> datetime:
        return stopped or datetime.now(UTC)

    db = db.in_workspace(workspace)
    return WorkspaceContext(
        db=db,
        client=client,
        customers=CustomerDirectory(client),
        teams=TeamDirectory(db, workspace, Teams(teams)),
        clock=clock,
        changes=NoChanges(),
    )
