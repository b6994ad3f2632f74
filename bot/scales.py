"""The scale of each survey kind, defined once.

The renderer, the click handler, the scorer and the digest all read these; nothing
else knows which scores exist or which ones count as low.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_
from storage.vocabulary import SurveyKind


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
    formula: str  # a msgid: agents read it in the team's language
    # Relational NPS asks its one open question whatever the score, not only at the ends.
    follow_up_on_every_score: bool = False
    follow_up_question: str | None = None  # a msgid; None: the question of the score's band

    def is_low(self, score: int) -> bool:
        return score <= self.low_max

    def is_high(self, score: int) -> bool:
        return score >= self.high_min

    def is_satisfied(self, score: int) -> bool:
        return score >= self.satisfied_min

    def opens_form(self, score: int) -> bool:
        """Whether a first click on this score opens the follow-up form at once."""
        return self.follow_up_on_every_score or band_of(self, score) is not Band.MIDDLE

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


# Questions, labels and reasons are msgids: marked here for extraction (N_), translated
# where they are shown.
CSAT = Scale(
    kind=SurveyKind.CSAT,
    name="CSAT",
    question=N_("How satisfied are you with the help you received?"),
    scores=(1, 2, 3, 4, 5),
    labels={
        1: N_("Very dissatisfied"),
        2: N_("Dissatisfied"),
        3: N_("Neutral"),
        4: N_("Satisfied"),
        5: N_("Very satisfied"),
    },
    low_max=2,
    high_min=5,
    satisfied_min=4,
    formula=N_("CSAT % = answers of 4 or 5 ÷ all answers × 100"),
)

CES = Scale(
    kind=SurveyKind.CES,
    name="CES",
    question=N_("How easy was it to get your issue resolved?"),
    scores=(1, 2, 3, 4, 5, 6, 7),
    labels={
        1: N_("Very difficult"),
        2: N_("Difficult"),
        3: N_("Somewhat difficult"),
        4: N_("Neither"),
        5: N_("Somewhat easy"),
        6: N_("Easy"),
        7: N_("Very easy"),
    },
    low_max=3,
    high_min=6,
    satisfied_min=5,
    formula=N_("CES = mean of answers (1–7); easy % = answers of 5–7 ÷ all answers × 100"),
)

NPS = Scale(
    kind=SurveyKind.NPS,
    name="NPS",
    question=N_("How likely are you to recommend us to a friend or colleague?"),
    scores=tuple(range(11)),
    labels={0: N_("Not at all likely"), 10: N_("Extremely likely")},
    low_max=6,
    high_min=9,
    satisfied_min=9,
    formula=N_("NPS = % promoters (9–10) − % detractors (0–6)"),
    follow_up_on_every_score=True,
    follow_up_question=N_("What is the one thing we could do to make you happier?"),
)

SCALES: dict[SurveyKind, Scale] = {s.kind: s for s in (CSAT, CES, NPS)}


def scale_for(kind: str | SurveyKind) -> Scale:
    return SCALES[SurveyKind(kind)]


# Reasons offered by the low-score follow-up; the improvement digest ranks them.
REASONS: dict[str, str] = {
    "slow_response": N_("Slow response"),
    "not_resolved": N_("Issue not resolved"),
    "unclear_answer": N_("Unclear answer"),
    "repeated_myself": N_("Had to repeat myself"),
    "agent_attitude": N_("Agent attitude"),
    "hard_to_reach": N_("Hard to reach"),
    "other": N_("Other"),
}
