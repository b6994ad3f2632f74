"""A team's first week: the digest as a lead reads it on Monday, in the team's language.

Posted by the real digest job to the fake Slack where it is about what is posted; the
chart is checked on the figure it draws (and saved as PNG next to the test's files).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest.blocks import render_good_news, render_improvement
from bot.digest.chart import chart_language, draw_trend_chart
from bot.digest.compose import Figures, compose_digest, parse_week
from bot.digest.job import build_digest, post_weekly_digest, render_chart
from bot.digest.text import render_digest_text
from bot.teams import TeamsFileError, parse_teams
from sandbox import FakeSlack
from storage.db import Database
from storage.digests import AlertFigures, CustomerValue, Delivery
from tests.contexts import in_workspace
from tests.digest_seed import (
    DIGEST,
    FIRES_AT,
    TEAM,
    WEEK_START,
    Answer,
    add_answer,
    seed_digest_slack,
    seed_week,
)


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        seed_digest_slack(fake)
        yield fake


def posted(slack: FakeSlack) -> list[str]:
    """The good news and the improvement digest, as the text Slack shows."""
    return [
        json.dumps(m["blocks"], ensure_ascii=False)
        for m in slack.messages.get(DIGEST, [])
        if not m.get("upload")
    ]


def plain(text: str) -> str:
    """Babel separates numbers from % and € with no-break spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


# --- 14. plain words for impact and trend ------------------------------------------------


async def test_a_falling_score_reads_down_from_and_the_driver_as_what_it_would_have_been(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    # The week before: 7 of 8 satisfied = 87.5 %. This week 3 of 5 = 60 %, and the two
    # unhappy answers both cite slow responses: without them, 3 of 3 = 100 %.
    for i, score in enumerate([5, 5, 5, 4, 4, 4, 4, 2]):
        await add_answer(db, Answer(score), WEEK_START - timedelta(days=5, hours=-i))
    for i, score in enumerate([5, 4, 4]):
        await add_answer(db, Answer(score), WEEK_START + timedelta(days=1, hours=i))
    for i in range(2):
        await add_answer(
            db, Answer(1, reasons="slow_response"), WEEK_START + timedelta(days=2, hours=i)
        )
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    good_news, improvement = posted(slack)
    assert "60%, down from 87.5% (−27.5 pts)" in good_news
    assert "2 unhappy answers out of 5 (scored 1–2)" in improvement
    assert "1. Slow response — cited 2 times" in improvement
    assert "Without the answers citing it, CSAT would have been 100% instead of 60%." in improvement
    assert "costs about" not in improvement and "not satisfied" not in improvement


# --- 15. identical quotes appear once -----------------------------------------------------


async def test_the_same_words_are_quoted_once_in_praise_examples_and_summaries(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    praise = "Thank you,  Ana — fixed in minutes!"
    for i, words in enumerate([praise, "thank you, ana — FIXED in minutes!", "Lovely."]):
        await add_answer(
            db, Answer(5, "UAGENTA", comment=words), WEEK_START + timedelta(days=1, hours=i)
        )
    complaint = "Nobody answered for two days."
    for i, reasons in enumerate(["slow_response", "not_resolved"]):
        await add_answer(
            db,
            Answer(1, "UAGENTA", reasons=reasons, comment=complaint.upper() if i else complaint),
            WEEK_START + timedelta(days=2, hours=i),
        )
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    good_news, improvement = posted(slack)
    assert good_news.lower().count("fixed in minutes") == 1 and "Lovely." in good_news
    assert improvement.lower().count("nobody answered for two days") == 1
    (summary,) = [m for c, ms in slack.messages.items() if c.startswith("D") for m in ms]
    said = json.dumps(summary["blocks"], ensure_ascii=False).lower()
    assert said.count("fixed in minutes") == 1 and said.count("nobody answered") == 1


# --- 16. revenue at risk in the team's currency and churn ----------------------------------


async def test_revenue_at_risk_is_in_the_teams_currency_language_and_churn(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    team = TEAM.model_copy(update={"language": "de", "currency": "EUR", "churn_probability": 0.5})
    await add_answer(db, Answer(1, customer="C1", value=1000), WEEK_START + timedelta(days=1))
    await add_answer(db, Answer(2, customer="C2", value=500), WEEK_START + timedelta(days=1))
    # A neutral 3 is not unhappy: this customer's value is not at risk.
    await add_answer(db, Answer(3, customer="C3", value=700), WEEK_START + timedelta(days=1))
    await add_answer(db, Answer(5, customer="C4", value=300), WEEK_START + timedelta(days=1))
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), team)
    improvement = plain(posted(slack)[1])
    # (1000 + 500) × 0.5 = 750 a month; all value 2500 ÷ 100 × 0.5 = 12.50 a point.
    assert "750 € pro Monat, von unzufriedenen Kunden: 2 von 4 mit bekanntem Wert" in improvement
    assert "mit einer Wahrscheinlichkeit von 50 %, einen unzufriedenen Kunden zu" in improvement
    assert "jeder verlorene CSAT-Punkt bringt weitere 12,50 € in Gefahr" in improvement


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ('currency = "EURO"', "currency: 'EURO' is not an ISO 4217 currency code"),
        ("churn_probability = 95", "churn_probability: 95 is not a probability from 0 to 1"),
    ],
)
def test_a_wrong_currency_or_churn_names_the_team_and_the_field(field: str, message: str) -> None:
    with pytest.raises(TeamsFileError) as error:
        parse_teams(f'[[teams]]\nname = "emea"\n{field}\n', source="teams.toml")
    assert f"teams.toml, team 'emea': {message}" in str(error.value)


