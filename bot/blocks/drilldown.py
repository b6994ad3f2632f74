"""The drill-down modal: the answers behind a Home figure, 20 to a page, with filters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot import ids
from bot.blocks.answers import score_in_words, slack_date
from bot.blocks.home import customer_text, person
from bot.i18n import translator
from bot.scales import REASONS, scale_for
from bot.text import escape_mrkdwn, quote, truncate
from storage.home import AnswerPage, AnswerRow

Block = dict[str, Any]
ANY_REASON = "any"
COMMENT_CHARS = 400


@dataclass(frozen=True)
class DrillQuery:
    """Which answers a drill-down lists; carried in the modal's private_metadata."""

    team: str
    scope: str  # "low_week" | "all" | "reason"
    reason: str | None = None
    agent: str | None = None
    page: int = 0

    def to_metadata(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> DrillQuery | None:
        try:
            data = json.loads(text or "")
            query = cls(
                team=str(data["team"]),
                scope=str(data["scope"]),
                reason=data.get("reason") or None,
                agent=data.get("agent") or None,
                page=max(0, int(data.get("page") or 0)),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if query.scope not in ("low_week", "all", "reason"):
            return None
        if query.reason is not None and query.reason not in REASONS:
            return None
        return query

    def with_reason(self, reason: str | None) -> DrillQuery:
        return replace(self, reason=reason, page=0)

    def with_agent(self, agent: str | None) -> DrillQuery:
        return replace(self, agent=agent, page=0)

    def on_page(self, page: int) -> DrillQuery:
        return replace(self, page=max(0, page))


def describe_query(query: DrillQuery, low: str) -> str:
    what = {
        "low_week": f"Low scores ({low}) this week",
        "all": "All answers, last 30 days",
        "reason": "Answers citing a reason, last 30 days",
    }[query.scope]
    if query.reason:
        what += f" · reason: {REASONS[query.reason]}"
    if query.agent:
        what += f" · agent <@{query.agent}>"
    return what


def _row(row: AnswerRow, link: str | None) -> Block:
    _ = translator(None)
    scale = scale_for(row.kind)
    when = slack_date(row.answered_at, row.answered_at.strftime("%Y-%m-%d %H:%M UTC"))
    if link:
        where = f"<{link}|Open the conversation>"
    elif row.source == "webhook":
        where = "Helpdesk `" + escape_mrkdwn(truncate(row.external_id, 60)).replace("`", "'") + "`"
    else:
        where = "no link"
    customer = customer_text(row.customer_id, row.customer_email)
    lines = [
        f"*{score_in_words(scale, row.score, _)}* · {customer}"
        f" · agent {person(row.agent_id)} · {when} · {where}"
    ]
    if row.reasons:
        lines.append("Reasons: " + ", ".join(REASONS.get(r, r) for r in row.reasons))
    if row.comment:
        lines.append(quote(row.comment, COMMENT_CHARS))
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 3000)}}


def _filters(query: DrillQuery) -> Block:
    reasons = [
        {"text": {"type": "plain_text", "text": "Any reason"}, "value": ANY_REASON},
        *[
            {"text": {"type": "plain_text", "text": text}, "value": code}
            for code, text in REASONS.items()
        ],
    ]
    reason_select: Block = {
        "type": "static_select",
        "action_id": ids.DRILL_REASON,
        "placeholder": {"type": "plain_text", "text": "Filter by reason"},
        "options": reasons,
    }
    if query.reason:
        reason_select["initial_option"] = next(o for o in reasons if o["value"] == query.reason)
    agent_select: Block = {
        "type": "users_select",
        "action_id": ids.DRILL_AGENT,
        "placeholder": {"type": "plain_text", "text": "Filter by agent"},
    }
    if query.agent:
        agent_select["initial_user"] = query.agent
    elements = [reason_select, agent_select]
    if query.reason or query.agent:
        elements.append(
            {
                "type": "button",
                "action_id": ids.DRILL_CLEAR,
                "text": {"type": "plain_text", "text": "Clear filters"},
                "value": "clear",
            }
        )
    return {"type": "actions", "block_id": "drill_filters", "elements": elements}


def render_drill_down(
    query: DrillQuery, page: AnswerPage, links: dict[int, str], *, low: str, page_size: int
) -> Block:
    first = query.page * page_size + 1
    last = query.page * page_size + len(page.rows)
    shown = f"{first:,}–{last:,} of {page.total:,}" if page.rows else f"none of {page.total:,}"
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{escape_mrkdwn(query.team)}*: {describe_query(query, low)}\n{shown}",
            },
        },
        _filters(query),
        {"type": "divider"},
    ]
    if not page.rows:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "No answers match."}})
    blocks += [_row(row, links.get(row.response_id)) for row in page.rows]
    pager = []
    if query.page > 0:
        pager.append(
            {
                "type": "button",
                "action_id": f"{ids.DRILL_PAGE}_previous",
                "text": {"type": "plain_text", "text": "Previous"},
                "value": str(query.page - 1),
            }
        )
    if last < page.total:
        pager.append(
            {
                "type": "button",
                "action_id": f"{ids.DRILL_PAGE}_next",
                "text": {"type": "plain_text", "text": "Next"},
                "value": str(query.page + 1),
            }
        )
    if pager:
        blocks.append({"type": "actions", "block_id": "drill_pages", "elements": pager})
    return {
        "type": "modal",
        "callback_id": ids.VIEW_DRILL,
        "private_metadata": query.to_metadata(),
        "title": {"type": "plain_text", "text": "Answers"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }
