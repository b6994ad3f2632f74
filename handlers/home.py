"""App Home: the tab opening, its buttons, and the modals they open."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.blocks.drilldown import DrillQuery
from bot.clicks import Click
from bot.home_views import (
    open_drill_down,
    open_settings,
    open_test_survey,
    publish_home,
    submit_settings,
    test_survey_submitted,
    update_drill_down,
)
from bot.services import Services
from handlers.clicks import click_listener, click_of
from handlers.context import services_of, tracked
from handlers.settings_form import read_settings_form, read_test_survey_language, settings_metadata

log = logging.getLogger("surveybot.handlers.home")


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _form_values(view: dict[str, Any]) -> dict[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


async def on_app_home_opened(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return  # the Messages tab
    services = services_of(context)
    await publish_home(services.home_deps(client), str(event["user"]), services.clock())


async def _drill(s: Services, c: AsyncWebClient, k: Click) -> None:
    query = DrillQuery.from_json(k.value)
    await open_drill_down(s.home_deps(c), k.user_id, str(k.trigger_id), query, s.clock())


async def on_drill_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: Any,
    client: AsyncWebClient,
) -> None:
    """A filter or a page button inside the drill-down: the modal is updated in place."""
    await ack()
    services = services_of(context)
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
        services.home_deps(client),
        click.user_id,
        str(view.get("id")),
        view.get("hash"),
        query,
        services.clock(),
    )


async def _settings_clicked(s: Services, c: AsyncWebClient, k: Click) -> None:
    await open_settings(s.home_deps(c), k.user_id, str(k.trigger_id), k.value)


async def on_settings_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    services = services_of(context)
    user_id = _user(body)
    opened = settings_metadata(view.get("private_metadata"))
    form = read_settings_form(_form_values(view))
    result = await submit_settings(
        services.home_deps(client),
        user_id,
        opened[0] if opened else None,
        opened[1] if opened else None,
        form,
        services.clock(),
        use_team=services.use_team,
    )
    if result.errors:
        await ack(response_action="errors", errors=result.errors)
        return
    await ack()
    await publish_home(services.home_deps(client), user_id, services.clock())


async def _test_survey_clicked(s: Services, c: AsyncWebClient, k: Click) -> None:
    await open_test_survey(s.home_deps(c), k.user_id, str(k.trigger_id), k.value)


async def on_test_survey_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    await ack()
    services = services_of(context)
    language = read_test_survey_language(_form_values(view))
    await test_survey_submitted(
        services.home_deps(client),
        _user(body),
        str(view.get("private_metadata") or ""),
        language,
        services.clock(),
    )


def register(app: AsyncApp) -> None:
    """The buttons and forms; the app_home_opened event is in handlers.events."""
    app.action(re.compile(rf"^{ids.HOME_DRILL}"))(tracked(click_listener(_drill)))
    for action_id in (ids.DRILL_REASON, ids.DRILL_AGENT, ids.DRILL_CLEAR):
        app.action(action_id)(tracked(on_drill_changed))
    app.action(re.compile(rf"^{ids.DRILL_PAGE}"))(tracked(on_drill_changed))
    app.action(ids.HOME_SETTINGS)(tracked(click_listener(_settings_clicked)))
    app.action(ids.HOME_TEST_SURVEY)(tracked(click_listener(_test_survey_clicked)))
    app.view(ids.VIEW_TEAM_SETTINGS)(tracked(on_settings_submitted))
    app.view(ids.VIEW_TEST_SURVEY)(tracked(on_test_survey_submitted))