def test_currency_and_churn_default_to_dollars_and_95_percent() -> None:
    team = parse_teams('[[teams]]\nname = "emea"\ncurrency = "jpy"\n').default
    assert team.currency == "JPY" and team.churn_probability == 0.95


# --- 17. the chart: weeks by date, answers on their own axis -------------------------------


async def test_the_chart_names_weeks_by_date_and_counts_answers_on_their_own_axis(
    db: Database, tmp_path: Path
) -> None:
    await seed_week(db)
    for language, weeks, axis in [
        ("en", ["Nov 9", "Nov 16"], "answers"),
        ("pl", ["9 lis", "16 lis"], "odpowiedzi"),
        ("ja", ["11月9日", "11月16日"], "回答数"),
    ]:
        team = TEAM.model_copy(update={"language": language, "target": 80.0})
        digest = await build_digest(db, team, parse_week("2026-W47", team.zone), FIRES_AT)
        figure = draw_trend_chart(
            digest.weeks, kind=digest.kind, title="t", target=80.0, language=language
        )
        score_axis, answers_axis = figure.axes
        labels = [t.get_text() for t in score_axis.get_xticklabels()]
        if chart_language(language) == language:  # no CJK font: the chart falls back
            assert labels[-2:] == weeks and answers_axis.get_ylabel() == axis
        assert not any("W4" in label for label in labels)
        # The bars' axis counts answers in whole numbers, up to the busiest week (10).
        counts = [t.get_text() for t in answers_axis.get_yticklabels()]
        assert counts and all(c.isdigit() and int(c) <= 10 for c in counts)
        (tmp_path / f"chart-{language}.png").write_bytes(render_chart(digest))


# --- the team's language: Polish plurals and numbers ----------------------------------------


def polish_week(answers: int, open_alerts: int) -> Figures:
    # `answers` answers, all 5s but the first, a 1: CSAT just under 100 %.
    week = {5: answers - 1, 1: 1} if answers > 1 else {1: 1}
    return Figures(
        weeks=[{}] * 6 + [{5: 7, 1: 1}, week],
        delivery=Delivery(delivered=answers * 2, answered=answers),
        reasons={},
        previous_reasons={},
        praise=[],
        examples={},
        agents=[],
        agent_comments={},
        alerts=AlertFigures(open_alerts, 0, FIRES_AT - timedelta(days=3), 0),
        value=CustomerValue(0, 0.0, 0, 0.0),
    )


@pytest.mark.parametrize(
    ("count", "answers", "alerts"),
    [
        (1, "1 odpowiedź", "1 alert wciąż otwarty"),
        (2, "2 odpowiedzi", "2 alerty wciąż otwarte"),
        (5, "5 odpowiedzi", "5 alertów wciąż otwartych"),
        (22, "22 odpowiedzi", "22 alerty wciąż otwarte"),
    ],
)
def test_a_polish_team_reads_its_digest_with_polish_plurals_and_numbers(
    count: int, answers: str, alerts: str
) -> None:
    team = TEAM.model_copy(update={"language": "pl"})
    week = parse_week("2026-W47", team.zone)
    digest = compose_digest(team, week, polish_week(count, count), FIRES_AT)
    good, improvement = render_good_news(digest), render_improvement(digest)
    assert good["text"].endswith(answers)
    assert alerts in json.dumps(improvement["blocks"], ensure_ascii=False)
    if count == 22:  # 21 of 22 satisfied, the week before 7 of 8
        shown = json.dumps(good["blocks"], ensure_ascii=False)
        assert "95,5%, wzrost z 87,5% (+8 pkt proc.)" in shown
        assert "tydzień 47, 16–22 lis 2026 (Europe/Berlin)" in shown
    text = render_digest_text(digest)
    assert "Dobre wieści" in text and "Good news" not in text


def test_the_chart_is_drawn_in_english_only_when_no_cjk_font_is_installed() -> None:
    assert chart_language("pl-PL") == "pl" and chart_language(None) == "en"
    assert chart_language("ja") in ("ja", "en")
