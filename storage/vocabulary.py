"""The product's vocabulary: every status, kind, source, delivery, chart kind, drill
scope, alert action and digest part, one enum per concept. It imports nothing of ours,
so every layer (storage, bot, handlers) can use it.

StrEnum values are the strings stored in the database, so a column compares equal
to its member and the stored rows need no migration.
"""

from __future__ import annotations

from enum import StrEnum


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"  # in the outbox, due at send_after
    SENDING = "sending"  # claimed by a dispatcher until lease_until
    DELIVERED = "delivered"
    ANSWERED = "answered"
    EXPIRED = "expired"
    FAILED = "failed"  # delivery gave up; `surveybot retry` sends it again
    CANCELLED = "cancelled"  # the customer wrote again before it went out
    THROTTLED = "throttled"  # kept, never sent: the customer was asked recently
    TOO_LATE = "too_late"  # kept, never sent: the close was reported after its expiry
    # Kept, never sent: no Slack account has the customer's email, or Slack will not
    # let the bot open a DM with them (a Slack Connect user of another organisation).
    UNREACHABLE = "unreachable"


class AlertStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"  # someone said "I'll follow up"
    RESOLVED = "resolved"


class DigestPostStatus(StrEnum):
    POSTING = "posting"  # claimed; the message is on its way
    POSTED = "posted"
    FAILED = "failed"  # Slack refused it; later ticks try again a few times


class ConversationOutcome(StrEnum):
    SURVEY = "survey"  # it has a survey row (scheduled, throttled or too late)
    SKIPPED = "skipped"
    NOT_SAMPLED = "not_sampled"
    OWN_CONVERSATION = "own_conversation"


class Source(StrEnum):
    """Where a close came from."""

    SLACK = "slack"
    WEBHOOK = "webhook"
    TEST = "test"  # a lead's test survey, sent from App Home


class Delivery(StrEnum):
    """Where a survey goes: into the conversation's thread, or by direct message."""

    THREAD = "thread"
    DM = "dm"


class ExternalDm(StrEnum):
    """A team's way with customers from another company (Slack Connect): Slack rarely lets
    an app message them directly, so they are asked in the thread unless the team tries."""

    THREAD = "thread"  # always in the support thread
    TRY = "try"  # a DM first; the thread when Slack refuses it


class Purpose(StrEnum):
    """Why a row of the outbox is sent; each goes through the same dispatcher."""

    CONVERSATION = "conversation"  # the survey of a closed conversation
    INVITATION = "invitation"  # a survey with no conversation (e.g. a relational NPS round)
    REMINDER = "reminder"  # one nudge about an earlier send, in that send's thread or DM


class ReminderStatus(StrEnum):
    SCHEDULED = "scheduled"
    ALREADY_REMINDED = "already_reminded"  # there is never a second one
    NOT_WAITING = "not_waiting"  # answered, expired, cancelled, not delivered, a reminder


class SurveyKind(StrEnum):
    """What a survey measures (the scale of each is bot.scales)."""

    CSAT = "csat"
    CES = "ces"
    NPS = "nps"


class NpsOutcome(StrEnum):
    """What a relational NPS round decided for one active customer."""

    ASKED = "asked"  # an invitation waits in the outbox for their slot
    ASKED_RECENTLY = "asked_recently"  # surveyed within throttle_days: skipped, never queued
    ANSWERED_LAST_ROUND = "answered_last_round"  # answered the previous round: skipped


class CloseStatus(StrEnum):
    """What a close came to: the webhook's `status` and the agent's notice."""

    SCHEDULED = "scheduled"
    DUPLICATE = "duplicate"
    THROTTLED = "throttled"
    TOO_LATE = "too_late"  # reported after the survey would have expired: never sent
    UNREACHABLE = "unreachable"  # no Slack account has the customer's email: never sent
    SKIPPED = "skipped"  # closed with the skip reaction: no survey wanted
    NOT_SAMPLED = "not_sampled"
    OWN_CONVERSATION = "own_conversation"  # agents never rate their own conversations


class ChartKind(StrEnum):
    """How a team's trend is drawn: Slack's native chart block, a PNG upload, or not at all."""

    NATIVE = "native"
    IMAGE = "image"
    NONE = "none"


class DrillScope(StrEnum):
    """Which answers a Home drill-down shows."""

    LOW_WEEK = "low_week"  # this week's low scores
    ALL = "all"  # every answer of the last 30 days
    REASON = "reason"  # the answers citing one reason
    ACCOUNT = "account"  # one account's answers of the last 30 days


class AlertAction(StrEnum):
    """The buttons of an alert, in its channel and in App Home."""

    CLAIM = "claim"  # "I'll follow up"
    RESOLVE = "resolve"


class DigestPart(StrEnum):
    """The messages of one team's week, each posted once (an agent's summary is
    `agent_part(agent_id)`)."""

    GOOD_NEWS = "good_news"
    IMPROVEMENT = "improvement"
    CHART = "chart"
    COMPLETE = "complete"  # nothing of the week is left to try again


AGENT_PART_PREFIX = "agent:"


def agent_part(agent_id: str) -> str:
    return f"{AGENT_PART_PREFIX}{agent_id}"
