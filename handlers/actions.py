"""Button clicks (block_actions): survey scores, the follow-up buttons, alert buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.answering.clicks import (
    Click,
    add_comment_clicked,
    alert_button_clicked,
    change_answer_clicked,
    score_clicked,
)
from bot.context import WorkspaceContext
from bot.home.views import alert_clicked_in_home
from bot.slack import ids
from handlers.clicks import click_listener
from handlers.context import Listener, tracked
from storage.vocabulary import AlertAction


async def _alert_clicked(ctx: WorkspaceContext, k: Click, action: AlertAction) -> None:
    """The same buttons in the alert channel and in a lead's App Home."""
    if k.view_id is not None:
        alert_id = int(k.value) if k.value.isdigit() else None
        await alert_clicked_in_home(ctx, k.user_id, action, alert_id, ctx.now())
        return
    await alert_button_clicked(ctx, action, k)


ACTION_LISTENERS: dict[str | Any, Listener] = {
    ids.SURVEY_SCORE_PATTERN: click_listener(score_clicked),
    ids.SURVEY_ADD_COMMENT: click_listener(add_comment_clicked),
    ids.SURVEY_CHANGE_ANSWER: click_listener(change_answer_clicked),
    ids.ALERT_CLAIM: click_listener(lambda ctx, k: _alert_clicked(ctx, k, AlertAction.CLAIM)),
    ids.ALERT_RESOLVE: click_listener(lambda ctx, k: _alert_clicked(ctx, k, AlertAction.RESOLVE)),
}


def register(app: AsyncApp) -> None:
    for action_id, listener in ACTION_LISTENERS.items():
        app.action(action_id)(tracked(listener))
