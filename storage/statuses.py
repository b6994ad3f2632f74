"""The values the tables' status-like columns hold, one enum per concept.

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


class Purpose(StrEnum):
    """Why a row of the outbox is sent; each goes through the same dispatcher."""

    CONVERSATION = "conversation"  # the survey of a closed conversation
    INVITATION = "invitation"  # a survey with no conversation (e.g. a relational NPS round)
    REMINDER = "reminder"  # one nudge about an earlier send, in that send's thread or DM
