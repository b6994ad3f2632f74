"""What App Home and its buttons do: publish a Home, open a drill-down, change settings,
send a test survey, act on an alert. Collaborators come in as arguments; rendering is
bot.blocks.home / drilldown / team_settings; every figure is from bot.home.

Nothing a button carries is trusted: the team named in a value is looked up, and
only its leads and workspace admins may drill down, act on its alerts or change it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import AlertRefusal, act_on_alert
from bot.blocks.drilldown import DrillQuery, render_drill_down
from bot.blocks.home import render_home
from bot.blocks.team_settings import (
    render_not_allowed,
    render_settings_modal,
    render_test_survey_modal,
)
from bot.customers import CustomerDirectory
from bot.digest import week_containing
from bot.home import RECENT, HomeContent, Viewer, describe, gather_home, may_steer, viewer_of
from bot.home_refresh import HomeRefresh
from bot.i18n import N_, translator
from bot.scales import scale_for
from bot.surveys import send_test_survey
from bot.team_settings import (
    NOT_ALLOWED,
    Conflict,
    Refused,
    check_settings,
    conflict_errors,
    current_version,
    save_settings,
)
from bot.teams import TEAM_SETTINGS, Team, Teams
from storage import alerts as alert_store
from storage import home as store
from storage.db import Database
from storage.home import PAGE_SIZE, AnswerPage

log = logging.getLogger("surveybot.home")


@dataclass(frozen=True)
class HomeDeps:
    """The collaborators every Home action needs."""

    db: Database
    client: AsyncWebClient
    customers: CustomerDirectory
    teams: Teams
    homes: HomeRefresh | None = None


async def publish_home(deps: HomeDeps, user_id: str, now: datetime) -> HomeContent:
    """Compose this person's Home and publish it (views.publish)."""
    viewer = await viewer_of(deps.db, deps.customers, deps.teams, user_id)
    content = await gather_home(deps.db, viewer, now)
    await deps.client.views_publish(user_id=user_id, view=render_home(content))
    if deps.homes is not None:
        deps.homes.opened(user_id, is_admin=viewer.is_admin)
    log.info("home published", extra=describe(content))
    return content


async def _steering(deps: HomeDeps, user_id: str, team_name: str) -> tuple[Viewer, Team | None]:
    viewer = await viewer_of(deps.db, deps.customers, deps.teams, user_id)
    team = deps.teams.by_name(team_name)
    if team is None or not may_steer(viewer, team):
        log.info("home action refused user=%s team=%s reason=not_a_lead", user_id, team_name)
        return viewer, None
    return viewer, team


# ------------------------------------------------------------------ drill-down


def _period(team: Team, query: DrillQuery, now: datetime) -> tuple[datetime, datetime]:
    if query.scope == "low_week":
        return week_containing(now, team.zone).start, now
    return now - RECENT, now


def _low(team: Team) -> str:
    scale = scale_for(team.survey)
    return f"{min(scale.scores)}–{scale.low_max}"


async def drill_page(db: Database, team: Team, query: DrillQuery, now: datetime) -> AnswerPage:
    start, end = _period(team, query, now)
    return await store.answers_page(
        db,
        team.name,
        team.survey.value,
        start,
        end,
        score_max=scale_for(team.survey).low_max if query.scope == "low_week" else None,
        reason=query.reason,
        agent_id=query.agent,
        page=query.page,
    )


async def _links(customers: CustomerDirectory, page: AnswerPage) -> dict[int, str]:
    async def link(row: Any) -> tuple[int, str | None]:
        if row.source != "slack" or not row.channel_id or not row.thread_ts:
            return row.response_id, None
        return row.response_id, await customers.permalink(row.channel_id, row.thread_ts)

    found = await asyncio.gather(*(link(row) for row in page.rows))
    return {rid: url for rid, url in found if url}


async def drill_down_view(
    deps: HomeDeps, user_id: str, query: DrillQuery | None, now: datetime
) -> dict[str, Any] | None:
    """The drill-down modal for this query, or None when the user may not see it."""
    if query is None:
        return None
    _, team = await _steering(deps, user_id, query.team)
    if team is None:
        return None
    page = await drill_page(deps.db, team, query, now)
    return render_drill_down(
        query,
        page,
        await _links(deps.customers, page),
        low=_low(team),
        page_size=PAGE_SIZE,
        language=team.language,
    )


async def open_drill_down(
    deps: HomeDeps, user_id: str, trigger_id: str, query: DrillQuery | None, now: datetime
) -> None:
    view = await drill_down_view(deps, user_id, query, now)
    if view is None:
        viewer = await viewer_of(deps.db, deps.customers, deps.teams, user_id)
        refusal = render_not_allowed(NOT_LEAD, viewer.language)
        await deps.client.views_open(trigger_id=trigger_id, view=refusal)
        return
    await deps.client.views_open(trigger_id=trigger_id, view=view)


