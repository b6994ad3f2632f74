"""The weekly digests and the agents' private summaries, as Block Kit and as plain text.

Pure functions from a :class:`bot.digest.compose.Digest` to Slack's dicts, in the team's
language (`digest.language`): words from the catalogues, numbers, money and dates
written the way that language writes them. Customers' words always pass through
:func:`bot.text.quote` (escaped, no pings, no disguised links). Agents are mentioned
only for kudos in the good news; per-agent figures appear only in that agent's own
summary, with their Wilson interval.
"""

from __future__ import annotations

import re
from typing import Any

from bot.accounts.blocks import accounts_blocks
from bot.block_kit import context, fields, header, section
from bot.digest.compose import (
    AgentSummary,
    Digest,
    Quote,
)
from bot.digest.lines import (
    alerts_words,
    answers_words,
    celebration_words,
    driver_words,
    formula_words,
    headline_words,
    period_words,
    revenue_words,
    unhappy_words,
    unreachable_line,
    week_words,
)
from bot.i18n import (
    format_percent,
)
from bot.scales import scale_for
from bot.scoring import (
    DRIVER_FORMULA,
    RESPONSE_RATE_FORMULA,
    REVENUE_AT_RISK_FORMULA,
    headline,
)
from bot.text import escape_mrkdwn, quote
from bot.wording import (
    Words,
    empty_week_note,
    format_score,
    score_name,
    uncertain_note,
)
from storage.vocabulary import SurveyKind

Block = dict[str, Any]
Message = dict[str, Any]

QUOTE_CHARS = 280
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # incl. ESC: no terminal tricks


# ------------------------------------------------------------------ Block Kit


def _slack_quote(q: Quote, words: Words, *, credit: bool) -> str:
    _ = words._
    text = quote(q.comment, QUOTE_CHARS)
    if credit and q.agent_id:
        text += "\n— " + _("helped by {agent}").format(agent=f"<@{escape_mrkdwn(q.agent_id)}>")
    return text


def render_good_news(digest: Digest) -> Message:
    words = Words.of(digest.language)
    _ = words._
    good, kind = digest.good_news, digest.kind
    name = score_name(kind)
    title = "🎉 " + _("Good news — {week}").format(week=week_words(digest, words))
    blocks: list[Block] = [header(title), context(period_words(digest, words))]
    if good.empty:
        blocks.append(section(empty_week_note(kind, words)))
        blocks.append(fields((_("Surveys delivered"), str(good.delivered))))
        text = _("{title}: no answers this week.").format(title=title)
    else:
        blocks.append(
            fields(
                (name, headline_words(kind, good.counts, good.trend, digest.target, words)),
                (_("Answers"), answers_words(good, words)),
            )
        )
        if good.uncertain:
            blocks.append(context("⚠️ " + uncertain_note(good.answers, words)))
        text = f"{title}: {name} {format_score(kind, headline(good.counts), words)}, " + (
            words.answers(good.answers)
        )
    if good.praise:
        blocks.append(section("*" + _("What customers said") + "*"))
        blocks.extend(section(_slack_quote(q, words, credit=True)) for q in good.praise)
    if good.kudos:
        agents = ", ".join(f"<@{escape_mrkdwn(a)}>" for a in good.kudos)
        blocks.append(section("👏 " + _("Kudos to {agents}").format(agents=agents)))
    if good.celebrations:
        lines = "\n".join(f"• {celebration_words(c, kind, words)}" for c in good.celebrations)
        blocks.append(section("*" + _("Worth celebrating") + "*\n" + lines))
    blocks.append({"type": "divider"})
    blocks.append(context(formula_words(kind, words), _(RESPONSE_RATE_FORMULA)))
    return {"text": text, "blocks": blocks}


