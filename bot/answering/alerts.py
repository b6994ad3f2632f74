"""Bringing a low score to the team within seconds, and kudos for praise.

Orchestration only: the workspace's context comes first, rendering is pure
(bot.answering.alert_blocks), storage decides what happens once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.answering.alert_blocks import AlertFacts, render_alert, render_kudos
from bot.context import WorkspaceContext
from bot.i18n import translator
from bot.scales import Band, scale_for
from bot.slack.customers import CustomerDirectory
from bot.teams import Team
from storage import alerts as store
from storage import answers, surveys
from storage.alerts import AlertRecord
from storage.answers import AnswerRecord
from storage.surveys import SurveyRecord
from storage.vocabulary import AlertAction, AlertStatus, Source

log = logging.getLogger("surveybot.alerts")


async def customer_name(customers: CustomerDirectory, survey: SurveyRecord) -> str:
    """A name to show, never a mention: the alert must not ping the customer."""
    if survey.customer_id:
        profile = await customers.profile(survey.customer_id)
        return profile.name or survey.customer_id
    return survey.customer_email or "a customer"


async def _facts(
    ctx: WorkspaceContext,
    alert: AlertRecord,
    survey: SurveyRecord,
    response: AnswerRecord,
) -> AlertFacts:
    customers = ctx.customers
    conversation = await surveys.conversation_of(ctx.db, survey)
    permalink = None
    helpdesk_ref = helpdesk_url = None
    if conversation is not None and conversation.source == Source.SLACK:
        if conversation.channel_id and conversation.thread_ts:
            permalink = await customers.permalink(conversation.channel_id, conversation.thread_ts)
    elif conversation is not None:
        helpdesk_ref, helpdesk_url = conversation.external_id, conversation.url
    return AlertFacts(
        alert_id=alert.id,
        kind=survey.kind,
        score=response.score,
        customer=await customer_name(customers, survey),
        agent_id=survey.agent_id,
        permalink=permalink,
        helpdesk_ref=helpdesk_ref,
        reasons=response.reasons,
        comment=response.comment,
        answered_at=response.answered_at,
        status=alert.status,
        claimed_by=alert.claimed_by,
        claimed_at=alert.claimed_at,
        resolved_by=alert.resolved_by,
        resolved_at=alert.resolved_at,
        helpdesk_url=helpdesk_url,
    )


def _shown(alert: AlertRecord, response: AnswerRecord) -> tuple[object, ...]:
    """What an alert message shows that can change after it is posted."""
    return (alert.status, alert.claimed_by, response.score, response.reasons, response.comment)


async def _publish(
    ctx: WorkspaceContext,
    alert: AlertRecord,
    survey: SurveyRecord,
    response: AnswerRecord,
    *,
    language: str,
    creating: bool = False,
) -> None:
    """Post the alert (only the click that created it does), or update it in place."""
    db, client = ctx.db, ctx.client
    message = render_alert(await _facts(ctx, alert, survey, response), language)
    if alert.channel_id and alert.message_ts:
        await client.chat_update(channel=alert.channel_id, ts=alert.message_ts, **message)
        log.info("alert updated alert=%d survey=%s status=%s", alert.id, survey.token, alert.status)
        return
    if not creating or not alert.channel_id:
        # The creating click is posting it right now and catches up when it is done.
        return
    try:
        posted = await client.chat_postMessage(channel=alert.channel_id, **message)
    except SlackApiError:
        # Not posted: drop the row so the next click or comment creates and posts it again.
        await store.forget_unposted_alert(db, alert.id)
        raise
    channel, ts = str(posted["channel"]), str(posted["ts"])
    await store.set_alert_message(db, alert.id, channel, ts)
    log.info(
        "alert posted alert=%d survey=%s channel=%s agent=%s",
        alert.id,
        survey.token,
        channel,
        survey.agent_id,
    )
    # A click or comment that came in while posting found no message to update.
    latest_alert = await store.get_alert(db, alert.id)
    latest_response = await answers.response_for(db, survey.id)
    if (
        latest_alert
        and latest_response
        and _shown(latest_alert, latest_response) != _shown(alert, response)
    ):
        latest = render_alert(await _facts(ctx, latest_alert, survey, latest_response), language)
        await client.chat_update(channel=channel, ts=ts, **latest)


async def alert_on_answer(
    ctx: WorkspaceContext,
    team: Team,
    survey: SurveyRecord,
    response: AnswerRecord,
    *,
    update: bool = True,
) -> AlertRecord | None:
    """A low score gets one alert per survey; a later change of mind updates it.

    With `update=False` an alert already posted is left as it is (nothing changed).
    """
    if survey.is_test:
        return None  # a lead trying the survey is nobody's unhappy customer
    alert = await store.alert_for_survey(ctx.db, survey.id)
    if alert is None:
        if not team.alert_channel:
            log.info("alert skipped survey=%s reason=no_alert_channel", survey.token)
            return None
        if not scale_for(survey.kind).is_low(response.score):
            return None
        created = await store.create_alert(
            ctx.db,
            survey_id=survey.id,
            team=survey.team,
            channel_id=team.alert_channel,
            created_at=ctx.now(),
        )
        if created is None:  # a concurrent click created it: that one posts
            return None
        await _publish(ctx, created, survey, response, language=team.language, creating=True)
        return created
    if update:
        await _publish(ctx, alert, survey, response, language=team.language)
    return alert


async def refresh_alert(
    ctx: WorkspaceContext, team: Team, survey: SurveyRecord, *, update: bool = True
) -> AlertRecord | None:
    """Show the survey's current answer and follow-up in its alert (posting it if missing)."""
    response = await answers.response_for(ctx.db, survey.id)
    if response is None:
        return None
    return await alert_on_answer(ctx, team, survey, response, update=update)


