"""A customer answers: whether a click counts, storing it, and the follow-up form.

Nothing a button or a form carries is trusted: the survey token is looked up, the
clicker must be the survey's customer, the score must be on the survey's scale and
the survey must still be open. Every refusal is a value the handler shows politely.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.accounts.settle import CompanyName, OwnTeam, account_at_answer, account_of_email
from bot.answering.follow_up_form import FieldErrors, FollowUpForm, validate_follow_up
from bot.scales import Band, Scale, band_of, scale_for
from bot.slack.values import is_slack_id, is_token
from bot.teams import DEFAULT_TEAM, Team, TeamLookup
from storage import answers as store
from storage import surveys
from storage.answers import AnswerRecord
from storage.db import Database
from storage.surveys import SurveyRecord
from storage.vocabulary import Delivery, Purpose, SurveyStatus

log = logging.getLogger("surveybot.answers")

# Statuses of a survey whose message the customer can see.
SHOWN = (SurveyStatus.DELIVERED, SurveyStatus.ANSWERED, SurveyStatus.EXPIRED)


class RefusalReason(StrEnum):
    """Why a click or a form does not count; bot.answering.answer_blocks says it politely."""

    UNKNOWN = "unknown_survey"
    NOT_YOURS = "not_yours"
    BAD_SCORE = "score_out_of_range"
    EXPIRED = "expired"
    WRONG_MESSAGE = "wrong_message"
    NOT_ANSWERED = "not_answered"
    FAILED = "failed"  # our fault, not theirs


@dataclass(frozen=True)
class Refusal:
    """A click or form that does not count, and why."""

    reason: RefusalReason
    survey: SurveyRecord | None = None  # known surveys: an expired one loses its buttons


@dataclass(frozen=True)
class AnswerOutcome:
    survey: SurveyRecord
    response: AnswerRecord
    changed: bool  # False: the same answer again (double click, Slack's retry)
    previous_score: int | None
    replayed: bool = False  # the very same click again (same action_ts): nothing to redo
    superseded: bool = False  # a later click (by action_ts) came first: it stands

    @property
    def scale(self) -> Scale:
        return scale_for(self.survey.kind)

    @property
    def band(self) -> Band:
        return band_of(self.scale, self.response.score)


def team_of(teams: TeamLookup, survey: SurveyRecord) -> Team:
    return teams.by_name(survey.team) or DEFAULT_TEAM


def locale_of(survey: SurveyRecord, team: Team) -> str:
    return survey.locale or team.language


def score_may_show_on_survey(survey: SurveyRecord) -> bool:
    """Only a DM is seen by the customer alone: in a thread the channel (the rated agent,
    colleagues, another company in a shared channel) sees the message, so the score
    goes to the customer privately instead."""
    return survey.delivery == Delivery.DM


def is_closed(survey: SurveyRecord, now: datetime) -> bool:
    return (
        survey.status in (SurveyStatus.EXPIRED, SurveyStatus.CANCELLED) or now >= survey.expires_at
    )


def refusal_for_click(
    survey: SurveyRecord | None,
    *,
    score: int | None,
    user_id: str,
    now: datetime,
    channel_id: str | None,
    message_ts: str | None,
) -> RefusalReason | None:
    """Why this click does not count, or None when it does. Pure."""
    if survey is None or survey.status not in SHOWN or survey.message_ts is None:
        return RefusalReason.UNKNOWN
    if user_id != survey.customer_id:
        return RefusalReason.NOT_YOURS
    # The click must come from the message we delivered, not from a copy elsewhere.
    if (channel_id, message_ts) != (survey.channel_id, survey.message_ts):
        return RefusalReason.WRONG_MESSAGE
    if score is not None and not scale_for(survey.kind).is_valid(score):
        return RefusalReason.BAD_SCORE
    if is_closed(survey, now):
        return RefusalReason.EXPIRED
    return None


def keeps_follow_up(kind: str) -> store.KeepsFollowUp:
    """A complaint is not praise: reasons and words stay only within the same band."""
    scale = scale_for(kind)

    def keeps(old: int, new: int) -> bool:
        return band_of(scale, old) is band_of(scale, new)

    return keeps


def _refused(what: str, reason: RefusalReason, survey: SurveyRecord | None) -> Refusal:
    """Log a refusal in one line; only an expired survey is handed back (to close it)."""
    # By the survey only: the clicker is usually the customer, whose id stays out of logs.
    log.info("%s refused survey=%s reason=%s", what, survey.token if survey else None, reason)
    return Refusal(reason, survey if reason is RefusalReason.EXPIRED else None)


async def survey_clicked(
    db: Database, token: str | None, channel_id: str | None, message_ts: str | None
) -> tuple[SurveyRecord | None, tuple[str | None, str | None]]:
    """The survey a score button answers, and the message its click counts as coming from.

    A reminder's buttons carry the reminder's token and answer the survey it reminds
    of: a click from the reminder as delivered counts as one on the survey itself
    (the same answer, changed by a second click, never a second answer); from
    anywhere else it is a click on the wrong message."""
    survey = await surveys.survey_by_token(db, token) if token and is_token(token) else None
    if survey is None or survey.purpose is not Purpose.REMINDER:
        return survey, (channel_id, message_ts)
    earlier = await surveys.get_survey(db, survey.reminds_id or 0)
    if earlier is None:
        return None, (channel_id, message_ts)
    from_reminder = survey.status is SurveyStatus.DELIVERED and (channel_id, message_ts) == (
        survey.channel_id,
        survey.message_ts,
    )
    if from_reminder:
        return earlier, (earlier.channel_id, earlier.message_ts)
    return earlier, (None, None)


@dataclass(frozen=True)
class FormDue:
    """The follow-up form a first answer needs, known before the click is stored."""

    survey: SurveyRecord
    score: int


async def form_due(
    db: Database,
    token: str | None,
    score: int | None,
    user_id: str,
    now: datetime,
    *,
    channel_id: str | None,
    message_ts: str | None,
) -> FormDue | None:
    """The follow-up form a survey's first low or top score opens, known by reads only.

    The trigger_id dies 3 s after the click and storing it can take longer under a
    burst, so a first answer's form opens before the write; record_answer still checks
    everything again when it stores the click. A change of mind waits for the write
    (which decides, in click order, whether the answer changed).
    """
    if token is None or score is None or not is_token(token):
        return None
    survey, (channel_id, message_ts) = await survey_clicked(db, token, channel_id, message_ts)
    refused = refusal_for_click(
        survey, score=score, user_id=user_id, now=now, channel_id=channel_id, message_ts=message_ts
    )
    if survey is None or refused is not None or survey.id is None:
        return None
    if not scale_for(survey.kind).opens_form(score):
        return None
    if await store.response_for(db, survey.id) is not None:
        return None  # a change of mind: decided once the click is stored, in order
    return FormDue(survey, score)


async def _unknown_team() -> str | None:
    return None


async def record_answer(
    db: Database,
    token: str | None,
    score: int | None,
    user_id: str,
    action_ts: str,
    now: datetime,
    *,
    channel_id: str | None,
    message_ts: str | None,
    customer_team: str | None = None,
    own_team: OwnTeam | None = None,
    company_name: CompanyName | None = None,
) -> AnswerOutcome | Refusal:
    """Store a score click; `token`/`score` are None when the button value was unreadable.

    `customer_team` is the clicker's own company (their `user.team_id` in the click), kept
    on the survey: checked by user id first, so it is the customer's, never the host's."""
    survey, (channel_id, message_ts) = await survey_clicked(db, token, channel_id, message_ts)
    reason = refusal_for_click(
        survey,
        score=score,
        user_id=user_id,
        now=now,
        channel_id=channel_id,
        message_ts=message_ts,
    )
    if score is None and reason is None:
        reason = RefusalReason.BAD_SCORE
    if reason is not None:
        return _refused("answer", reason, survey)
    assert survey is not None and score is not None
    company = customer_team if is_slack_id(customer_team) else None
    account = await account_at_answer(db, survey, company, own_team or _unknown_team, company_name)
    click = await store.record_click(
        db,
        survey,
        score,
        action_ts=action_ts,
        at=now,
        keeps_follow_up=keeps_follow_up(survey.kind),
        customer_team=company,
        account=(account.key, account.name) if account else None,
        account_of_email=account_of_email,
    )
    if click is None:  # closed by the sweep between the check and the write
        return _refused("answer", RefusalReason.EXPIRED, survey)
    log.info(
        "answer %s survey=%s score=%d previous=%s action_ts=%s",
        "recorded" if click.changed else "superseded" if click.superseded else "repeated",
        survey.token,
        score,
        click.previous_score,
        action_ts,
    )
    return AnswerOutcome(
        survey,
        click.response,
        click.changed,
        click.previous_score,
        replayed=click.replayed,
        superseded=click.superseded,
    )


@dataclass(frozen=True)
class Answered:
    """An answered survey its customer may still add to (comment, change of mind)."""

    survey: SurveyRecord
    response: AnswerRecord

    @property
    def band(self) -> Band:
        return band_of(scale_for(self.survey.kind), self.response.score)


async def answered_survey(
    db: Database, token: str | None, user_id: str, now: datetime
) -> Answered | Refusal:
    """The customer's own, still open, answered survey behind a button or a form."""
    survey = await surveys.survey_by_token(db, token) if token and is_token(token) else None
    reason: RefusalReason | None = None
    response = None
    if survey is None or survey.status not in SHOWN:
        reason = RefusalReason.UNKNOWN
    elif user_id != survey.customer_id:
        reason = RefusalReason.NOT_YOURS
    elif is_closed(survey, now):
        reason = RefusalReason.EXPIRED
    else:
        response = await store.response_for(db, survey.id)
        if response is None:
            reason = RefusalReason.NOT_ANSWERED
    if reason is not None or response is None or survey is None:
        return _refused("follow-up", reason or RefusalReason.UNKNOWN, survey)
    return Answered(survey, response)


async def save_follow_up(
    db: Database, answered: Answered, form: FollowUpForm, now: datetime
) -> Answered | None:
    """Store a validated follow-up; None if the answer vanished meanwhile."""
    response = await store.save_follow_up(
        db, answered.survey.id, reasons=form.reasons, comment=form.comment, at=now
    )
    if response is None:
        return None
    log.info(
        "follow-up saved survey=%s reasons=%s comment_chars=%d",
        answered.survey.token,
        ",".join(form.reasons) or "-",
        len(form.comment or ""),
    )
    return Answered(answered.survey, response)


def follow_up_errors(answered: Answered, form: FollowUpForm, locale: str | None) -> FieldErrors:
    """Field errors for the modal, judged against the answer the customer gave."""
    return validate_follow_up(form, band=answered.band, locale=locale)
