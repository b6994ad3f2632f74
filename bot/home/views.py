"""What App Home and its buttons do: publish a Home, open a drill-down, change settings,
send a test survey, act on an alert. The workspace's context comes first; rendering is
bot.home.blocks / drilldown_blocks / team_settings_blocks; every figure is from
bot.home.figures.

Nothing a button carries is trusted: the team named in a value is looked up, and
only its leads and workspace admins may drill down, act on its alerts or change it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.answering.alerts import AlertRefusal, act_on_alert
from bot.context import WorkspaceContext
from bot.delivery.closes import send_test_survey
from bot.digest.compose import week_containing
from bot.home.blocks import render_home
from bot.home.drilldown_blocks import DrillQuery, render_drill_down
from bot.home.figures import (
    RECENT,
    HomeContent,
    Viewer,
    describe,
    gather_home,
    may_steer,
    viewer_of,
)
from bot.home.team_settings import (
    NOT_ALLOWED,
    Conflict,
    Refused,
    check_settings,
    conflict_errors,
    current_version,
    save_settings,
)
from bot.home.team_settings_blocks import (
    render_not_allowed,
    render_settings_modal,
    render_test_survey_modal,
)
from bot.i18n import N_, translator
from bot.scales import scale_for
from bot.slack.client import open_modal
from bot.slack.customers import CustomerDirectory
from bot.teams import TEAM_SETTINGS, Team
from storage import alerts as alert_store
from storage import home as store
from storage.db import Database
from storage.home import PAGE_SIZE, AnswerPage
from storage.vocabulary import AlertAction, DrillScope, Source

log = logging.getLogger("surveybot.home")


async def publish_home(ctx: WorkspaceContext, user_id: str, now: datetime) -> HomeContent:
    """Compose this person's Home and publish it (views.publish)."""
    viewer = await viewer_of(ctx, user_id)
    content = await gather_home(ctx.db, ctx.teams.workspace, viewer, now)
    await ctx.client.views_publish(user_id=user_id, view=render_home(content))
    ctx.changes.home_opened(user_id, is_admin=viewer.is_admin)
    log.info("home published", extra=describe(content))
    return content


async def _steering(
    ctx: WorkspaceContext, user_id: str, team_name: str
) -> tuple[Viewer, Team | None]:
    viewer = await viewer_of(ctx, user_id)
    team = ctx.teams.by_name(team_name)
    if team is None or not may_steer(viewer, team):
        log.info("home action refused user=%s team=%s reason=not_a_lead", user_id, team_name)
        return viewer, None
    return viewer, team


# ------------------------------------------------------------------ drill-down


def _period(team: Team, query: DrillQuery, now: datetime) -> tuple[datetime, datetime]:
    if query.scope == DrillScope.LOW_WEEK:
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
        score_max=scale_for(team.survey).low_max if query.scope == DrillScope.LOW_WEEK else None,
        reason=query.reason,
        agent_id=query.agent,
        account=query.account if query.scope == DrillScope.ACCOUNT else None,
        page=query.page,
    )


async def _links(customers: CustomerDirectory, page: AnswerPage) -> dict[int, str]:
    async def link(row: Any) -> tuple[int, str | None]:
        if row.source != Source.SLACK or not row.channel_id or not row.thread_ts:
            return row.response_id, None
        return row.response_id, await customers.permalink(row.channel_id, row.thread_ts)

    found = await asyncio.gather(*(link(row) for row in page.rows))
    return {rid: url for rid, url in found if url}


async def drill_down_view(
    ctx: WorkspaceContext, user_id: str, query: DrillQuery | None, now: datetime
) -> dict[str, Any] | None:
    """The drill-down modal for this query, or None when the user may not see it."""
    if query is None:
        return None
    _, team = await _steering(ctx, user_id, query.team)
    if team is None:
        return None
    page = await drill_page(ctx.db, team, query, now)
    return render_drill_down(
        query,
        page,
        await _links(ctx.customers, page),
        low=_low(team),
        page_size=PAGE_SIZE,
        language=team.language,
    )


async def open_drill_down(
    ctx: WorkspaceContext, user_id: str, trigger_id: str, query: DrillQuery | None, now: datetime
) -> None:
    view = await drill_down_view(ctx, user_id, query, now)
    if view is None:
        viewer = await viewer_of(ctx, user_id)
        refusal = render_not_allowed(NOT_LEAD, viewer.language)
        await open_modal(ctx.client, trigger_id, refusal)
        return
    await open_modal(ctx.client, trigger_id, view)


