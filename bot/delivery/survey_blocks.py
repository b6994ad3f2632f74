"""The survey message a customer sees."""

from __future__ import annotations

from typing import Any

from bot.i18n import translator
from bot.scales import scale_for
from bot.slack import ids
from bot.text import escape_mrkdwn, truncate

Block = dict[str, Any]
# Buttons in one row of a survey; more (0–10) go on two rows.
SCORES_PER_ROW = 7


def score_button_value(token: str, score: int) -> str:
    """What a score button carries: the survey's opaque id and the score, nothing else."""
    return f"{token}:{score}"


def parse_score_button_value(value: str) -> tuple[str, int] | None:
    token, sep, score = value.rpartition(":")
    # ASCII digits, two at most: int() of 5,000 digits raises, of "²" too.
    if not sep or not token or not (score.isascii() and score.isdigit()) or len(score) > 2:
        return None
    if len(token) > 64:
        return None
    return token, int(score)


def about_helpdesk_conversation(reference: str, locale: str | None) -> str:
    """The line that tells a customer, in a DM, which conversation the survey is about."""
    _ = translator(locale)
    return _("About your support conversation %(reference)s") % {
        "reference": f"*{escape_mrkdwn(truncate(reference, 80))}*"
    }


def about_slack_conversation(permalink: str, locale: str | None) -> str:
    _ = translator(locale)
    label = _("your conversation with the support team")
    return _("About %(conversation)s") % {"conversation": f"<{permalink}|{label}>"}


def render_survey(
    *, token: str, kind: str, locale: str | None, about: str | None = None
) -> dict[str, Any]:
    """The survey: its question and one button per score, labelled in words.

    `about` (mrkdwn, already safe) says which conversation a DM survey is about.
    """
    _ = translator(locale)
    scale = scale_for(kind)
    question = _(scale.question)
    # A scale with a word for every score shows it on the button; a 0–10 one shows the
    # numbers, and one line says what its ends mean.
    worded = all(score in scale.labels for score in scale.scores)
    buttons: list[Block] = []
    for score in scale.scores:
        label = scale.labels.get(score)
        words = _(label) if label and worded else ""
        text = f"{score} · {words}" if words else str(score)
        buttons.append(
            {
                "type": "button",
                "action_id": ids.survey_score_action(score),
                "text": {"type": "plain_text", "text": text[:75], "emoji": True},
                "value": score_button_value(token, score),
            }
        )
    blocks: list[Block] = []
    if about:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": about}]})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{question}*"}})
    if not worded:
        lowest, highest = _(scale.labels[scale.lowest]), _(scale.labels[scale.highest])
        ends = f"{scale.lowest} = {lowest} · {scale.highest} = {highest}"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ends}]})
    # At most two rows: 0–5 and 6–10 read as two lines on a phone, not one long wrap.
    rows = [buttons] if len(buttons) <= SCORES_PER_ROW else [buttons[:6], buttons[6:]]
    for index, row in enumerate(rows):
        block_id = f"survey:{token}" if index == 0 else f"survey:{token}:{index}"
        blocks.append({"type": "actions", "block_id": block_id, "elements": row})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _("One click is enough. Your answer helps the support team improve."),
                }
            ],
        }
    )
    return {"text": question, "blocks": blocks}


def render_reminder(*, token: str, kind: str, locale: str | None) -> dict[str, Any]:
    """The one polite reminder, a reply under the survey: a line, the question and the
    survey's own buttons again. They carry the reminder's token; a click on them
    answers the survey it reminds of (bot.answering.answers), as one answer."""
    _ = translator(locale)
    text = _("A gentle reminder: we would still love to hear how it went.")
    last = _("One click is enough, and we will not ask again.")
    question = _(scale_for(kind).question)
    survey = render_survey(token=token, kind=kind, locale=locale)
    buttons = [block for block in survey["blocks"] if block["type"] == "actions"]
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{text}\n*{question}*"}},
            *buttons,
            {"type": "context", "elements": [{"type": "mrkdwn", "text": last}]},
        ],
    }
