"""Helpdesks that call us their own way: each one's signature, and its payload as a close.

Zendesk and Freshdesk send the generic body (their trigger or rule writes it, see the
README's recipes); Intercom and Help Scout send their own conversation, mapped here to
the generic body so one set of rules decides every close.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.delivery.webhook import MAX_SKEW, BadRequest

# The header Freshdesk's rule sends the token in (Freshdesk does not sign its webhooks).
FRESHDESK_TOKEN_HEADER = "X-Surveybot-Token"
INTERCOM_CLOSED = "conversation.admin.closed"
HELPSCOUT_STATUS = "convo.status"
# Intercom's customers: a user, a lead, or (API 2.x) a contact; never an admin or a bot.
_INTERCOM_CUSTOMERS = frozenset({"user", "lead", "contact"})
# Who closed a Help Scout conversation, else whom it was assigned to: the agent at close.
_HELPSCOUT_AGENTS = ("closedBy", "owner", "assignee")


@dataclass(frozen=True)
class Ignored:
    """A genuine notification that is no close (a ping, another topic): answered 200."""

    why: str


Generic = dict[str, Any]


def _same(expected: str, given: str | None) -> bool:
    # Bytes, not str: compare_digest raises on non-ASCII text, and a header is anyone's.
    return hmac.compare_digest(
        expected.encode(), (given or "").strip().encode("utf-8", "surrogateescape")
    )


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(timestamp + body)), as Zendesk signs its webhooks."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _zendesk_time(timestamp: str) -> datetime | None:
    """Zendesk sends ISO 8601 (2024-04-17T17:18:10Z); unix seconds are read too."""
    try:
        if timestamp.isdigit():
            return datetime.fromtimestamp(int(timestamp), UTC)
        sent = datetime.fromisoformat(timestamp)
    except (ValueError, OverflowError, OSError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def zendesk_problem(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> str | None:
    timestamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp")
    signature = headers.get("X-Zendesk-Webhook-Signature")
    if not timestamp or not signature:
        return "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp"
    sent = _zendesk_time(timestamp.strip())
    if sent is None:
        return "X-Zendesk-Webhook-Signature-Timestamp is not a time"
    if abs(now - sent) > MAX_SKEW:
        return "stale timestamp (more than 5 minutes from now)"
    if not _same(zendesk_signature(secret, timestamp.strip(), body), signature):
        return "wrong signature"
    return None


def intercom_signature(secret: str, body: bytes) -> str:
    """sha1=<hex HMAC-SHA1 of the body>, keyed by the Intercom app's client secret."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _signed_body_problem(headers: Mapping[str, str], header: str, expected: str) -> str | None:
    """What is wrong with a signature of the body alone, sent in `header`, or None."""
    signature = headers.get(header)
    if not signature:
        return f"missing {header}"
    if not _same(expected, signature):
        return "wrong signature"
    return None