async def update_drill_down(
    ctx: WorkspaceContext,
    user_id: str,
    view_id: str,
    view_hash: str | None,
    query: DrillQuery | None,
    now: datetime,
) -> None:
    """A filter or page change: the same modal, updated in place (views.update)."""
    view = await drill_down_view(ctx, user_id, query, now)
    if view is None:
        return
    await ctx.client.views_update(view_id=view_id, hash=view_hash, view=view)


# Refusals are msgids, shown in the viewer's language.
NOT_LEAD = N_(
    "Only this team's leads and workspace admins can see its answers and change its "
    "settings. Nothing was changed."
)


# ------------------------------------------------------------------ settings


async def open_settings(
    ctx: WorkspaceContext, user_id: str, trigger_id: str, team_name: str
) -> None:
    viewer, team = await _steering(ctx, user_id, team_name)
    if team is None:
        refusal = render_not_allowed(NOT_ALLOWED, viewer.language)
        await open_modal(ctx.client, trigger_id, refusal)
        return
    version = await current_version(ctx, team.name)
    await open_modal(ctx.client, trigger_id, render_settings_modal(team, version))


@dataclass(frozen=True)
class SettingsSubmitted:
    """What the form's ack says: errors keep the modal open; None closes it."""

    errors: dict[str, str] | None
    saved_team: Team | None = None


async def submit_settings(
    ctx: WorkspaceContext,
    user_id: str,
    team_name: str | None,
    edited_version: int | None,
    form: Mapping[str, Any],
    now: datetime,
) -> SettingsSubmitted:
    """Check and save a settings form; errors go beside their fields, before the ack."""
    first_block = next(iter(TEAM_SETTINGS))  # block ids are the settings' names
    team = ctx.teams.by_name(team_name or "")
    if team is None or edited_version is None:
        _ = translator(team.language if team else None)
        return SettingsSubmitted({first_block: _("This form is out of date; open it again.")})
    profile = await ctx.customers.profile(user_id)
    checked = check_settings(team, form)
    if isinstance(checked, dict):
        log.info("team settings invalid team=%s fields=%s", team.name, ",".join(sorted(checked)))
        return SettingsSubmitted(checked)
    result = await save_settings(
        ctx,
        team,
        checked,
        edited_version=edited_version,
        by=user_id,
        is_admin=profile.is_admin,
        now=now,
    )
    if isinstance(result, Refused):
        return SettingsSubmitted({first_block: translator(team.language)(result.text)})
    if isinstance(result, Conflict):
        return SettingsSubmitted(conflict_errors(result, team.language))
    return SettingsSubmitted(None, result.team)


# ------------------------------------------------------------------ test survey


async def open_test_survey(
    ctx: WorkspaceContext, user_id: str, trigger_id: str, team_name: str
) -> None:
    viewer, team = await _steering(ctx, user_id, team_name)
    view = render_test_survey_modal(team) if team else render_not_allowed(NOT_LEAD, viewer.language)
    await open_modal(ctx.client, trigger_id, view)


async def test_survey_submitted(
    ctx: WorkspaceContext, user_id: str, team_name: str, language: str | None, now: datetime
) -> str | None:
    """Schedule the lead's test survey (the dispatcher sends it by DM); None if refused."""
    _, team = await _steering(ctx, user_id, team_name)
    if team is None:
        return None
    return await send_test_survey(ctx, team, user_id, language or team.language)


# ------------------------------------------------------------------ alerts from Home


async def alert_clicked_in_home(
    ctx: WorkspaceContext,
    user_id: str,
    action: AlertAction,
    alert_id: int | None,
    now: datetime,
) -> str | None:
    """Claim or resolve from Home: the alert message is updated in place, as from the
    channel. Answers a refusal to show, or None."""
    alert = await alert_store.get_alert(ctx.db, alert_id) if alert_id is not None else None
    if alert is None:
        viewer = await viewer_of(ctx, user_id)
        _ = translator(viewer.language)
        return await _tell(ctx, user_id, _("I could not find this alert. Nothing was changed."))
    viewer, team = await _steering(ctx, user_id, alert.team)
    if team is None:
        return await _tell(ctx, user_id, translator(viewer.language)(NOT_LEAD))
    result = await act_on_alert(
        ctx,
        action,
        alert.id,
        user_id,
        channel_id=alert.channel_id,
        message_ts=alert.message_ts,
    )
    await publish_home(ctx, user_id, now)  # the clicker sees the change at once
    ctx.changes.answer_changed(alert.team, None)
    return await _tell(ctx, user_id, result.text) if isinstance(result, AlertRefusal) else None


async def _tell(ctx: WorkspaceContext, user_id: str, text: str) -> str:
    """A refusal for a click in Home, privately: in the app's messages with them."""
    channel = await ctx.customers.dm_channel(user_id)
    await ctx.client.chat_postMessage(channel=channel, text=text)
    return text
