"""SQLModel tables. Uniqueness that the product promises is a database constraint.

Status-like columns hold storage.vocabulary's enums: their values in the database, their
members in Python (storage.types.Vocabulary).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, Vocabulary
from storage.vocabulary import (
    AlertStatus,
    ConversationOutcome,
    Delivery,
    DigestPostStatus,
    NpsOutcome,
    Purpose,
    Source,
    SurveyKind,
    SurveyStatus,
)

# An account's key is its origin and id ("helpdesk:…", "slack:T…", "domain:…").
ACCOUNT_KEY_LENGTH = 255
ACCOUNT_NAME_LENGTH = 200


def _workspace(primary_key: bool = False) -> str:
    # The Slack workspace a row belongs to: its team id, or the enterprise id of an
    # org-wide install; "" is the one workspace of SLACK_BOT_TOKEN.
    return Field(  # type: ignore[no-any-return]
        default="",
        primary_key=primary_key,
        max_length=32,
        sa_column_kwargs={"server_default": ""},
    )


def _utc(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Conversation(SQLModel, table=True):
    """A closed support conversation, from a Slack thread or a helpdesk webhook."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("workspace", "source", "external_id", name="uq_conversation_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace: str = _workspace()
    source: Source = Field(sa_column=Column(Vocabulary(Source, 16), nullable=False))
    external_id: str = Field(max_length=255)  # "<channel>:<ts>" or the helpdesk's id
    team: str = Field(max_length=80)
    channel_id: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    customer_id: str | None = Field(default=None, max_length=32)
    customer_email: str | None = Field(default=None, max_length=320)
    agent_id: str | None = Field(default=None, max_length=32)  # recorded at close: the credit
    agent_email: str | None = Field(default=None, max_length=320)
    closed_at: datetime = Field(sa_column=_utc())
    locale: str | None = Field(default=None, max_length=16)
    customer_value: float | None = None
    outcome: ConversationOutcome = Field(
        sa_column=Column(Vocabulary(ConversationOutcome, 16), nullable=False)
    )
    url: str | None = Field(default=None, max_length=2000)  # the helpdesk's page for it


class CustomerEmail(SQLModel, table=True):
    """One person, two names: an email address and the Slack id it belongs to.

    Filled whenever the bot learns both (users.lookupByEmail, a profile's email, a
    webhook naming both), so the throttle and `forget` treat them as one customer.
    """

    __tablename__ = "customer_emails"

    workspace: str = _workspace(primary_key=True)
    email: str = Field(primary_key=True, max_length=320)  # lower case
    slack_id: str = Field(max_length=32, index=True)
    learned_at: datetime = Field(sa_column=_utc())


# What each purpose points at: a conversation's survey its conversation, a reminder
# the send it reminds, an invitation nothing.
PURPOSE_LINKS = (
    f"(purpose = '{Purpose.CONVERSATION}') = (conversation_id IS NOT NULL)"
    f" AND (purpose = '{Purpose.REMINDER}') = (reminds_id IS NOT NULL)"
)


