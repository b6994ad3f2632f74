"""What a button click does: survey scores, the follow-up buttons, alert buttons.

Handlers turn Slack's payload into a `Click` and call one function here, with the
workspace's context first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.alerts import AlertRefusal, act_on_alert, alert_on_answer
from bot.answering.answer_blocks import (
    change_answer_note,
    refusal_text,
    render_change_answer,
    render_follow_up,
    render_private_answer,
    render_thank_you,
)
from bot.answering.answers import (
    Answered,
    Refusal,
    RefusalReason,
    answered_survey,
    form_due,
    locale_of,
    record_answer,
    score_may_show_on_survey,
    team_of,
)
from bot.answering.expiry import close_on_click
from bot.context import WorkspaceContext
from bot.delivery.survey_blocks import parse_score_button_value
from bot.scales import Band
from bot.slack import ids
from bot.slack.client import open_modal, respond
from bot.slack.values import VALUE_MAX, is_slack_id, is_slack_ts, row_id
from storage.surveys import SurveyRecord
from storage.vocabulary import AlertAction

log = logging.getLogger("surveybot.clicks")


@dataclass(frozen=True)
class Click:
    """A button click, as plain values."""

    user_id: str
    action_id: str
    value: str
    action_ts: str
    trigger_id: str | None
    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None
    view_id: str | None = None  # set when the button is in a view (App Home), not a message
    response_url: str | None = None  # answers the click without chat.update's pace
    # The clicker's own company (`user.team_id`): another company's in Slack Connect.
    # Never the request's team, which is the workspace the app is installed in.
    user_team: str | None = None


# Slack's limit for an action_id.
ACTION_ID_MAX = 255


async def _well_formed(client: AsyncWebClient, click: Click) -> bool:
    """Whether the click's ids, timestamps and value could have come from our buttons.

    A click that could not is refused before any lookup or write: politely when
    there is someone to tell, quietly when its user or channel is no Slack id.
    """
    if not is_slack_id(click.user_id) or not is_slack_id(click.channel_id):
        log.info("click refused reason=malformed_ids")
        return False
    if (
        not is_slack_ts(click.action_ts)
        or not is_slack_ts(click.message_ts)
        or (click.thread_ts is not None and not is_slack_ts(click.thread_ts))
        or len(click.value) > VALUE_MAX
        or len(click.action_id) > ACTION_ID_MAX
    ):
        log.info("click refused reason=malformed")
        await _tell_clicker(client, click, refusal_text(RefusalReason.UNKNOWN, None))
        return False
    return True


async def _tell_clicker(client: AsyncWebClient, click: Click, text: str) -> None:
    if click.channel_id:
        await client.chat_postEphemeral(
            channel=click.channel_id, user=click.user_id, text=text, thread_ts=click.thread_ts
        )


async def _tell_customer(
    client: AsyncWebClient, click: Click, survey: SurveyRecord, message: dict[str, Any]
) -> None:
    """An ephemeral in the survey's thread that only its customer sees: through the
    click's response_url, else chat.postEphemeral."""
    if await respond(client, click.response_url, message, response_type="ephemeral"):
        return
    if survey.channel_id and survey.customer_id:
        await client.chat_postEphemeral(
            channel=survey.channel_id,
            user=survey.customer_id,
            thread_ts=survey.thread_ts,
            **message,
        )


async def _refuse(ctx: WorkspaceContext, click: Click, refusal: Refusal) -> None:
    survey = refusal.survey
    locale = locale_of(survey, team_of(ctx.teams, survey)) if survey else None
    await _tell_clicker(ctx.client, click, refusal_text(refusal.reason, locale))
    if survey is not None and refusal.reason is RefusalReason.EXPIRED:
        await close_on_click(ctx, survey)


async def _open_follow_up(
    client: AsyncWebClient,
    trigger_id: str | None,
    survey: SurveyRecord,
    score: int,
    locale: str,
    reasons: tuple[str, ...] = (),
    comment: str | None = None,
) -> bool:
    """Whether the form opened: it cannot once the trigger died or no slot was free."""
    return await open_modal(
        client,
        trigger_id,
        render_follow_up(
            token=survey.token,
            kind=survey.kind,
            score=score,
            locale=locale,
            reasons=reasons,
            comment=comment,
        ),
    )


async def _replace_survey(
    client: AsyncWebClient, click: Click, survey: SurveyRecord, message: dict[str, Any]
) -> None:
    """The survey's message changes (the thank-you, the buttons again): through the
    click's response_url (no Tier 3 pace, so a burst of clicks is thanked at once),
    else chat.update."""
    if await respond(client, click.response_url, message, replace_original=True):
        return
    # The message clicked on: the survey, or its reminder in the same DM or thread.
    same_place = click.channel_id == survey.channel_id and click.message_ts
    ts = click.message_ts if same_place else survey.message_ts
    await client.chat_update(channel=str(survey.channel_id), ts=str(ts), **message)


