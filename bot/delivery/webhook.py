"""The helpdesk webhook: its signature and its body, checked into plain values."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    model_validator,
)

from bot.delivery.closes import ClosedConversation
from bot.slack.requests import json_depth
from bot.teams import TeamLookup
from bot.text import identifier_problem
from storage.vocabulary import Source, SurveyKind

MAX_SKEW = timedelta(minutes=5)
# A close is a flat object with two small ones inside; deeper nesting is not a close.
MAX_DEPTH = 16


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


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slack_user_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,30}$")
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> Person:
        if not self.slack_user_id and not self.email:
            raise ValueError("give slack_user_id or email")
        return self


class ConversationClosed(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # Strict: `true` is no id and no amount (lax parsing made them "True" and 1.0).
    conversation_id: Identifier = Field(strict=True)
    customer: Person
    agent: Person | None = None
    team: TeamName | None = Field(default=None, strict=True)
    survey: SurveyKind | None = None
    closed_at: datetime | None = None
    locale: str | None = Field(
        default=None, strict=True, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"
    )
    customer_value: float | None = Field(
        default=None, strict=True, ge=0, le=1e9, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _id_as_text(cls, data: Any) -> Any:
        # Helpdesks send numeric ids; a number is as good as a string here (a bool is not).
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        if isinstance(conversation_id, int) and not isinstance(conversation_id, bool):
            data = {**data, "conversation_id": str(conversation_id)}
        return data


@dataclass(frozen=True)
class BadRequest:
    error: str


def _first_error(exc: ValidationError) -> str:
    item = exc.errors()[0]
    field = ".".join(str(p) for p in item["loc"]) or "body"
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "missing":
        message = "is required"
    return f"{field}: {message}"


def parse_close(body: bytes, teams: TeamLookup, now: datetime) -> ClosedConversation | BadRequest:
    """The body as a close, or what is wrong with it (naming the field)."""
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
        external_id=request.conversation_id,
        team=team,
        closed_at=closed_at,
        customer_id=request.customer.slack_user_id,
        customer_email=str(request.customer.email).lower() if request.customer.email else None,
        agent_id=agent.slack_user_id if agent else None,
        agent_email=str(agent.email).lower() if agent and agent.email else None,
        locale=request.locale,
        customer_value=request.customer_value,
        kind=request.survey,
    )
