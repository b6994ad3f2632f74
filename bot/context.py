"""What every flow needs for one Slack workspace, passed as its first argument.

Middleware builds it for each Slack request, and the scheduler and the dispatcher for
each job, so a flow never reaches into a process-wide locator. Single-workspace mode
is one constant context built from the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.recent_forms import RecentForms
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.client import PacedWebClient, make_client
from bot.slack.customers import CustomerDirectory
from bot.team_directory import ENVIRONMENT_WORKSPACE, TeamDirectory
from bot.teams import Teams
from storage.db import Database


class Changes(Protocol):
    """The one "something changed" hook: who else should look again."""

    def survey_scheduled(self) -> None:
        """A survey is waiting in the outbox: a dispatcher should look now."""

    def answer_changed(self, team: str, agent_id: str | None) -> None:
        """An answer or an alert of this team changed: Homes showing it are stale."""

    def home_opened(self, user_id: str, *, is_admin: bool) -> None:
        """Someone was just shown their Home: keep it fresh from now on."""


class NoChanges:
    """For one-shot commands: nobody is listening."""

    def survey_scheduled(self) -> None:
        pass

    def answer_changed(self, team: str, agent_id: str | None) -> None:
        pass

    def home_opened(self, user_id: str, *, is_admin: bool) -> None:
        pass


@dataclass(frozen=True)
class WorkspaceContext:
    db: Database
    client: AsyncWebClient  # paced, with this workspace's token
    customers: CustomerDirectory
    teams: TeamDirectory
    clock: Callable[[], datetime]
    changes: Changes
    # Follow-up forms offered in the last seconds: a double click opens one form.
    forms: RecentForms = field(default_factory=RecentForms)

    @property
    def workspace(self) -> str:
        return self.teams.workspace

    def now(self) -> datetime:
        return self.clock()

    def for_request(
        self, *, deadline: float | None = None, team_id: str | None = None
    ) -> WorkspaceContext:
        """This context for one Slack request: a modal opened with its trigger_id goes by
        `deadline` (time.monotonic()) or not at all, and an org-wide token's calls name
        the request's workspace (`team_id`), as Slack asks of org tokens."""
        client = self.client
        if isinstance(client, PacedWebClient) and (deadline is not None or team_id):
            client = client.sibling(client.token, team_id, trigger_deadline=deadline)
        return replace(self, client=client)

    def for_trigger(self, deadline: float, team_id: str | None = None) -> WorkspaceContext:
        return self.for_request(deadline=deadline, team_id=team_id)


class ServedWorkspaces(Protocol):
    """The workspaces a process serves, each with its context."""

    async def for_request(
        self, team_id: str | None, enterprise_id: str | None
    ) -> WorkspaceContext | None:
        """The context of a Slack request's workspace; None: not served here."""

    async def for_rows(self, workspace: str) -> WorkspaceContext | None:
        """The context of a stored row's workspace (a timer's send or digest)."""

    async def every(self) -> list[WorkspaceContext]:
        """Every workspace served: the scheduler's jobs run once for each."""

    def in_memory(self) -> list[WorkspaceContext]:
        """The contexts built so far."""

    async def refresh(self) -> None:
        """Take in what other replicas saved (team settings, an uninstall)."""


class OneWorkspace:
    """Single-workspace mode: the one workspace of SLACK_BOT_TOKEN.

    `team_id` answers the token's own workspace once known (auth.test); before that
    (Slack unreachable at start) there is nothing to compare with, and a request's
    workspace is assumed to be it.
    """

    def __init__(self, ctx: WorkspaceContext, team_id: Callable[[], str | None] = lambda: None):
        self.ctx = ctx
        self._team_id = team_id

    async def for_request(
        self, team_id: str | None, enterprise_id: str | None
    ) -> WorkspaceContext | None:
        ours = self._team_id()
        return None if ours and team_id != ours else self.ctx

    async def for_rows(self, workspace: str) -> WorkspaceContext | None:
        return self.ctx if workspace == self.ctx.workspace else None

    async def every(self) -> list[WorkspaceContext]:
        return [self.ctx]

    def in_memory(self) -> list[WorkspaceContext]:
        return [self.ctx]

    async def refresh(self) -> None:
        await self.ctx.teams.refresh()


def environment_context(
    settings: Settings,
    db: Database,
    file_teams: Teams,
    *,
    clock: Callable[[], datetime],
    changes: Changes | None = None,
    metrics: Metrics | None = None,
) -> WorkspaceContext:
    """Single-workspace mode: the one workspace of SLACK_BOT_TOKEN, from the environment."""
    client = make_client(settings, db, metrics)
    return WorkspaceContext(
        db=db.in_workspace(ENVIRONMENT_WORKSPACE),
        client=client,
        customers=CustomerDirectory(client, clock=clock),
        teams=TeamDirectory(db, ENVIRONMENT_WORKSPACE, file_teams),
        clock=clock,
        changes=changes or NoChanges(),
    )
