"""Keeping App Home fresh without hitting views.publish's limit (Tier 4, ~100/min).

When an answer or an alert changes, the Home of each person concerned who has
opened Home is published again, at most once per `min_interval` seconds per person:
requests in between coalesce into the one publish that is already waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from cachetools import LRUCache

from bot.teams import TeamLookup

log = logging.getLogger("surveybot.home")

Publish = Callable[[str], Awaitable[None]]
# People whose Home is kept fresh; the least recently seen are forgotten first.
MAX_TRACKED = 10_000


class HomeRefresh:
    def __init__(
        self,
        publish: Publish,
        teams: TeamLookup,
        *,
        min_interval: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self._teams = teams
        self._interval = min_interval
        self._clock = clock
        self._opened: LRUCache[str, bool] = LRUCache(MAX_TRACKED)  # user -> is admin
        self._last: dict[str, float] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}  # waiting out the interval
        self._tasks: set[asyncio.Task[None]] = set()

    def opened(self, user_id: str, *, is_admin: bool, at: float | None = None) -> None:
        """The person opened Home and was just published to: keep theirs fresh from now."""
        self._opened[user_id] = is_admin
        self._last[user_id] = self._clock() if at is None else at

    def answer_changed(self, team_name: str, agent_id: str | None) -> None:
        """An answer or an alert of this team changed: its leads, admins and the agent."""
        team = self._teams.by_name(team_name)
        people = set(team.leads) if team else set()
        if agent_id:
            people.add(agent_id)
        people |= {user for user, is_admin in self._opened.items() if is_admin}
        self.request(people)

    def request(self, user_ids: Iterable[str]) -> None:
        for user_id in user_ids:
            if user_id not in self._opened or user_id in self._pending:
                continue  # never opened Home, or a publish is already on its way
            wait = max(0.0, self._last.get(user_id, 0.0) + self._interval - self._clock())
            task = asyncio.create_task(self._later(user_id, wait))
            self._pending[user_id] = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _later(self, user_id: str, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            # From here on the figures are read: a change after this needs its own publish.
            self._pending.pop(user_id, None)
        self._last[user_id] = self._clock()
        try:
            await self._publish(user_id)
        except Exception:
            log.exception("home refresh failed user=%s", user_id)

    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Drop the publishes still waiting; let the ones already reading finish.

        Cancelling a publish mid-query would leave its database thread answering a
        loop that is gone.
        """
        for task in self._pending.values():
            task.cancel()
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
