"""What agents see: the low-score alert in its states, and kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import ids
from bot.blocks.answers import score_in_words, slack_date
from bot.i18n import translator
from bot.scales import REASONS, scale_for
from bot.text import escape_mrkdwn, quote, truncate
from storage.statuses import AlertStatus

Block = dict[str, Any]


@dataclass(frozen=True)
class AlertFacts:
    """Everything an alert shows, as plain values gathered by bot.alerts."""

    alert_id: int
    kind: str
    score: int
    customer: str  # a name or address, not a mention: the customer is never pinged
    agent_id: str | None
    permalink: str | None  # the Slack conversation
    helpdesk_ref: str | None  # the helpdesk's conversation id, when there is no Slack thread
    reasons: tuple[str, ...]
    comment: str | None
    answered_at: datetime
    status: AlertStatus
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None


SECTION_TEXT = 3000  # Slack's limit for a section's text


def _quoted(comment: str, room: int) -> str:
    """The comment as a block quote in at most `room` characters.

    Escaping makes text longer (`<` becomes `&lt;`), so the cut is made on the
    customer's words until the escaped quote fits.
    """
    limit = room
    while True:
        said = quote(comment, limit=limit)
        if len(said) <= room or limit <= 1:
            return said[:room]
        limit = max(1, limit * room // len(said) - 1)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return slack_date(moment, moment.strftime("%Y-%m-%d %H:%M UTC"))


def _conversation_link(facts: AlertFacts) -> str:
    if facts.permalink:
        return f"<{facts.permalink}|Open the conversation>"
    if facts.helpdesk_ref:
        ref = escape_mrkdwn(truncate(facts.helpdesk_ref, 80)).replace("`", "'")
        return f"Helpdesk conversation `{ref}`"
    return "No link"


def _status_line(facts: AlertFacts) -> str:
    if facts.status is AlertStatus.RESOLVED:
        line = f":white_check_mark: Resolved by <@{facts.resolved_by}> {_when(facts.resolved_at)}"
        if facts.claimed_by and facts.claimed_by != facts.resolved_by:
            line += f" · followed up by <@{facts.claimed_by}>"
        return line
    if facts.status is AlertStatus.CLAIMED:
        return f":eyes: <@{facts.claimed_by}> is following up (since {_when(facts.claimed_at)})"
    return "Open · nobody is following up yet"


def render_alert(facts: AlertFacts, locale: str | None = None) -> dict[str, Any]:
    """The alert message. Only the agent is mentioned; the customer's words are escaped."""
    _ = translator(locale)
    scale = scale_for(facts.kind)
    score = score_in_words(scale, facts.score, _)
    kind = scale.name
    agent = f"<@{facts.agent_id}>" if facts.agent_id else "not recorded"
    customer = escape_mrkdwn(truncate(facts.customer, 80))
    headline = f":rotating_light: *Low {kind} score: {score}*"
    text = f"Low {kind} score ({score}) from {customer}"
    if not scale.is_low(facts.score):  # they changed their mind after the alert went out
        headline = f":arrow_up: {customer} changed their {kind} answer to *{score}*"
        text = f"{customer} changed their {kind} answer to {score}"
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Customer*\n{customer}"},
                {"type": "mrkdwn", "text": f"*Agent*\n{agent}"},
                {"type": "mrkdwn", "text": f"*Answered*\n{_when(facts.answered_at)}"},
                {"type": "mrkdwn", "text": f"*Conversation*\n{_conversation_link(facts)}"},
            ],
        },
    ]
    if facts.reasons:
        # In the form's order, whatever order they were stored in.
        named = ", ".join(_(label) for code, label in REASONS.items() if code in facts.reasons)
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*What went wrong:* {named}"}}
        )
    if facts.comment:
        said = "*They wrote:*\n" + _quoted(facts.comment, SECTION_TEXT - 20)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": said}})
    else:
        waiting = "_No comment yet. It shows up here if they write one._"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": waiting}]})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _status_line(facts)}]}
    )
    buttons: list[Block] = []
    if facts.status is AlertStatus.OPEN:
        buttons.append(
            {
                "type": "button",
                "action_id": ids.ALERT_CLAIM,
                "style": "primary",
                "text": {"type": "plain_text", "text": "I'll follow up"},
                "value": str(facts.alert_id),
            }
        )
    if facts.status is not AlertStatus.RESOLVED:
        buttons.append(
            {
                "type": "button",
                "action_id": ids.ALERT_RESOLVE,
                "text": {"type": "plain_text", "text": "Resolved"},
                "value": str(facts.alert_id),
            }
        )
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"alert:{facts.alert_id}", "elements": buttons}
        )
    # The notification text mentions the agent too: that is the one ping an alert makes.
    if facts.agent_id:
        text += f", handled by <@{facts.agent_id}>"
    return {"text": text, "blocks": blocks}


def render_kudos(*, kind: str, score: int, customer: str, comment: str) -> dict[str, Any]:
    """The private note an agent gets when a customer of theirs praises them."""
    _ = translator(None)
    chosen = score_in_words(scale_for(kind), score, _)
    customer = escape_mrkdwn(truncate(customer, 80))
    headline = f":tada: *Kudos!* {customer} rated your help *{chosen}* and wrote:"
    return {
        "text": f"Kudos! {customer} rated your help {chosen}.",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _quoted(comment, SECTION_TEXT)}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "Only you see this. Keep up the good work!"}
                ],
            },
        ],
    }
