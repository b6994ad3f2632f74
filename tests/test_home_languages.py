"""App Home, the drill-down and the team's modals in every shipped language: within
Block Kit's limits (charts included), and no English left outside English."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.digest.chart import WeekPoint
from bot.home.blocks import render_home
from bot.home.drilldown_blocks import DrillQuery, render_drill_down
from bot.home.figures import AgentFigures, AgentKindFigures, HomeContent, TeamFigures, Viewer
from bot.home.team_settings import NOT_ALLOWED, ChangedSetting
from bot.home.team_settings_blocks import (
    render_not_allowed,
    render_settings_modal,
    render_test_survey_modal,
)
from bot.home.views import NOT_LEAD
from bot.i18n import LANGUAGES, SOURCE_LANGUAGE, format_day_month
from bot.scales import REASONS
from bot.scoring import AgentFigure, Counterfactual, ScoreCounts
from bot.teams import Team
from sandbox.blockkit import validate_view
from storage.digests import Delivery
from storage.home import AnswerPage, AnswerRow, Comment, OpenAlert, OpenAlerts
from storage.vocabulary import DrillScope, SurveyKind

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
LONG_WORDS = "客服回复太慢了 Благодаря 👩‍💻 <!channel> " * 40
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]


def team_figures(name: str, language: str, kind: SurveyKind) -> TeamFigures:
    team = Team(
        name=name,
        language=language,
        survey=kind,
        target=4.0 if kind is SurveyKind.CES else 90.0,
    )
    high = 7 if kind is SurveyKind.CES else 5
    alerts = tuple(
        OpenAlert(
            len(name) * 10 + i,
            "claimed" if i % 2 else "open",
            NOW,
            "U0LEAD" if i % 2 else None,
            1,
            kind.value,
            "U0BO",
            None if i % 2 else "U0CUST",
            "ann@example.com",
        )
        for i in range(5)
    )
    mondays = [date(2026, 9, 14) + timedelta(weeks=i) for i in range(12)]
    return TeamFigures(
        team=team,
        kind=kind,
        this_week=ScoreCounts(kind, {high: 1234, 1: 3}),
        last_30=ScoreCounts(kind, {high: 5678, 2: 40, 1: 12}),
        previous_30=ScoreCounts(kind, {high: 10, 1: 9}),
        weeks=tuple(
            WeekPoint(format_day_month(m, language), None if i == 3 else 80.5, 0 if i == 3 else 12)
            for i, m in enumerate(mondays)
        ),
        delivery=Delivery(delivered=12_345, answered=5_730),
        drivers=tuple(
            Counterfactual(code, 1200 + i, 98.5, None if i == 2 else 99.75)
            for i, code in enumerate(list(REASONS)[:3])
        ),
        alerts=OpenAlerts(alerts, total=1_234),
        comments=tuple(Comment(i, high if i % 2 else 1, LONG_WORDS, "U0BO", NOW) for i in range(3)),
        last_change=(
            ChangedSetting("target", 80.0, 90.0, "U0LEAD", NOW),
            ChangedSetting("leads", [], ["U0LEAD"], "U0LEAD", NOW),
            ChangedSetting("delivery", "thread", "dm", "U0LEAD", NOW),
        ),
        this_week_start=NOW - timedelta(days=3),
        now=NOW,
    )


def views_in(language: str) -> list[tuple[str, dict[str, Any]]]:
    """Every Home (lead, agent with and without a score, anyone else), both drill-down
    pages with filters, the settings, test survey and refusal modals."""
    csat = team_figures("support", language, SurveyKind.CSAT)
    ces = team_figures("onboarding", language, SurveyKind.CES)
    lead = Viewer("U0LEAD", False, (csat.team, ces.team), False, language)
    agent = Viewer("U0BO", False, (), True, language)
    figure = AgentFigure(SurveyKind.CSAT, 1_234, 87.5, 87.5, 80.25, 92.75)
    scored = AgentFigures(
        "U0BO",
        (
            AgentKindFigures(SurveyKind.CSAT, 1_234, figure),
            AgentKindFigures(SurveyKind.CES, 2, None),
        ),
        tuple(Comment(i, 5, LONG_WORDS, "U0BO", NOW) for i in range(3)),
    )
    row = AnswerRow(
        1,
        2,
        "csat",
        tuple(REASONS),
        LONG_WORDS,
        NOW,
        "U0BO",
        None,
        "ann@example.com",
        "webhook",
        None,
        None,
        "ZD-1",
    )
    page = AnswerPage(tuple(row for _ in range(20)), total=12_345)
    views = [
        ("lead home", render_home(HomeContent(lead, (csat, ces)))),
        ("agent home", render_home(HomeContent(agent, agent=scored))),
        ("new agent home", render_home(HomeContent(agent, agent=AgentFigures("U0BO", (), ())))),
        ("anyone else", render_home(HomeContent(Viewer("U0X", False, (), False, language)))),
        ("settings", render_settings_modal(csat.team, version=3)),
        ("test survey", render_test_survey_modal(csat.team)),
        ("not a lead", render_not_allowed(NOT_LEAD, language)),
        ("may not edit", render_not_allowed(NOT_ALLOWED, language)),
    ]
    for scope in ("low_week", "all", "reason"):
        query = DrillQuery(
            "support", DrillScope(scope), reason="slow_response", agent="U0BO", page=1
        )
        views.append(
            (
                f"drill-down {scope}",
                render_drill_down(query, page, {}, low="1–2", page_size=20, language=language),
            )
        )
        empty = AnswerPage((), total=0)
        views.append(
            (
                f"empty drill-down {scope}",
                render_drill_down(
                    DrillQuery("support", DrillScope(scope)),
                    empty,
                    {},
                    low="1–2",
                    page_size=20,
                    language=language,
                ),
            )
        )
    return views


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_home_and_modal_fits_block_kits_limits_in_every_language(language: str) -> None:
    problems = [
        f"{what}: {error}" for what, view in views_in(language) for error in validate_view(view)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_leads_and_agents_read_their_home_in_their_language(language: str) -> None:
    for what, view in views_in(language):
        text = json.dumps(view, ensure_ascii=False)
        for english in (
            "Last 30 days",
            "Open alerts",
            "Show answers",
            "Your figures",
            "Team settings",
            "Filter by reason",
            "Only this team's leads",
            "asks customers",
            "Week starting",
            # The last settings change: each field by its label, each choice in words.
            "Target (CSAT % or mean CES)",
            "Leads (may change",
            "By direct message",
        ):
            assert english not in text, (what, english)
