"""Shared wording: score names, figures, changes and waits in a team's language.

Every message the team reads (digests, Home, alerts, drill-down, the chart) writes a
score, a change or a count the same way, from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bot.i18n import (
    Translate,
    TranslatePlural,
    format_number,
    format_percent,
    plural_translator,
    translator,
)
from bot.scales import scale_for
from bot.scoring import UNCERTAIN_BELOW, Trend
from storage.vocabulary import SurveyKind


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


def whole_percent(value: float, words: Words) -> str:
    """A percentage without decimals: '67%', '67 %'."""
    return format_percent(value / 100, words.language)


def answer_count(n: int, words: Words) -> str:
    """'1,237 answers', '1.237 Antworten' (Words.answers leaves the count ungrouped)."""
    ngettext = words.ngettext
    return ngettext("{count} answer", "{count} answers", n).format(count=words.number(n, 0))
