"""The process's "something changed" hook: a close wakes the dispatcher, an answer
refreshes the Homes that show it."""

from __future__ import annotations

from collections.abc import Callable

from bot.home.refresh import HomeRefresh


class ChangeHub:
    """Implements `bot.context.Changes`; connected once the dispatcher and Homes exist."""

    def __init__(self) -> None:
        self._wake: Callable[[], None] = lambda: None
        self._homes: HomeRefresh | None = None

    def connect(self, wake_dispatcher: Callable[[], None], homes: HomeRefresh) -> None:
        self._wake, self._homes = wake_dispatcher, homes

    def survey_scheduled(self) -> None:
        self._wake()

    def answer_changed(self, team: str, agent_id: str | None) -> None:
        if self._homes is not None:
            self._homes.answer_changed(team, agent_id)

    def home_opened(self, user_id: str, *, is_admin: bool) -> None:
        if self._homes is not None:
            self._homes.opened(user_id, is_admin=is_admin)
