"""The weekly digests and the agents' private summaries, as Block Kit and as plain text.

Pure functions from a :class:`bot.digest.Digest` to Slack's dicts, in the team's
language (`digest.language`): words from the catalogues, numbers, money and dates
written the way that language writes them. Customers' words always pass through
:func:`bot.text.quote` (escaped, no pings, no disguised links). Agents are mentioned
only for kudos in the good news; per-agent figures appear only in that agent's own
summary, with their Wilson interval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.digest import (
    AgentSummary,
    Celebrated,
    Celebration,
    Digest,
    Driver,
    GoodNews,
    Improvement,
    Quote,
)
from bot.i18n import (
    Translate,
    TranslatePlural,
    format_days,
    format_money,
    format_number,
    format_percent,
    plural_translator,
    translator,
)
from bot.scales import REASONS, SurveyKind, scale_for
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


@dataclass(frozen=True)
class Words:
    """The team's language: its texts, plural forms and ways of writing numbers."""

    language: str
    _: Translate
    ngettext: TranslatePlural

    @classmethod
    def of(cls, language: str | None) -> Words:
        return cls(language or "en", translator(language), plural_translator(language))

    def percent(self, points: float) -> str:
        """82.5 -> '82.5%', '82,5 %' (one decimal at most: 37.5 stays 37.5)."""
        return format_percent(points / 100, self.language, up_to_decimals=1)

    def number(self, value: float, decimals: int = 1) -> str:
        return format_number(value, self.language, decimals=decimals)

    def answers(self, n: int) -> str:
        ngettext = self.ngettext
        return ngettext("{count} answer", "{count} answers", n).format(count=n)


def score_name(kind: SurveyKind) -> str:
    return scale_for(kind).name


def format_score(kind: SurveyKind, value: float | None, words: Words | None = None) -> str:
    w = words or Words.of(None)
    _ = w._
    if value is None:
        return _("no answers")
    if kind is SurveyKind.CES:
        return f"{w.number(value)} / 7"
    if kind is SurveyKind.NPS:
        return ("+" if value > 0 else "−" if value < 0 else "") + w.number(abs(value), 0)
    return w.percent(value)


def format_target(kind: SurveyKind, target: float, words: Words) -> str:
    return words.number(target) if kind is SurveyKind.CES else words.percent(target)


def format_change(kind: SurveyKind, delta: float, words: Words) -> str:
    """'+7 pts', '−14 pts', '+0.3' (CES moves on its own 1–7 scale, not in points)."""
    _ = words._
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    # Up to one decimal, none when whole: "+22.5 pts", "−14 pts".
    size = sign + format_number(Decimal(str(abs(round(delta, 1)))), words.language)
    if kind is SurveyKind.CES:
        return size
    return _("{change} pts").format(change=size)


def format_trend(kind: SurveyKind, change: Trend, words: Words | None = None) -> str:
    """ "74 %, down from 88 % (−14 pts)", or why there is nothing to compare."""
    w = words or Words.of(None)
    _ = w._
    score = format_score(kind, change.current, w)
    if change.previous is None:
        return _("{score} (no answers the week before to compare with)").format(score=score)
    previous = format_score(kind, change.previous, w)
    if change.current is None or change.delta is None:
        return _("no answers (the week before: {previous})").format(previous=previous)
    if change.arrow == "→":
        return _("{score}, about the same as the week before ({previous})").format(
            score=score, previous=previous
        )
    template = (
        _("{score}, up from {previous} ({change})")
        if change.arrow == "↑"
        else _("{score}, down from {previous} ({change})")
    )
    return template.format(
        score=score, previous=previous, change=format_change(kind, change.delta, w)
    )


