"""Delivering due surveys from the outbox in the database.

Everything it needs is in the database, so a restart loses nothing; a survey is
claimed with a conditional update before it is sent, so two processes sharing one
PostgreSQL never send the same survey twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import timing
from bot.blocks.survey import (
    about_helpdesk_conversation,
    about_slack_conversation,
    render_survey,
)
from bot.clock import utcnow
from bot.customers import CustomerDirectory
from bot.i18n import chosen_locale
from bot.teams import DEFAULT_TEAM, Team, Teams
from storage import customers as people
from storage import surveys as store
from storage.db import Database
from storage.statuses import Delivery, Source
from storage.surveys import SurveyRecord

log = logging.getLogger("surveybot.dispatcher")

LEASE = timedelta(minutes=5)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        client: AsyncWebClient,
        customers: CustomerDirectory,
        teams: Teams,
        *,
        max_attempts: int = 5,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.client = client
        self.teams = teams
        self.customers = customers
        self.max_attempts = max_attempts
        self.clock = clock

    async def run_once(self, limit: int = 50) -> int:
        """Send what is due now; answer how many surveys were delivered."""
        delivered = 0
        for survey_id in await store.due_survey_ids(self.db, self.clock(), limit):
            now = self.clock()
            survey = await store.claim_survey(self.db, survey_id, now, now + LEASE)
            if survey is None:
                continue  # another dispatcher has it
            try:
                delivered += await self._deliver(survey, now)
            except Exception:
                # Never leave a claimed survey behind: it goes back for a retry.
                log.exception("survey delivery crashed survey=%s", survey.token)
                await self._retry_or_fail(survey, "internal_error", now)
        return delivered

    def _team(self, survey: SurveyRecord) -> Team:
        return self.teams.by_name(survey.team) or DEFAULT_TEAM

    async def _deliver(self, survey: SurveyRecord, now: datetime) -> int:
        if now >= survey.expires_at:
            await store.mark_expired(self.db, survey.id)
            log.info("survey expired before delivery survey=%s", survey.token)
            return 0
        team = self._team(survey)
        try:
            customer_id = survey.customer_id or await self.customers.user_id_for_email(
                survey.customer_email or ""
            )
            if customer_id != survey.customer_id:
                await store.set_customer(self.db, survey.id, customer_id)
            profile = await self.customers.profile(customer_id)
            # One person, two names: the throttle and `forget` need the link.
            for email in {survey.customer_email, profile.email} - {None}:
                await people.link_email(self.db, str(email), customer_id, now)
            # A lead asked for their test survey now: quiet hours are for customers.
            quiet = None if survey.is_test else team.quiet_window
            morning = timing.quiet_hours_end(now, profile.zone or team.zone, quiet)
            if morning is not None:
                await store.postpone(self.db, survey.id, morning)
                log.info(
                    "survey waits for quiet hours survey=%s until=%s",
                    survey.token,
                    morning.isoformat(),
                )
                return 0
            # Chosen once, here, and kept on the survey: the clicks, the form and the
            # refusals later speak the same language without asking Slack again.
            locale = chosen_locale(survey.locale, profile.locale, team.language)
            in_thread = bool(
                survey.delivery == Delivery.THREAD and survey.channel_id and survey.thread_ts
            )
            message = render_survey(
                token=survey.token,
                kind=survey.kind,
                locale=locale,
                about=None if in_thread else await self._about(survey, locale),
            )
            if in_thread and survey.channel_id:
                channel = survey.channel_id
                response = await self.client.chat_postMessage(
                    channel=channel, thread_ts=survey.thread_ts, **message
                )
            else:
                channel = await self.customers.dm_channel(customer_id)
                response = await self.client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            await self._retry_or_fail(survey, str(exc.response.get("error") or "slack_error"), now)
            return 0
        await store.mark_delivered(
            self.db,
            survey.id,
            channel_id=response["channel"],
            message_ts=response["ts"],
            at=self.clock(),
            customer_id=customer_id,
            locale=locale,
        )
        log.info(
            "survey delivered survey=%s channel=%s delivery=%s",
            survey.token,
            response["channel"],
            survey.delivery,
        )
        return 1

    async def _about(self, survey: SurveyRecord, locale: str) -> str | None:
        """In a DM nothing says which conversation is meant: name it, or link to it."""
        conversation = await store.conversation_of(self.db, survey)
        if conversation is None:
            return None
        if conversation.source == Source.WEBHOOK:
            return about_helpdesk_conversation(conversation.external_id, locale)
        if conversation.channel_id and conversation.thread_ts:
            link = await self.customers.permalink(conversation.channel_id, conversation.thread_ts)
            return about_slack_conversation(link, locale) if link else None
        return None

    async def _retry_or_fail(self, survey: SurveyRecord, error: str, now: datetime) -> None:
        attempts = survey.attempts + 1
        if error in UNREACHABLE_ERRORS:
            await store.mark_unreachable(self.db, survey.id, error=error, attempts=attempts)
            log.warning("survey unreachable survey=%s error=%s", survey.token, error)
            return
        if attempts >= self.max_attempts or error in PERMANENT_ERRORS:
            await store.mark_failed(self.db, survey.id, error=error, attempts=attempts)
            log.error("survey failed survey=%s attempts=%d error=%s", survey.token, attempts, error)
            return
        until = now + timing.retry_delay(attempts)
        await store.postpone(self.db, survey.id, until, error=error, attempts=attempts)
        log.warning(
            "survey delivery retry survey=%s attempts=%d error=%s next=%s",
            survey.token,
            attempts,
            error,
            until.isoformat(),
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
    }
)