async def score_clicked(ctx: WorkspaceContext, click: Click) -> None:
    """Record the score, open the follow-up form, thank the customer, alert the team."""
    db, client, teams, now = ctx.db, ctx.client, ctx.teams, ctx.now()
    if not await _well_formed(client, click):
        return
    parsed = parse_score_button_value(click.value)
    token, score = parsed if parsed else (None, None)
    if score is not None and click.action_id != ids.survey_score_action(score):
        score = None  # the button's id and its value disagree: someone edited one
    # The trigger_id dies 3 s after the click: the form opens before anything slower
    # (storing the click waits its turn to write), or not at all.
    due = await form_due(
        db,
        token,
        score,
        click.user_id,
        now,
        channel_id=click.channel_id,
        message_ts=click.message_ts,
    )
    if due is not None and not ctx.forms.claim(due.survey.token, due.score):
        due = None
    opened_first = due is not None and await _open_follow_up(
        client,
        click.trigger_id,
        due.survey,
        due.score,
        locale_of(due.survey, team_of(teams, due.survey)),
    )
    outcome = await record_answer(
        db,
        token,
        score,
        click.user_id,
        click.action_ts,
        now,
        channel_id=click.channel_id,
        message_ts=click.message_ts,
        customer_team=click.user_team,
        own_team=ctx.customers.own_team,
        company_name=ctx.customers.company_name,
    )
    if isinstance(outcome, Refusal):
        await _refuse(ctx, click, outcome)
        return
    if outcome.replayed or outcome.superseded:
        # This click, or one made after it, was handled before: Slack shows its outcome.
        return
    survey, response = outcome.survey, outcome.response
    team = team_of(teams, survey)
    locale = locale_of(survey, team)
    form_missed = False
    if due is not None:
        form_missed = outcome.changed and not opened_first
    elif (
        outcome.changed
        and outcome.scale.opens_form(response.score)
        and outcome.previous_score is not None
    ):
        # A change of mind: the form opens now, with what still fits the new score.
        form_missed = not await _open_follow_up(
            client,
            click.trigger_id,
            survey,
            response.score,
            locale,
            response.reasons,
            response.comment,
        )
    # A form that could not open: the thank-you carries "Tell us more", which opens it.
    private = not score_may_show_on_survey(survey)
    try:
        await _replace_survey(
            client,
            click,
            survey,
            render_thank_you(
                token=survey.token,
                kind=survey.kind,
                score=response.score,
                locale=locale,
                expires_at=survey.expires_at,
                show_score=not private,
                form_missed=form_missed and not private,
            ),
        )
    except SlackApiError as exc:
        # The answer is stored; a thank-you Slack refused must not cost the alert.
        log.warning(
            "thank-you not shown survey=%s error=%s", survey.token, exc.response.get("error")
        )
    if outcome.changed and private:
        # In a thread the channel sees the thank-you: the score, and the way back to
        # the form, go to the customer alone.
        try:
            await _tell_customer(
                client,
                click,
                survey,
                render_private_answer(
                    kind=survey.kind,
                    score=response.score,
                    locale=locale,
                    tell_more=survey.token if form_missed else None,
                ),
            )
        except SlackApiError as exc:
            log.warning(
                "private score not shown survey=%s error=%s",
                survey.token,
                exc.response.get("error"),
            )
    if outcome.changed:
        await alert_on_answer(ctx, team, survey, response)
    elif outcome.band is Band.LOW:
        # The same low score again: an alert whose first post failed gets another
        # chance, but one already posted shows nothing new.
        await alert_on_answer(ctx, team, survey, response, update=False)
    if outcome.changed and not survey.is_test:
        ctx.changes.answer_changed(survey.team, survey.agent_id)


async def _answered_or_refuse(ctx: WorkspaceContext, click: Click) -> Answered | None:
    if not await _well_formed(ctx.client, click):
        return None
    answered = await answered_survey(ctx.db, click.value, click.user_id, ctx.now())
    if isinstance(answered, Refusal):
        await _refuse(ctx, click, answered)
        return None
    return answered


async def add_comment_clicked(ctx: WorkspaceContext, click: Click) -> None:
    """The customer came back to write a comment: the follow-up form, prefilled."""
    client = ctx.client
    answered = await _answered_or_refuse(ctx, click)
    if answered is None:
        return
    locale = locale_of(answered.survey, team_of(ctx.teams, answered.survey))
    response = answered.response
    if not await _open_follow_up(
        client,
        click.trigger_id,
        answered.survey,
        response.score,
        locale,
        response.reasons,
        response.comment,
    ):
        # The button stays where it is: the customer can click it again in a moment.
        await _tell_clicker(client, click, refusal_text(RefusalReason.FAILED, locale))


async def change_answer_clicked(ctx: WorkspaceContext, click: Click) -> None:
    """The score buttons come back, saying which answer counts now."""
    client = ctx.client
    answered = await _answered_or_refuse(ctx, click)
    if answered is None:
        return
    survey = answered.survey
    locale = locale_of(survey, team_of(ctx.teams, survey))
    public = not score_may_show_on_survey(survey)
    await _replace_survey(
        client,
        click,
        survey,
        render_change_answer(
            token=survey.token,
            kind=survey.kind,
            score=answered.response.score,
            locale=locale,
            show_score=not public,
        ),
    )
    if public:
        note = change_answer_note(kind=survey.kind, score=answered.response.score, locale=locale)
        await _tell_clicker(client, click, note)


async def alert_button_clicked(ctx: WorkspaceContext, action: AlertAction, click: Click) -> None:
    """ "I'll follow up" or "Resolved" on an alert."""
    if not await _well_formed(ctx.client, click):
        return
    result = await act_on_alert(
        ctx,
        action,
        row_id(click.value),
        click.user_id,
        channel_id=click.channel_id,
        message_ts=click.message_ts,
    )
    if isinstance(result, AlertRefusal):
        await _tell_clicker(ctx.client, click, result.text)
    else:
        ctx.changes.answer_changed(result.team, None)
