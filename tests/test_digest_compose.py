"""Composing a digest from aggregated figures: pure, with hand-computed worked examples."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.digest.blocks import render_agent_summary, render_good_news, render_improvement
from bot.digest.compose import Figures, compose_digest, parse_week
from bot.teams import Team
from storage.digests import AgentAnswers, AlertFigures, CustomerValue, Delivery, QuotedAnswer
from storage.vocabulary import SurveyKind
from tests.digest_seed import FIRES_AT

CES_TEAM = Team(name="onboarding", survey=SurveyKind.CES, timezone="Europe/Berlin")


def figures(**changes: object) -> Figures:
    values: dict[str, object] = {
        # CES this week 7,6,5,4,2: mean 24 / 5 = 4.8, easy (5–7) 3 of 5 = 60 %.
        # Last week 6,6,4: mean 16 / 3 = 5.33 -> ↓ 0.5.
        "weeks": [{}] * 6 + [{6: 2, 4: 1}, {7: 1, 6: 1, 5: 1, 4: 1, 2: 1}],
        "delivery": Delivery(delivered=10, answered=5),
        "reasons": {"hard_to_reach": {2: 1}},
        "previous_reasons": {},
        "praise": [],
        "examples": {},
        "agents": [AgentAnswers("UAGENTA", {7: 1, 6: 1, 5: 1, 4: 1, 2: 1})],
        "agent_comments": {},
        "alerts": AlertFigures(0, 0, None, 0),
        "value": CustomerValue(0, 0.0, 0, 0.0),
    }
    values.update(changes)
    return Figures(**values)  # type: ignore[arg-type]


def text_of(message: dict[str, object]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_ces_digest_shows_the_mean_its_easy_share_and_a_small_sample_warning() -> None:
    digest = compose_digest(CES_TEAM, parse_week("2026-W47", CES_TEAM.zone), figures(), FIRES_AT)
    text = text_of(render_good_news(digest))
    assert "4.8 / 7, down from 5.3 / 7 (−0.5)\\n60% of answers found it easy" in text
    assert "50% of the 10 surveys delivered were answered" in text
    assert "Only 5 answers this week: these figures are uncertain" in text
    assert "CES = mean of answers (1–7)" in text
    # hard_to_reach: its one answer, a 2, left out: (24 − 2) ÷ 4 = 5.5 instead of 4.8.
    improvement = text_of(render_improvement(digest))
    assert "1. Hard to reach — cited 1 time" in improvement
    assert "CES would have been 5.5 / 7 instead of 4.8 / 7." in improvement
    assert "None waiting" in improvement


def test_agent_figure_comes_with_its_wilson_interval_only_in_the_agents_own_summary() -> None:
    digest = compose_digest(CES_TEAM, parse_week("2026-W47", CES_TEAM.zone), figures(), FIRES_AT)
    (summary,) = digest.agents
    text = text_of(render_agent_summary(digest, summary))
    # 3 easy of 5: Wilson 95 % interval 23.1 %–88.2 %.
    assert "*CES 4.8 / 7* from 5 answers, likely between 23% and 88%" in text
    assert "60% of answers found it easy" in text
    assert "likely between" not in text_of(render_good_news(digest))


def test_answers_to_other_weeks_deliveries_never_push_the_rate_past_100_percent() -> None:
    digest = compose_digest(
        CES_TEAM,
        parse_week("2026-W47", CES_TEAM.zone),
        figures(delivery=Delivery(delivered=3, answered=3)),
        FIRES_AT,
    )
    assert digest.good_news.response_rate == 100.0


def test_praise_credits_each_agent_once_and_quotes_escaped() -> None:
    at = FIRES_AT - timedelta(days=3)
    praise = [
        QuotedAnswer(1, 7, "Quick & kind <@UBOSS>", "UAGENTA", at),
        QuotedAnswer(2, 7, "Lovely", "UAGENTA", at),
    ]
    digest = compose_digest(
        CES_TEAM, parse_week("2026-W47", CES_TEAM.zone), figures(praise=praise), FIRES_AT
    )
    assert digest.good_news.kudos == ("UAGENTA",)
    text = text_of(render_good_news(digest))
    assert "Quick &amp; kind &lt;@UBOSS&gt;" in text and "<@UBOSS>" not in text


def test_a_team_target_is_shown_next_to_the_score_and_celebrated_when_met() -> None:
    week = parse_week("2026-W47", CES_TEAM.zone)
    short = compose_digest(CES_TEAM.model_copy(update={"target": 5.5}), week, figures(), FIRES_AT)
    # CES 4.8 this week against a target of 5.5: 0.7 to go.
    assert "found it easy\\ntarget 5.5: 0.7 to go" in text_of(render_good_news(short))
    assert "team's target" not in text_of(render_good_news(short))
    met = compose_digest(CES_TEAM.model_copy(update={"target": 4.5}), week, figures(), FIRES_AT)
    assert "target 4.5: reached" in text_of(render_good_news(met))
    assert "The score met the team's target (4.5)." in text_of(render_good_news(met))


def test_one_unhappy_answer_of_two_is_counted_as_one_in_english_and_italian() -> None:
    two = figures(weeks=[{}] * 7 + [{7: 1, 2: 1}], reasons={}, delivery=Delivery(2, 2))
    english = compose_digest(CES_TEAM, parse_week("2026-W47", CES_TEAM.zone), two, FIRES_AT)
    assert "1 unhappy answer out of 2 (scored 1–3)" in text_of(render_improvement(english))
    italian_team = CES_TEAM.model_copy(update={"language": "it"})
    italian = compose_digest(italian_team, parse_week("2026-W47", CES_TEAM.zone), two, FIRES_AT)
    assert "1 risposta scontenta su 2 (punteggio 1–3)" in text_of(render_improvement(italian))


def test_a_week_without_answers_claims_no_follow_up() -> None:
    quiet = figures(weeks=[{}] * 8, reasons={}, delivery=Delivery(0, 0), agents=[])
    digest = compose_digest(CES_TEAM, parse_week("2026-W47", CES_TEAM.zone), quiet, FIRES_AT)
    improvement = text_of(render_improvement(digest))
    assert "None waiting." in improvement
    assert "every unhappy customer has been followed up" not in improvement