def render_improvement(digest: Digest) -> Message:
    words = Words.of(digest.language)
    _ = words._
    imp, kind = digest.improvement, digest.kind
    title = "🔧 " + _("Room to improve — {week}").format(week=week_words(digest, words))
    blocks: list[Block] = [header(title), context(period_words(digest, words))]
    alerts = alerts_words(imp, words)
    pairs = [(_("Open alerts"), alerts)]
    if imp.empty:
        blocks.append(section(_("No answers this week, so nothing unhappy to learn from.")))
        text = f"{title}: " + _("no answers this week") + f"; {alerts}"
    else:
        pairs.insert(0, (_("Unhappy answers"), unhappy_words(imp, words)))
        text = f"{title}: {unhappy_words(imp, words)}; {alerts}"
    revenue = revenue_words(imp, kind, words)
    if revenue is not None:
        pairs.append((_("Revenue at risk"), revenue))
    blocks.append(fields(*pairs))
    if (unreachable := unreachable_line(imp, words)) is not None:
        blocks.append(context(unreachable))
    if imp.drivers:
        blocks.append(section("*" + _("What pulled the score down most") + "*"))
        for index, driver in enumerate(imp.drivers, start=1):
            heading, effect = driver_words(index, driver, kind, words)
            lines = [f"*{heading}*", effect]
            if driver.example is not None:
                lines.append(_slack_quote(driver.example, words, credit=False))
            lines.append("*" + _("Next step:") + "* " + _(driver.next_step))
            blocks.append(section("\n".join(lines)))
    elif not imp.empty:
        blocks.append(
            section(_("No reason stood out in the follow-up answers this week.") + " 🙌")
            if imp.low
            else section(_("No unhappy answers this week.") + " 🙌")
        )
    blocks += accounts_blocks(digest.accounts, words, period=_("this week"), currency=imp.currency)
    blocks.append({"type": "divider"})
    formulas = [_(DRIVER_FORMULA)]
    if revenue is not None:
        formulas.append(_(REVENUE_AT_RISK_FORMULA))
    blocks.append(context(*formulas))
    return {"text": text, "blocks": blocks}


def _agent_figure_line(summary: AgentSummary, kind: SurveyKind, words: Words) -> str:
    _, ngettext = words._, words.ngettext
    figure = summary.figure
    if figure is None:
        missing = summary.min_sample - summary.answers
        return ngettext(
            "You have {count} answer so far. A score needs at least {minimum}, so {missing} "
            "more and it will show here: too few answers say more about luck than about you.",
            "You have {count} answers so far. A score needs at least {minimum}, so {missing} "
            "more and it will show here: too few answers say more about luck than about you.",
            summary.answers,
        ).format(count=summary.answers, minimum=summary.min_sample, missing=missing)
    line = _("*{score}* from {answers}, likely between {low} and {high}").format(
        score=f"{score_name(kind)} {format_score(kind, figure.headline, words)}",
        answers=words.answers(figure.answers),
        low=format_percent(figure.interval_low / 100, words.language),
        high=format_percent(figure.interval_high / 100, words.language),
    )
    if kind is not SurveyKind.CSAT:
        # For CSAT the headline is the satisfied share; CES adds its easy share.
        line += "\n" + _("{share} of answers found it easy").format(
            share=words.percent(figure.satisfied_percent)
        )
    if figure.uncertain:
        line += "\n" + _("With this few answers the range is wide: read it as a hint.")
    return line


def render_agent_summary(digest: Digest, summary: AgentSummary) -> Message:
    """The agent's own week, sent by DM to that agent only."""
    words = Words.of(digest.language)
    _ = words._
    kind = digest.kind
    scale = scale_for(kind)
    title = _("Your week — {week}").format(week=week_words(digest, words))
    high = sum(n for s, n in summary.counts.counts.items() if scale.is_high(s))
    blocks: list[Block] = [
        header(title),
        context(period_words(digest, words)),
        section(_agent_figure_line(summary, kind, words)),
        fields(
            (_("Top scores"), str(high)),
            (_("Unhappy answers"), str(summary.counts.low)),
        ),
    ]
    if summary.comments:
        blocks.append(section("*" + _("What your customers wrote") + "*"))
        blocks.extend(section(_slack_quote(q, words, credit=False)) for q in summary.comments)
    blocks.append(
        context(
            _("Only you see this message.") + " " + formula_words(kind, words),
            _(
                "The range is a 95 % Wilson interval: where your score likely sits given "
                "the number of answers."
            ),
        )
    )
    text = f"{title}: {words.answers(summary.answers)}"
    return {"text": text, "blocks": blocks}
