"""The weekly digests and the agents' private summaries, as Block Kit and as plain text.

Pure functions from a :class:`bot.digest.Digest` to Slack's dicts. Customers' words
always pass through :func:`bot.text.quote` (escaped, no pings, no disguised links).
Agents are mentioned only for kudos in the good news; per-agent figures appear only
in that agent's own summary, with their Wilson interval.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.digest import (
    AgentSummary,
    Digest,
    Driver,
    GoodNews,
    Improvement,
    Quote,
    format_target,
)
from bot.scales import SurveyKind, scale_for
from bot.scoring import (
    DRIVER_FORMULA,
    RESPONSE_RATE_FORMULA,
    REVENUE_AT_RISK_FORMULA,
    UNCERTAIN_BELOW,
    ScoreCounts,
    Trend,
    headline,
    satisfied_percent,
)
from bot.text import escape_mrkdwn, quote, truncate

Block = dict[str, Any]
Message = dict[str, Any]

QUOTE_CHARS = 280
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # incl. ESC: no terminal tricks

# ------------------------------------------------------------------ wording


def score_name(kind: SurveyKind) -> str:
    return scale_for(kind).name


def format_score(kind: SurveyKind, value: float | None) -> str:
    if value is None:
        return "no answers"
    if kind is SurveyKind.CES:
        return f"{value:.1f} / 7"
    if kind is SurveyKind.NPS:
        return f"{value:+.0f}"
    return f"{value:.0f} %"


def format_trend(kind: SurveyKind, change: Trend) -> str:
    """ "↑ 3.0 pts vs 79 % last week", or why there is nothing to compare."""
    if change.previous is None:
        return "no answers the week before to compare with"
    if change.current is None or change.delta is None:
        return f"last week {format_score(kind, change.previous)}"
    unit = f" {change.unit}" if change.unit else ""
    delta = f"{abs(change.delta):.1f}{unit}" if change.arrow != "→" else "no change"
    return f"{change.arrow} {delta} vs {format_score(kind, change.previous)} last week"


def format_wait(wait: timedelta) -> str:
    hours = int(wait.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, int(wait.total_seconds() // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def format_money(value: float) -> str:
    return f"{value:,.0f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _period(digest: Digest) -> str:
    start, end = digest.period.monday, digest.period.sunday
    first = f"{start.day} {start:%b}" if start.year == end.year else f"{start.day} {start:%b %Y}"
    return f"week {digest.week_number}, {first} – {end.day} {end:%b %Y} ({digest.timezone})"


def _headline_line(
    kind: SurveyKind, counts: ScoreCounts, change: Trend, target: float | None = None
) -> str:
    score = headline(counts)
    line = f"{format_score(kind, score)}  ({format_trend(kind, change)})"
    if kind is SurveyKind.CES:
        easy = satisfied_percent(counts)
        if easy is not None:
            line += f"; easy {easy:.0f} %"
    if target is not None and score is not None:
        gap = target - score
        unit = "" if kind is SurveyKind.CES else " pts"
        reached = "met" if gap <= 0 else f"{gap:.1f}{unit} to go"
        line += f"; target {format_target(kind, target)}: {reached}"
    return line


def _answers_line(good: GoodNews) -> str:
    if good.delivered == 0:
        return f"{_plural(good.answers, 'answer')} (no surveys delivered this week)"
    rate = good.response_rate if good.response_rate is not None else 0.0
    return (
        f"{_plural(good.answers, 'answer')}; {rate:.0f} % of the "
        f"{_plural(good.delivered, 'survey')} delivered were answered"
    )


def empty_week_note(kind: SurveyKind) -> str:
    return (
        f"No answers came in this week, so there is no {score_name(kind)} to show yet. "
        "Quiet weeks happen; next week's digest picks up from here."
    )


def uncertain_note(answers: int) -> str:
    return (
        f"Only {_plural(answers, 'answer')} this week: these figures are uncertain "
        f"(fewer than {UNCERTAIN_BELOW}), so read them as a hint, not a verdict."
    )


def _low_line(improvement: Improvement) -> str:
    scale = scale_for(improvement.counts.kind)
    low_scores = f"{min(scale.scores)}–{scale.low_max}"
    return f"{improvement.low} of {_plural(improvement.counts.total, 'answer')} scored {low_scores}"


def _alerts_line(improvement: Improvement) -> str:
    if improvement.open_alerts == 0:
        return "None waiting — every unhappy customer has been followed up."
    wait = (
        f"; the oldest has waited {format_wait(improvement.oldest_wait)}"
        if improvement.oldest_wait is not None
        else ""
    )
    unclaimed = (
        f" ({improvement.unclaimed_alerts} not yet claimed)" if improvement.unclaimed_alerts else ""
    )
    return f"{_plural(improvement.open_alerts, 'alert')} still open{unclaimed}{wait}"


def _revenue_line(improvement: Improvement) -> str | None:
    if improvement.revenue_at_risk is None:
        return None
    per_point = (
        f"; each lost point of satisfaction puts {format_money(improvement.revenue_per_point)} "
        "more at risk"
        if improvement.revenue_per_point
        else ""
    )
    if not improvement.dissatisfied_valued_customers:
        valued = _plural(improvement.valued_customers, "customer")
        verb = "is" if improvement.valued_customers == 1 else "are"
        return f"none this week: the {valued} with a known value {verb} satisfied"
    return (
        f"{format_money(improvement.revenue_at_risk)} a month, from "
        f"{improvement.dissatisfied_valued_customers} of "
        f"{_plural(improvement.valued_customers, 'customer')} with a known value{per_point}"
    )


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _driver_heading(index: int, driver: Driver, kind: SurveyKind) -> str:
    unit = " pts" if kind is not SurveyKind.CES else ""
    return (
        f"{index}. {driver.label} — cited {_times(driver.mentions)}, "
        f"costs about {driver.impact:.1f}{unit}"
    )


# ------------------------------------------------------------------ Block Kit


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, 150)}}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}


def _fields(*pairs: tuple[str, str]) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(f"*{k}*\n{v}", 2000)} for k, v in pairs],
    }


def _context(*lines: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(line, 3000)} for line in lines[:10]],
    }


def _slack_quote(q: Quote, *, credit: bool) -> str:
    text = quote(q.comment, QUOTE_CHARS)
    if credit and q.agent_id:
        text += f"\n— helped by <@{escape_mrkdwn(q.agent_id)}>"
    return text


def _formula(kind: SurveyKind) -> str:
    return scale_for(kind).formula


def render_good_news(digest: Digest) -> Message:
    good, kind = digest.good_news, digest.kind
    name = score_name(kind)
    title = f"🎉 Good news — {digest.team}, week {digest.week_number}"
    blocks: list[Block] = [_header(title), _context(_period(digest))]
    if good.empty:
        blocks.append(_section(empty_week_note(kind)))
        blocks.append(_fields(("Surveys delivered", str(good.delivered))))
        text = f"{title}: no answers this week."
    else:
        blocks.append(
            _fields(
                (name, _headline_line(kind, good.counts, good.trend, digest.target)),
                ("Answers", _answers_line(good)),
            )
        )
        if good.uncertain:
            blocks.append(_context("⚠️ " + uncertain_note(good.answers)))
        text = f"{title}: {name} {format_score(kind, headline(good.counts))}, " + _plural(
            good.answers, "answer"
        )
    if good.praise:
        blocks.append(_section("*What customers said*"))
        blocks.extend(_section(_slack_quote(q, credit=True)) for q in good.praise)
    if good.kudos:
        blocks.append(
            _section("👏 Kudos to " + ", ".join(f"<@{escape_mrkdwn(a)}>" for a in good.kudos))
        )
    if good.celebrations:
        blocks.append(
            _section("*Worth celebrating*\n" + "\n".join(f"• {c}" for c in good.celebrations))
        )
    blocks.append({"type": "divider"})
    blocks.append(_context(_formula(kind), RESPONSE_RATE_FORMULA))
    return {"text": text, "blocks": blocks}


def render_improvement(digest: Digest) -> Message:
    imp, kind = digest.improvement, digest.kind
    title = f"🔧 Room to improve — {digest.team}, week {digest.week_number}"
    blocks: list[Block] = [_header(title), _context(_period(digest))]
    pairs = [("Open alerts", _alerts_line(imp))]
    if imp.empty:
        blocks.append(_section("No answers this week, so no low scores to learn from."))
        text = f"{title}: no answers this week; {_alerts_line(imp)}"
    else:
        pairs.insert(0, ("Low scores", _low_line(imp)))
        text = f"{title}: {_low_line(imp)}; {_alerts_line(imp)}"
    revenue = _revenue_line(imp)
    if revenue is not None:
        pairs.append(("Revenue at risk", revenue))
    blocks.append(_fields(*pairs))
    if imp.drivers:
        blocks.append(_section("*What pulled the score down most*"))
        for index, driver in enumerate(imp.drivers, start=1):
            lines = [f"*{_driver_heading(index, driver, kind)}*"]
            if driver.example is not None:
                lines.append(_slack_quote(driver.example, credit=False))
            lines.append(f"*Next step:* {driver.next_step}")
            blocks.append(_section("\n".join(lines)))
    elif not imp.empty:
        blocks.append(
            _section("No reason stood out in the follow-up answers this week. 🙌")
            if imp.low
            else _section("No low scores this week. 🙌")
        )
    blocks.append({"type": "divider"})
    formulas = [DRIVER_FORMULA]
    if revenue is not None:
        formulas.append(f"{REVENUE_AT_RISK_FORMULA} ({imp.churn_probability:g})")
    blocks.append(_context(*formulas))
    return {"text": text, "blocks": blocks}


def _agent_figure_line(summary: AgentSummary, kind: SurveyKind) -> str:
    figure = summary.figure
    if figure is None:
        missing = summary.min_sample - summary.answers
        return (
            f"You have {_plural(summary.answers, 'answer')} so far — a score needs at least "
            f"{summary.min_sample}, so {missing} more and it will show here. Too few answers "
            "say more about luck than about you."
        )
    name = score_name(kind)
    # For CSAT the headline is the satisfied share; CES adds its easy share.
    share = "" if kind is SurveyKind.CSAT else f"; {figure.satisfied_percent:.0f} % easy"
    line = (
        f"*{name} {format_score(kind, figure.headline)}* from "
        f"{_plural(figure.answers, 'answer')}{share}, "
        f"likely between {figure.interval_low:.0f} % and {figure.interval_high:.0f} % "
        "(95 % Wilson interval)"
    )
    if figure.uncertain:
        line += ". With this few answers the range is wide: read it as a hint."
    return line


def render_agent_summary(digest: Digest, summary: AgentSummary) -> Message:
    """The agent's own week, sent by DM to that agent only."""
    kind = digest.kind
    scale = scale_for(kind)
    title = f"Your week — {digest.team}, week {digest.week_number}"
    high = sum(n for s, n in summary.counts.counts.items() if scale.is_high(s))
    blocks: list[Block] = [
        _header(title),
        _context(_period(digest)),
        _section(_agent_figure_line(summary, kind)),
        _fields(
            ("Top scores", str(high)),
            ("Low scores", str(summary.counts.low)),
        ),
    ]
    if summary.comments:
        blocks.append(_section("*What your customers wrote*"))
        blocks.extend(_section(_slack_quote(q, credit=False)) for q in summary.comments)
    blocks.append(
        _context(
            "Only you see this message. " + _formula(kind),
            "The range is a 95 % Wilson interval: where your score likely sits given the "
            "number of answers.",
        )
    )
    text = f"{title}: {_plural(summary.answers, 'answer')}"
    return {"text": text, "blocks": blocks}


