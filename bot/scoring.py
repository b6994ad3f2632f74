"""Scores computed from aggregated answer counts: pure functions, no I/O.

The digest feeds these with counts from SQL ``GROUP BY`` queries, so every input is a
count or a sum, never a list of rows. Thresholds come from :mod:`bot.scales` only.
An empty period gives ``None`` (shown as "no answers"), never 0 and never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.i18n import N_
from bot.scales import REASONS, Scale, scale_for
from storage.vocabulary import SurveyKind

DEFAULT_CHURN_PROBABILITY = 0.95
MIN_AGENT_SAMPLE = 5
# Below 10 answers a 95 % Wilson interval is wider than ±20 points (8 of 10 -> 49–94 %),
# too wide for a figure to be read without a warning.
UNCERTAIN_BELOW = 10
# A change smaller than this reads as "no change": half a point of CSAT % or NPS.
FLAT_WITHIN_POINTS = 0.5

# Formulas are shown to the team in its language: msgids, translated where shown.
DRIVER_FORMULA = N_(
    "without a reason = the score counted again leaving out the answers that cited it"
)
RESPONSE_RATE_FORMULA = N_("response rate = answered ÷ delivered surveys × 100")
REVENUE_AT_RISK_FORMULA = N_(
    "revenue at risk = monthly value of unhappy customers × chance of losing one"
)


def _require_kind(counts: ScoreCounts, kind: SurveyKind) -> None:
    if counts.kind is not kind:
        raise ValueError(f"expected {kind.value} answers, got {counts.kind.value}")


def _require_count(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True)
class ScoreCounts:
    """Histogram of the answers of one survey kind in one period: score -> answers."""

    kind: SurveyKind
    counts: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        scale = scale_for(self.kind)
        for score, n in self.counts.items():
            if not scale.is_valid(score):
                raise ValueError(f"{score} is not a {scale.kind.value} score")
            _require_count(f"answers for score {score}", n)
        # Private read-only copy: a caller mutating its dict must not change a frozen value.
        object.__setattr__(self, "kind", SurveyKind(self.kind))
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    def __hash__(self) -> int:
        return hash((self.kind, frozenset((s, n) for s, n in self.counts.items() if n)))

    @classmethod
    def from_scores(cls, kind: SurveyKind, scores: Iterable[int]) -> ScoreCounts:
        """Histogram of individual scores (demo data and tests; production uses SQL)."""
        histogram: dict[int, int] = {}
        for score in scores:
            histogram[score] = histogram.get(score, 0) + 1
        return cls(kind, histogram)

    @property
    def scale(self) -> Scale:
        return scale_for(self.kind)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied(self) -> int:
        """Answers at or above the scale's satisfied threshold (CSAT 4–5, CES 5–7, NPS 9–10)."""
        return sum(n for s, n in self.counts.items() if self.scale.is_satisfied(s))

    @property
    def low(self) -> int:
        """Answers at or below the scale's low threshold (CSAT 1–2, CES 1–3, NPS 0–6)."""
        return sum(n for s, n in self.counts.items() if self.scale.is_low(s))

    @property
    def dissatisfied(self) -> int:
        """Answers below the satisfied threshold; neutral answers count here too."""
        return self.total - self.satisfied

    @property
    def score_sum(self) -> int:
        return sum(s * n for s, n in self.counts.items())


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


def satisfied_percent(counts: ScoreCounts) -> float | None:
    """Share of answers at or above the scale's satisfied threshold, in percent."""
    return _percent(counts.satisfied, counts.total)


def csat_percent(counts: ScoreCounts) -> float | None:
    """CSAT % = answers of 4 or 5 ÷ all answers × 100; ``None`` without answers."""
    _require_kind(counts, SurveyKind.CSAT)
    return satisfied_percent(counts)


