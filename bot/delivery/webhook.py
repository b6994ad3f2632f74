"""The helpdesk webhook: its signature and its body, checked into plain values."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from bot.accounts.naming import helpdesk_account
from bot.context import WorkspaceContext
from bot.delivery import timing
from bot.delivery.closes import ClosedConversation, CloseResult, close_conversation
from bot.slack.requests import json_depth
from bot.teams import TeamLookup
from bot.text import identifier_problem
from storage.vocabulary import CloseStatus, Source, SurveyKind

log = logging.getLogger("surveybot.webhook")

MAX_SKEW = timedelta(minutes=5)
# A close is a flat object with two small ones inside; deeper nesting is not a close.
MAX_DEPTH = 16
MAX_URL_LENGTH = 2000

_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_problem(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> str | None:
    """Why the request must be refused, or None when it is genuine and fresh."""
    if not timestamp or not signature:
        return "missing X-Surveybot-Timestamp or X-Surveybot-Signature"
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        return "X-Surveybot-Timestamp is not unix seconds"
    if abs(now - sent) > MAX_SKEW:
        return "stale timestamp (more than 5 minutes from now)"
    # Bytes, not str: compare_digest raises on non-ASCII text, and a header is anyone's.
    given = signature.strip().encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), given):
        return "wrong signature"
    return None


def _identifier(value: str) -> str:
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Ids end up in the database and in log lines: printable text of a sane length only.
Identifier = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_identifier)]
TeamName = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_identifier)]


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _without_empty(data: Any) -> Any:
    """The object without its empty values: a blank helpdesk field means "not given"."""
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if not _is_empty(v)}


class Person(BaseModel):
    """A customer or an agent, by Slack id or email; a helpdesk's other fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    slack_user_id: str | None = Field(default=None, strict=True)
    email: EmailStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        return _without_empty(data)

    @field_validator("slack_user_id")
    @classmethod
    def _slack_id(cls, value: str | None) -> str | None:
        if value is not None and not _SLACK_USER_ID.fullmatch(value):
            raise ValueError("is not a Slack user id (like U012AB3CD)")
        return value

    @property
    def named(self) -> bool:
        return bool(self.slack_user_id or self.email)


def _link(value: str) -> str:
    # Some placeholders write the ticket's address without its scheme (host/path).
    if "://" not in value and not value.lower().startswith(("javascript:", "data:")):
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http or https link to the conversation")
    # `|` and `>` would end a Slack link early; whitespace or controls would forge text.
    if any(ch in value for ch in "<>|") or any(ch.isspace() for ch in value):
        raise ValueError("must be a link without spaces or the characters < > |")
    return _identifier(value)