async def update_drill_down(
    deps: HomeDeps,
    user_id: str,
    view_id: str,
    view_hash: str | None,
    query: DrillQuery | None,
    now: datetime,
) -> None:
    """A filter or page change: the same modal, updated in place (views.update)."""
    view = await drill_down_view(deps, user_id, query, now)
    if view is None:
        return
    await deps.client.views_update(view_id=view_id, hash=view_hash, view=view)


# Refusals are msgids, shown in the viewer's language.
NOT_LEAD = N_(
    "Only this team's leads and workspace admins can see its answers and change its "
    "settings. Nothing was changed."
)


# ------------------------------------------------------------------ settings


async def open_settings(deps: HomeDeps, user_id: str, trigger_id: str, team_name: str) -> None:
    viewer, team = await _steering(deps, user_id, team_name)
    if team is None:
        refusal = render_not_allowed(NOT_ALLOWED, viewer.language)
        await deps.client.views_open(trigger_id=trigger_id, view=refusal)
        return
    version = await current_version(deps.db, team.name)
    await deps.client.views_open(trigger_id=trigger_id, view=render_settings_modal(team, version))


@dataclass(frozen=True)
class SettingsSubmitted:
    """What the form's ack says: errors keep the modal open; None closes it."""

    errors: dict[str, str] | None
    saved_team: Team | None = None


async def submit_settings(
    deps: HomeDeps,
    user_id: str,
    team_name: str | None,
    edited_version: int | None,
    form: Mapping[str, Any],
    now: datetime,
    *,
    use_team: Callable[[Team], None],
) -> SettingsSubmitted:
    """Check and save a settings form; errors go beside their fields, before the ack."""
    first_block = next(iter(TEAM_SETTINGS))  # block ids are the settings' names
    team = deps.teams.by_name(team_name or "")
    if team is None or edited_version is None:
        _ = translator(team.language if team else None)
        return SettingsSubmitted({first_block: _("This form is out of date; open it again.")})
    profile = await deps.customers.profile(user_id)
    checked = check_settings(team, form)
    if isinstance(checked, dict):
        log.info("team settings invalid team=%s fields=%s", team.name, ",".join(sorted(checked)))
        return SettingsSubmitted(checked)
    result = await save_settings(
        deps.db,
        team,
        checked,
        edited_version=edited_version,
        by=user_id,
        is_admin=profile.is_admin,
        now=now,
        use_team=use_team,
    )
    if isinstance(result, Refused):
        return SettingsSubmitted({first_block: translator(team.language)(result.text)})
    if isinstance(result, Conflict):
        return SettingsSubmitted(conflict_errors(result, team.language))
    return SettingsSubmitted(None, result.team)


# ------------------------------------------------------------------ test survey


async def open_test_survey(deps: HomeDeps, user_id: str, trigger_id: str, team_name: str) -> None:
    viewer, team = await _steering(deps, user_id, team_name)
    view = render_test_survey_modal(team) if team else render_not_allowed(NOT_LEAD, viewer.language)
    await deps.client.views_open(trigger_id=trigger_id, view=view)


async def test_survey_submitted(
    deps: HomeDeps, user_id: str, team_name: str, language: str | None, now: datetime
) -> str | None:
    """Schedule the lead's test survey (the dispatcher sends it by DM); None if refused."""
    _, team = await _steering(deps, user_id, team_name)
    if team is None:
        return None
    return await send_test_survey(deps.db, team, user_id, language or team.language, now)


# ------------------------------------------------------------------ alerts from Home


async def alert_clicked_in_home(
    deps: HomeDeps,
    user_id: str,
    action: Literal["claim", "resolve"],
    alert_id: int | None,
    now: datetime,
) -> str | None:
    """Claim or resolve from Home: the alert message is updated in place, as from the
    channel. Answers a refusal to show, or None."""
    alert = await alert_store.get_alert(deps.db, alert_id) if alert_id is not None else None
    if alert is None:
        viewer = await viewer_of(deps.db, deps.customers, deps.teams, user_id)
        _ = translator(viewer.language)
        return await _tell(deps, user_id, _("I could not find this alert. Nothing was changed."))
    viewer, team = await _steering(deps, user_id, alert.team)
    if team is None:
        return await _tell(deps, user_id, translator(viewer.language)(NOT_LEAD))
    result = await act_on_alert(
        deps.db,
        deps.client,
        deps.customers,
        deps.teams,
        action,
        alert.id,
        user_id,
        now,
        channel_id=alert.channel_id,
        message_ts=alert.message_ts,
    )
    await publish_home(deps, user_id, now)  # the clicker sees the change at once
    if deps.homes is not None:
        deps.homes.answer_changed(alert.team, None)
    return await _tell(deps, user_id, result.text) if isinstance(result, AlertRefusal) else None


async def _tell(deps: HomeDeps, user_id: str, text: str) -> str:
    """A refusal for a click in Home, privately: in the app's messages with them."""
    channel = await deps.customers.dm_channel(user_id)
    await deps.client.chat_postMessage(channel=channel, text=text)
    return text