def ces_mean(counts: ScoreCounts) -> float | None:
    """Mean CES answer on the 1–7 scale; ``None`` without answers."""
    _require_kind(counts, SurveyKind.CES)
    return None if counts.total == 0 else counts.score_sum / counts.total


def easy_percent(counts: ScoreCounts) -> float | None:
    """Easy % = CES answers of 5–7 ÷ all answers × 100; ``None`` without answers."""
    _require_kind(counts, SurveyKind.CES)
    return satisfied_percent(counts)


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    """NPS = % promoters − % detractors, from −100 to 100; ``None`` without answers."""
    _require_count("promoters", promoters)
    _require_count("passives", passives)
    _require_count("detractors", detractors)
    total = promoters + passives + detractors
    return None if total == 0 else 100.0 * (promoters - detractors) / total


def nps_margin(promoters: int, passives: int, detractors: int, z: float = 1.96) -> float | None:
    """The 95 % margin of an NPS, in points: z × √((p + d − (p − d)²) ÷ n) × 100.

    NPS is a difference of two shares of the same answers (promoters p, detractors d),
    so its variance is that of a multinomial difference: (p + d − (p − d)²) ÷ n.
    30 promoters, 50 passives, 20 detractors: √(0.49 ÷ 100) × 1.96 = ±13.7 points.
    ``None`` without answers.
    """
    total = promoters + passives + detractors
    if total == 0:
        return None
    p, d = promoters / total, detractors / total
    return z * math.sqrt(max(0.0, p + d - (p - d) ** 2) / total) * 100.0


def nps_change_margin(
    now: tuple[int, int, int], before: tuple[int, int, int], z: float = 1.96
) -> float | None:
    """The margin of the change between two rounds' NPS (independent samples): the
    square root of the sum of their squared margins. A change within it is noise."""
    a, b = nps_margin(*now, z=z), nps_margin(*before, z=z)
    if a is None or b is None:
        return None
    return math.sqrt(a**2 + b**2)


def nps_from_counts(counts: ScoreCounts) -> float | None:
    """NPS of a 0–10 histogram: promoters 9–10, detractors 0–6, passives in between."""
    _require_kind(counts, SurveyKind.NPS)
    passives = counts.total - counts.satisfied - counts.low
    return nps(counts.satisfied, passives, counts.low)


def headline(counts: ScoreCounts) -> float | None:
    """The one number a digest leads with: CSAT %, CES mean or NPS."""
    match counts.kind:
        case SurveyKind.CSAT:
            return csat_percent(counts)
        case SurveyKind.CES:
            return ces_mean(counts)
        case SurveyKind.NPS:
            return nps_from_counts(counts)


def response_rate(answered: int, delivered: int) -> float | None:
    """Answered ÷ delivered surveys × 100; ``None`` when nothing was delivered.

    Count the answers to the surveys delivered in the period (not answers received in
    it), so the rate can never exceed 100 %.
    """
    _require_count("answered", answered)
    _require_count("delivered", delivered)
    if answered > delivered:
        raise ValueError(f"{answered} answers to only {delivered} delivered surveys")
    return _percent(answered, delivered)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval of a proportion, as (low, high) in 0..1; ``None`` for n = 0.

    Unlike p ± z·√(p(1−p)/n) it stays within 0..1 and is honest for small samples,
    which is exactly where per-agent figures live.
    """
    _require_count("successes", successes)
    if successes > n:
        raise ValueError(f"{successes} successes out of only {n}")
    return wilson_interval_of_share(successes / n if n else 0.0, n, z)


def wilson_interval_of_share(p: float, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson interval of a share `p` (0..1) measured over `n`; ``None`` for n = 0.

    The same formula as :func:`wilson_interval`, for a share that is an average of
    shares (an account's people, each counted once) rather than a count of answers.
    """
    _require_count("n", n)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a share must be within 0..1, got {p}")
    if n == 0:
        return None
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # The exact bounds at 0 and n are 0 and 1; pin them so rounding never shows 1e-17.
    low = 0.0 if p <= 0.0 else max(0.0, centre - half_width)
    high = 1.0 if p >= 1.0 else min(1.0, centre + half_width)
    return low, high