class Survey(SQLModel, table=True):
    """The outbox the dispatcher reads: one survey per conversation, invitations without
    one, and at most one reminder per earlier send (storage.vocabulary.Purpose)."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("reminds_id", name="uq_surveys_one_reminder"),
        CheckConstraint(PURPOSE_LINKS, name="ck_surveys_purpose_links"),
        Index("ix_surveys_due", "status", "send_after"),
        Index("ix_surveys_customer_recent", "workspace", "customer_key", "created_at"),
        Index("ix_surveys_thread", "channel_id", "thread_ts"),
        # The response rate: surveys delivered in a team's week or month, and how many
        # were answered, from the index alone (reminders left out).
        Index(
            "ix_surveys_team_delivered",
            *("workspace", "team", "delivered_at", "is_test", "status", "purpose"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace: str = _workspace()
    token: str = Field(max_length=32, unique=True)  # opaque id carried by buttons
    purpose: Purpose = Field(
        default=Purpose.CONVERSATION,
        sa_column=Column(
            Vocabulary(Purpose, 16), nullable=False, server_default=Purpose.CONVERSATION.value
        ),
    )
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id", unique=True)
    # A reminder's earlier send (the unique constraint: one reminder per send).
    reminds_id: int | None = Field(default=None, foreign_key="surveys.id")
    team: str = Field(max_length=80)
    kind: SurveyKind = Field(sa_column=Column(Vocabulary(SurveyKind, 8), nullable=False))
    # The customer's stable key for the throttle: their Slack id once known, else the email.
    customer_key: str = Field(max_length=320)
    customer_id: str | None = Field(default=None, max_length=32)
    customer_email: str | None = Field(default=None, max_length=320)
    agent_id: str | None = Field(default=None, max_length=32)
    locale: str | None = Field(default=None, max_length=16)
    delivery: Delivery = Field(sa_column=Column(Vocabulary(Delivery, 8), nullable=False))
    # The thread's channel until delivery, then the channel it was delivered to.
    channel_id: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    status: SurveyStatus = Field(sa_column=Column(Vocabulary(SurveyStatus, 16), nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    send_after: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())
    lease_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # When the current sender took it; and, after a sender died holding it, since when
    # a post may have reached Slack unrecorded (the oldest bound of the history check).
    claimed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    orphaned_since: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    message_ts: str | None = Field(default=None, max_length=32)
    delivered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # A lead's "Send me a test survey": delivered like any other, never counted.
    is_test: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The customer's own company (their Slack team id, not ours): from their click, or at
    # delivery when they are from another company (Slack Connect). None: not known yet.
    customer_team: str | None = Field(default=None, max_length=32)
    # The customer's company (bot.accounts): the helpdesk's account at close, else settled
    # at the first answer from their Slack Connect company or their email's domain.
    account: str | None = Field(default=None, max_length=ACCOUNT_KEY_LENGTH)
    account_name: str | None = Field(default=None, max_length=ACCOUNT_NAME_LENGTH)


class Response(SQLModel, table=True):
    """The answer that counts for a survey (the latest click)."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_team_answered", "workspace", "team", "answered_at"),
        # Covers the digest's and Home's score histograms, test answers left out, from
        # the index alone.
        Index(
            "ix_responses_digest",
            *("workspace", "team", "answered_at", "kind", "score", "is_test"),
        ),
        # An agent's own Home: their answers of the last 30 days.
        Index("ix_responses_agent_answered", "agent_id", "answered_at"),
        # Accounts' health and risk: a period's answers grouped by account and person,
        # from the index alone (a copy of the survey's account: no join per answer).
        Index(
            "ix_responses_accounts",
            *("workspace", "team", "answered_at", "account", "customer_id", "kind"),
            *("score", "is_test", "customer_value"),
        ),
        # One account's answers, newest first (the drill-down), and its name (the pages).
        Index(
            "ix_responses_account_answered",
            *("workspace", "team", "account", "answered_at", "account_name"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", unique=True)
    workspace: str = _workspace()
    team: str = Field(max_length=80)
    kind: SurveyKind = Field(sa_column=Column(Vocabulary(SurveyKind, 8), nullable=False))
    agent_id: str | None = Field(default=None, max_length=32, index=True)
    customer_id: str | None = Field(default=None, max_length=32)
    customer_value: float | None = None
    score: int
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: datetime = Field(sa_column=_utc())
    commented_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # Set once, by a conditional update, when the agent was thanked: kudos never go twice.
    kudos_sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # Copied from the survey: a lead's test answer is never counted in any figure.
    is_test: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The customer's company when they answered (the survey's, settled then).
    account: str | None = Field(default=None, max_length=ACCOUNT_KEY_LENGTH)
    account_name: str | None = Field(default=None, max_length=ACCOUNT_NAME_LENGTH)


class ResponseReason(SQLModel, table=True):
    """One reason the customer gave in the follow-up, one row per reason and answer."""

    __tablename__ = "response_reasons"

    # The primary key is the promise: a reason counts once per answer. It is also the
    # digest's index: the week's answers come from ix_responses_digest, their reasons
    # from here. (An index led by `reason` tempted SQLite to read every answer ever
    # given for a reason: 3x slower digests on a year of a large team.)
    response_id: int = Field(foreign_key="responses.id", primary_key=True)
    reason: str = Field(primary_key=True, max_length=32)


class AnswerChange(SQLModel, table=True):
    """Every click, kept as history when a customer changes their mind."""

    __tablename__ = "answer_changes"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    score: int
    action_ts: str | None = Field(default=None, max_length=32)
    answered_at: datetime = Field(sa_column=_utc())


class Alert(SQLModel, table=True):
    """A low score brought to the team's alert channel."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_team_status", "workspace", "team", "status"),
        # The digest's "resolved this week" next to the waiting ones.
        Index("ix_alerts_team_status_resolved", "workspace", "team", "status", "resolved_at"),
        # Home's open alerts, oldest first.
        Index("ix_alerts_team_status_created", "workspace", "team", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", unique=True)
    workspace: str = _workspace()
    team: str = Field(max_length=80)
    status: AlertStatus = Field(sa_column=Column(Vocabulary(AlertStatus, 16), nullable=False))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=_utc())
    claimed_by: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    resolved_by: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class ProcessedEvent(SQLModel, table=True):
    """Slack deliveries already handled: retries of the same event_id are dropped."""

    __tablename__ = "processed_events"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(sa_column=_utc(index=True))


class SupportMessage(SQLModel, table=True):
    """A message the bot saw in a support channel (a message event), so that a close
    needs no history read: Slack rations those for apps outside its Marketplace."""

    __tablename__ = "support_messages"

    workspace: str = Field(default="", primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    ts: str = Field(primary_key=True, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)  # set on a reply
    author: str | None = Field(default=None, max_length=32)  # None: a bot or an app wrote it
    author_team: str | None = Field(default=None, max_length=32)  # their own company's team id
    seen_at: datetime = Field(sa_column=_utc(index=True))


class DigestPost(SQLModel, table=True):
    """One row per team, week and digest: the database decides that it is posted once."""

    __tablename__ = "digest_posts"
    __table_args__ = (
        UniqueConstraint("workspace", "team", "period", "digest", name="uq_digest_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace: str = _workspace()
    team: str = Field(max_length=80)
    period: str = Field(max_length=16)  # ISO week, "2026-W47"
    digest: str = Field(max_length=48)  # a vocabulary.DigestPart or an agent_part()
    status: DigestPostStatus = Field(
        sa_column=Column(Vocabulary(DigestPostStatus, 16), nullable=False)
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(sa_column=_utc())
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


class SlackPace(SQLModel, table=True):
    """The pacer's state per workspace, Slack method (and channel): shared by every process.

    One number per key: GCRA's theoretical arrival time, in microseconds since the epoch.
    """

    __tablename__ = "slack_pace"

    key: str = Field(primary_key=True, max_length=200)
    tat_us: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))


class ServedWorkspace(SQLModel, table=True):
    """A workspace served through the OAuth flow: which org's install serves it (an
    org-wide install on Enterprise Grid), and since when it is uninstalled, if it is."""

    __tablename__ = "workspaces"

    workspace: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    first_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    uninstalled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    uninstall_reason: str | None = Field(default=None, max_length=32)


class TeamSettings(SQLModel, table=True):
    """A team's settings as App Home saves them; the teams file only seeds the first row."""

    __tablename__ = "team_settings"

    # The Slack workspace the team belongs to ("" for the one of SLACK_BOT_TOKEN).
    workspace: str = Field(default="", primary_key=True, max_length=32)
    team: str = Field(primary_key=True, max_length=80)
    settings: str = Field(sa_column=Column(Text, nullable=False))  # the Team as JSON
    # Optimistic concurrency: a save names the version it was edited from.
    version: int = Field(default=1)
    updated_at: datetime = Field(sa_column=_utc())
    updated_by: str | None = Field(default=None, max_length=32)  # None: seeded from the file
    # When the team was first seen (seeded); None for teams known before this was kept.
    created_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class TeamSettingChange(SQLModel, table=True):
    """One changed field of one save: who, what, from, to, when."""

    __tablename__ = "team_setting_changes"
    __table_args__ = (Index("ix_team_setting_changes_team", "workspace", "team", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace: str = Field(default="", max_length=32)
    team: str = Field(max_length=80)
    version: int  # the version this save created
    field: str = Field(max_length=40)
    old_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    new_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    changed_by: str = Field(max_length=32)
    changed_at: datetime = Field(sa_column=_utc())


class NpsRound(SQLModel, table=True):
    """One relational NPS round of a team: planned once (the unique constraint decides
    between processes), reported once when its last survey is answered or expired."""

    __tablename__ = "nps_rounds"
    __table_args__ = (UniqueConstraint("workspace", "team", "starts_on", name="uq_nps_round_once"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace: str = _workspace()
    team: str = Field(max_length=80)
    starts_on: str = Field(max_length=10)  # the schedule's date, "2027-01-11"
    spread_days: int
    planned_at: datetime = Field(sa_column=_utc())
    asked: int = 0
    skipped: int = 0
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # The round report, claimed by a conditional update like a digest: posted once.
    report_status: DigestPostStatus | None = Field(
        default=None, sa_column=Column(Vocabulary(DigestPostStatus, 16), nullable=True)
    )
    report_ts: str | None = Field(default=None, max_length=32)


class NpsInvite(SQLModel, table=True):
    """What a round decided for one active customer: asked (with their slot and survey),
    or skipped and why. Nothing skipped is queued for later."""

    __tablename__ = "nps_invites"
    __table_args__ = (Index("ix_nps_invites_survey", "survey_token"),)

    round_id: int = Field(foreign_key="nps_rounds.id", primary_key=True)
    customer_key: str = Field(primary_key=True, max_length=320)
    workspace: str = _workspace()
    customer_id: str | None = Field(default=None, max_length=32)
    customer_email: str | None = Field(default=None, max_length=320)
    outcome: NpsOutcome = Field(sa_column=Column(Vocabulary(NpsOutcome, 24), nullable=False))
    # Their slot as a wall time in their own zone ("2027-01-12T09:41"); the dispatcher
    # learns the zone from their profile at sending time.
    slot: str | None = Field(default=None, max_length=16)
    # The invitation's token (surveys.token, unique): stored without asking the database
    # for 100,000 new ids one row at a time.
    survey_token: str | None = Field(default=None, max_length=32)
    customer_value: float | None = None


# ------------------------------------------------------------------ figures kept ahead
# Kept by the database's own triggers (migration 0019) in the transaction that changes
# an answer or a survey, so Home and the digest sum a few hundred hourly rows instead of
# counting a month of answers. Storage alone writes them; nothing here is a source.


class AnswerTally(SQLModel, table=True):
    """Counted answers of one hour by score; with a reason, those that cite it."""

    __tablename__ = "answer_tallies"

    workspace: str = _workspace(primary_key=True)
    team: str = Field(primary_key=True, max_length=80)
    kind: str = Field(primary_key=True, max_length=8)
    reason: str = Field(primary_key=True, max_length=32)  # "" counts the answers themselves
    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    score: int = Field(primary_key=True)
    answers: int


class DeliveryTally(SQLModel, table=True):
    """Surveys delivered in one hour (reminders and test surveys left out), and how many
    of them are answered now."""

    __tablename__ = "delivery_tallies"

    workspace: str = _workspace(primary_key=True)
    team: str = Field(primary_key=True, max_length=80)
    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    delivered: int
    answered: int


class AnswerRevision(SQLModel, table=True):
    """Raised whenever a team's answers of an earlier day change (moved, re-scored,
    forgotten): a snapshot of past days built before it is stale."""

    __tablename__ = "answer_revisions"

    workspace: str = _workspace(primary_key=True)
    team: str = Field(primary_key=True, max_length=80)
    revision: int


class AccountSpan(SQLModel, table=True):
    """A snapshot of accounts' people over whole past days, built once at `revision`."""

    __tablename__ = "account_spans"

    workspace: str = _workspace(primary_key=True)
    team: str = Field(primary_key=True, max_length=80)
    kind: str = Field(primary_key=True, max_length=8)
    first_day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    end_day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    formula: str = Field(max_length=80)  # the thresholds it was counted with
    revision: int  # -1 while it is being built
    built_at: datetime = Field(sa_column=_utc())


class AccountPerson(SQLModel, table=True):
    """One person's answers in an account over a snapshot's days (an anonymous answer is
    a person of its own)."""

    __tablename__ = "account_people"

    workspace: str = _workspace(primary_key=True)
    team: str = Field(primary_key=True, max_length=80)
    kind: str = Field(primary_key=True, max_length=8)
    first_day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    end_day: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    account: str = Field(primary_key=True, max_length=ACCOUNT_KEY_LENGTH)
    person: str = Field(primary_key=True, max_length=40)
    answers: int  # of the measured kind
    satisfied: int  # of the measured kind
    low: int  # of any kind
    value: float | None = None  # their monthly value
