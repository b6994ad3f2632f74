"""The scale of each survey kind, defined once.

The renderer, the click handler, the scorer and the digest all read these; nothing
else knows which scores exist or which ones count as low.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SurveyKind(StrEnum):
    CSAT = "csat"
    CES = "ces"
    NPS = "nps"


@dataclass(frozen=True)
class Scale:
    kind: SurveyKind
    name: str  # what the product calls the measure: "CSAT", "CES", "NPS"
    question: str
    scores: tuple[int, ...]
    labels: dict[int, str]
    low_max: int  # scores up to this one are low: follow-up question and agent alert
    high_min: int  # scores from this one up ask what went well and feed the good news
    satisfied_min: int  # scores from this one up count as satisfied / easy
    formula: str

    def is_low(self, score: int) -> bool:
        return score <= self.low_max

    def is_high(self, score: int) -> bool:
        return score >= self.high_min

    def is_satisfied(self, score: int) -> bool:
        return score >= self.satisfied_min

    def is_valid(self, score: int) -> bool:
        return score in self.scores

    @property
    def lowest(self) -> int:
        return min(self.scores)

    @property
    def highest(self) -> int:
        return max(self.scores)


class Band(StrEnum):
    """Which follow-up a score gets."""

    LOW = "low"  # what should we have done better: reasons and words, and an alert
    HIGH = "high"  # what went well: words for the good-news digest and kudos
    MIDDLE = "middle"  # anything to add


def band_of(scale: Scale, score: int) -> Band:
    if scale.is_low(score):
        return Band.LOW
    if scale.is_high(score):
        return Band.HIGH
    return Band.MIDDLE


# Labels are marked for gettext at the point of use (bot.i18n); these are the msgids.
CSAT = Scale(
    kind=SurveyKind.CSAT,
    name="CSAT",
    question="How satisfied are you with the help you received?",
    scores=(1, 2, 3, 4, 5),
    labels={
        1: "Very dissatisfied",
        2: "Dissatisfied",
        3: "Neutral",
        4: "Satisfied",
        5: "Very satisfied",
    },
    low_max=2,
    high_min=5,
    satisfied_min=4,
    formula="CSAT % = answers of 4 or 5 ÷ all answers × 100",
)

CES = Scale(
    kind=SurveyKind.CES,
    name="CES",
    question="How easy was it to get your issue resolved?",
    scores=(1, 2, 3, 4, 5, 6, 7),
    labels={
        1: "Very difficult",
        2: "Difficult",
        3: "Somewhat difficult",
        4: "Neither",
        5: "Somewhat easy",
        6: "Easy",
        7: "Very easy",
    },
    low_max=3,
    high_min=6,
    satisfied_min=5,
    formula="CES = mean of answers (1–7); easy % = answers of 5–7 ÷ all answers × 100",
)

NPS = Scale(
    kind=SurveyKind.NPS,
    name="NPS",
    question="How likely are you to recommend us to a friend or colleague?",
    scores=tuple(range(11)),
    labels={0: "Not at all likely", 10: "Extremely likely"},
    low_max=6,
    high_min=9,
    satisfied_min=9,
    formula="NPS = % promoters (9–10) − % detractors (0–6)",
)

SCALES: dict[SurveyKind, Scale] = {s.kind: s for s in (CSAT, CES, NPS)}


def scale_for(kind: str | SurveyKind) -> Scale:
    return SCALES[SurveyKind(kind)]


# Reasons offered by the low-score follow-up; the improvement digest ranks them.
REASONS: dict[str, str] = {
    "slow_response": "Slow response",
    "not_resolved": "Issue not resolved",
    "unclear_answer": "Unclear answer",
    "repeated_myself": "Had to repeat myself",
    "agent_attitude": "Agent attitude",
    "hard_to_reach": "Hard to reach",
    "other": "Other",
}
