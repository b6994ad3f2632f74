"""What the weekly digests say: pure composition over aggregated figures.

The figures come from :mod:`storage.digests` as counts and a few quoted answers; this
module turns them into a :class:`Digest` value (good news, improvement, one private
summary per agent) with :mod:`bot.scoring`. Nothing here talks to Slack or SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.chart import WEEKS_SHOWN, WeekPoint
from bot.scales import REASONS, SurveyKind, scale_for
from bot.scoring import (
    DEFAULT_CHURN_PROBABILITY,
    MIN_AGENT_SAMPLE,
    AgentFigure,
    ReasonStat,
    ScoreCounts,
    Trend,
    agent_figure,
    headline,
    is_uncertain,
    rank_key_drivers,
    response_rate,
    revenue_at_risk,
    revenue_at_risk_per_point,
    trend,
)
from bot.teams import Team
from storage.digests import (
    AgentAnswers,
    AlertFigures,
    CustomerValue,
    Delivery,
    Histogram,
    QuotedAnswer,
)

TOP_DRIVERS = 3
PRAISE_QUOTED = 3
AGENT_COMMENTS_QUOTED = 3
# CES is a 1–7 mean: a tenth of a point is a real move, half a point is a big one.
CES_FLAT_WITHIN = 0.05

# One concrete, kind next step per reason: what a team can try this week.
NEXT_STEPS: dict[str, str] = {
    "slow_response": "Check first-reply times on the busiest hours and add cover there.",
    "not_resolved": (
        "Before closing, ask the customer whether their problem is solved; reopen the ones "
        "that are not and follow them up this week."
    ),
    "unclear_answer": (
        "Pick the two answers that confused customers most and turn them into clear saved "
        "replies or help-centre articles."
    ),
    "repeated_myself": (
        "Write a two-line summary in every handover so the next person starts where the "
        "last one stopped."
    ),
    "agent_attitude": (
        "Read a few of these conversations together, kindly, and agree on what a warm "
        "first reply sounds like."
    ),
    "hard_to_reach": (
        "Make the way to reach support visible where customers get stuck, and check the "
        "staffed hours match when they write."
    ),
    "other": "Read this week's “other” comments together and name the pattern, if there is one.",
}

_WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


# ------------------------------------------------------------------------ weeks


@dataclass(frozen=True)
class Period:
    """An ISO week in a team's timezone: local Monday 00:00 to the next, as UTC instants."""

    label: str  # "2026-W47"
    monday: date
    start: datetime
    end: datetime

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_of_monday(monday: date, zone: ZoneInfo) -> Period:
    year, week, _ = monday.isocalendar()
    return Period(
        label=f"{year}-W{week:02d}",
        monday=monday,
        start=_local_midnight_utc(monday, zone),
        end=_local_midnight_utc(monday + timedelta(days=7), zone),
    )


def parse_week(label: str, zone: ZoneInfo) -> Period:
    """The period of "YYYY-Www" in `zone`; ValueError that says the format otherwise."""
    match = _WEEK_LABEL.match(label.strip())
    if match is None:
        raise ValueError(f"{label!r} is not an ISO week like 2026-W47")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"{label!r} is not a week of that year") from None
    return period_of_monday(monday, zone)


def week_containing(moment: datetime, zone: ZoneInfo) -> Period:
    local = moment.astimezone(zone).date()
    return period_of_monday(local - timedelta(days=local.weekday()), zone)


def covered_week(now: datetime, zone: ZoneInfo) -> Period:
    """The week a digest firing at `now` covers: the ISO week before, in the team's zone."""
    current = week_containing(now, zone)
    return period_of_monday(current.monday - timedelta(days=7), zone)


def recent_weeks(period: Period, zone: ZoneInfo, count: int = WEEKS_SHOWN) -> list[Period]:
    """`count` consecutive weeks ending with `period`, oldest first."""
    return [
        period_of_monday(period.monday - timedelta(days=7 * back), zone)
        for back in range(count - 1, -1, -1)
    ]


def boundaries(weeks: Sequence[Period]) -> list[datetime]:
    """The n+1 UTC instants that separate n consecutive weeks (for one grouped query)."""
    return [w.start for w in weeks] + [weeks[-1].end] if weeks else []


# ------------------------------------------------------------------ the figures


