"""The workspaces that installed surveybot through Slack's OAuth flow, on our own engine.

slack_sdk's SQLAlchemy stores keep the installations and the flow's one-time states in
the tables migration 0013 creates; bolt reads and writes them through
`installation_store` and `state_store`. The rest of the bot asks this class for a
workspace's token, lists the installed workspaces, and removes one on uninstall.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from storage import installations
from storage.db import Database
from storage.installations import InstalledWorkspace as InstalledWorkspace

log = logging.getLogger("surveybot.installations")

EVENT_TIME_RESOLUTION = timedelta(seconds=1)
# A person has this long between opening /slack/install and clicking Allow (bolt's default).
STATE_EXPIRATION_SECONDS = 600


class Installations:
    """slack_sdk's installation and state stores on the process's database."""

    def __init__(self, db: Database, client_id: str) -> None:
        self._db = db
        self._client_id = client_id
        self._installations = AsyncSQLAlchemyInstallationStore(client_id, db.engine)
        self._states = AsyncSQLAlchemyOAuthStateStore(STATE_EXPIRATION_SECONDS, db.engine)

    @property
    def installation_store(self) -> AsyncInstallationStore:
        return self._installations

    @property
    def state_store(self) -> AsyncOAuthStateStore:
        return self._states

    async def find(self, workspace: str) -> InstalledWorkspace | None:
        """A team id's newest install, else an org-wide install by that enterprise id."""
        return await installations.installed_workspace(self._db, self._client_id, workspace)

    async def bot_token(self, workspace: str) -> str | None:
        found = await self.find(workspace)
        return found.bot_token if found else None

    async def installed(self) -> list[InstalledWorkspace]:
        """Every installed workspace, its newest install each."""
        return await installations.installed(self._db, self._client_id)

    async def remove(self, workspace: str, *, before: datetime | None = None) -> bool:
        """Delete the workspace's bot tokens and installations; answer whether it had any.

        With `before` (when Slack sent app_uninstalled or tokens_revoked), an install at
        or after that moment is a reinstall the late event must not undo: nothing goes.
        """
        found = await self.find(workspace)
        if found is None:
            return False
        # Slack's event_time counts whole seconds: an install within the event's own
        # second came before it (an uninstall seconds after installing is one).
        if before is not None and found.installed_at >= before + EVENT_TIME_RESOLUTION:
            log.info("uninstall ignored workspace=%s reason=reinstalled_since", workspace)
            return False
        # By the install's own keys: a team of an Enterprise Grid org has both ids.
        team_id = None if found.is_enterprise_install else found.team_id
        await self._installations.async_delete_bot(
            enterprise_id=found.enterprise_id, team_id=team_id
        )
        await self._installations.async_delete_installation(
            enterprise_id=found.enterprise_id, team_id=team_id
        )
        log.info("installation removed workspace=%s", workspace)
        return True
