"""Account health and accounts at risk: pure rules over storage.accounts' aggregates.

- An account's score is the satisfied share of its people, each counted once: every
  person's share of satisfied answers, then the average over the account's people.
- Its interval is the product's Wilson interval of that share over its people.
- Below the minimum sample (the agents' rule, bot.scoring.has_minimum_sample) an
  account shows counts only, never a score.
- At risk: its score fell by more than its interval's half-width since the previous
  period, or it has two or more low answers (any kind: low CSAT, CES, NPS detractors)
  in the period. Its revenue at risk is that of its people with a low answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.i18n import N_
from bot.scoring import (
    DEFAULT_CHURN_PROBABILITY,
    MIN_AGENT_SAMPLE,
    Trend,
    has_minimum_sample,
    revenue_at_risk,
    trend,
    wilson_interval_of_share,
)
from storage.accounts import AccountPeriod

HEALTH_SHOWN = 5  # the largest accounts, by people then answers
AT_RISK_SHOWN = 5
LOW_ANSWERS_AT_RISK = 2
GOOD_FROM = 80.0  # percent satisfied: green from here, amber from FAIR_FROM, red below
FAIR_FROM = 60.0

ACCOUNT_SCORE_FORMULA = N_(
    "account score = each person's share of satisfied answers, averaged over the "
    "account's people (each person counted once)"
)
ACCOUNT_RISK_FORMULA = N_(
    "at risk = the score fell by more than its margin of error, or two or more low answers"
)


class Band(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


def band_of(score: float) -> Band:
    if score >= GOOD_FROM:
        return Band.GOOD
    return Band.FAIR if score >= FAIR_FROM else Band.POOR


@dataclass(frozen=True)
class AccountScore:
    """An account's score in percent, with its 95 % Wilson interval."""

    score: float
    low: float
    high: float

    @property
    def margin(self) -> float:
        return (self.high - self.low) / 2


def account_score(period: AccountPeriod, min_sample: int = MIN_AGENT_SAMPLE) -> AccountScore | None:
    """None below the minimum sample: counts only, as for agents."""
    if period.people == 0 or not has_minimum_sample(period.answers, min_sample):
        return None
    share = min(1.0, max(0.0, period.share_sum / period.people))
    interval = wilson_interval_of_share(share, period.people)
    assert interval is not None  # people > 0
    return AccountScore(100.0 * share, 100.0 * interval[0], 100.0 * interval[1])


class RiskReason(StrEnum):
    FELL = "fell"  # the score fell by more than its margin of error
    LOW_ANSWERS = "low_answers"  # two or more low answers in the period


@dataclass(frozen=True)
class AccountHealth:
    key: str
    name: str
    people: int
    answers: int
    low: int
    figure: AccountScore | None  # None below the minimum sample
    previous: AccountScore | None
    trend: Trend
    risks: tuple[RiskReason, ...]
    revenue_at_risk: float | None  # None when no unhappy person carries a value

    @property
    def band(self) -> Band | None:
        return band_of(self.figure.score) if self.figure is not None else None

    @property
    def at_risk(self) -> bool:
        return bool(self.risks)


@dataclass(frozen=True)
class Accounts:
    """What the digest and Home show about accounts in one period."""

    health: tuple[AccountHealth, ...]  # the largest accounts
    at_risk: tuple[AccountHealth, ...]
    accounts: int  # accounts with answers in the period
    min_sample: int = MIN_AGENT_SAMPLE

    @property
    def empty(self) -> bool:
        return self.accounts == 0


def named(accounts: Accounts, names: Mapping[str, str]) -> Accounts:
    """The same accounts, each shown by its name."""

    def one(account: AccountHealth) -> AccountHealth:
        return replace(account, name=names.get(account.key, account.name))

    return replace(
        accounts,
        health=tuple(one(a) for a in accounts.health),
        at_risk=tuple(one(a) for a in accounts.at_risk),
    )


def _risks(figure: AccountScore | None, before: AccountScore | None, low: int) -> list[RiskReason]:
    risks = []
    if figure is not None and before is not None and before.score - figure.score > figure.margin:
        risks.append(RiskReason.FELL)
    if low >= LOW_ANSWERS_AT_RISK:
        risks.append(RiskReason.LOW_ANSWERS)
    return risks


def assess_accounts(
    current: Sequence[AccountPeriod],
    previous: Sequence[AccountPeriod],
    *,
    churn_probability: float = DEFAULT_CHURN_PROBABILITY,
    min_sample: int = MIN_AGENT_SAMPLE,
    health_shown: int = HEALTH_SHOWN,
    at_risk_shown: int = AT_RISK_SHOWN,
) -> Accounts:
    before = {p.key: p for p in previous}
    assessed = []
    for period in current:
        figure = account_score(period, min_sample)
        earlier = before.get(period.key)
        previous_figure = account_score(earlier, min_sample) if earlier else None
        assessed.append(
            AccountHealth(
                key=period.key,
                name=period.name,
                people=period.people,
                answers=period.answers,
                low=period.low,
                figure=figure,
                previous=previous_figure,
                trend=trend(
                    figure.score if figure else None,
                    previous_figure.score if previous_figure else None,
                ),
                risks=tuple(_risks(figure, previous_figure, period.low)),
                revenue_at_risk=(
                    revenue_at_risk(period.low_value, churn_probability)
                    if period.low_value > 0
                    else None
                ),
            )
        )
    largest = sorted(assessed, key=lambda a: (-a.people, -a.answers, a.name, a.key))
    risky = sorted(
        (a for a in assessed if a.at_risk),
        key=lambda a: (-(a.revenue_at_risk or 0.0), -a.low, -a.people, a.name, a.key),
    )
    return Accounts(
        health=tuple(a for a in largest if a.answers > 0)[:health_shown],
        at_risk=tuple(risky[:at_risk_shown]),
        accounts=len(assessed),
        min_sample=min_sample,
    )
