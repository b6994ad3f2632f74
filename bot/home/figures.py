"""App Home: who is looking, and the figures their Home shows. Pure composition over
storage's aggregates; rendering is bot.home.blocks.

- a team lead (one of a team's `leads`) or a workspace admin: a dashboard per team;
- an agent credited with answers: their own figures only, never anyone else's;
- anyone else: what surveybot is, nothing about any team.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.accounts.figures import gather_accounts
from bot.accounts.health import Accounts
from bot.context import WorkspaceContext
from bot.digest.chart import WeekPoint
from bot.digest.compose import (
    CES_FLAT_WITHIN,
    NO_ACCOUNTS,
    boundaries,
    recent_weeks,
    week_containing,
)
from bot.home.team_settings import ChangedSetting, changed_settings
from bot.i18n import format_day_month, resolve_language
from bot.nps.job import running_round_line
from bot.scales import REASONS, scale_for
from bot.scoring import (
    MIN_AGENT_SAMPLE,
    AgentFigure,
    Counterfactual,
    ReasonStat,
    ScoreCounts,
    Trend,
    agent_figure,
    headline,
    rank_counterfactuals,
    response_rate,
    trend,
)
from bot.teams import Team
from storage import digests, team_settings
from storage import home as store
from storage.db import Database
from storage.digests import Delivery
from storage.home import Comment, OpenAlerts
from storage.vocabulary import SurveyKind

log = logging.getLogger("surveybot.home")

WEEKS_CHARTED = 12
RECENT = timedelta(days=30)
TOP_REASONS = 3
ALERTS_SHOWN = 5


@dataclass(frozen=True)
class Viewer:
    """Who opened Home, as far as surveybot is concerned."""

    user_id: str
    is_admin: bool
    teams: tuple[Team, ...]  # the teams whose dashboard they see (leads; admins: all)
    is_agent: bool
    # What the page around the teams reads: a lead's first team's language; for anyone
    # else their Slack locale (cached with the profile), else the first team's language.
    language: str = "en"

    @property
    def is_lead(self) -> bool:
        return bool(self.teams)

    def leads(self, team: Team) -> bool:
        return any(t.name == team.name for t in self.teams)


async def viewer_of(ctx: WorkspaceContext, user_id: str) -> Viewer:
    teams = ctx.teams
    profile = await ctx.customers.profile(user_id)
    led = tuple(t for t in teams.teams if profile.is_admin or user_id in t.leads)
    is_agent = not led and await store.is_credited_agent(ctx.db, user_id)
    first = teams.teams[0].language if teams.teams else None
    language = resolve_language(led[0].language) if led else resolve_language(profile.locale, first)
    return Viewer(user_id, profile.is_admin, led, is_agent, language)


def may_steer(viewer: Viewer, team: Team) -> bool:
    """Leads of the team and workspace admins may drill down, act on alerts, change settings."""
    return viewer.is_admin or viewer.user_id in team.leads


# ------------------------------------------------------------------ a team


@dataclass(frozen=True)
class TeamFigures:
    team: Team
    kind: SurveyKind
    this_week: ScoreCounts
    last_30: ScoreCounts
    previous_30: ScoreCounts
    weeks: tuple[WeekPoint, ...]
    delivery: Delivery  # surveys delivered in the last 30 days, and answered
    drivers: tuple[Counterfactual, ...]
    alerts: OpenAlerts
    comments: tuple[Comment, ...]
    last_change: tuple[ChangedSetting, ...]  # every field of the latest save
    this_week_start: datetime
    now: datetime
    accounts: Accounts = NO_ACCOUNTS  # the last 30 days, against the 30 before
    nps_round: str | None = None  # the relational NPS round under way, in one line

    @property
    def score(self) -> float | None:
        return headline(self.last_30)

    @property
    def this_week_score(self) -> float | None:
        return headline(self.this_week)

    @property
    def trend(self) -> Trend:
        flat = CES_FLAT_WITHIN if self.kind is SurveyKind.CES else 0.5
        unit = "" if self.kind is SurveyKind.CES else "pts"
        return trend(
            headline(self.last_30), headline(self.previous_30), flat_within=flat, unit=unit
        )

    @property
    def target_gap(self) -> float | None:
        """Score minus target: positive when above it."""
        score = self.score
        if score is None or self.team.target is None:
            return None
        return score - self.team.target

    @property
    def response_rate(self) -> float | None:
        return response_rate(self.delivery.answered, self.delivery.delivered)

    @property
    def low_share(self) -> float | None:
        total = self.last_30.total
        return None if total == 0 else 100.0 * self.last_30.low / total


def _week_label(start: datetime, team: Team) -> str:
    return format_day_month(start.astimezone(team.zone).date(), team.language)


async def gather_team(db: Database, workspace: str, team: Team, now: datetime) -> TeamFigures:
    """A team's Home figures: a few GROUP BY queries and a few LIMITed ones."""
    kind = team.survey
    scale = scale_for(kind)
    weeks = recent_weeks(week_containing(now, team.zone), team.zone, WEEKS_CHARTED)
    month_start, before_start = now - RECENT, now - 2 * RECENT
    # Independent aggregates, each on its own pooled connection, run side by side.
    # (asyncio.gather's types stop at six: the accounts run beside the six as a pair.)
    together = asyncio.gather(
        store.score_windows(
            db, team.name, kind.value, boundaries(weeks), [before_start, month_start, now]
        ),
        digests.reason_histograms(
            db, team.name, kind.value, month_start, now, list(REASONS), score_max=scale.low_max
        ),
        digests.delivery(db, team.name, month_start, now),
        store.open_alerts(db, team.name, limit=ALERTS_SHOWN),
        store.latest_comments(db, team.name, kind.value, month_start, now, high_min=scale.high_min),
        team_settings.last_save(db, workspace, team.name),
    )
    (windows, reasons, delivery, alerts, comments, changes), accounts = await asyncio.gather(
        together, home_accounts(db, team, now)
    )
    weekly, (previous, last) = windows
    last_30 = ScoreCounts(kind, last)
    # The digest's figure and formula: the score counted again without each reason's answers.
    drivers = rank_counterfactuals(
        [ReasonStat(code, ScoreCounts(kind, hist)) for code, hist in reasons.items() if hist],
        last_30,
        top=TOP_REASONS,
    )
    return TeamFigures(
        team=team,
        kind=kind,
        this_week=ScoreCounts(kind, weekly[-1]),
        last_30=last_30,
        previous_30=ScoreCounts(kind, previous),
        weeks=tuple(
            WeekPoint(
                _week_label(week.start, team),
                headline(ScoreCounts(kind, hist)),
                sum(hist.values()),
            )
            for week, hist in zip(weeks, weekly, strict=True)
        ),
        delivery=delivery,
        drivers=tuple(drivers),
        alerts=alerts,
        comments=tuple(comments),
        last_change=changed_settings(changes),
        this_week_start=weeks[-1].start,
        now=now,
        accounts=accounts,
        nps_round=await running_round_line(db, team),
    )


