"""Scoring: the worked examples of PRODUCT.md, and the edges a digest meets."""

from __future__ import annotations

import pytest

from bot.scoring import (
    DRIVER_FORMULA,
    MIN_AGENT_SAMPLE,
    DriverImpact,
    ReasonStat,
    ScoreCounts,
    agent_figure,
    ces_mean,
    csat_percent,
    easy_percent,
    headline,
    is_uncertain,
    nps,
    nps_from_counts,
    rank_key_drivers,
    response_rate,
    revenue_at_risk,
    revenue_at_risk_per_point,
    trend,
    wilson_interval,
)
from storage.vocabulary import SurveyKind

CSAT = SurveyKind.CSAT
CES = SurveyKind.CES
NPS = SurveyKind.NPS


def csat(satisfied: int, dissatisfied: int) -> ScoreCounts:
    """CSAT answers split into 5s (satisfied) and 2s (dissatisfied, also low)."""
    return ScoreCounts(CSAT, {5: satisfied, 2: dissatisfied})


# --- CSAT -----------------------------------------------------------------------------


def test_csat_82_satisfied_of_100_answers_is_82_percent() -> None:
    assert csat_percent(csat(82, 18)) == 82.0


def test_csat_counts_four_and_five_as_satisfied() -> None:
    counts = ScoreCounts(CSAT, {1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    assert counts.satisfied == 2
    assert counts.low == 2  # 1 and 2
    assert counts.dissatisfied == 3  # neutral 3 is not satisfied either
    assert csat_percent(counts) == 40.0


def test_csat_of_an_empty_period_is_none_not_zero() -> None:
    assert csat_percent(ScoreCounts(CSAT, {})) is None
    assert csat_percent(ScoreCounts(CSAT, {4: 0, 5: 0})) is None


def test_scores_outside_the_scale_are_rejected() -> None:
    with pytest.raises(ValueError):
        ScoreCounts(CSAT, {6: 1})
    with pytest.raises(ValueError):
        ScoreCounts(CES, {0: 1})
    with pytest.raises(ValueError):
        ScoreCounts(CSAT, {5: -1})


def test_counts_are_a_frozen_copy_of_the_callers_histogram() -> None:
    histogram = {5: 1}
    counts = ScoreCounts(CSAT, histogram)
    histogram[5] = 100
    assert counts.total == 1
    assert counts == ScoreCounts(CSAT, {5: 1})
    assert hash(counts) == hash(ScoreCounts(CSAT, {5: 1}))


def test_a_csat_formula_refuses_ces_answers() -> None:
    with pytest.raises(ValueError):
        csat_percent(ScoreCounts(CES, {7: 1}))


# --- CES ------------------------------------------------------------------------------


def test_ces_mean_and_easy_percent() -> None:
    # 2×7 + 1×6 + 1×5 + 1×3 = 28 over 5 answers -> mean 5.6; easy (5–7) = 4 of 5 = 80 %.
    counts = ScoreCounts.from_scores(CES, [7, 7, 6, 5, 3])
    assert ces_mean(counts) == pytest.approx(5.6)
    assert easy_percent(counts) == 80.0
    assert counts.low == 1  # CES 1–3


def test_ces_of_an_empty_period_is_none() -> None:
    empty = ScoreCounts(CES, {})
    assert ces_mean(empty) is None
    assert easy_percent(empty) is None


# --- NPS ------------------------------------------------------------------------------


def test_nps_30_promoters_50_passives_20_detractors_is_10() -> None:
    assert nps(30, 50, 20) == 10.0


def test_nps_from_a_histogram_uses_9_10_promoters_and_0_6_detractors() -> None:
    counts = ScoreCounts(NPS, {10: 20, 9: 10, 8: 30, 7: 20, 6: 15, 0: 5})
    assert nps_from_counts(counts) == 10.0


def test_nps_ranges_from_minus_100_to_100_and_is_none_without_answers() -> None:
    assert nps(0, 0, 7) == -100.0
    assert nps(7, 0, 0) == 100.0
    assert nps(0, 0, 0) is None


def test_headline_is_the_kinds_own_score() -> None:
    assert headline(csat(82, 18)) == 82.0
    assert headline(ScoreCounts.from_scores(CES, [7, 5])) == 6.0
    assert headline(ScoreCounts(NPS, {10: 3, 8: 5, 3: 2})) == 10.0
    assert headline(ScoreCounts(NPS, {})) is None


# --- Response rate --------------------------------------------------------------------


def test_response_rate_is_answered_over_delivered() -> None:
    assert response_rate(25, 100) == 25.0
    assert response_rate(0, 100) == 0.0


def test_response_rate_is_none_when_nothing_was_delivered() -> None:
    assert response_rate(0, 0) is None


def test_response_rate_rejects_more_answers_than_surveys() -> None:
    with pytest.raises(ValueError):
        response_rate(5, 4)


# --- Wilson interval ------------------------------------------------------------------


def test_wilson_interval_of_8_of_10() -> None:
    interval = wilson_interval(8, 10)
    assert interval is not None
    assert interval == pytest.approx((0.4902, 0.9433), abs=5e-4)


def test_wilson_interval_of_0_of_5_starts_at_zero() -> None:
    interval = wilson_interval(0, 5)
    assert interval is not None
    assert interval[0] == 0.0
    assert interval[1] == pytest.approx(0.4345, abs=5e-4)


def test_wilson_interval_of_5_of_5_ends_at_one() -> None:
    interval = wilson_interval(5, 5)
    assert interval is not None
    assert interval[1] == 1.0
    assert interval[0] == pytest.approx(0.5655, abs=5e-4)


def test_wilson_interval_is_none_without_answers() -> None:
    assert wilson_interval(0, 0) is None


def test_wilson_interval_narrows_with_more_answers() -> None:
    small, large = wilson_interval(8, 10), wilson_interval(800, 1000)
    assert small is not None and large is not None
    assert large[1] - large[0] < small[1] - small[0]


# --- Trend ----------------------------------------------------------------------------


def test_trend_shows_up_down_and_flat_arrows() -> None:
    up = trend(85.0, 82.0)
    assert (up.arrow, up.delta, up.unit) == ("↑", 3.0, "pts")
    assert trend(80.0, 82.0).arrow == "↓"
    assert trend(82.4, 82.0).arrow == "→"  # under half a point is noise


def test_trend_half_a_point_counts_as_a_change() -> None:
    assert trend(82.3, 81.8).arrow == "↑"
    assert trend(81.8, 82.3).arrow == "↓"


def test_trend_without_a_previous_period_is_flat_with_no_delta() -> None:
    first = trend(82.0, None)
    assert (first.arrow, first.delta) == ("→", None)
    assert trend(None, 82.0).arrow == "→"


def test_trend_of_the_ces_mean_uses_a_finer_threshold() -> None:
    assert trend(5.6, 5.4).arrow == "→"
    assert trend(5.6, 5.4, flat_within=0.05, unit="").arrow == "↑"


# --- Revenue at risk ------------------------------------------------------------------


def test_revenue_at_risk_at_90_percent_satisfied_is_950() -> None:
    # 100 customers at 100/month, 90 % satisfied -> 10 dissatisfied, 1000/month of value.
    assert revenue_at_risk(10 * 100) == pytest.approx(950)


def test_revenue_at_risk_at_75_percent_satisfied_is_2375() -> None:
    assert revenue_at_risk(25 * 100) == pytest.approx(2375)


def test_every_lost_point_of_satisfaction_puts_another_95_at_risk() -> None:
    assert revenue_at_risk_per_point(100 * 100) == pytest.approx(95)
    assert revenue_at_risk(11 * 100) - revenue_at_risk(10 * 100) == pytest.approx(95)


def test_revenue_at_risk_uses_the_given_churn_probability() -> None:
    assert revenue_at_risk(1000, churn_probability=0.5) == 500
    assert revenue_at_risk(0) == 0
    with pytest.raises(ValueError):
        revenue_at_risk(1000, churn_probability=1.5)


# --- Key drivers ----------------------------------------------------------------------


def test_key_drivers_rank_reasons_by_how_much_they_pull_the_score_down() -> None:
    # Overall: 80 satisfied of 100 -> CSAT 80 %. impact = mentions × (80 − their CSAT) ÷ 100
    #   not_resolved    20 answers, 10 satisfied -> 50 %: 20 × 30 ÷ 100 = 6.0
    #   slow_response   10 answers,  2 satisfied -> 20 %: 10 × 60 ÷ 100 = 6.0 (fewer mentions)
    #   unclear_answer   5 answers,  0 satisfied ->  0 %:  5 × 80 ÷ 100 = 4.0
    #   hard_to_reach    2 answers,  0 satisfied ->  0 %:  2 × 80 ÷ 100 = 1.6 (4th: not named)
    #   agent_attitude   5 answers,  4 satisfied -> 80 %:  5 ×  0 ÷ 100 = 0   (never named)
    overall = csat(80, 20)
    stats = [
        ReasonStat("agent_attitude", csat(4, 1)),
        ReasonStat("hard_to_reach", csat(0, 2)),
        ReasonStat("slow_response", csat(2, 8)),
        ReasonStat("unclear_answer", csat(0, 5)),
        ReasonStat("not_resolved", csat(10, 10)),
    ]
    assert rank_key_drivers(stats, overall) == [
        DriverImpact("not_resolved", 20, 6.0),
        DriverImpact("slow_response", 10, 6.0),
        DriverImpact("unclear_answer", 5, 4.0),
    ]
    assert [d.reason for d in rank_key_drivers(stats, overall, top=2)] == [
        "not_resolved",
        "slow_response",
    ]


def test_key_driver_ties_on_impact_and_mentions_go_by_reason_code() -> None:
    overall = csat(90, 10)
    stats = [ReasonStat("slow_response", csat(0, 5)), ReasonStat("not_resolved", csat(0, 5))]
    assert [d.reason for d in rank_key_drivers(stats, overall)] == [
        "not_resolved",
        "slow_response",
    ]


def test_key_drivers_never_name_reasons_that_do_not_pull_the_score_down() -> None:
    overall = csat(50, 50)
    stats = [ReasonStat("other", csat(3, 0)), ReasonStat("slow_response", csat(0, 0))]
    assert rank_key_drivers(stats, overall) == []


def test_key_drivers_of_an_empty_period_are_empty() -> None:
    assert rank_key_drivers([], ScoreCounts(CSAT, {})) == []


def test_key_drivers_work_on_the_ces_mean() -> None:
    # Overall mean (10×6 + 10×2) ÷ 20 = 4.0; not_resolved 5 answers of 2 -> 5 × 2.0 ÷ 20 = 0.5.
    overall = ScoreCounts(CES, {6: 10, 2: 10})
    stats = [ReasonStat("not_resolved", ScoreCounts(CES, {2: 5}))]
    assert rank_key_drivers(stats, overall) == [DriverImpact("not_resolved", 5, 0.5)]


def test_key_drivers_reject_unknown_reasons_and_mixed_kinds() -> None:
    with pytest.raises(ValueError):
        ReasonStat("weather", csat(0, 1))
    with pytest.raises(ValueError):
        rank_key_drivers([ReasonStat("other", ScoreCounts(CES, {1: 1}))], csat(1, 1))


def test_key_driver_formula_fits_on_one_line() -> None:
    assert "\n" not in DRIVER_FORMULA and "leaving out the answers" in DRIVER_FORMULA


# --- Fairness to agents ---------------------------------------------------------------


def test_agents_below_the_minimum_sample_get_no_figure() -> None:
    assert MIN_AGENT_SAMPLE == 5
    assert agent_figure(csat(4, 0)) is None
    assert agent_figure(ScoreCounts(CSAT, {})) is None
    assert agent_figure(csat(4, 0), min_sample=3) is not None


def test_agent_figure_comes_with_its_wilson_interval_in_percent() -> None:
    figure = agent_figure(csat(8, 2))
    assert figure is not None
    assert figure.answers == 10
    assert figure.headline == 80.0
    assert figure.satisfied_percent == 80.0
    assert figure.interval_low == pytest.approx(49.02, abs=0.05)
    assert figure.interval_high == pytest.approx(94.33, abs=0.05)
    assert not figure.uncertain


def test_agent_figure_for_ces_leads_with_the_mean_and_bounds_the_easy_share() -> None:
    figure = agent_figure(ScoreCounts(CES, {7: 3, 2: 2}))
    assert figure is not None
    assert figure.headline == pytest.approx(5.0)
    assert figure.satisfied_percent == 60.0
    assert figure.uncertain


def test_fewer_than_ten_answers_are_uncertain() -> None:
    assert is_uncertain(0)
    assert is_uncertain(9)
    assert not is_uncertain(10)
