"""The helpdesk webhook: its signature and its body, checked into plain values."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator

from bot.scales import SurveyKind
from bot.surveys import ClosedConversation
from bot.teams import Teams
from storage.statuses import Source

MAX_SKEW = timedelta(minutes=5)


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

    conversation_id: str = Field(min_length=1, max_length=200)
    customer: Person
    agent: Person | None = None
    team: str | None = Field(default=None, min_length=1, max_length=80)
    survey: SurveyKind | None = None
    closed_at: datetime | None = None
    locale: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
    customer_value: float | None = Field(default=None, ge=0, le=1e9)

    @model_validator(mode="before")
    @classmethod
    def _id_as_text(cls, data: Any) -> Any:
        # Helpdesks send numeric ids; a number is as good as a string here.
        if isinstance(data, dict) and isinstance(data.get("conversation_id"), int):
            data = {**data, "conversation_id": str(data["conversation_id"])}
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


def parse_close(body: bytes, teams: Teams, now: datetime) -> ClosedConversation | BadRequest:
    """The body as a close, or what is wrong with it (naming the field)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return BadRequest("body: not valid JSON")
    if not isinstance(data, dict):
        return BadRequest("body: must be a JSON object")
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
