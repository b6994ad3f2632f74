"""One send from the outbox, delivered in its own workspace: its team's delivery and quiet
hours, its customer's language and company, a post found again after a crash, and a
retry or a final status when Slack refuses. The dispatcher claims; this delivers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.context import WorkspaceContext
from bot.delivery import reminders, timing
from bot.delivery.sends import posts_in_thread
from bot.delivery.slack_connect import (
    DM_REFUSALS,
    OtherCompany,
    RefusedDms,
    may_go_to_thread,
    other_company,
)
from bot.delivery.survey_blocks import (
    about_helpdesk_conversation,
    about_slack_conversation,
    render_reminder,
    render_survey,
)
from bot.i18n import chosen_locale
from bot.metrics import Metrics
from bot.nps.slots import not_before
from bot.slack.client import is_transient_failure, outcome_of
from bot.teams import DEFAULT_TEAM, Team
from storage import outbox, slack_connect
from storage import surveys as store
from storage.surveys import ConversationRecord, SurveyRecord
from storage.vocabulary import Delivery as DeliveryKind
from storage.vocabulary import ExternalDm, Purpose, Source, SurveyStatus

log = logging.getLogger("surveybot.dispatcher")

# The message metadata that names a survey in Slack (found again after a crash).
SURVEY_EVENT_TYPE = "surveybot_survey"
# Few messages, from the claim on: within the history limits of non-Marketplace apps.
HISTORY_LIMIT = 15
# Slack's clock and ours may differ a little; look that much further back.
HISTORY_SKEW = timedelta(minutes=1)

SlackFailure = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    retry_first: timedelta = timedelta(seconds=5)


@dataclass
class Delivery:
    """A claimed send of one workspace: posted once, or put back with its reason."""

    ctx: WorkspaceContext
    policy: RetryPolicy
    metrics: Metrics
    refused_dms: RefusedDms
    # Conversations already read, by survey id (the dispatcher reads a claim's at once).
    conversations: Mapping[int, ConversationRecord] = field(default_factory=dict)

    async def run(self, survey: SurveyRecord, now: datetime) -> int:
        try:
            return await self._deliver(survey, now)
        except Exception:
            # Never leave a claimed survey behind: it goes back for a retry.
            log.exception("survey delivery crashed survey=%s", survey.token)
            await self._retry_or_fail(survey, "internal_error", self.ctx.now())
            return 0

    def _team(self, survey: SurveyRecord) -> Team:
        return self.ctx.teams.by_name(survey.team) or DEFAULT_TEAM

    async def _deliver(self, survey: SurveyRecord, now: datetime) -> int:
        if survey.purpose is Purpose.REMINDER:
            # Checked at every claim: an answer given while it waited (quiet hours, a
            # retry) drops it. Dropping never posts, so "at most once" holds either way.
            dropped = await reminders.why_dropped(self.ctx, survey)
            if dropped is not None:
                await outbox.cancel(self.ctx.db, survey.id, dropped)
                self.metrics.reminders_dropped.labels(reason=dropped).inc()
                log.info("reminder dropped survey=%s reason=%s", survey.token, dropped)
                return 0
        if now >= survey.expires_at:
            await outbox.mark_expired(self.ctx.db, survey.id)
            log.info("survey expired before delivery survey=%s", survey.token)
            return 0
        team = self._team(survey)
        in_thread = posts_in_thread(survey)
        try:
            customer_id = survey.customer_id or await self.ctx.customers.user_id_for_email(
                survey.customer_email or ""
            )
            if customer_id != survey.customer_id:
                await outbox.set_customer(self.ctx.db, survey.id, customer_id)
            if survey.orphaned_since is not None:
                found = await self._posted_before(survey, customer_id, in_thread)
                if found is not None:
                    channel, ts = found
                    await self._delivered(survey, channel, ts, customer_id, recovered=True)
                    return 1
            profile = await self.ctx.customers.profile(customer_id)
            # A lead asked for their test survey now: quiet hours are for customers.
            quiet = None if survey.is_test else team.quiet_window
            morning = await not_before(self.ctx.db, survey, now, profile.zone or team.zone, quiet)
            if morning is not None:
                await outbox.postpone(self.ctx.db, survey.id, morning)
                log.info(
                    "survey waits for quiet hours survey=%s until=%s",
                    survey.token,
                    morning.isoformat(),
                )
                return 0
            # Chosen once, here, and kept on the survey: the clicks, the form and the
            # refusals later speak the same language without asking Slack again.
            locale = chosen_locale(survey.locale, profile.locale, team.language)
            company = None
            if may_go_to_thread(survey):
                company = await other_company(self.ctx, survey, profile)
            if company is not None and team.external_dm is not ExternalDm.TRY:
                survey, in_thread = await self._in_thread(survey, company), True
            message = await self._message(survey, locale, in_thread)
            metadata = {"event_type": SURVEY_EVENT_TYPE, "event_payload": {"survey": survey.token}}
            if in_thread and survey.channel_id:
                response = await self.ctx.client.chat_postMessage(
                    channel=survey.channel_id,
                    thread_ts=survey.thread_ts,
                    metadata=metadata,
                    **message,
                )
            elif company is not None:
                try:
                    # Another company's customer: the DM opened first, as Slack documents.
                    channel = await self.ctx.customers.dm_channel(customer_id)
                    response = await self.ctx.client.chat_postMessage(
                        channel=channel, metadata=metadata, **message
                    )
                except SlackApiError as exc:
                    if outcome_of(exc) not in DM_REFUSALS or is_transient_failure(exc):
                        raise
                    self.refused_dms.note(company, outcome_of(exc), survey)
                    survey = await self._in_thread(survey, company)
                    message = await self._message(survey, locale, True)
                    response = await self.ctx.client.chat_postMessage(
                        channel=str(survey.channel_id),
                        thread_ts=survey.thread_ts,
                        metadata=metadata,
                        **message,
                    )
            else:
                # To the user id unless the DM channel is known: no conversations.open.
                channel = self.ctx.customers.known_dm_channel(customer_id) or customer_id
                response = await self.ctx.client.chat_postMessage(
                    channel=channel, metadata=metadata, **message
                )
                self.ctx.customers.remember_dm_channel(customer_id, str(response["channel"]))
        except SlackFailure as exc:
            transient = is_transient_failure(exc)
            await self._retry_or_fail(survey, outcome_of(exc), self.ctx.now(), transient=transient)
            return 0
        await self._delivered(
            survey,
            str(response["channel"]),
            str(response["ts"]),
            customer_id,
            locale=locale,
            # One person, two names: the throttle and `forget` need the link.
            emails={e for e in (survey.customer_email, profile.email) if e},
        )
        return 1

    async def _in_thread(self, survey: SurveyRecord, company: OtherCompany) -> SurveyRecord:
        """The survey of a customer from another company goes into its thread: kept
        before the post, so that the score never shows in the shared thread."""
        await slack_connect.send_in_thread(self.ctx.db, survey.id, company.team_id)
        return replace(survey, delivery=DeliveryKind.THREAD, customer_team=company.team_id)

    async def _delivered(
        self,
        survey: SurveyRecord,
        channel: str,
        ts: str,
        customer_id: str,
        *,
        recovered: bool = False,
        locale: str | None = None,
        emails: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        at = self.ctx.now()
        await outbox.mark_delivered(
            self.ctx.db,
            survey.id,
            channel_id=channel,
            message_ts=ts,
            at=at,
            customer_id=customer_id,
            locale=locale,
            emails=emails,
        )
        self.metrics.dispatch_lag.observe(max(0.0, (at - survey.send_after).total_seconds()))
        log.info(
            "survey delivered survey=%s channel=%s delivery=%s%s%s",
            survey.token,
            channel,
            survey.delivery,
            "" if survey.purpose is Purpose.CONVERSATION else f" purpose={survey.purpose}",
            " recovered=after_crash" if recovered else "",
        )
        await reminders.on_delivered(self.ctx, self._team(survey), survey)  # the team's, if any

    async def _posted_before(
        self, survey: SurveyRecord, customer_id: str, in_thread: bool
    ) -> tuple[str, str] | None:
        """The survey's message if a sender that died had already posted it."""
        assert survey.orphaned_since is not None
        oldest = f"{(survey.orphaned_since - HISTORY_SKEW).timestamp():.6f}"
        try:
            if in_thread and survey.channel_id and survey.thread_ts:
                channel = survey.channel_id
                response = await self.ctx.client.conversations_replies(
                    channel=channel,
                    ts=survey.thread_ts,
                    oldest=oldest,
                    limit=HISTORY_LIMIT,
                    include_all_metadata=True,
                )
            else:
                channel = await self.ctx.customers.dm_channel(customer_id)
                response = await self.ctx.client.conversations_history(
                    channel=channel, oldest=oldest, limit=HISTORY_LIMIT, include_all_metadata=True
                )
        except SlackApiError as exc:
            if outcome_of(exc) in PERMANENT_ERRORS:
                # Unreadable (e.g. a missing history scope): sending again risks a
                # second survey, never sending loses one; the first is the lesser harm.
                log.warning(
                    "survey history check impossible survey=%s error=%s",
                    survey.token,
                    outcome_of(exc),
                )
                return None
            raise
        for message in response.get("messages") or []:
            if _carries(message, survey.token):
                return channel, str(message["ts"])
        return None

    async def _message(self, survey: SurveyRecord, locale: str, in_thread: bool) -> dict[str, Any]:
        if survey.purpose is Purpose.REMINDER:
            return render_reminder(token=survey.token, kind=survey.kind, locale=locale)
        return render_survey(
            token=survey.token,
            kind=survey.kind,
            locale=locale,
            about=None if in_thread else await self._about(survey, locale),
        )

    async def _about(self, survey: SurveyRecord, locale: str) -> str | None:
        """In a DM nothing says which conversation is meant: name it, or link to it."""
        conversation = self.conversations.get(survey.id) or await store.conversation_of(
            self.ctx.db, survey
        )
        if conversation is None:
            return None
        if conversation.source == Source.WEBHOOK:
            return about_helpdesk_conversation(conversation.external_id, locale)
        if conversation.channel_id and conversation.thread_ts:
            link = await self.ctx.customers.permalink(
                conversation.channel_id, conversation.thread_ts
            )
            return about_slack_conversation(link, locale) if link else None
        return None

    async def _retry_or_fail(
        self, survey: SurveyRecord, error: str, now: datetime, *, transient: bool = False
    ) -> None:
        """`transient`: the failure itself says "later" (a 5xx, a timeout), whatever code
        the body gave, so the survey is retried until it expires."""
        attempts = survey.attempts + 1
        if not transient and error in UNREACHABLE_ERRORS:
            await outbox.give_up(
                self.ctx.db, survey.id, SurveyStatus.UNREACHABLE, error=error, attempts=attempts
            )
            log.warning("survey unreachable survey=%s error=%s", survey.token, error)
            return
        if not transient and (
            error in PERMANENT_ERRORS
            or (not is_transient(error) and attempts >= self.policy.max_attempts)
        ):
            await outbox.give_up(
                self.ctx.db, survey.id, SurveyStatus.FAILED, error=error, attempts=attempts
            )
            log.error("survey failed survey=%s attempts=%d error=%s", survey.token, attempts, error)
            return
        # Transient errors retry until the survey expires (the next claim expires it).
        until = now + timing.retry_delay(attempts, self.policy.retry_first)
        await outbox.postpone(self.ctx.db, survey.id, until, error=error, attempts=attempts)
        # One WARNING when a survey starts waiting or its error changes; the attempts
        # after it say nothing new, so an outage is not hundreds of lines.
        log.log(
            logging.DEBUG if error == survey.last_error else logging.WARNING,
            "survey delivery retry survey=%s attempts=%d error=%s next=%s",
            survey.token,
            attempts,
            error,
            until.isoformat(),
        )


def _carries(message: dict[str, Any], token: str) -> bool:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != SURVEY_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("survey") == token


def is_transient(error: str) -> bool:
    """Slack or the network was down or busy: another attempt later can succeed."""
    return error in TRANSIENT_ERRORS or error.startswith("http_5")


TRANSIENT_ERRORS = frozenset(
    {
        "429",
        "5xx",
        "timeout",
        "connection_error",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "ratelimited",
        "rate_limited",
        "team_added_to_org",
    }
)

# The customer cannot be reached in Slack: no account has their email, the account is
# gone, or Slack refuses a DM (a Slack Connect user of another organisation).
UNREACHABLE_ERRORS = frozenset(
    {
        "users_not_found",
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "invalid_user_combination",
    }
)

# Errors that another attempt cannot fix.
PERMANENT_ERRORS = frozenset(
    {
        "users_not_found",
        "user_not_found",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
        "user_disabled",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_blocks_too_long",
        "thread_not_found",
        "not_allowed_token_type",
    }
)
