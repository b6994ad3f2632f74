"""Modal submissions (view_submission, view_closed): the follow-up form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.answering.follow_up import check_follow_up, follow_up_sent
from bot.answering.follow_up_form import FollowUpForm
from bot.slack import ids
from bot.text import storable
from handlers.context import tracked, workspace_of

log = logging.getLogger("surveybot.handlers.views")


def read_follow_up(state_values: dict[str, Any]) -> FollowUpForm:
    """view.state.values of a submitted follow-up, as Slack sends it; nothing checked yet."""
    reasons_state = state_values.get(ids.FOLLOW_UP_REASONS_BLOCK, {}).get(
        ids.FOLLOW_UP_REASONS_ACTION, {}
    )
    selected = reasons_state.get("selected_options") or []
    reasons = tuple(str(o.get("value", "")) for o in selected if isinstance(o, dict))
    comment_state = state_values.get(ids.FOLLOW_UP_COMMENT_BLOCK, {}).get(
        ids.FOLLOW_UP_COMMENT_ACTION, {}
    )
    comment = comment_state.get("value")
    # What no database can store (NUL, lone surrogates) is dropped, not refused: nobody
    # types them on purpose.
    text = storable(comment).strip() if isinstance(comment, str) else ""
    return FollowUpForm(reasons=reasons, comment=text or None)


async def on_follow_up_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    ctx = workspace_of(context)
    user_id = str((body.get("user") or {}).get("id", ""))
    form = read_follow_up(((view.get("state") or {}).get("values")) or {})
    checked = await check_follow_up(ctx, view.get("private_metadata"), user_id, form)
    if isinstance(checked, dict):
        await ack(response_action="errors", errors=checked)
        return
    await ack()
    await follow_up_sent(ctx, checked, form)


async def on_follow_up_closed(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
    await ack()
    # The thank-you keeps its "Add a comment" button; nothing else to do.
    log.info("follow-up closed survey=%s", view.get("private_metadata"))


def register(app: AsyncApp) -> None:
    app.view(ids.VIEW_FOLLOW_UP)(tracked(on_follow_up_submitted))
    app.view_closed(ids.VIEW_FOLLOW_UP)(on_follow_up_closed)
