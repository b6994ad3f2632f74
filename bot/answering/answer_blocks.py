"""What the customer sees after a click: the thank-you, the closed survey, the follow-up form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.answering.answers import RefusalReason
from bot.answering.follow_up_form import MAX_COMMENT
from bot.delivery.survey_blocks import render_survey
from bot.i18n import Translate, translator
from bot.scales import REASONS, Band, Scale, band_of, scale_for
from bot.slack import ids
from bot.text import clip

Block = dict[str, Any]

MODAL_TITLE = 24  # Slack's limit for a modal's title, submit and close texts


def score_in_words(scale: Scale, score: int, _: Translate) -> str:
    """'2 · Dissatisfied', or '7 / 10' where the scale has no word for it."""
    label = scale.labels.get(score)
    if not label:
        return f"{score} / {scale.highest}"
    words = _(label)
    return f"{score} · {words}"


def slack_date(moment: datetime, fallback: str) -> str:
    """A date every reader sees in their own time zone (Slack's date formatting)."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _comment_button_text(band: Band, _: Translate) -> str:
    return _("Tell us what went well") if band is Band.HIGH else _("Add a comment")


def _tell_more_button(token: str, _: Translate) -> Block:
    """Opens the follow-up form that could not open at the click (with a fresh trigger)."""
    return {
        "type": "button",
        "action_id": ids.SURVEY_ADD_COMMENT,
        # Translators: a button that opens the follow-up form; at most 75 characters.
        "text": {"type": "plain_text", "text": _("Tell us more")[:75]},
        "value": token,
        "style": "primary",
    }


def render_thank_you(
    *,
    token: str,
    kind: str,
    score: int,
    locale: str | None,
    expires_at: datetime,
    show_score: bool = True,
    form_missed: bool = False,
) -> dict[str, Any]:
    """The survey after a click: no score buttons left; the chosen score in words when
    `show_score`, else only thanks (and a comment button that does not hint at it).
    `form_missed`: the follow-up form could not open, so *Tell us more* opens it."""
    _ = translator(locale)
    scale = scale_for(kind)
    band = band_of(scale, score) if show_score else Band.MIDDLE
    chosen = score_in_words(scale, score, _)
    if show_score:
        thanks = _("Thank you! Your answer: *{score}*").format(score=chosen)
    else:
        thanks = _("Thank you! Your answer was received.")
    until = slack_date(expires_at, expires_at.strftime("%Y-%m-%d %H:%M UTC"))
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": thanks}},
        {
            "type": "actions",
            "block_id": f"answered:{token}",
            "elements": [
                _tell_more_button(token, _)
                if form_missed
                else {
                    "type": "button",
                    "action_id": ids.SURVEY_ADD_COMMENT,
                    "text": {"type": "plain_text", "text": _comment_button_text(band, _)},
                    "value": token,
                },
                {
                    "type": "button",
                    "action_id": ids.SURVEY_CHANGE_ANSWER,
                    "text": {"type": "plain_text", "text": _("Change my answer")},
                    "value": token,
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _("You can change your answer until {date}.").format(date=until),
                }
            ],
        },
    ]
    fallback = _("Thank you! Your answer: {score}").format(score=chosen) if show_score else thanks
    return {"text": fallback, "blocks": blocks}


def render_private_answer(
    *, kind: str, score: int, locale: str | None, tell_more: str | None = None
) -> dict[str, Any]:
    """The customer's own score, for an ephemeral message only they see; with the
    survey's token as `tell_more`, the button that opens the form that could not."""
    _ = translator(locale)
    chosen = score_in_words(scale_for(kind), score, _)
    text = _("Your answer: *{score}*. Only you can see this message.").format(score=chosen)
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if tell_more:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"tell_more:{tell_more}",
                "elements": [_tell_more_button(tell_more, _)],
            }
        )
    return {"text": text.replace("*", ""), "blocks": blocks}


def change_answer_note(*, kind: str, score: int, locale: str | None) -> str:
    """Which answer counts now (mrkdwn), said where only the customer sees it."""
    _ = translator(locale)
    chosen = score_in_words(scale_for(kind), score, _)
    return _("Your answer now: *{score}*. Pick another one to change it.").format(score=chosen)