def format_wait(wait: timedelta, words: Words | None = None) -> str:
    ngettext = (words or Words.of(None)).ngettext
    hours = int(wait.total_seconds() // 3600)
    if hours >= 48:
        days = hours // 24
        return ngettext("{count} day", "{count} days", days).format(count=days)
    if hours >= 1:
        return ngettext("{count} hour", "{count} hours", hours).format(count=hours)
    minutes = max(1, int(wait.total_seconds() // 60))
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def _week(digest: Digest, words: Words) -> str:
    _ = words._
    return _("{team}, week {number}").format(team=digest.team, number=digest.week_number)


def _period(digest: Digest, words: Words) -> str:
    _ = words._
    days = format_days(digest.period.monday, digest.period.sunday, words.language)
    return _("week {number}, {days} ({timezone})").format(
        number=digest.week_number, days=days, timezone=digest.timezone
    )


def _headline_line(
    kind: SurveyKind,
    counts: ScoreCounts,
    change: Trend,
    target: float | None,
    words: Words,
) -> str:
    _ = words._
    score = headline(counts)
    line = format_trend(kind, change, words)
    if kind is SurveyKind.CES:
        easy = satisfied_percent(counts)
        if easy is not None:
            line += "\n" + _("{share} of answers found it easy").format(share=words.percent(easy))
    if target is not None and score is not None:
        gap = target - score
        shown = format_target(kind, target, words)
        line += "\n" + (
            _("target {target}: reached").format(target=shown)
            if gap <= 0
            else _("target {target}: {gap} to go").format(
                target=shown, gap=format_change(kind, gap, words).lstrip("+")
            )
        )
    return line


def _answers_line(good: GoodNews, words: Words) -> str:
    _, ngettext = words._, words.ngettext
    if good.delivered == 0:
        return _("{answers} (no surveys were delivered this week)").format(
            answers=words.answers(good.answers)
        )
    rate = good.response_rate if good.response_rate is not None else 0.0
    answered = ngettext(
        "{rate} of the {count} survey delivered was answered",
        "{rate} of the {count} surveys delivered were answered",
        good.delivered,
    ).format(rate=words.percent(rate), count=good.delivered)
    return f"{words.answers(good.answers)}; {answered}"


def empty_week_note(kind: SurveyKind, words: Words | None = None) -> str:
    _ = (words or Words.of(None))._
    return _(
        "No answers came in this week, so there is no {score} to show yet. Quiet weeks "
        "happen; next week's digest picks up from here."
    ).format(score=score_name(kind))


def uncertain_note(answers: int, words: Words | None = None) -> str:
    ngettext = (words or Words.of(None)).ngettext
    return ngettext(
        "Only {count} answer this week: these figures are uncertain (fewer than {minimum}), "
        "so read them as a hint, not a verdict.",
        "Only {count} answers this week: these figures are uncertain (fewer than {minimum}), "
        "so read them as a hint, not a verdict.",
        answers,
    ).format(count=answers, minimum=UNCERTAIN_BELOW)


def _unhappy_line(improvement: Improvement, words: Words) -> str:
    ngettext = words.ngettext
    scale = scale_for(improvement.counts.kind)
    # Counted by the unhappy answers, the subject: "1 unhappy answer out of 2".
    return ngettext(
        "{low} unhappy answer out of {count} (scored {scores})",
        "{low} unhappy answers out of {count} (scored {scores})",
        improvement.low,
    ).format(
        low=improvement.low,
        count=improvement.counts.total,
        scores=f"{min(scale.scores)}–{scale.low_max}",
    )


def _alerts_line(improvement: Improvement, words: Words) -> str:
    _, ngettext = words._, words.ngettext
    if improvement.open_alerts == 0 and improvement.low == 0:
        return _("None waiting.")  # nobody was unhappy: nobody to follow up
    if improvement.open_alerts == 0:
        return _("None waiting — every unhappy customer has been followed up.")
    line = ngettext(
        "{count} alert still open", "{count} alerts still open", improvement.open_alerts
    ).format(count=improvement.open_alerts)
    if improvement.unclaimed_alerts:
        line += " " + _("({count} not yet claimed)").format(count=improvement.unclaimed_alerts)
    if improvement.oldest_wait is not None:
        line += "; " + _("the oldest has waited {wait}").format(
            wait=format_wait(improvement.oldest_wait, words)
        )
    return line


def _revenue_line(improvement: Improvement, kind: SurveyKind, words: Words) -> str | None:
    _, ngettext = words._, words.ngettext
    if improvement.revenue_at_risk is None:
        return None
    if not improvement.unhappy_valued_customers:
        return ngettext(
            "none this week: the {count} customer with a known value was not unhappy",
            "none this week: none of the {count} customers with a known value was unhappy",
            improvement.valued_customers,
        ).format(count=improvement.valued_customers)

    def money(amount: float) -> str:
        return format_money(amount, improvement.currency, words.language)

    line = _(
        "{amount} a month, from unhappy customers: {unhappy} of {count} with a known value"
    ).format(
        amount=money(improvement.revenue_at_risk),
        unhappy=improvement.unhappy_valued_customers,
        count=improvement.valued_customers,
    )
    line += "\n" + _("counted at a {probability} chance of losing an unhappy customer").format(
        probability=words.percent(100 * improvement.churn_probability)
    )
    if improvement.revenue_per_point and kind is not SurveyKind.CES:
        line += "\n" + _("each point of {score} lost puts another {amount} at risk").format(
            score=score_name(kind), amount=money(improvement.revenue_per_point)
        )
    return line


def unreachable_line(improvement: Improvement, words: Words) -> str | None:
    """How many customers no survey could reach, and why that happens."""
    count = improvement.unreachable_customers
    if not count:
        return None
    return words.ngettext(
        "{count} customer could not be reached: no Slack account has their email address, "
        "or they are in another organisation (Slack Connect), where a direct message "
        "is not possible.",
        "{count} customers could not be reached: no Slack account has their email address, "
        "or they are in another organisation (Slack Connect), where a direct message "
        "is not possible.",
        count,
    ).format(count=count)


def _driver_lines(index: int, driver: Driver, kind: SurveyKind, words: Words) -> list[str]:
    """ "1. Slow response — cited twice" and the score without those answers."""
    _, ngettext = words._, words.ngettext
    cited = ngettext("cited {count} time", "cited {count} times", driver.mentions).format(
        count=driver.mentions
    )
    label = _(driver.label)
    heading = f"{index}. {label} — {cited}"
    if driver.without is None:
        effect = _("Every answer this week cited it.")
    else:
        effect = _(
            "Without the answers citing it, {score} would have been {without} instead of {current}."
        ).format(
            score=score_name(kind),
            without=format_score(kind, driver.without, words),
            current=format_score(kind, driver.score, words),
        )
    return [heading, effect]


def _celebration(c: Celebration, kind: SurveyKind, words: Words) -> str:
    _, ngettext = words._, words.ngettext
    scale = scale_for(kind)
    match c.what:
        case Celebrated.TARGET_MET:
            return _("The score met the team's target ({target}).").format(
                target=format_target(kind, c.figure or 0.0, words)
            )
        case Celebrated.SCORE_ROSE:
            return _("The score rose by {change} on the week before.").format(
                change=format_change(kind, c.figure or 0.0, words).lstrip("+")
            )
        case Celebrated.REASON_FELL:
            label = REASONS.get(c.reason or "", REASONS["other"])
            reason = _(label)
            if not c.count:
                return _(
                    "“{reason}” did not come up this week, down from {before} times the week "
                    "before."
                ).format(reason=reason, before=c.before)
            return ngettext(
                "“{reason}” came up {count} time, down from {before} the week before.",
                "“{reason}” came up {count} times, down from {before} the week before.",
                c.count,
            ).format(reason=reason, count=c.count, before=c.before)
        case Celebrated.ALERTS_RESOLVED:
            return ngettext(
                "{count} unhappy customer was followed up and the alert resolved.",
                "{count} unhappy customers were followed up and their alerts resolved.",
                c.count,
            ).format(count=c.count)
        case Celebrated.TOP_SCORES:
            best = max(scale.scores)
            best_label = scale.labels.get(best)
            return ngettext(
                "{count} customer gave the top score ({label}).",
                "{count} customers gave the top score ({label}).",
                c.count,
            ).format(count=c.count, label=_(best_label) if best_label else str(best))


def _formulas(kind: SurveyKind, words: Words) -> str:
    _ = words._
    return _(scale_for(kind).formula)


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
    title = "🎉 " + _("Good news — {week}").format(week=_week(digest, words))
    blocks: list[Block] = [_header(title), _context(_period(digest, words))]
    if good.empty:
        blocks.append(_section(empty_week_note(kind, words)))
        blocks.append(_fields((_("Surveys delivered"), str(good.delivered))))
        text = _("{title}: no answers this week.").format(title=title)
    else:
        blocks.append(
            _fields(
                (name, _headline_line(kind, good.counts, good.trend, digest.target, words)),
                (_("Answers"), _answers_line(good, words)),
            )
        )
        if good.uncertain:
            blocks.append(_context("⚠️ " + uncertain_note(good.answers, words)))
        text = f"{title}: {name} {format_score(kind, headline(good.counts), words)}, " + (
            words.answers(good.answers)
        )
    if good.praise:
        blocks.append(_section("*" + _("What customers said") + "*"))
        blocks.extend(_section(_slack_quote(q, words, credit=True)) for q in good.praise)
    if good.kudos:
        agents = ", ".join(f"<@{escape_mrkdwn(a)}>" for a in good.kudos)
        blocks.append(_section("👏 " + _("Kudos to {agents}").format(agents=agents)))
    if good.celebrations:
        lines = "\n".join(f"• {_celebration(c, kind, words)}" for c in good.celebrations)
        blocks.append(_section("*" + _("Worth celebrating") + "*\n" + lines))
    blocks.append({"type": "divider"})
    blocks.append(_context(_formulas(kind, words), _(RESPONSE_RATE_FORMULA)))
    return {"text": text, "blocks": blocks}


def render_improvement(digest: Digest) -> Message:
    words = Words.of(digest.language)
    _ = words._
    imp, kind = digest.improvement, digest.kind
    title = "🔧 " + _("Room to improve — {week}").format(week=_week(digest, words))
    blocks: list[Block] = [_header(title), _context(_period(digest, words))]
    alerts = _alerts_line(imp, words)
    pairs = [(_("Open alerts"), alerts)]
    if imp.empty:
        blocks.append(_section(_("No answers this week, so nothing unhappy to learn from.")))
        text = f"{title}: " + _("no answers this week") + f"; {alerts}"
    else:
        pairs.insert(0, (_("Unhappy answers"), _unhappy_line(imp, words)))
        text = f"{title}: {_unhappy_line(imp, words)}; {alerts}"
    revenue = _revenue_line(imp, kind, words)
    if revenue is not None:
        pairs.append((_("Revenue at risk"), revenue))
    blocks.append(_fields(*pairs))
    if (unreachable := unreachable_line(imp, words)) is not None:
        blocks.append(_context(unreachable))
    if imp.drivers:
        blocks.append(_section("*" + _("What pulled the score down most") + "*"))
        for index, driver in enumerate(imp.drivers, start=1):
            heading, effect = _driver_lines(index, driver, kind, words)
            lines = [f"*{heading}*", effect]
            if driver.example is not None:
                lines.append(_slack_quote(driver.example, words, credit=False))
            lines.append("*" + _("Next step:") + "* " + _(driver.next_step))
            blocks.append(_section("\n".join(lines)))
    elif not imp.empty:
        blocks.append(
            _section(_("No reason stood out in the follow-up answers this week.") + " 🙌")
            if imp.low
            else _section(_("No unhappy answers this week.") + " 🙌")
        )
    blocks.append({"type": "divider"})
    formulas = [_(DRIVER_FORMULA)]
    if revenue is not None:
        formulas.append(_(REVENUE_AT_RISK_FORMULA))
    blocks.append(_context(*formulas))
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
    title = _("Your week — {week}").format(week=_week(digest, words))
    high = sum(n for s, n in summary.counts.counts.items() if scale.is_high(s))
    blocks: list[Block] = [
        _header(title),
        _context(_period(digest, words)),
        _section(_agent_figure_line(summary, kind, words)),
        _fields(
            (_("Top scores"), str(high)),
            (_("Unhappy answers"), str(summary.counts.low)),
        ),
    ]
    if summary.comments:
        blocks.append(_section("*" + _("What your customers wrote") + "*"))
        blocks.extend(_section(_slack_quote(q, words, credit=False)) for q in summary.comments)
    blocks.append(
        _context(
            _("Only you see this message.") + " " + _formulas(kind, words),
            _(
                "The range is a 95 % Wilson interval: where your score likely sits given "
                "the number of answers."
            ),
        )
    )
    text = f"{title}: {words.answers(summary.answers)}"
    return {"text": text, "blocks": blocks}


# ------------------------------------------------------------------ terminal


def _plain(text: str, limit: int = QUOTE_CHARS) -> str:
    return _TERMINAL_UNSAFE.sub("", truncate(text.strip(), limit)).replace("\n", " ")


def _at(agent_id: str, names: Mapping[str, str]) -> str:
    """An agent as the posted digest shows them: by name (Slack renders the mention)."""
    return "@" + _plain(names.get(agent_id) or agent_id, 40)


def _plain_quote(q: Quote, words: Words, names: Mapping[str, str], *, credit: bool) -> str:
    _ = words._
    line = f'  "{_plain(q.comment)}" ({q.score})'
    if credit and q.agent_id:
        line += " — " + _("helped by {agent}").format(agent=_at(q.agent_id, names))
    return line


def _indented(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def render_digest_text(digest: Digest, names: Mapping[str, str] | None = None) -> str:
    """A readable terminal rendering of both digests and the agents' summaries (dry run).

    `names` are the agents' names by Slack id; an agent without one shows as the id.
    """
    names = names or {}
    words = Words.of(digest.language)
    _ = words._
    good, imp, kind = digest.good_news, digest.improvement, digest.kind
    name = score_name(kind)
    heading = _("Digest for {team}").format(team=digest.team)
    out: list[str] = [f"{heading} — {_period(digest, words)}", ""]
    out.append(_("Good news — {week}").format(week=_week(digest, words)))
    if good.empty:
        out += [_indented(empty_week_note(kind, words))]
        out += ["  " + _("Surveys delivered") + f": {good.delivered}"]
    else:
        headline_line = _headline_line(kind, good.counts, good.trend, digest.target, words)
        out += [_indented(f"{name}: {headline_line}"), f"  {_answers_line(good, words)}"]
        if good.uncertain:
            out.append(f"  ! {uncertain_note(good.answers, words)}")
    if good.praise:
        out.append("  " + _("What customers said") + ":")
        out += [_plain_quote(q, words, names, credit=True) for q in good.praise]
    if good.kudos:
        agents = ", ".join(_at(a, names) for a in good.kudos)
        out.append("  " + _("Kudos to {agents}").format(agents=agents))
    if good.celebrations:
        out.append("  " + _("Worth celebrating") + ":")
        out += [f"  - {_celebration(c, kind, words)}" for c in good.celebrations]
    response_rate = _(RESPONSE_RATE_FORMULA)
    out += [f"  ({_formulas(kind, words)}; {response_rate})", ""]
    out.append(_("Room to improve — {week}").format(week=_week(digest, words)))
    if imp.empty:
        out.append("  " + _("No answers this week, so nothing unhappy to learn from."))
    else:
        out.append("  " + _("Unhappy answers") + f": {_unhappy_line(imp, words)}")
    out.append("  " + _("Open alerts") + f": {_alerts_line(imp, words)}")
    revenue = _revenue_line(imp, kind, words)
    if revenue is not None:
        out.append(_indented(_("Revenue at risk") + f": {revenue}"))
    if (unreachable := unreachable_line(imp, words)) is not None:
        out.append(_indented(unreachable))
    for index, driver in enumerate(imp.drivers, start=1):
        heading, effect = _driver_lines(index, driver, kind, words)
        out += [f"  {heading}", f"     {effect}"]
        if driver.example is not None:
            out.append("  " + _plain_quote(driver.example, words, names, credit=False))
        out.append("     " + _("Next step:") + " " + _(driver.next_step))
    out.append("  (" + _(DRIVER_FORMULA) + ")")
    if revenue is not None:
        out.append("  (" + _(REVENUE_AT_RISK_FORMULA) + ")")
    # Agents' figures are theirs alone: the dry run names who would get one, no figures.
    out += ["", _("Private summaries (each agent gets their own by DM; figures not shown here)")]
    if digest.agents:
        out.append("  " + ", ".join(_at(a.agent_id, names) for a in digest.agents))
    else:
        out.append("  " + _("none: no agent was credited with answers this week"))
    if digest.weeks:
        out += ["", _("Last weeks (the chart)")]
        out += [
            # A week without answers says so once, not "no answers  0 answers".
            f"  {p.label}: {format_score(kind, p.score, words):>10}  {words.answers(p.answers)}"
            if p.answers
            else f"  {p.label}: {format_score(kind, None, words)}"
            for p in digest.weeks
        ]
    return "\n".join(out) + "\n"
