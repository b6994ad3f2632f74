"""Accounts at risk and account health, as Block Kit for the digest and App Home.

Pure rendering of bot.accounts.health's values in the team's language. An account below
the minimum sample shows counts only: never a score, a band or an arrow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.accounts.health import (
    ACCOUNT_RISK_FORMULA,
    ACCOUNT_SCORE_FORMULA,
    AccountHealth,
    Accounts,
    Band,
    RiskReason,
)
from bot.block_kit import context, section
from bot.i18n import format_money
from bot.scoring import REVENUE_AT_RISK_FORMULA
from bot.text import escape_mrkdwn, truncate
from bot.wording import Words

Block = dict[str, Any]
NAME_CHARS = 80
BANDS = {Band.GOOD: "🟢", Band.FAIR: "🟡", Band.POOR: "🔴"}
COUNTS_ONLY = "⚪"

# A button for one account's answers (Home), given the account and its place on the page.
DrillButton = Callable[[AccountHealth, int], Block]


def account_drill_value(team: str, account: AccountHealth) -> str:
    """The drill-down a Home button opens (its value: at most 2,000 characters)."""
    return json.dumps(
        {
            "team": team,
            "scope": "account",
            "account": account.key,
            "account_name": truncate(account.name, NAME_CHARS),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _name(account: AccountHealth) -> str:
    return "*" + escape_mrkdwn(truncate(account.name, NAME_CHARS)) + "*"


def _counts(account: AccountHealth, w: Words) -> str:
    ngettext = w.ngettext
    people = ngettext("{count} person", "{count} people", account.people).format(
        count=w.number(account.people, 0)
    )
    low = ngettext("{count} low answer", "{count} low answers", account.low).format(
        count=w.number(account.low, 0)
    )
    return f"{w.answers(account.answers)} · {people} · {low}"


def _score(account: AccountHealth, w: Words) -> str:
    _ = w._
    figure = account.figure
    assert figure is not None
    text = _("{score}, likely between {low} and {high}").format(
        score=w.percent(figure.score), low=w.percent(figure.low), high=w.percent(figure.high)
    )
    if account.previous is not None:
        text += f" {account.trend.arrow}"
    return text


def health_line(account: AccountHealth, min_sample: int, w: Words) -> str:
    _ = w._
    if account.figure is None:
        note = _("a score needs at least {minimum} answers").format(minimum=min_sample)
        return f"{COUNTS_ONLY} {_name(account)} · {_counts(account, w)} · _{note}_"
    band = BANDS[account.band] if account.band else COUNTS_ONLY
    return f"{band} {_name(account)} · {_score(account, w)} · {_counts(account, w)}"


def risk_line(account: AccountHealth, currency: str, w: Words) -> str:
    _ = w._
    why = []
    if RiskReason.FELL in account.risks and account.figure and account.previous:
        why.append(
            _("score fell from {before} to {now}").format(
                before=w.percent(account.previous.score), now=w.percent(account.figure.score)
            )
        )
    if RiskReason.LOW_ANSWERS in account.risks:
        why.append(
            w.ngettext(
                "{count} low answer of {answers}", "{count} low answers of {answers}", account.low
            ).format(count=w.number(account.low, 0), answers=w.number(account.answers, 0))
        )
    line = f"⚠️ {_name(account)}: " + "; ".join(why)
    if account.revenue_at_risk is not None:
        line += " · " + _("{amount} a month at risk").format(
            amount=format_money(account.revenue_at_risk, currency, w.language)
        )
    return line


def accounts_blocks(
    accounts: Accounts,
    w: Words,
    *,
    period: str,
    currency: str,
    drill: DrillButton | None = None,
) -> list[Block]:
    """The accounts sections; nothing at all when no answer of the period has an account.

    With `drill` (Home), each account listed gets its own section and a button to its
    answers; without (the digest), each list is one section."""
    if accounts.empty:
        return []
    _ = w._
    blocks: list[Block] = []
    at_risk = "*" + _("Accounts at risk ({period})").format(period=period) + "*"
    if not accounts.at_risk:
        blocks.append(section(at_risk + "\n" + _("No account is at risk.")))
    elif drill is None:
        lines = [risk_line(a, currency, w) for a in accounts.at_risk]
        blocks.append(section(at_risk + "\n" + "\n".join(lines)))
    else:
        blocks.append(section(at_risk))
        blocks += [
            section(risk_line(a, currency, w), accessory=drill(a, index))
            for index, a in enumerate(accounts.at_risk)
        ]
    health = "*" + _("Account health, largest accounts ({period})").format(period=period) + "*"
    shown = [health_line(a, accounts.min_sample, w) for a in accounts.health]
    if drill is None:
        blocks.append(section(health + "\n" + "\n".join(shown)))
    else:
        blocks.append(section(health))
        offset = len(accounts.at_risk)
        blocks += [
            section(line, accessory=drill(a, offset + index))
            for index, (a, line) in enumerate(zip(accounts.health, shown, strict=True))
        ]
    formulas = [
        _(ACCOUNT_SCORE_FORMULA),
        _("🟢 from 80 %, 🟡 from 60 %, 🔴 below; ⚪ too few answers for a score"),
        _(ACCOUNT_RISK_FORMULA),
    ]
    if any(a.revenue_at_risk is not None for a in accounts.at_risk):
        formulas.append(_(REVENUE_AT_RISK_FORMULA))
    blocks.append(context(*formulas))
    return blocks
