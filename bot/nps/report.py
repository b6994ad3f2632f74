"""The NPS round report: what it says, computed from a round's answers. Pure.

One line carries the score, its shares and counts, and its 95 % margin
(bot.scoring.nps_margin): "NPS 10 = 30% promoters − 20% detractors (50% passives), 100
answers, ±14". Below the minimum sample it shows counts only. The change since the
last round is called noise when it is within the margin of a difference of two
independent NPS (bot.scoring.nps_change_margin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.block_kit import Block, context, header, section
from bot.i18n import (
    format_date,
    format_money,
    format_number,
    format_percent,
    plural_translator,
    translator,
)
from bot.scales import NPS, REASONS
from bot.scoring import MIN_AGENT_SAMPLE, nps, nps_change_margin, nps_margin, revenue_at_risk
from bot.text import escape_mrkdwn, quote
from storage.nps import Progress, RoundAnswers

# The product's minimum sample (PRODUCT.md, default 5 answers): below it, counts only.
MIN_ROUND_SAMPLE = MIN_AGENT_SAMPLE
TOP_REASONS = 3  # a team can act on three things, not twelve
QUOTE_CHARS = 300


@dataclass(frozen=True)
class Shares:
    promoters: int
    passives: int
    detractors: int

    @classmethod
    def of(cls, scores: dict[int, int]) -> Shares:
        promoters = sum(n for s, n in scores.items() if NPS.is_high(s))
        detractors = sum(n for s, n in scores.items() if NPS.is_low(s))
        return cls(promoters, sum(scores.values()) - promoters - detractors, detractors)

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.promoters, self.passives, self.detractors

    @property
    def score(self) -> float | None:
        return nps(*self.counts)

    @property
    def margin(self) -> float | None:
        return nps_margin(*self.counts)

    @property
    def enough(self) -> bool:
        return self.answers >= MIN_ROUND_SAMPLE


@dataclass(frozen=True)
class RoundReport:
    starts_on: date
    shares: Shares
    previous: Shares | None  # the last round's, when it had enough answers
    progress: Progress
    reasons: list[tuple[str, int, float]]  # detractors' reason, answers, revenue at risk
    quotes: list[str]
    at_risk: float  # monthly revenue at risk from detractors


def compose_report(
    starts_on: date,
    answers: RoundAnswers,
    progress: Progress,
    previous: RoundAnswers | None,
    churn_probability: float,
) -> RoundReport:
    shares = Shares.of(answers.scores)
    before = Shares.of(previous.scores) if previous is not None else None
    ranked = sorted(answers.reasons.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    if not shares.enough:
        # Below the minimum sample a few people could be recognised: counts only.
        return RoundReport(starts_on, shares, None, progress, [], [], 0.0)
    return RoundReport(
        starts_on=starts_on,
        shares=shares,
        previous=before if before is not None and before.enough else None,
        progress=progress,
        reasons=[
            (code, count, revenue_at_risk(value, churn_probability))
            for code, (count, value) in ranked[:TOP_REASONS]
        ],
        quotes=answers.quotes,
        at_risk=revenue_at_risk(answers.detractor_value, churn_probability),
    )


def headline(shares: Shares, language: str | None) -> str:
    """The report's one line, in words: the score with its margin, or counts only."""
    _, ngettext = translator(language), plural_translator(language)
    answers = ngettext("{count} answer", "{count} answers", shares.answers).format(
        count=format_number(shares.answers, language)
    )
    if not shares.enough or shares.score is None or shares.margin is None:
        return _(
            "NPS: {answers} ({promoters} promoters, {passives} passives, {detractors} "
            "detractors), too few for a score (at least {minimum})"
        ).format(
            answers=answers,
            promoters=format_number(shares.promoters, language),
            passives=format_number(shares.passives, language),
            detractors=format_number(shares.detractors, language),
            minimum=format_number(MIN_ROUND_SAMPLE, language),
        )
    total = shares.answers
    return _(
        "NPS {score} = {promoters} promoters − {detractors} detractors ({passives} passives), "
        "{answers}, ±{margin}"
    ).format(
        score=format_number(round(shares.score), language),
        promoters=format_percent(shares.promoters / total, language),
        detractors=format_percent(shares.detractors / total, language),
        passives=format_percent(shares.passives / total, language),
        answers=answers,
        margin=format_number(round(shares.margin), language),
    )


def change_line(report: RoundReport, language: str | None) -> str | None:
    now, before = report.shares, report.previous
    if before is None or not now.enough or now.score is None or before.score is None:
        return None
    _ = translator(language)
    delta = round(now.score - before.score)
    margin = nps_change_margin(now.counts, before.counts) or 0.0
    values = {
        "change": ("+" if delta > 0 else "") + format_number(delta, language),
        "previous": format_number(round(before.score), language),
        "margin": format_number(round(margin), language),
    }
    if abs(now.score - before.score) <= margin:
        return _("{change} since the last round (NPS {previous}): within noise (±{margin})").format(
            **values
        )
    return _("{change} since the last round (NPS {previous}), beyond noise (±{margin})").format(
        **values
    )


def render_report(report: RoundReport, language: str | None, currency: str) -> dict[str, Any]:
    """The message posted to the digest channel once the round has closed."""
    _ = translator(language)
    title = _("NPS round of {date}").format(date=format_date(report.starts_on, language))
    line = headline(report.shares, language)
    blocks: list[Block] = [header(title), section(f"*{escape_mrkdwn(line)}*")]
    change = change_line(report, language)
    if change:
        blocks.append(section(change))
    if report.reasons:
        lines = [
            _("{reason}: {count}, {amount} a month at risk").format(
                reason=_(REASONS.get(code, REASONS["other"])),
                count=format_number(count, language),
                amount=format_money(cost, currency, language),
            )
            for code, count, cost in report.reasons
        ]
        blocks.append(section("*" + _("What detractors cited most") + "*\n" + "\n".join(lines)))
    if report.quotes:
        blocks.append(section("*" + _("In promoters' words") + "*"))
        blocks += [section(quote(q, QUOTE_CHARS)) for q in report.quotes]
    if report.at_risk > 0:
        blocks.append(
            section(
                _("Revenue at risk from detractors: {amount} a month").format(
                    amount=format_money(report.at_risk, currency, language)
                )
            )
        )
    progress = report.progress
    blocks.append(
        context(
            _(
                "{asked} asked, {answered} answered, {skipped} skipped (asked recently "
                "or answered the last round). NPS = % promoters (9–10) − % detractors (0–6)."
            ).format(
                asked=format_number(progress.asked, language),
                answered=format_number(progress.answered, language),
                skipped=format_number(progress.skipped, language),
            )
        )
    )
    return {"text": f"{title}: {line}", "blocks": blocks}


def progress_line(starts_on: date, progress: Progress, language: str | None) -> str:
    """One line on a round still under way: the weekly digest and App Home show it."""
    _ = translator(language)
    return _(
        "NPS round of {date} under way: {answered} of {asked} answered, {waiting} waiting"
    ).format(
        date=format_date(starts_on, language),
        answered=format_number(progress.answered, language),
        asked=format_number(progress.asked, language),
        waiting=format_number(progress.waiting, language),
    )