@dataclass(frozen=True)
class Figures:
    """Everything the digest needs, as the database aggregated it."""

    weeks: Sequence[Histogram]  # oldest first; the last one is the covered week
    delivery: Delivery
    reasons: Mapping[str, Histogram]
    previous_reasons: Mapping[str, Histogram]
    praise: Sequence[QuotedAnswer]
    examples: Mapping[str, QuotedAnswer]
    agents: Sequence[AgentAnswers]
    agent_comments: Mapping[str, Sequence[QuotedAnswer]]
    alerts: AlertFigures
    value: CustomerValue


def key_drivers(
    kind: SurveyKind, week: Histogram, reasons: Mapping[str, Histogram], top: int = TOP_DRIVERS
) -> list[str]:
    """Codes of the reasons that pull the week's score down most (for the example query)."""
    overall = ScoreCounts(kind, week)
    stats = [ReasonStat(r, ScoreCounts(kind, h)) for r, h in reasons.items() if r in REASONS]
    return [d.reason for d in rank_key_drivers(stats, overall, top=top)]


# ------------------------------------------------------------------ the digest


@dataclass(frozen=True)
class Quote:
    """A customer's words, kept raw here; the renderer escapes them."""

    comment: str
    score: int
    agent_id: str | None


@dataclass(frozen=True)
class GoodNews:
    counts: ScoreCounts
    trend: Trend
    delivered: int
    response_rate: float | None
    praise: tuple[Quote, ...]
    kudos: tuple[str, ...]  # agent ids credited with the quoted praise
    celebrations: tuple[str, ...]

    @property
    def answers(self) -> int:
        return self.counts.total

    @property
    def empty(self) -> bool:
        return self.counts.total == 0

    @property
    def uncertain(self) -> bool:
        return not self.empty and is_uncertain(self.counts.total)


@dataclass(frozen=True)
class Driver:
    reason: str
    label: str
    mentions: int
    impact: float  # headline points this reason costs
    example: Quote | None
    next_step: str


@dataclass(frozen=True)
class Improvement:
    counts: ScoreCounts
    drivers: tuple[Driver, ...]
    open_alerts: int
    unclaimed_alerts: int
    oldest_wait: timedelta | None
    revenue_at_risk: float | None  # None when no customer carries a value
    revenue_per_point: float | None
    valued_customers: int
    dissatisfied_valued_customers: int
    churn_probability: float = DEFAULT_CHURN_PROBABILITY  # the one the figures above used

    @property
    def low(self) -> int:
        return self.counts.low

    @property
    def empty(self) -> bool:
        return self.counts.total == 0


@dataclass(frozen=True)
class AgentSummary:
    """One agent's week, for that agent's eyes only."""

    agent_id: str
    counts: ScoreCounts
    figure: AgentFigure | None  # None below the minimum sample
    comments: tuple[Quote, ...]
    min_sample: int = MIN_AGENT_SAMPLE

    @property
    def answers(self) -> int:
        return self.counts.total


@dataclass(frozen=True)
class Digest:
    team: str
    kind: SurveyKind
    timezone: str
    period: Period
    good_news: GoodNews
    improvement: Improvement
    agents: tuple[AgentSummary, ...]
    weeks: tuple[WeekPoint, ...] = field(default_factory=tuple)
    target: float | None = None

    @property
    def week_number(self) -> int:
        return self.period.monday.isocalendar()[1]


def _quote(answer: QuotedAnswer) -> Quote:
    return Quote(answer.comment, answer.score, answer.agent_id)


def _trend(kind: SurveyKind, current: ScoreCounts, previous: ScoreCounts) -> Trend:
    if kind is SurveyKind.CES:
        return trend(headline(current), headline(previous), flat_within=CES_FLAT_WITHIN, unit="")
    return trend(headline(current), headline(previous))


