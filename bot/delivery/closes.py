"""Closing a conversation: whether it gets a survey, and when."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.accounts.naming import Account
from bot.context import WorkspaceContext
from bot.delivery import timing
from bot.teams import Team
from storage import closes, outbox
from storage import customers as people
from storage import surveys as store
from storage.vocabulary import (
    CloseStatus,
    ConversationOutcome,
    Delivery,
    Source,
    SurveyKind,
    SurveyStatus,
)

log = logging.getLogger("surveybot.surveys")


@dataclass(frozen=True)
class ClosedConversation:
    """A close, from any source, as plain values."""

    source: Source
    external_id: str
    team: Team
    closed_at: datetime
    customer_id: str | None = None
    customer_email: str | None = None
    agent_id: str | None = None
    agent_email: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    locale: str | None = None
    customer_value: float | None = None
    kind: SurveyKind | None = None
    skip_survey: bool = False
    url: str | None = None  # the helpdesk's page for the conversation, for the alert
    account: Account | None = None  # the customer's company, as the helpdesk named it

    @property
    def closed_by_customer(self) -> bool:
        same_id = self.agent_id is not None and self.agent_id == self.customer_id
        same_email = (
            self.agent_email is not None
            and self.customer_email is not None
            and self.agent_email.lower() == self.customer_email.lower()
        )
        return same_id or same_email


# Outcomes that keep a survey row (its id answers re-deliveries as duplicates), and its status.
WITH_SURVEY_ROW: dict[CloseStatus, SurveyStatus] = {
    CloseStatus.SCHEDULED: SurveyStatus.SCHEDULED,
    CloseStatus.THROTTLED: SurveyStatus.THROTTLED,
    CloseStatus.TOO_LATE: SurveyStatus.TOO_LATE,
    CloseStatus.UNREACHABLE: SurveyStatus.UNREACHABLE,
}
# What a stored survey's status says about the close (the throttle is decided in storage).
CLOSE_STATUS_OF: dict[SurveyStatus, CloseStatus] = {v: k for k, v in WITH_SURVEY_ROW.items()}
# What the conversation row says about a close without a survey.
WITHOUT_SURVEY: dict[CloseStatus, ConversationOutcome] = {
    CloseStatus.SKIPPED: ConversationOutcome.SKIPPED,
    CloseStatus.NOT_SAMPLED: ConversationOutcome.NOT_SAMPLED,
    CloseStatus.OWN_CONVERSATION: ConversationOutcome.OWN_CONVERSATION,
}


@dataclass(frozen=True)
class CloseResult:
    status: CloseStatus
    survey_id: str | None  # the survey's public token
    send_after: datetime | None = None


def _decide(closed: ClosedConversation) -> CloseStatus:
    if closed.skip_survey:
        return CloseStatus.SKIPPED
    if closed.closed_by_customer:
        return CloseStatus.OWN_CONVERSATION
    if not timing.is_sampled(f"{closed.source}:{closed.external_id}", closed.team.sample_rate):
        return CloseStatus.NOT_SAMPLED
    return CloseStatus.SCHEDULED


async def _customer_id(ctx: WorkspaceContext, closed: ClosedConversation) -> str | None:
    """The customer's Slack id: given, linked to their email before, or already looked up.

    Never asks Slack: a close is answered at once; delivery looks the email up.
    """
    email = closed.customer_email
    if closed.customer_id or not email:
        return closed.customer_id  # given both, storage links them with the close
    known = await people.slack_id_for_email(ctx.db, email)
    if known is None:
        known = ctx.customers.known_user_id_for_email(email)
    return known


async def close_conversation(ctx: WorkspaceContext, closed: ClosedConversation) -> CloseResult:
    """Record a closed conversation and schedule its one survey.

    Safe to call again with the same close: the second call stores nothing and
    answers `duplicate` with the first survey's id. A customer is one person whether
    named by Slack id or email: the throttle looks at every name they are known by.
    """
    team, now = closed.team, ctx.now()
    customer_id = await _customer_id(ctx, closed)
    status = _decide(closed)
    if (
        status is CloseStatus.SCHEDULED
        and customer_id is None
        and ctx.customers.known_without_account(closed.customer_email or "")
    ):
        status = CloseStatus.UNREACHABLE
    if (
        status is CloseStatus.SCHEDULED
        and timing.expires_at(closed.closed_at, team.expire_days) <= now
    ):
        status = CloseStatus.TOO_LATE

    conversation = store.NewConversation(
        source=closed.source,
        external_id=closed.external_id,
        team=team.name,
        channel_id=closed.channel_id,
        thread_ts=closed.thread_ts,
        customer_id=closed.customer_id,
        customer_email=closed.customer_email,
        agent_id=closed.agent_id,
        agent_email=closed.agent_email,
        closed_at=closed.closed_at,
        locale=closed.locale,
        customer_value=closed.customer_value,
        url=closed.url,
        outcome=ConversationOutcome.SURVEY if status in WITH_SURVEY_ROW else WITHOUT_SURVEY[status],
    )
    survey = None
    if status in WITH_SURVEY_ROW:
        # A survey due in the past (a late webhook) goes out now, not never.
        due = max(timing.send_after(closed.closed_at, team.delay_minutes), now)
        thread = closed.source is Source.SLACK and team.delivery is Delivery.THREAD
        survey = store.NewSurvey(
            token=secrets.token_urlsafe(12),
            team=team.name,
            kind=(closed.kind or team.survey).value,
            customer_key=people.stable_key(customer_id, closed.customer_email),
            customer_id=customer_id,
            customer_email=closed.customer_email,
            agent_id=closed.agent_id,
            locale=closed.locale,
            delivery=Delivery.THREAD if thread else Delivery.DM,
            channel_id=closed.channel_id,
            thread_ts=closed.thread_ts,
            status=WITH_SURVEY_ROW[status],
            created_at=now,
            send_after=due,
            # Counted from the close: a close reported weeks late is not surveyed now.
            expires_at=timing.expires_at(closed.closed_at, team.expire_days),
            account=closed.account.key if closed.account else None,
            account_name=closed.account.name if closed.account else None,
        )

    throttle_since = now - timedelta(days=team.throttle_days) if team.throttle_days > 0 else None
    recorded = await closes.record_close(
        ctx.db, conversation, survey, throttle_since=throttle_since, learned_at=now
    )
    if not recorded.created:
        existing = recorded.survey
        log.info(
            "close duplicate source=%s survey=%s",
            closed.source,
            existing.token if existing else None,
        )
        return CloseResult(CloseStatus.DUPLICATE, existing.token if existing else None)

    if recorded.survey is not None:
        status = CLOSE_STATUS_OF.get(recorded.survey.status, status)
    log.info(
        # By the survey's token only: a helpdesk's conversation id can name its customer.
        "close recorded source=%s team=%s status=%s survey=%s",
        closed.source,
        team.name,
        status,
        survey.token if survey else None,
    )
    if survey is None:
        return CloseResult(status, None)
    if status is CloseStatus.SCHEDULED:
        # A survey due now goes now, and a later one sets its timer, not the next tick.
        ctx.changes.survey_scheduled()
    return CloseResult(status, survey.token, survey.send_after)


async def customer_wrote_again(
    ctx: WorkspaceContext, channel_id: str, thread_ts: str, user_id: str
) -> int:
    """The customer answered in the thread after the close: a waiting survey is cancelled."""
    cancelled = await outbox.cancel_waiting_in_thread(ctx.db, channel_id, thread_ts, user_id)
    if cancelled:
        log.info(
            "survey cancelled channel=%s thread=%s reason=customer_wrote", channel_id, thread_ts
        )
    return cancelled


async def send_test_survey(ctx: WorkspaceContext, team: Team, lead_id: str, language: str) -> str:
    """A lead's test survey: goes out by DM at once, like a customer's, and is never counted.

    It skips the throttle, the sample and the delay (the lead asked for it now), and
    credits no agent. Answers its token.
    """
    token, now = secrets.token_urlsafe(12), ctx.now()
    conversation = store.NewConversation(
        source=Source.TEST,
        external_id=f"test:{token}",
        team=team.name,
        customer_id=lead_id,
        closed_at=now,
        locale=language,
        outcome=ConversationOutcome.SURVEY,
    )
    survey = store.NewSurvey(
        token=token,
        team=team.name,
        kind=team.survey.value,
        customer_key=lead_id,
        customer_id=lead_id,
        locale=language,
        delivery=Delivery.DM,
        status=SurveyStatus.SCHEDULED,
        created_at=now,
        send_after=now,
        expires_at=timing.expires_at(now, team.expire_days),
        is_test=True,
    )
    await closes.record_close(ctx.db, conversation, survey)
    ctx.changes.survey_scheduled()
    log.info("test survey scheduled team=%s lead=%s survey=%s", team.name, lead_id, token)
    return token