class AccountRef(BaseModel):
    """The customer's company as the helpdesk names it: {id, name}."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: Identifier = Field(strict=True)
    name: (
        Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_identifier)] | None
    ) = Field(default=None, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _as_helpdesks_send_it(cls, data: Any) -> Any:
        data = _without_empty(data)
        # Helpdesks number their organizations; a number is as good as a string (not a bool).
        if isinstance(data, dict):
            ident = data.get("id")
            if isinstance(ident, int) and not isinstance(ident, bool):
                data = {**data, "id": str(ident)}
        return data


class ConversationClosed(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # Strict: `true` is no id and no amount (lax parsing made them "True" and 1.0).
    conversation_id: Identifier = Field(strict=True)
    customer: Person
    agent: Person | None = None
    team: TeamName | None = Field(default=None, strict=True)
    survey: SurveyKind | None = None
    closed_at: datetime | None = None
    locale: str | None = Field(default=None, strict=True)
    customer_value: float | None = Field(
        default=None, strict=True, ge=0, le=1e9, allow_inf_nan=False
    )
    conversation_url: Annotated[str, AfterValidator(_link)] | None = Field(
        default=None, strict=True, max_length=MAX_URL_LENGTH
    )
    account: AccountRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_helpdesks_send_it(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = _without_empty(data)
        # A ticket without an organization: its blank placeholders mean no account.
        account = data.get("account")
        if isinstance(account, dict) and not _without_empty(account):
            data = {k: v for k, v in data.items() if k != "account"}
        # Helpdesks send numeric ids; a number is as good as a string here (a bool is not).
        conversation_id = data.get("conversation_id")
        if isinstance(conversation_id, int) and not isinstance(conversation_id, bool):
            data = {**data, "conversation_id": str(conversation_id)}
        # A ticket without an assignee: its agent fields are blank, which means no agent.
        agent = data.get("agent")
        if isinstance(agent, dict) and not _without_empty(agent):
            data = {k: v for k, v in data.items() if k != "agent"}
        return data

    @field_validator("customer")
    @classmethod
    def _customer_named(cls, value: Person) -> Person:
        if not value.named:
            raise ValueError("give slack_user_id or email")
        return value

    @field_validator("locale")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        if value is not None and not _LANGUAGE_TAG.fullmatch(value):
            raise ValueError("is not a language tag (like de or pt-BR)")
        return value


@dataclass(frozen=True)
class BadRequest:
    error: str


def _worded(item: ErrorDetails) -> str:
    field = ".".join(str(p) for p in item["loc"]) or "body"
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "missing":
        message = "is required"
    return f"{field}: {message}"


def _first_error(exc: ValidationError) -> str:
    return _worded(exc.errors()[0])


def read_object(body: bytes) -> dict[str, Any] | BadRequest:
    """The body as a JSON object, or why it is none."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return BadRequest("body: not valid JSON")
    except RecursionError:
        return BadRequest(f"body: nested deeper than {MAX_DEPTH} levels")
    except ValueError:  # Python's limit on the digits of an integer (4300)
        return BadRequest("body: a number has too many digits")
    if not isinstance(data, dict):
        return BadRequest("body: must be a JSON object")
    if json_depth(data) > MAX_DEPTH:
        return BadRequest(f"body: nested deeper than {MAX_DEPTH} levels")
    return data


def parse_close(body: bytes, teams: TeamLookup, now: datetime) -> ClosedConversation | BadRequest:
    """The body as a close, or what is wrong with it (naming the field)."""
    data = read_object(body)
    if isinstance(data, BadRequest):
        return data
    return close_from(data, teams, now)


class _Extras(BaseModel):
    """The fields a close can do without: a wrong one costs the credit, the link or the
    account."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    agent: Person | None = None
    account: AccountRef | None = None
    conversation_url: Annotated[str, AfterValidator(_link)] | None = Field(
        default=None, strict=True, max_length=MAX_URL_LENGTH
    )


def without_unusable_extras(data: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The body without an agent, link or account it cannot use, and what was left out
    and why.

    A close is refused only when it cannot be surveyed: a helpdesk's odd assignee
    field or ticket link loses the credit or the link, never the customer's survey.
    """
    extras = {k: v for k, v in data.items() if k in _Extras.model_fields and not _is_empty(v)}
    try:
        _Extras.model_validate(extras)
    except ValidationError as exc:
        unusable = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        problems = tuple(_worded(error) for error in exc.errors())
        return {k: v for k, v in data.items() if k not in unusable}, problems
    return data, ()


def close_from(
    data: dict[str, Any], teams: TeamLookup, now: datetime, *, id_prefix: str = ""
) -> ClosedConversation | BadRequest:
    """A generic body (parsed) as a close; `id_prefix` keeps each helpdesk's ids apart."""
    data, _ = without_unusable_extras(data)
    try:
        request = ConversationClosed.model_validate(data)
    except ValidationError as exc:
        return BadRequest(_first_error(exc))
    if request.survey is SurveyKind.NPS:
        return BadRequest("survey: must be 'csat' or 'ces'")
    team = teams.by_name(request.team) if request.team else teams.default
    if team is None:
        return BadRequest(f"team: no team named {request.team!r} in the teams file")
    closed_at = request.closed_at or now
    if closed_at.tzinfo is None:
        closed_at = closed_at.replace(tzinfo=UTC)
    try:
        closed_at = closed_at.astimezone(UTC)
    except (OverflowError, ValueError):
        return BadRequest("closed_at: out of range")
    if closed_at - now > MAX_SKEW:
        return BadRequest("closed_at: is in the future")
    agent = request.agent
    return ClosedConversation(
        source=Source.WEBHOOK,
        external_id=id_prefix + request.conversation_id,
        team=team,
        closed_at=closed_at,
        customer_id=request.customer.slack_user_id,
        customer_email=str(request.customer.email).lower() if request.customer.email else None,
        agent_id=agent.slack_user_id if agent else None,
        agent_email=str(agent.email).lower() if agent and agent.email else None,
        locale=request.locale,
        customer_value=request.customer_value,
        kind=request.survey,
        url=request.conversation_url,
        account=(
            helpdesk_account(request.account.id, request.account.name) if request.account else None
        ),
    )


