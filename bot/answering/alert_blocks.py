"""What agents see: the low-score alert in its states, and kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.answering.answer_blocks import score_in_words, slack_date
from bot.i18n import Translate, translator
from bot.scales import REASONS, scale_for
from bot.slack import ids
from bot.text import clip, escape_mrkdwn, quote, truncate
from storage.vocabulary import AlertStatus

Block = dict[str, Any]


@dataclass(frozen=True)
class AlertFacts:
    """Everything an alert shows, as plain values gathered by bot.answering.alerts."""

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
    helpdesk_url: str | None = None  # the helpdesk's page for the conversation, when given


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
            return clip(said, room)
        limit = max(1, limit * room // len(said) - 1)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return slack_date(moment, moment.strftime("%Y-%m-%d %H:%M UTC"))


def _conversation_link(facts: AlertFacts, _: Translate) -> str:
    # Outside the f-string: extraction cannot see a _() call inside one.
    label = _("Open the conversation")
    link = facts.permalink or facts.helpdesk_url
    if link:
        return f"<{link}|{label}>"
    if facts.helpdesk_ref:
        ref = escape_mrkdwn(truncate(facts.helpdesk_ref, 80)).replace("`", "'")
        return _("Helpdesk conversation {reference}").format(reference=f"`{ref}`")
    return _("No link")


def _status_line(facts: AlertFacts, _: Translate) -> str:
    if facts.status is AlertStatus.RESOLVED:
        line = ":white_check_mark: " + _("Resolved by {agent} {when}").format(
            agent=f"<@{facts.resolved_by}>", when=_when(facts.resolved_at)
        )
        if facts.claimed_by and facts.claimed_by != facts.resolved_by:
            line += " · " + _("followed up by {agent}").format(agent=f"<@{facts.claimed_by}>")
        return line
    if facts.status is AlertStatus.CLAIMED:
        return ":eyes: " + _("{agent} is following up (since {when})").format(
            agent=f"<@{facts.claimed_by}>", when=_when(facts.claimed_at)
        )
    return _("Open · nobody is following up yet")


def render_alert(facts: AlertFacts, locale: str | None = None) -> dict[str, Any]:
    """The alert message, in the team's language (`locale`). Only the agent is
    mentioned; the customer's words are escaped."""
    _ = translator(locale)
    scale = scale_for(facts.kind)
    score = score_in_words(scale, facts.score, _)
    kind = scale.name
    agent = f"<@{facts.agent_id}>" if facts.agent_id else _("not recorded")
    customer = escape_mrkdwn(truncate(facts.customer, 80))
    headline = ":rotating_light: " + _("*Low {kind} score: {score}*").format(kind=kind, score=score)
    text = _("Low {kind} score ({score}) from {customer}").format(
        kind=kind, score=score, customer=customer
    )
    if not scale.is_low(facts.score):  # they changed their mind after the alert went out
        headline = ":arrow_up: " + _("{customer} changed their {kind} answer to *{score}*").format(
            customer=customer, kind=kind, score=score
        )
        text = _("{customer} changed their {kind} answer to {score}").format(
            customer=customer, kind=kind, score=score
        )
    fields = (
        (_("Customer"), customer),
        (_("Agent"), agent),
        (_("Answered"), _when(facts.answered_at)),
        (_("Conversation"), _conversation_link(facts, _)),
    )
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        },
    ]
    if facts.reasons:
        # In the form's order, whatever order they were stored in.
        named = ", ".join(_(label) for code, label in REASONS.items() if code in facts.reasons)
        wrong_label = _("What went wrong:")
        wrong = f"*{wrong_label}* {named}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": wrong}})
    if facts.comment:
        said_label = _("They wrote:")
        said = f"*{said_label}*\n" + _quoted(facts.comment, SECTION_TEXT - 100)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": said}})
    else:
        waiting = "_" + _("No comment yet. It shows up here if they write one.") + "_"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": waiting}]})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _status_line(facts, _)}]}
    )
    buttons: list[Block] = []
    if facts.status is AlertStatus.OPEN:
        buttons.append(
            {
                "type": "button",
                "action_id": ids.ALERT_CLAIM,
                "style": "primary",
                "text": {"type": "plain_text", "text": _("I'll follow up")},
                "value": str(facts.alert_id),
            }
        )
    if facts.status is not AlertStatus.RESOLVED:
        buttons.append(
            {
                "type": "button",
                "action_id": ids.ALERT_RESOLVE,
                "text": {"type": "plain_text", "text": _("Resolved")},
                "value": str(facts.alert_id),
            }
        )
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"alert:{facts.alert_id}", "elements": buttons}
        )
    # The notification text mentions the agent too: that is the one ping an alert makes.
    if facts.agent_id:
        text += ", " + _("handled by {agent}").format(agent=f"<@{facts.agent_id}>")
    return {"text": text, "blocks": blocks}


def render_kudos(
    *, kind: str, score: int, customer: str, comment: str, locale: str | None = None
) -> dict[str, Any]:
    """The private note an agent gets when a customer of theirs praises them, in the
    team's language."""
    _ = translator(locale)
    chosen = score_in_words(scale_for(kind), score, _)
    customer = escape_mrkdwn(truncate(customer, 80))
    headline = ":tada: " + _("*Kudos!* {customer} rated your help *{score}* and wrote:").format(
        customer=customer, score=chosen
    )
    return {
        "text": _("Kudos! {customer} rated your help {score}.").format(
            customer=customer, score=chosen
        ),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _quoted(comment, SECTION_TEXT)}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _("Only you see this. Keep up the good work!")}
                ],
            },
        ],
    }