async def home_accounts(db: Database, team: Team, now: datetime) -> Accounts:
    """The team's accounts over the last 30 days, against the 30 before."""
    month_start = now - RECENT
    return await gather_accounts(db, team, (month_start, now), (month_start - RECENT, month_start))


async def count_accounts_ahead(ctx: WorkspaceContext) -> None:
    """Just after midnight (UTC): each team's accounts once, so that the day's first
    Home finds the people of its past days counted (storage.account_snapshots)."""
    for team in ctx.teams.teams:
        try:
            await home_accounts(ctx.db, team, ctx.now())
        except Exception:
            log.exception("counting accounts ahead failed team=%s", team.name)


# ------------------------------------------------------------------ an agent


@dataclass(frozen=True)
class AgentKindFigures:
    kind: SurveyKind
    answers: int
    figure: AgentFigure | None  # None below the minimum sample


@dataclass(frozen=True)
class AgentFigures:
    agent_id: str
    kinds: tuple[AgentKindFigures, ...]
    praise: tuple[Comment, ...]
    min_sample: int = MIN_AGENT_SAMPLE


async def gather_agent(db: Database, agent_id: str, now: datetime) -> AgentFigures:
    start = now - RECENT
    kinds = []
    praise: list[Comment] = []
    for answers in await store.agent_histograms(db, agent_id, start, now):
        kind = SurveyKind(answers.kind)
        counts = ScoreCounts(kind, answers.histogram)
        kinds.append(AgentKindFigures(kind, counts.total, agent_figure(counts)))
        praise += await store.agent_praise(
            db, agent_id, start, now, high_min=scale_for(kind).high_min
        )
    praise.sort(key=lambda c: c.answered_at, reverse=True)
    return AgentFigures(agent_id, tuple(kinds), tuple(praise[:3]))


# ------------------------------------------------------------------ the whole Home


@dataclass(frozen=True)
class HomeContent:
    viewer: Viewer
    teams: tuple[TeamFigures, ...] = ()
    agent: AgentFigures | None = None


async def gather_home(db: Database, workspace: str, viewer: Viewer, now: datetime) -> HomeContent:
    if viewer.is_lead:
        return HomeContent(
            viewer, tuple([await gather_team(db, workspace, t, now) for t in viewer.teams])
        )
    if viewer.is_agent:
        return HomeContent(viewer, agent=await gather_agent(db, viewer.user_id, now))
    return HomeContent(viewer)


def describe(content: HomeContent) -> dict[str, Any]:
    """One log line's worth: what kind of Home went out, never any figure."""
    role = "lead" if content.viewer.is_lead else "agent" if content.viewer.is_agent else "other"
    return {"user": content.viewer.user_id, "role": role, "teams": len(content.teams)}
