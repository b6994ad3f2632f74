"""The drill-down modal: the answers behind a Home figure, 20 to a page, with filters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.answering.answer_blocks import score_in_words, slack_date
from bot.home.blocks import customer_text, person
from bot.scales import REASONS, scale_for
from bot.slack import ids
from bot.text import escape_mrkdwn, identifier_problem, quote, truncate
from bot.wording import Words
from storage.home import AnswerPage, AnswerRow
from storage.models import ACCOUNT_KEY_LENGTH, ACCOUNT_NAME_LENGTH
from storage.vocabulary import DrillScope, Source

Block = dict[str, Any]
ANY_REASON = "any"
COMMENT_CHARS = 400
# 200,000 answers at 20 a page: far beyond 30 days of any team, and an OFFSET every
# database takes.
MAX_PAGE = 10_000


def page_number(raw: object) -> int | None:
    """A page number as our own buttons and metadata write it (a small whole number,
    or its ASCII digits), else None: `1e999`, `10^23`, `²` or `-1` never reach a query."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE)):
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= MAX_PAGE:
        return raw
    return None


@dataclass(frozen=True)
class DrillQuery:
    """Which answers a drill-down lists; carried in the modal's private_metadata."""

    team: str
    scope: DrillScope
    reason: str | None = None
    agent: str | None = None
    page: int = 0
    account: str | None = None  # the account's key (scope ACCOUNT)
    account_name: str | None = None  # shown in the modal's heading only

    def to_metadata(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> DrillQuery | None:
        try:
            data = json.loads(text or "")
            page = page_number(data.get("page") or 0)
            if page is None:
                return None
            query = cls(
                team=str(data["team"]),
                scope=DrillScope(str(data["scope"])),
                reason=data.get("reason") or None,
                agent=data.get("agent") or None,
                page=page,
                account=_text_or_none(data.get("account"), ACCOUNT_KEY_LENGTH),
                account_name=_text_or_none(data.get("account_name"), ACCOUNT_NAME_LENGTH),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if query.reason is not None and query.reason not in REASONS:
            return None
        if (query.scope == DrillScope.ACCOUNT) != (query.account is not None):
            return None  # an account's drill-down names one account, and only it does
        return query

    def with_reason(self, reason: str | None) -> DrillQuery:
        return replace(self, reason=reason, page=0)

    def with_agent(self, agent: str | None) -> DrillQuery:
        return replace(self, agent=agent, page=0)

    def on_page(self, page: int) -> DrillQuery:
        return replace(self, page=max(0, page))

    def changed_by(
        self, action_id: str, value: str, chosen_reason: str | None, chosen_agent: str | None
    ) -> DrillQuery | None:
        """The query after one of the drill-down's controls was used; None for a button
        value nobody could have sent (a page that is no number)."""
        if action_id == ids.DRILL_REASON:
            return self.with_reason(None if chosen_reason in (None, ANY_REASON) else chosen_reason)
        if action_id == ids.DRILL_AGENT:
            return self.with_agent(chosen_agent or None)
        if action_id == ids.DRILL_CLEAR:
            return self.with_reason(None).with_agent(None)
        page = page_number(value)  # Previous / Next
        return None if page is None else self.on_page(page)


def _text_or_none(value: object, length: int) -> str | None:
    """A short printable text from the metadata, or None; anything else is refused."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > length or identifier_problem(value):
        raise ValueError("not an account")
    return value


def describe_query(query: DrillQuery, low: str, w: Words) -> str:
    _ = w._
    if query.scope == DrillScope.ACCOUNT:
        name = escape_mrkdwn(truncate(query.account_name or query.account or "", 80))
        what = _("Answers of the account {account}, last 30 days").format(account=f"*{name}*")
    elif query.scope == DrillScope.LOW_WEEK:
        what = _("Low scores ({scores}) this week").format(scores=low)
    elif query.scope == DrillScope.ALL:
        what = _("All answers, last 30 days")
    else:
        what = _("Answers citing a reason, last 30 days")
    if query.reason:
        what += " · " + _("reason: {reason}").format(reason=_(REASONS[query.reason]))
    if query.agent:
        what += " · " + _("agent {agent}").format(agent=f"<@{query.agent}>")
    return what


def _row(row: AnswerRow, link: str | None, w: Words) -> Block:
    _ = w._
    scale = scale_for(row.kind)
    when = slack_date(row.answered_at, row.answered_at.strftime("%Y-%m-%d %H:%M UTC"))
    if link:
        where = f"<{link}|" + _("Open the conversation") + ">"
    elif row.source == Source.WEBHOOK:
        where = (
            _("Helpdesk")
            + " `"
            + escape_mrkdwn(truncate(row.external_id, 60)).replace("`", "'")
            + "`"
        )
    else:
        where = _("no link")
    customer = customer_text(row.customer_id, row.customer_email, w)
    agent = _("agent {agent}").format(agent=person(row.agent_id, w))
    lines = [f"*{score_in_words(scale, row.score, _)}* · {customer} · {agent} · {when} · {where}"]
    if row.reasons:
        reasons = ", ".join(_(REASONS[r]) if r in REASONS else r for r in row.reasons)
        lines.append(_("Reasons: {reasons}").format(reasons=reasons))
    if row.comment:
        lines.append(quote(row.comment, COMMENT_CHARS))
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 3000)}}


def _filters(query: DrillQuery, w: Words) -> Block:
    _ = w._
    reasons = [
        {"text": {"type": "plain_text", "text": _("Any reason")}, "value": ANY_REASON},
        *[
            {"text": {"type": "plain_text", "text": truncate(_(text), 75)}, "value": code}
            for code, text in REASONS.items()
        ],
    ]
    reason_select: Block = {
        "type": "static_select",
        "action_id": ids.DRILL_REASON,
        "placeholder": {"type": "plain_text", "text": _("Filter by reason")},
        "options": reasons,
    }
    if query.reason:
        reason_select["initial_option"] = next(o for o in reasons if o["value"] == query.reason)
    agent_select: Block = {
        "type": "users_select",
        "action_id": ids.DRILL_AGENT,
        "placeholder": {"type": "plain_text", "text": _("Filter by agent")},
    }
    if query.agent:
        agent_select["initial_user"] = query.agent
    elements = [reason_select, agent_select]
    if query.reason or query.agent:
        elements.append(
            {
                "type": "button",
                "action_id": ids.DRILL_CLEAR,
                "text": {"type": "plain_text", "text": _("Clear filters")},
                "value": "clear",
            }
        )
    return {"type": "actions", "block_id": "drill_filters", "elements": elements}


def render_drill_down(
    query: DrillQuery,
    page: AnswerPage,
    links: dict[int, str],
    *,
    low: str,
    page_size: int,
    language: str | None = None,
) -> Block:
    """One page of answers, in the team's language."""
    w = Words.of(language)
    _ = w._
    first = query.page * page_size + 1
    last = query.page * page_size + len(page.rows)
    total = w.number(page.total, 0)
    shown = (
        _("{first}–{last} of {total}").format(
            first=w.number(first, 0), last=w.number(last, 0), total=total
        )
        if page.rows
        else _("none of {total}").format(total=total)
    )
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{escape_mrkdwn(query.team)}*: {describe_query(query, low, w)}\n{shown}",
            },
        },
        _filters(query, w),
        {"type": "divider"},
    ]
    if not page.rows:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _("No answers match.")}}
        )
    blocks += [_row(row, links.get(row.response_id), w) for row in page.rows]
    pager = []
    if query.page > 0:
        pager.append(
            {
                "type": "button",
                "action_id": f"{ids.DRILL_PAGE}_previous",
                "text": {"type": "plain_text", "text": _("Previous")},
                "value": str(query.page - 1),
            }
        )
    if last < page.total:
        pager.append(
            {
                "type": "button",
                "action_id": f"{ids.DRILL_PAGE}_next",
                "text": {"type": "plain_text", "text": _("Next")},
                "value": str(query.page + 1),
            }
        )
    if pager:
        blocks.append({"type": "actions", "block_id": "drill_pages", "elements": pager})
    return {
        "type": "modal",
        "callback_id": ids.VIEW_DRILL,
        "private_metadata": query.to_metadata(),
        "title": {"type": "plain_text", "text": _("Answers")},
        "close": {"type": "plain_text", "text": _("Close")},
        "blocks": blocks,
    }