# ------------------------------------------------------------------ terminal


def _plain(text: str, limit: int = QUOTE_CHARS) -> str:
    return _TERMINAL_UNSAFE.sub("", truncate(text.strip(), limit)).replace("\n", " ")


def _plain_quote(q: Quote, *, credit: bool) -> str:
    line = f'  "{_plain(q.comment)}" ({q.score})'
    if credit and q.agent_id:
        line += f" — helped by @{_plain(q.agent_id, 40)}"
    return line


def render_digest_text(digest: Digest) -> str:
    """A readable terminal rendering of both digests and the agents' summaries (dry run)."""
    good, imp, kind = digest.good_news, digest.improvement, digest.kind
    name = score_name(kind)
    out: list[str] = [
        f"Digest for {digest.team} — {_period(digest)}",
        "",
        "GOOD NEWS",
    ]
    if good.empty:
        out += [f"  {empty_week_note(kind)}", f"  Surveys delivered: {good.delivered}"]
    else:
        out += [
            f"  {name}: {_headline_line(kind, good.counts, good.trend, digest.target)}",
            f"  {_answers_line(good)}",
        ]
        if good.uncertain:
            out.append(f"  ! {uncertain_note(good.answers)}")
    if good.praise:
        out.append("  What customers said:")
        out += [_plain_quote(q, credit=True) for q in good.praise]
    if good.kudos:
        out.append("  Kudos to " + ", ".join(f"@{_plain(a, 40)}" for a in good.kudos))
    if good.celebrations:
        out.append("  Worth celebrating:")
        out += [f"  - {c}" for c in good.celebrations]
    out += [f"  ({_formula(kind)}; {RESPONSE_RATE_FORMULA})", "", "ROOM TO IMPROVE"]
    if imp.empty:
        out.append("  No answers this week, so no low scores to learn from.")
    else:
        out.append(f"  Low scores: {_low_line(imp)}")
    out.append(f"  Open alerts: {_alerts_line(imp)}")
    revenue = _revenue_line(imp)
    if revenue is not None:
        out.append(f"  Revenue at risk: {revenue}")
    for index, driver in enumerate(imp.drivers, start=1):
        out.append(f"  {_driver_heading(index, driver, kind)}")
        if driver.example is not None:
            out.append("  " + _plain_quote(driver.example, credit=False))
        out.append(f"     Next step: {driver.next_step}")
    out.append(f"  ({DRIVER_FORMULA})")
    if revenue is not None:
        out.append(f"  ({REVENUE_AT_RISK_FORMULA} ({imp.churn_probability:g}))")
    # Agents' figures are theirs alone: the dry run names who would get one, no figures.
    out += ["", "PRIVATE SUMMARIES (each agent gets their own by DM; figures not shown here)"]
    if digest.agents:
        out.append("  " + ", ".join(f"@{_plain(a.agent_id, 40)}" for a in digest.agents))
    else:
        out.append("  none: no agent was credited with answers this week")
    if digest.weeks:
        out += ["", "LAST WEEKS (chart)"]
        out += [
            f"  {p.label}: {format_score(kind, p.score):>10}  {_plural(p.answers, 'answer')}"
            for p in digest.weeks
        ]
    return "\n".join(out) + "\n"
