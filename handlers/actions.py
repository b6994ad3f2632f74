"""Button clicks (block_actions): survey scores, the follow-up buttons, alert buttons."""

from __future__ import annotations

from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.clicks import (
    Click,
    add_comment_clicked,
    alert_button_clicked,
    change_answer_clicked,
    score_clicked,
)
from bot.home_views import alert_clicked_in_home
from bot.services import Services
from handlers.clicks import click_listener
from handlers.context import Listener, tracked


async def _alert_clicked(
    s: Services, c: AsyncWebClient, k: Click, action: Literal["claim", "resolve"]
) -> None:
    """The same buttons in the alert channel and in a lead's App Home."""
    if k.view_id is not None:
        alert_id = int(k.value) if k.value.isdigit() else None
        await alert_clicked_in_home(s.home_deps(c), k.user_id, action, alert_id, s.clock())
        return
    await alert_button_clicked(s.db, c, s.customers, s.teams, action, k, s.clock(), s.homes)


ACTION_LISTENERS: dict[str | Any, Listener] = {
    ids.SURVEY_SCORE_PATTERN: click_listener(
        lambda s, c, k: score_clicked(
            s.db, c, s.customers, s.teams, k, s.clock(), s.homes, s.recent_forms
        )
    ),
    ids.SURVEY_ADD_COMMENT: click_listener(
        lambda s, c, k: add_comment_clicked(s.db, c, s.teams, k, s.clock())
    ),
    ids.SURVEY_CHANGE_ANSWER: click_listener(
        lambda s, c, k: change_answer_clicked(s.db, c, s.teams, k, s.clock())
    ),
    ids.ALERT_CLAIM: click_listener(lambda s, c, k: _alert_clicked(s, c, k, "claim")),
    ids.ALERT_RESOLVE: click_listener(lambda s, c, k: _alert_clicked(s, c, k, "resolve")),
}


def register(app: AsyncApp) -> None:
    for action_id, listener in ACTION_LISTENERS.items():
        app.action(action_id)(tracked(listener))