def format_target(kind: SurveyKind, target: float) -> str:
    return f"{target:.1f}" if kind is SurveyKind.CES else f"{target:.0f} %"


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _celebrations(
    kind: SurveyKind,
    current: ScoreCounts,
    figures: Figures,
    score_trend: Trend,
    target: float | None = None,
) -> tuple[str, ...]:
    """Improvements worth celebrating: things that got better, in plain words."""
    found: list[str] = []
    scale = scale_for(kind)
    score = headline(current)
    if target is not None and score is not None and score >= target:
        found.append(f"The score met the team's target ({format_target(kind, target)}).")
    if score_trend.arrow == "↑" and score_trend.delta is not None:
        unit = " points" if kind is not SurveyKind.CES else ""
        found.append(f"The score rose {score_trend.delta:.1f}{unit} on last week.")
    for reason, label in REASONS.items():
        before = sum(figures.previous_reasons.get(reason, {}).values())
        now = sum(figures.reasons.get(reason, {}).values())
        if before >= 3 and now < before:
            found.append(
                f"“{label}” came up {_times(now) if now else 'not once'}, "
                f"down from {_times(before)} the week before."
            )
    if figures.alerts.resolved_in_period:
        n = figures.alerts.resolved_in_period
        found.append(
            f"{n} unhappy customer{'s were' if n != 1 else ' was'} followed up "
            "and the alert resolved."
        )
    top = current.counts.get(max(scale.scores), 0)
    if top:
        found.append(
            f"{top} customer{'s' if top != 1 else ''} gave the top score "
            f"({scale.labels.get(max(scale.scores), max(scale.scores))})."
        )
    return tuple(found)


def compose_digest(team: Team, period: Period, figures: Figures, now: datetime) -> Digest:
    """Build the week's digest value from aggregated figures (pure)."""
    kind = SurveyKind(team.survey)
    history = [ScoreCounts(kind, h) for h in figures.weeks] or [ScoreCounts(kind)]
    current = history[-1]
    previous = history[-2] if len(history) > 1 else ScoreCounts(kind)
    score_trend = _trend(kind, current, previous)

    delivered = figures.delivery.delivered
    # Answers to this week's deliveries, never above them (response_rate raises otherwise).
    rate = response_rate(min(figures.delivery.answered, delivered), delivered)

    praise = tuple(_quote(a) for a in figures.praise[:PRAISE_QUOTED])
    kudos = tuple(dict.fromkeys(q.agent_id for q in praise if q.agent_id))
    good_news = GoodNews(
        counts=current,
        trend=score_trend,
        delivered=delivered,
        response_rate=rate,
        praise=praise,
        kudos=kudos,
        celebrations=_celebrations(kind, current, figures, score_trend, team.target),
    )

    stats = [
        ReasonStat(r, ScoreCounts(kind, h)) for r, h in figures.reasons.items() if r in REASONS
    ]
    drivers = tuple(
        Driver(
            reason=d.reason,
            label=REASONS[d.reason],
            mentions=d.mentions,
            impact=d.impact,
            example=_quote(figures.examples[d.reason]) if d.reason in figures.examples else None,
            next_step=NEXT_STEPS[d.reason],
        )
        for d in rank_key_drivers(stats, current, top=TOP_DRIVERS)
    )
    value = figures.value
    churn = DEFAULT_CHURN_PROBABILITY
    alerts = figures.alerts
    oldest = alerts.oldest_unresolved_at
    improvement = Improvement(
        counts=current,
        drivers=drivers,
        open_alerts=alerts.unresolved,
        unclaimed_alerts=alerts.unclaimed,
        oldest_wait=max(now - oldest, timedelta(0)) if oldest is not None else None,
        revenue_at_risk=revenue_at_risk(value.dissatisfied_value, churn)
        if value.customers
        else None,
        revenue_per_point=revenue_at_risk_per_point(value.total_value, churn)
        if value.customers
        else None,
        valued_customers=value.customers,
        dissatisfied_valued_customers=value.dissatisfied_customers,
        churn_probability=churn,
    )

    agents = tuple(
        AgentSummary(
            agent_id=a.agent_id,
            counts=ScoreCounts(kind, a.histogram),
            figure=agent_figure(ScoreCounts(kind, a.histogram)),
            comments=tuple(
                _quote(c)
                for c in figures.agent_comments.get(a.agent_id, ())[:AGENT_COMMENTS_QUOTED]
            ),
        )
        for a in figures.agents
    )

    weeks = recent_weeks(period, team.zone, len(history))
    points = tuple(
        WeekPoint(label=f"W{w.monday.isocalendar()[1]}", score=headline(c), answers=c.total)
        for w, c in zip(weeks, history, strict=True)
    )
    return Digest(
        team=team.name,
        kind=kind,
        timezone=team.timezone,
        period=period,
        good_news=good_news,
        improvement=improvement,
        agents=agents,
        weeks=points,
        target=team.target,
    )
