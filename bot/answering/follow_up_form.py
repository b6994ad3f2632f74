"""The follow-up form's rules: which reasons a score may give and how long words may be.

Pure: the renderer shows these limits, the flow in bot.answering.follow_up checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import plural_translator, translator
from bot.scales import REASONS, Band
from bot.slack import ids

MAX_COMMENT = 2000  # characters; the modal's input enforces it and the server checks again

FieldErrors = dict[str, str]  # block_id -> what is wrong, as Slack's response_action shows it


@dataclass(frozen=True)
class FollowUpForm:
    """The follow-up modal's answers as plain values."""

    reasons: tuple[str, ...]
    comment: str | None


def validate_follow_up(form: FollowUpForm, *, band: Band, locale: str | None) -> FieldErrors:
    """Errors to show in the modal, by block_id (Slack's response_action: errors)."""
    _ = translator(locale)
    errors: FieldErrors = {}
    allowed = REASONS if band is Band.LOW else {}
    if any(code not in allowed for code in form.reasons):
        # Only the low-score form has the reasons block; errors must name a block it shows.
        block = ids.FOLLOW_UP_REASONS_BLOCK if band is Band.LOW else ids.FOLLOW_UP_COMMENT_BLOCK
        errors[block] = _("Please pick from the reasons listed.")
    if ids.FOLLOW_UP_COMMENT_BLOCK in errors:
        pass
    elif form.comment is not None and len(form.comment) > MAX_COMMENT:
        ngettext = plural_translator(locale)
        errors[ids.FOLLOW_UP_COMMENT_BLOCK] = ngettext(
            "Please shorten your comment: it has {count} character and the limit is {limit}.",
            "Please shorten your comment: it has {count} characters and the limit is {limit}.",
            len(form.comment),
        ).format(limit=MAX_COMMENT, count=len(form.comment))
    elif not form.reasons and form.comment is None:
        # Translators: “Not now” is the form's close button; use its translation.
        errors[ids.FOLLOW_UP_COMMENT_BLOCK] = _(
            "Write a few words or pick a reason, or close this form with “Not now”."
        )
    return errors
