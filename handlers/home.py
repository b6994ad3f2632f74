"""App Home: the tab opening, its buttons, and the modals they open."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.answering.clicks import Click
from bot.context import WorkspaceContext
from bot.home.drilldown_blocks import DrillQuery
from bot.home.views import (
    open_drill_down,
    open_settings,
    open_test_survey,
    publish_home,
    submit_settings,
    test_survey_submitted,
    update_drill_down,
)
from bot.slack import ids
from handlers.clicks import click_listener, click_of, per_person
from handlers.context import tracked, workspace_of
from handlers.settings_form import read_settings_form, read_test_survey_language, settings_metadata

log = logging.getLogger("surveybot.handlers.home")


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _form_values(view: dict[str, Any]) -> dict[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


async def on_app_home_opened(event: dict[str, Any], context: Any) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return  # the Messages tab
    ctx = workspace_of(context)
    await publish_home(ctx, str(event["user"]), ctx.now())


async def _drill(ctx: WorkspaceContext, k: Click) -> None:
    query = DrillQuery.from_json(k.value)
    await open_drill_down(ctx, k.user_id, str(k.trigger_id), query, ctx.now())


async def on_drill_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: Any,
) -> None:
    """A filter or a page button inside the drill-down: the modal is updated in place."""
    await ack()
    ctx = workspace_of(context)
    click = click_of(body, action)
    view = body.get("view") or {}
    query = DrillQuery.from_json(view.get("private_metadata"))
    chosen_reason = (action.get("selected_option") or {}).get("value")
    query = query and query.changed_by(
        click.action_id, click.value, chosen_reason, action.get("selected_user")
    )
    if query is None:
        return
    await update_drill_down(
        ctx, click.user_id, str(view.get("id")), view.get("hash"), query, ctx.now()
    )


async def _settings_clicked(ctx: WorkspaceContext, k: Click) -> None:
    await open_settings(ctx, k.user_id, str(k.trigger_id), k.value)


async def on_settings_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    ctx = workspace_of(context)
    user_id = _user(body)
    opened = settings_metadata(view.get("private_metadata"))
    form = read_settings_form(_form_values(view))
    result = await submit_settings(
        ctx,
        user_id,
        opened[0] if opened else None,
        opened[1] if opened else None,
        form,
        ctx.now(),
    )
    if result.errors:
        await ack(response_action="errors", errors=result.errors)
        return
    await ack()
    await publish_home(ctx, user_id, ctx.now())


async def _test_survey_clicked(ctx: WorkspaceContext, k: Click) -> None:
    await open_test_survey(ctx, k.user_id, str(k.trigger_id), k.value)


async def on_test_survey_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    await ack()
    ctx = workspace_of(context)
    language = read_test_survey_language(_form_values(view))
    await test_survey_submitted(
        ctx, _user(body), str(view.get("private_metadata") or ""), language, ctx.now()
    )


def register(app: AsyncApp) -> None:
    """The buttons and forms; the app_home_opened event is in handlers.events."""
    app.action(re.compile(rf"^{ids.HOME_DRILL}"))(tracked(click_listener(per_person(_drill))))
    for action_id in (ids.DRILL_REASON, ids.DRILL_AGENT, ids.DRILL_CLEAR):
        app.action(action_id)(tracked(on_drill_changed))
    app.action(re.compile(rf"^{ids.DRILL_PAGE}"))(tracked(on_drill_changed))
    app.action(ids.HOME_SETTINGS)(tracked(click_listener(per_person(_settings_clicked))))
    app.action(ids.HOME_TEST_SURVEY)(tracked(click_listener(per_person(_test_survey_clicked))))
    app.view(ids.VIEW_TEAM_SETTINGS)(tracked(on_settings_submitted))
    app.view(ids.VIEW_TEST_SURVEY)(tracked(on_test_survey_submitted))