def intercom_problem(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> str | None:
    return _signed_body_problem(headers, "X-Hub-Signature", intercom_signature(secret, body))


def helpscout_signature(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA1(body)), keyed by the Help Scout webhook's secret key."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def helpscout_problem(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> str | None:
    expected = helpscout_signature(secret, body)
    return _signed_body_problem(headers, "X-HelpScout-Signature", expected)


def freshdesk_problem(
    token: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> str | None:
    given = headers.get(FRESHDESK_TOKEN_HEADER)
    if not given:
        return f"missing {FRESHDESK_TOKEN_HEADER}"
    if not _same(token, given):
        return f"wrong {FRESHDESK_TOKEN_HEADER}"
    return None


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _unix(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**37:
        return datetime.fromtimestamp(value, UTC).isoformat()
    return None


def generic_body(data: Generic, headers: Mapping[str, str]) -> Generic | Ignored | BadRequest:
    """Zendesk and Freshdesk: the recipe's trigger already writes the generic body."""
    return data


def intercom_body(data: Generic, headers: Mapping[str, str]) -> Generic | Ignored | BadRequest:
    """Intercom's notification of an admin closing a conversation, as the generic body.

    Both conversation models are read: API 1.x (`user`, `assignee`) and 2.x
    (`source.author`, the close part's admin author).
    """
    topic = data.get("topic")
    if topic != INTERCOM_CLOSED:
        return Ignored(f"topic {topic!r} is not {INTERCOM_CLOSED}")
    item = _object(_object(data.get("data")).get("item"))
    conversation_id = item.get("id")
    if not isinstance(conversation_id, str | int) or isinstance(conversation_id, bool):
        return BadRequest("data.item.id: is required (the conversation's id)")
    source_author = _object(_object(item.get("source")).get("author"))
    customer = _object(item.get("user"))
    if not _text(customer.get("email")) and source_author.get("type") in _INTERCOM_CUSTOMERS:
        customer = source_author
    email = _text(customer.get("email"))
    if email is None:
        return BadRequest(
            "customer: the conversation names no customer email "
            "(data.item.user.email or data.item.source.author.email)"
        )
    parts = _object(item.get("conversation_parts")).get("conversation_parts")
    closes = [
        part
        for part in (parts if isinstance(parts, list) else [])
        if isinstance(part, dict) and part.get("part_type") == "close"
    ]
    closer = _object(closes[-1].get("author")) if closes else {}
    agent = _text(_object(item.get("assignee")).get("email")) or _text(closer.get("email"))
    closed_at = _unix(closes[-1].get("created_at")) if closes else None
    generic = {
        "conversation_id": str(conversation_id),
        "customer": {"email": email},
        "agent": {"email": agent},
        "closed_at": closed_at or _unix(item.get("updated_at")),
        "conversation_url": _text(_object(item.get("links")).get("conversation_web")),
    }
    company = _intercom_company(item, customer)
    return {**generic, "account": company} if company else generic


def _intercom_company(item: Generic, customer: Generic) -> Generic | None:
    """The conversation's company (newer API versions), else the customer's only company.

    A customer of several companies names none of them: which one they wrote for is
    not said, and guessing would file their answer under the wrong account."""
    company = _object(item.get("company"))
    if not company:
        listed = _object(customer.get("companies")).get("companies")
        if isinstance(listed, list) and len(listed) == 1:
            company = _object(listed[0])
    ident = company.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int) or not str(ident).strip():
        return None
    return {"id": str(ident), "name": _text(company.get("name"))}


def helpscout_body(data: Generic, headers: Mapping[str, str]) -> Generic | Ignored | BadRequest:
    """Help Scout's conversation (event convo.status), when its new status is closed."""
    event = headers.get("X-HelpScout-Event")
    if event != HELPSCOUT_STATUS:
        return Ignored(f"event {event!r} is not {HELPSCOUT_STATUS}")
    status = data.get("status")
    if status != "closed":
        return Ignored(f"status {status!r} is not closed")
    conversation_id = data.get("id")
    if not isinstance(conversation_id, str | int) or isinstance(conversation_id, bool):
        return BadRequest("id: is required (the conversation's id)")
    customer = _object(data.get("primaryCustomer")) or _object(data.get("customer"))
    email = _text(customer.get("email"))
    if email is None:
        return BadRequest("customer: the conversation names no customer email (customer.email)")
    agents = (_text(_object(data.get(person)).get("email")) for person in _HELPSCOUT_AGENTS)
    agent = next((address for address in agents if address), None)
    number = data.get("number")
    url = None
    if isinstance(number, int) and not isinstance(number, bool):
        url = f"https://secure.helpscout.net/conversation/{conversation_id}/{number}/"
    return {
        "conversation_id": str(conversation_id),
        "customer": {"email": email},
        "agent": {"email": agent},
        "closed_at": _text(data.get("closedAt")),
        "conversation_url": url,
    }


Verify = Callable[[str, Mapping[str, str], bytes, datetime], str | None]
ToGeneric = Callable[[Generic, Mapping[str, str]], Generic | Ignored | BadRequest]


@dataclass(frozen=True)
class Helpdesk:
    """One helpdesk's endpoint: its name, where its secret comes from, how it signs."""

    name: str  # the path (/webhooks/<name>) and its conversation ids' prefix
    secret_variable: str
    verify: Verify
    to_generic: ToGeneric


HELPDESKS = (
    Helpdesk("zendesk", "SURVEYBOT_ZENDESK_SECRET", zendesk_problem, generic_body),
    Helpdesk("intercom", "SURVEYBOT_INTERCOM_SECRET", intercom_problem, intercom_body),
    Helpdesk("helpscout", "SURVEYBOT_HELPSCOUT_SECRET", helpscout_problem, helpscout_body),
    Helpdesk("freshdesk", "SURVEYBOT_FRESHDESK_TOKEN", freshdesk_problem, generic_body),
)