@dataclass(frozen=True)
class Trend:
    """A figure against the previous period, as the digest shows it: "82 % ↑ 3.0 pts"."""

    current: float | None
    previous: float | None
    delta: float | None
    arrow: str  # "↑", "↓" or "→"
    unit: str = "pts"


def trend(
    current: float | None,
    previous: float | None,
    *,
    flat_within: float = FLAT_WITHIN_POINTS,
    unit: str = "pts",
) -> Trend:
    """Compare with the previous period; "→" when either is missing or |delta| < flat_within.

    The default threshold suits percentages and NPS; pass a smaller one for the CES
    mean (e.g. 0.05 on its 1–7 scale).
    """
    if current is None or previous is None:
        return Trend(current, previous, None, "→", unit)
    delta = current - previous
    # Round away float noise so 82.3 − 81.8 counts as the 0.5 it is.
    size = abs(round(delta, 9))
    arrow = "→" if size < flat_within else ("↑" if delta > 0 else "↓")
    return Trend(current, previous, delta, arrow, unit)


def revenue_at_risk(
    dissatisfied_value: float, churn_probability: float = DEFAULT_CHURN_PROBABILITY
) -> float:
    """Monthly revenue at risk = summed monthly value of dissatisfied customers × churn.

    ``dissatisfied_value`` is ``SUM(customer_value)`` over the distinct customers whose
    answer is below the satisfied threshold (neutral included: they are not satisfied).
    10 dissatisfied customers at 100/month -> 1000 × 0.95 = 950.
    """
    _check_money(dissatisfied_value, churn_probability)
    return dissatisfied_value * churn_probability


def revenue_at_risk_per_point(
    total_value: float, churn_probability: float = DEFAULT_CHURN_PROBABILITY
) -> float:
    """Revenue put at risk by each lost point of satisfaction: 1 % of all value × churn.

    ``total_value`` is the summed monthly value of all surveyed customers; 100 customers
    at 100/month -> 10 000 × 0.01 × 0.95 = 95 per point.
    """
    _check_money(total_value, churn_probability)
    return total_value / 100 * churn_probability


def _check_money(value: float, churn_probability: float) -> None:
    if value < 0:
        raise ValueError(f"customer value must not be negative, got {value}")
    if not 0.0 <= churn_probability <= 1.0:
        raise ValueError(f"churn probability must be within 0..1, got {churn_probability}")


@dataclass(frozen=True)
class ReasonStat:
    """One follow-up reason and the histogram of the answers that cited it."""

    reason: str
    counts: ScoreCounts

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown reason {self.reason!r}")

    @property
    def mentions(self) -> int:
        return self.counts.total


@dataclass(frozen=True)
class DriverImpact:
    reason: str
    mentions: int
    impact: float  # points of the headline score this reason costs


def rank_key_drivers(
    reason_stats: Iterable[ReasonStat], overall: ScoreCounts, top: int = 3
) -> list[DriverImpact]:
    """Top reasons by impact = share of answers citing the reason × (overall − their score).

    The impact is how many points the headline would gain if those answers scored at
    the overall level. Reasons with no positive impact are never named; ties go to the
    reason with more mentions, then to the reason code.
    """
    if top < 0:
        raise ValueError(f"top must not be negative, got {top}")
    overall_score = headline(overall)
    if overall_score is None:
        return []
    drivers: list[DriverImpact] = []
    for stat in reason_stats:
        _require_kind(stat.counts, overall.kind)
        if stat.mentions > overall.total:
            raise ValueError(f"{stat.reason}: {stat.mentions} mentions in {overall.total} answers")
        reason_score = headline(stat.counts)
        if reason_score is None:
            continue
        # mentions × gap ÷ total rather than share × gap: exact for whole-number gaps.
        impact = stat.mentions * (overall_score - reason_score) / overall.total
        if round(impact, 9) > 0:
            drivers.append(DriverImpact(stat.reason, stat.mentions, impact))
    drivers.sort(key=lambda d: (-round(d.impact, 9), -d.mentions, d.reason))
    return drivers[:top]


