"""The digest's sentences, shared by its Block Kit and its terminal rendering: each
figure worded once, in the team's language."""

from __future__ import annotations

from typing import Any

from bot.digest.compose import (
    Celebrated,
    Celebration,
    Digest,
    Driver,
    GoodNews,
    Improvement,
)
from bot.i18n import (
    format_days,
    format_money,
)
from bot.scales import REASONS, scale_for
from bot.scoring import (
    ScoreCounts,
    Trend,
    headline,
    satisfied_percent,
)
from bot.wording import (
    Words,
    format_change,
    format_score,
    format_target,
    format_trend,
    format_wait,
    score_name,
)
from storage.vocabulary import SurveyKind

Block = dict[str, Any]
Message = dict[str, Any]

QUOTE_CHARS = 280


def week_words(digest: Digest, words: Words) -> str:
    _ = words._
    return _("{team}, week {number}").format(team=digest.team, number=digest.week_number)


def period_words(digest: Digest, words: Words) -> str:
    _ = words._
    days = format_days(digest.period.monday, digest.period.sunday, words.language)
    return _("week {number}, {days} ({timezone})").format(
        number=digest.week_number, days=days, timezone=digest.timezone
    )


def headline_words(
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


def answers_words(good: GoodNews, words: Words) -> str:
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


def unhappy_words(improvement: Improvement, words: Words) -> str:
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


def alerts_words(improvement: Improvement, words: Words) -> str:
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


def revenue_words(improvement: Improvement, kind: SurveyKind, words: Words) -> str | None:
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


def driver_words(index: int, driver: Driver, kind: SurveyKind, words: Words) -> list[str]:
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


def celebration_words(c: Celebration, kind: SurveyKind, words: Words) -> str:
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


def formula_words(kind: SurveyKind, words: Words) -> str:
    _ = words._
    return _(scale_for(kind).formula)