@dataclass(frozen=True)
class AlertRefusal:
    """A claim or resolve click that changed nothing, in words for the clicker."""

    text: str


async def act_on_alert(
    ctx: WorkspaceContext,
    action: AlertAction,
    alert_id: int | None,
    user_id: str,
    *,
    channel_id: str | None,
    message_ts: str | None,
) -> AlertRecord | AlertRefusal:
    """ "I'll follow up" or "Resolved": recorded once, then shown in the alert."""
    db, teams, now = ctx.db, ctx.teams, ctx.now()
    alert = await store.get_alert(db, alert_id) if alert_id is not None else None
    if alert is None or (channel_id, message_ts) != (alert.channel_id, alert.message_ts):
        log.info("alert action refused alert=%s user=%s reason=unknown", alert_id, user_id)
        _ = translator(teams.default.language)
        return AlertRefusal(_("I could not find this alert. Nothing was changed."))
    language = (teams.by_name(alert.team) or teams.default).language
    _ = translator(language)
    if action == AlertAction.CLAIM:
        done = await store.claim_alert(db, alert.id, user_id, now)
    else:
        done = await store.resolve_alert(db, alert.id, user_id, now)
    current = await store.get_alert(db, alert.id)
    assert current is not None
    if not done and _already_done_by(current, action, user_id):
        # The same person's click again (a double click, a replay): already shown.
        log.info("alert action repeated alert=%d action=%s", alert.id, action)
        return current
    if not done:
        log.info("alert action refused alert=%d user=%s action=%s", alert.id, user_id, action)
        if current.status is AlertStatus.RESOLVED:
            return AlertRefusal(
                _("{agent} already resolved this alert.").format(agent=f"<@{current.resolved_by}>")
            )
        return AlertRefusal(
            _("{agent} is already following up on this one.").format(
                agent=f"<@{current.claimed_by}>"
            )
        )
    log.info("alert %s alert=%d user=%s", action, alert.id, user_id)
    survey = await surveys.get_survey(db, alert.survey_id)
    response = await answers.response_for(db, alert.survey_id)
    if survey is not None and response is not None:
        await _publish(ctx, current, survey, response, language=language)
    return current


def _already_done_by(alert: AlertRecord, action: AlertAction, user_id: str) -> bool:
    if action == AlertAction.CLAIM:
        return alert.status is AlertStatus.CLAIMED and alert.claimed_by == user_id
    return alert.status is AlertStatus.RESOLVED and alert.resolved_by == user_id


async def send_kudos(
    ctx: WorkspaceContext, team: Team, survey: SurveyRecord, response: AnswerRecord, band: Band
) -> bool:
    """A private thank-you to the agent when their customer praised them in words; once."""
    if survey.is_test:
        return False
    if band is not Band.HIGH or not response.comment or not survey.agent_id:
        return False
    if not await answers.claim_kudos(ctx.db, survey.id, ctx.now()):
        return False  # already thanked for this answer, even if the words changed since
    message = render_kudos(
        kind=survey.kind,
        score=response.score,
        customer=await customer_name(ctx.customers, survey),
        comment=response.comment,
        locale=team.language,
    )
    dm = await ctx.customers.dm_channel(survey.agent_id)
    await ctx.client.chat_postMessage(channel=dm, **message)
    log.info("kudos sent survey=%s agent=%s", survey.token, survey.agent_id)
    return True
