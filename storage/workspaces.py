"""Every query of a workspace's session sees only that workspace's rows.

A `Database.in_workspace(...)` view opens sessions marked with their workspace; each
ORM SELECT, UPDATE and DELETE they run gets `workspace = …` on every table that has
the column, joins and subqueries included. Rows added to such a session take its
workspace; Core inserts name it themselves (`owner_of`). A session of the plain
`Database` (the dispatcher's claims across workspaces, migrations, tests) is not limited.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from storage.models import (
    AccountPerson,
    AccountSpan,
    Alert,
    AnswerRevision,
    AnswerTally,
    Conversation,
    CustomerEmail,
    DeliveryTally,
    DigestPost,
    NpsInvite,
    NpsRound,
    Response,
    SupportMessage,
    Survey,
    TeamSettingChange,
    TeamSettings,
)

WORKSPACE_KEY: Final = "workspace"
SCOPED: Final = (
    Conversation,
    CustomerEmail,
    Survey,
    Response,
    Alert,
    DigestPost,
    NpsRound,
    NpsInvite,
    SupportMessage,
    TeamSettings,
    TeamSettingChange,
    AnswerTally,
    DeliveryTally,
    AnswerRevision,
    AccountSpan,
    AccountPerson,
)


class WorkspaceSession(Session):
    """The session class of every sessionmaker here (the listener below is on it only)."""


@event.listens_for(WorkspaceSession, "do_orm_execute")
def _only_this_workspace(state: ORMExecuteState) -> None:
    workspace = state.session.info.get(WORKSPACE_KEY)
    if workspace is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        *(
            with_loader_criteria(table, _criterion(workspace), include_aliases=True)
            for table in SCOPED
        )
    )


@event.listens_for(WorkspaceSession, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    workspace = session.info.get(WORKSPACE_KEY)
    if workspace is None:
        return
    for row in session.new:
        if isinstance(row, SCOPED):
            row.workspace = workspace


def _criterion(workspace: str) -> Any:
    return lambda cls: cls.workspace == workspace


def owner_of(session: Any) -> str:
    """The workspace a row written in this session belongs to ("" if not limited)."""
    info = session.info if isinstance(session, Session) else session.sync_session.info
    return str(info.get(WORKSPACE_KEY) or "")
