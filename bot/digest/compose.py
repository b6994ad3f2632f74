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
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.accounts.health import Accounts
from bot.digest.chart import WEEKS_SHOWN, WeekPoint
from bot.i18n import N_, format_day_month
from bot.scales import REASONS, scale_for
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
    rank_counterfactuals,
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
from storage.vocabulary import SurveyKind

NO_ACCOUNTS = Accounts(health=(), at_risk=(), accounts=0)
TOP_DRIVERS = 3
PRAISE_QUOTED = 3
AGENT_COMMENTS_QUOTED = 3
# CES is a 1–7 mean: a tenth of a point is a real move, half a point is a big one.
CES_FLAT_WITHIN = 0.05

# The storage queries fetch a few more than are shown, so that a comment repeated word
# for word can be dropped and still leave enough to quote.
QUOTE_CANDIDATES = 3

# One concrete, kind next step per reason: what a team can try this week (msgids,
# translated into the team's language where the digest is rendered).
NEXT_STEPS: dict[str, str] = {
    "slow_response": N_("Check first-reply times on the busiest hours and add cover there."),
    "not_resolved": N_(
        "Before closing, ask the customer whether their problem is solved; reopen the ones "
        "that are not and follow them up this week."
    ),
    "unclear_answer": N_(
        "Pick the two answers that confused customers most and turn them into clear saved "
        "replies or help-centre articles."
    ),
    "repeated_myself": N_(
        "Write a two-line summary in every handover so the next person starts where the "
        "last one stopped."
    ),
    "agent_attitude": N_(
        "Read a few of these conversations together, kindly, and agree on what a warm "
        "first reply sounds like."
    ),
    "hard_to_reach": N_(
        "Make the way to reach support visible where customers get stuck, and check the "
        "staffed hours match when they write."
    ),
    "other": N_(
        "Read this week's “other” comments together and name the pattern, if there is one."
    ),
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
    unreachable: int = 0  # customers the period's surveys could not reach in Slack
    accounts: Accounts = NO_ACCOUNTS  # the week's accounts, against the week before


def key_drivers(
    kind: SurveyKind, week: Histogram, reasons: Mapping[str, Histogram], top: int = TOP_DRIVERS
) -> list[str]:
    """Codes of the reasons that pull the week's score down most (for the example query)."""
    overall = ScoreCounts(kind, week)
    stats = [ReasonStat(r, ScoreCounts(kind, h)) for r, h in reasons.items() if r in REASONS]
    return [d.reason for d in rank_counterfactuals(stats, overall, top=top)]


# ------------------------------------------------------------------ the digest


@dataclass(frozen=True)
class Quote:
    """A customer's words, kept raw here; the renderer escapes them."""

    comment: str
    score: int
    agent_id: str | None


def same_words(comment: str) -> str:
    """A comment as compared for repeats: case and spacing do not make it new."""
    return " ".join(comment.split()).casefold()


def once_each(answers: Sequence[QuotedAnswer], limit: int) -> tuple[Quote, ...]:
    """Up to `limit` quotes, a comment repeated word for word shown only the first time."""
    seen: set[str] = set()
    quotes: list[Quote] = []
    for answer in answers:
        words = same_words(answer.comment)
        if words and words not in seen:
            seen.add(words)
            quotes.append(_quote(answer))
    return tuple(quotes[:limit])


class Celebrated(StrEnum):
    TARGET_MET = "target_met"
    SCORE_ROSE = "score_rose"
    REASON_FELL = "reason_fell"
    ALERTS_RESOLVED = "alerts_resolved"
    TOP_SCORES = "top_scores"


@dataclass(frozen=True)
class Celebration:
    """Something that got better, as values: the renderer words it in the team's language."""

    what: Celebrated
    count: int = 0  # answers, alerts or mentions this week
    before: int = 0  # mentions the week before (REASON_FELL)
    reason: str | None = None
    figure: float | None = None  # the target met, or the points the score rose


@dataclass(frozen=True)
class GoodNews:
    counts: ScoreCounts
    trend: Trend
    delivered: int
    response_rate: float | None
    praise: tuple[Quote, ...]
    kudos: tuple[str, ...]  # agent ids credited with the quoted praise
    celebrations: tuple[Celebration, ...]

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
    label: str  # msgid
    mentions: int
    score: float  # the week's headline
    without: float | None  # the headline without the answers citing it; None: all did
    example: Quote | None
    next_step: str  # msgid


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
    unhappy_valued_customers: int
    currency: str = "USD"
    churn_probability: float = DEFAULT_CHURN_PROBABILITY  # the one the figures above used
    unreachable_customers: int = 0  # no Slack account with their email, or no DM possible

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
    language: str = "en"  # the team's: leads and agents read the digest in it
    accounts: Accounts = NO_ACCOUNTS

    @property
    def week_number(self) -> int:
        return self.period.monday.isocalendar()[1]


def _quote(answer: QuotedAnswer) -> Quote:
    return Quote(answer.comment, answer.score, answer.agent_id)


def _trend(kind: SurveyKind, current: ScoreCounts, previous: ScoreCounts) -> Trend:
    if kind is SurveyKind.CES:
        return trend(headline(current), headline(previous), flat_within=CES_FLAT_WITHIN, unit="")
    return trend(headline(current), headline(previous))


def _celebrations(
    kind: SurveyKind,
    current: ScoreCounts,
    figures: Figures,
    score_trend: Trend,
    target: float | None = None,
) -> tuple[Celebration, ...]:
    """Improvements worth celebrating: things that got better."""
    found: list[Celebration] = []
    scale = scale_for(kind)
    score = headline(current)
    if target is not None and score is not None and score >= target:
        found.append(Celebration(Celebrated.TARGET_MET, figure=target))
    if score_trend.arrow == "↑" and score_trend.delta is not None:
        found.append(Celebration(Celebrated.SCORE_ROSE, figure=score_trend.delta))
    for reason in REASONS:
        before = sum(figures.previous_reasons.get(reason, {}).values())
        now = sum(figures.reasons.get(reason, {}).values())
        if before >= 3 and now < before:
            found.append(Celebration(Celebrated.REASON_FELL, now, before, reason))
    if figures.alerts.resolved_in_period:
        found.append(Celebration(Celebrated.ALERTS_RESOLVED, figures.alerts.resolved_in_period))
    top = current.counts.get(max(scale.scores), 0)
    if top:
        found.append(Celebration(Celebrated.TOP_SCORES, top))
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

    praise = once_each(figures.praise, PRAISE_QUOTED)
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
    drivers: list[Driver] = []
    quoted: set[str] = set()
    for d in rank_counterfactuals(stats, current, top=TOP_DRIVERS):
        example = figures.examples.get(d.reason)
        # One customer's words, pasted into two answers, are quoted once.
        if example is not None and same_words(example.comment) in quoted:
            example = None
        if example is not None:
            quoted.add(same_words(example.comment))
        drivers.append(
            Driver(
                reason=d.reason,
                label=REASONS[d.reason],
                mentions=d.mentions,
                score=d.score,
                without=d.without,
                example=_quote(example) if example is not None else None,
                next_step=NEXT_STEPS[d.reason],
            )
        )
    value = figures.value
    churn = team.churn_probability
    alerts = figures.alerts
    oldest = alerts.oldest_unresolved_at
    improvement = Improvement(
        counts=current,
        drivers=tuple(drivers),
        open_alerts=alerts.unresolved,
        unclaimed_alerts=alerts.unclaimed,
        oldest_wait=max(now - oldest, timedelta(0)) if oldest is not None else None,
        revenue_at_risk=(
            revenue_at_risk(value.dissatisfied_value, churn) if value.customers else None
        ),
        revenue_per_point=(
            revenue_at_risk_per_point(value.total_value, churn) if value.customers else None
        ),
        valued_customers=value.customers,
        unhappy_valued_customers=value.dissatisfied_customers,
        currency=team.currency,
        churn_probability=churn,
        unreachable_customers=figures.unreachable,
    )

    agents = tuple(
        AgentSummary(
            agent_id=a.agent_id,
            counts=ScoreCounts(kind, a.histogram),
            figure=agent_figure(ScoreCounts(kind, a.histogram)),
            comments=once_each(figures.agent_comments.get(a.agent_id, ()), AGENT_COMMENTS_QUOTED),
        )
        for a in figures.agents
    )

    weeks = recent_weeks(period, team.zone, len(history))
    points = tuple(
        # Weeks by the date of their Monday: "Nov 23" reads at a glance, "W48" does not.
        WeekPoint(
            label=format_day_month(w.monday, team.language), score=headline(c), answers=c.total
        )
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
        language=team.language,
        accounts=figures.accounts,
    )