def render_change_answer(
    *, token: str, kind: str, score: int, locale: str | None, show_score: bool = True
) -> dict[str, Any]:
    """The score buttons again, saying which answer counts now when `show_score`."""
    _ = translator(locale)
    message = render_survey(token=token, kind=kind, locale=locale)
    if show_score:
        note = change_answer_note(kind=kind, score=score, locale=locale)
    else:
        note = _("Pick another score to change your answer.")
    message["blocks"][-1] = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
    return message


def render_closed(
    *, kind: str, score: int | None, locale: str | None, show_score: bool = True
) -> dict[str, Any]:
    """A survey past its expiry: no buttons, and the answer if there was one (its score
    only when `show_score`)."""
    _ = translator(locale)
    text = _("This survey has closed.")
    if score is not None and show_score:
        chosen = score_in_words(scale_for(kind), score, _)
        text = _("This survey has closed. Your answer: *{score}*. Thank you!").format(score=chosen)
    elif score is not None:
        text = _("This survey has closed. Thank you for your answer!")
    return {
        "text": text.replace("*", ""),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def refusal_text(reason: RefusalReason, locale: str | None) -> str:
    """What the person who clicked is told, privately and politely."""
    _ = translator(locale)
    match reason:
        case RefusalReason.NOT_YOURS:
            return _(
                "This survey is for someone else, so your click was not counted. Thanks anyway!"
            )
        case RefusalReason.EXPIRED:
            return _("Sorry, this survey has closed and no longer takes answers.")
        case RefusalReason.FAILED:
            return _("Sorry, something went wrong on our side. Please try again in a moment.")
        case RefusalReason.NOT_ANSWERED:
            return _("Please pick a score first.")
        case RefusalReason.BAD_SCORE:
            return _("Sorry, that answer is not one this survey offers. Please pick a button.")
    return _("Sorry, I could not find this survey. Nothing was recorded.")


def render_follow_up(
    *,
    token: str,
    kind: str,
    score: int,
    locale: str | None,
    reasons: Sequence[str] = (),
    comment: str | None = None,
) -> dict[str, Any]:
    """The follow-up modal; private_metadata carries the survey token only."""
    _ = translator(locale)
    scale = scale_for(kind)
    band = band_of(scale, score)
    chosen = score_in_words(scale, score, _)
    if band is Band.LOW:
        title, question = _("Help us do better"), _("What should we have done better?")
    elif band is Band.HIGH:
        title, question = _("What went well?"), _("What did we do well?")
    else:
        title, question = _("Add a comment"), _("Anything you would like to tell the team?")
    if scale.follow_up_question:
        question = _(scale.follow_up_question)
    intro = _("You answered *{score}*.").format(score=chosen) + " " + question
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    if band is Band.LOW:
        options = [
            {"text": {"type": "plain_text", "text": _(label)[:75]}, "value": code}
            for code, label in REASONS.items()
        ]
        checkboxes: Block = {
            "type": "checkboxes",
            "action_id": ids.FOLLOW_UP_REASONS_ACTION,
            "options": options,
        }
        selected = [o for o in options if o["value"] in reasons]
        if selected:
            checkboxes["initial_options"] = selected
        blocks.append(
            {
                "type": "input",
                "block_id": ids.FOLLOW_UP_REASONS_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": _("What went wrong?")},
                "element": checkboxes,
            }
        )
    text_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.FOLLOW_UP_COMMENT_ACTION,
        "multiline": True,
        "max_length": MAX_COMMENT,
        "placeholder": {"type": "plain_text", "text": _("In your own words (optional)")},
    }
    if comment:
        text_input["initial_value"] = clip(comment, MAX_COMMENT)
    blocks.append(
        {
            "type": "input",
            "block_id": ids.FOLLOW_UP_COMMENT_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": _("Your comment")},
            "element": text_input,
        }
    )
    return {
        "type": "modal",
        "callback_id": ids.VIEW_FOLLOW_UP,
        "private_metadata": token,
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": title[:MODAL_TITLE]},
        # Translators: the form's buttons and title: at most 24 characters each.
        "submit": {"type": "plain_text", "text": _("Send")[:MODAL_TITLE]},
        "close": {"type": "plain_text", "text": _("Not now")[:MODAL_TITLE]},
        "blocks": blocks,
    }