@dataclass(frozen=True)
class Waiting:
    """When a scheduled survey goes out, as far as the close can tell, and what it waits for."""

    send_after: datetime
    waits_for: tuple[str, ...]  # "delay", "quiet_hours"
    why: str


def expected_send(closed: ClosedConversation, due: datetime, now: datetime) -> Waiting:
    """The team's delay, then its quiet hours (the customer's own timezone, known only to
    Slack, has the last word at delivery)."""
    team = closed.team
    waits: list[str] = []
    words: list[str] = []
    if due > now:
        waits.append("delay")
        words.append(f"the team's delay of {team.delay_minutes} min after the close")
    morning = timing.quiet_hours_end(due, team.zone, team.quiet_window)
    if morning is not None:
        waits.append("quiet_hours")
        words.append(
            f"the quiet hours {team.quiet_hours} ({team.timezone}, unless the customer's "
            "own timezone says otherwise)"
        )
        due = morning
    why = "waits for " + ", then ".join(words) if words else "goes out now"
    return Waiting(due, tuple(waits), why)


def _not_scheduled_why(status: CloseStatus, closed: ClosedConversation) -> str:
    team = closed.team
    reasons = {
        CloseStatus.DUPLICATE: "this conversation was reported before; its first survey stands",
        CloseStatus.THROTTLED: (
            f"the customer was sent a survey in the last {team.throttle_days} days (throttle_days)"
        ),
        CloseStatus.TOO_LATE: f"closed more than {team.expire_days} days ago (expire_days)",
        CloseStatus.UNREACHABLE: "no Slack account in the workspace has the customer's email",
        CloseStatus.SKIPPED: "closed without a survey",
        CloseStatus.NOT_SAMPLED: (
            f"not in the sample: the team surveys {team.sample_rate:.0%} of conversations "
            "(sample_rate)"
        ),
        CloseStatus.OWN_CONVERSATION: "the agent and the customer are the same person",
    }
    return reasons.get(status, "")


def close_answer(closed: ClosedConversation, result: CloseResult, now: datetime) -> dict[str, Any]:
    """The 202 answer: what happened to the close, when its survey goes, and why then."""
    answer: dict[str, Any] = {"survey_id": result.survey_id, "status": result.status.value}
    if result.status is CloseStatus.SCHEDULED and result.send_after is not None:
        waiting = expected_send(closed, result.send_after, now)
        answer["send_after"] = waiting.send_after.isoformat().replace("+00:00", "Z")
        answer["waits_for"] = list(waiting.waits_for)
        answer["why"] = waiting.why
    else:
        answer["why"] = _not_scheduled_why(result.status, closed)
    return answer


@dataclass(frozen=True)
class Received:
    """A close a webhook reported, recorded: the outcome and the 202 answer that says it."""

    result: CloseResult
    answer: dict[str, Any]


async def receive_close(
    ctx: WorkspaceContext, data: dict[str, Any], *, source: str = "webhook"
) -> Received | BadRequest:
    """A webhook's generic body (parsed) recorded as a close, or why it cannot be surveyed.

    `source` is the helpdesk whose endpoint it came to; its name keeps its ids apart.
    """
    prefix = "" if source == "webhook" else f"{source}:"
    now = ctx.now()
    data, ignored = without_unusable_extras(data)
    closed = close_from(data, ctx.teams, now, id_prefix=prefix)
    if isinstance(closed, BadRequest):
        return closed
    result = await close_conversation(ctx, closed)
    # Asked after the close: a survey due at once is "goes out now", not "waits".
    answer = close_answer(closed, result, ctx.now())
    if ignored:
        answer["ignored"] = list(ignored)
    log.info(
        # By the survey's token only: a helpdesk's conversation id can name its customer.
        "webhook close answered source=%s status=%s survey=%s send_after=%s waits_for=%s",
        source,
        answer["status"],
        answer["survey_id"],
        answer.get("send_after"),
        ",".join(answer.get("waits_for", ())) or None,
    )
    return Received(result, answer)
