"""Customers from another company in a shared support channel (Slack Connect).

Slack rarely lets an app DM someone of another organisation (conversations.open answers
`invalid_user_combination`), so their survey goes into the support thread, whatever the
team's `delivery` says; a team with `external_dm = "try"` tries a DM first and falls back
to the thread when Slack refuses it. Who is from another company: users.info shows a
stranger, cannot see them at all, or names another team than ours; failing that, the
`user_team` of the message that started the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache

from bot.context import WorkspaceContext
from bot.slack.customers import CustomerProfile
from storage import support_messages
from storage.surveys import SurveyRecord
from storage.vocabulary import Delivery, Purpose

log = logging.getLogger("surveybot.slack_connect")

# What Slack answers a DM to someone it will not let the app reach (conversations.open
# or chat.postMessage): the survey goes to the thread instead.
DM_REFUSALS = frozenset(
    {"invalid_user_combination", "not_allowed", "user_not_found", "channel_not_found"}
)
# A refused DM is logged once per company in this long, not once per survey.
REFUSAL_LOG_SECONDS = 24 * 3600.0
MAX_COMPANIES = 10_000


@dataclass(frozen=True)
class OtherCompany:
    """The customer is from another company; `team_id` is theirs when Slack or the
    message event said it."""

    team_id: str | None


def may_go_to_thread(survey: SurveyRecord) -> bool:
    """A conversation's survey meant for a DM that has a thread to fall back on."""
    return (
        survey.purpose is Purpose.CONVERSATION
        and survey.delivery == Delivery.DM
        and bool(survey.channel_id and survey.thread_ts)
    )


async def other_company(
    ctx: WorkspaceContext, survey: SurveyRecord, profile: CustomerProfile
) -> OtherCompany | None:
    """Whether the survey's customer is from another company than the workspace's own.

    Never blocks a send: a lookup that fails only leaves less to judge by."""
    team = profile.team_id
    if team is None and survey.channel_id and survey.thread_ts:
        # users.info could not say: the conversation's first message could.
        root = await support_messages.seen(
            ctx.db, ctx.workspace, survey.channel_id, survey.thread_ts
        )
        team = root.author_team if root is not None else None
    if profile.is_stranger or not profile.seen_by_slack:
        return OtherCompany(team)
    own = await ctx.customers.own_team() if team else None
    if team and own and team != own:
        return OtherCompany(team)
    return None


class RefusedDms:
    """Says once per company (a day, per process) that Slack refused a DM to its people
    and their surveys go into the thread: one line, not one per survey."""

    def __init__(self, clock: Callable[[], datetime], max_companies: int = MAX_COMPANIES) -> None:
        self._logged: TTLCache[str, bool] = TTLCache(
            max_companies, REFUSAL_LOG_SECONDS, timer=lambda: clock().timestamp()
        )

    def note(self, company: OtherCompany, error: str, survey: SurveyRecord) -> None:
        key = company.team_id or "unknown"
        if key in self._logged:
            return
        self._logged[key] = True
        log.info(
            "slack connect dm refused, surveys go to the thread company=%s error=%s survey=%s",
            key,
            error,
            survey.token,
        )