def score_without(overall: ScoreCounts, cited: ScoreCounts) -> float | None:
    """The headline counted again without the answers in `cited` (a reason's answers):
    exact, from the histograms. ``None`` when nothing would be left."""
    _require_kind(cited, overall.kind)
    rest = {s: n - cited.counts.get(s, 0) for s, n in overall.counts.items()}
    if any(n < 0 for n in rest.values()) or cited.total > overall.total:
        raise ValueError("the cited answers are not a part of the overall answers")
    return headline(ScoreCounts(overall.kind, rest))


@dataclass(frozen=True)
class Counterfactual:
    """A reason that pulls the score down, in the digest's plain words: the score the
    period would have had without the answers citing it."""

    reason: str
    mentions: int
    score: float  # the period's headline
    without: float | None  # None: every answer cited it

    @property
    def gain(self) -> float:
        return math.inf if self.without is None else self.without - self.score


def rank_counterfactuals(
    reason_stats: Iterable[ReasonStat], overall: ScoreCounts, top: int = 3
) -> list[Counterfactual]:
    """The reasons of rank_key_drivers, ordered by how much higher the score would be
    without their answers (the figure the digest shows), then mentions, then code."""
    score = headline(overall)
    if score is None:
        return []
    stats = {stat.reason: stat for stat in reason_stats}
    pulling = rank_key_drivers(stats.values(), overall, top=len(stats))
    found = [
        Counterfactual(d.reason, d.mentions, score, score_without(overall, stats[d.reason].counts))
        for d in pulling
    ]
    found.sort(key=lambda c: (-round(c.gain, 9), -c.mentions, c.reason))
    return found[:top]


@dataclass(frozen=True)
class AgentFigure:
    """One agent's figure, only ever shown with its uncertainty (and privately)."""

    kind: SurveyKind
    answers: int
    headline: float  # CSAT %, CES mean or NPS
    satisfied_percent: float  # satisfied / easy / promoter share, in percent
    interval_low: float  # Wilson 95 % interval of satisfied_percent, in percent
    interval_high: float

    @property
    def uncertain(self) -> bool:
        return is_uncertain(self.answers)


def agent_figure(counts: ScoreCounts, min_sample: int = MIN_AGENT_SAMPLE) -> AgentFigure | None:
    """Headline and Wilson interval for one agent; ``None`` below the minimum sample.

    Too few answers say more about luck than about the agent, so they give no figure.
    """
    if not has_minimum_sample(counts.total, min_sample):
        return None
    score = headline(counts)
    share = satisfied_percent(counts)
    interval = wilson_interval(counts.satisfied, counts.total)
    # total >= min_sample >= 1, so none of these can be missing.
    assert score is not None and share is not None and interval is not None
    return AgentFigure(
        kind=counts.kind,
        answers=counts.total,
        headline=score,
        satisfied_percent=share,
        interval_low=100.0 * interval[0],
        interval_high=100.0 * interval[1],
    )


def has_minimum_sample(answers: int, min_sample: int = MIN_AGENT_SAMPLE) -> bool:
    """Whether this many answers may show a score (an agent's, an account's): below the
    minimum, only counts are shown, because too few answers say more about luck."""
    if min_sample < 1:
        raise ValueError(f"min_sample must be at least 1, got {min_sample}")
    return answers >= min_sample


def is_uncertain(total: int) -> bool:
    """True below :data:`UNCERTAIN_BELOW` (10) answers: the digest says figures are uncertain."""
    return total < UNCERTAIN_BELOW
