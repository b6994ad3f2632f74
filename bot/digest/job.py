"""The weekly digest job: gather the figures, compose, post once per team and week.

Collaborators (database, Slack client, directory, teams, the current time) come in as
arguments. "Once" is decided by the database: every message has its unique
DigestPost row (team, week, digest) that is inserted before posting, so a double
fire, a restart or a second process finds the row and skips.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.accounts.figures import gather_accounts
from bot.block_kit import context
from bot.clock import utcnow
from bot.context import WorkspaceContext, environment_context
from bot.digest.blocks import render_agent_summary, render_good_news, render_improvement
from bot.digest.chart import chart_language, render_trend_chart
from bot.digest.chart_blocks import native_charts
from bot.digest.compose import (
    AGENT_COMMENTS_QUOTED,
    PRAISE_QUOTED,
    QUOTE_CANDIDATES,
    Digest,
    Figures,
    Period,
    boundaries,
    compose_digest,
    covered_week,
    key_drivers,
    parse_week,
    recent_weeks,
)
from bot.digest.schedule import latest_digest_moment
from bot.digest.text import render_digest_text
from bot.i18n import plural_translator, translator
from bot.nps.job import running_round_line
from bot.scales import NPS, REASONS, scale_for
from bot.settings import Settings
from bot.slack.client import is_transient_failure
from bot.slack.customers import CustomerDirectory
from bot.teams import Team, TeamLookup, TeamsFileError, load_teams
from bot.wording import Words, score_name
from storage import digests, team_settings
from storage.db import Database
from storage.migrations import migrate
from storage.vocabulary import ChartKind, DigestPart, DigestPostStatus, agent_part

log = logging.getLogger("surveybot.digest")

# Sends one message; returns the channel and the message ts (None for an upload).
_Send = Callable[[], Awaitable[tuple[str, str | None]]]


class UnknownTeam(ValueError):
    """A team name that is not in the teams file; the message lists the known ones."""

    def __init__(self, name: str, teams: TeamLookup) -> None:
        known = ", ".join(t.name for t in teams.teams)
        super().__init__(f"no team named {name!r}; known teams: {known}")


# ------------------------------------------------------------------ computing


async def gather_figures(db: Database, team: Team, period: Period, now: datetime) -> Figures:
    """All the aggregates of one team's week, from storage (a dozen small queries)."""
    kind = team.survey.value
    scale = scale_for(team.survey)
    weeks = recent_weeks(period, team.zone)
    previous = weeks[-2]
    start, end = period.start, period.end
    histograms = await digests.weekly_histograms(db, team.name, kind, boundaries(weeks))
    reasons = await digests.reason_histograms(db, team.name, kind, start, end, list(REASONS))
    top = key_drivers(team.survey, histograms[-1], reasons)
    return Figures(
        weeks=histograms,
        delivery=await digests.delivery(db, team.name, start, end),
        reasons=reasons,
        previous_reasons=await digests.reason_histograms(
            db, team.name, kind, previous.start, previous.end, list(REASONS)
        ),
        praise=[
            *await digests.praise(
                db,
                team.name,
                kind,
                start,
                end,
                high_min=scale.high_min,
                limit=PRAISE_QUOTED * QUOTE_CANDIDATES,
            ),
            # A promoter's words in a relational NPS round are good news too.
            *await digests.praise(
                db,
                team.name,
                NPS.kind.value,
                start,
                end,
                high_min=NPS.high_min,
                limit=PRAISE_QUOTED,
            ),
        ],
        examples=await digests.example_comments(
            db, team.name, kind, start, end, top, low_max=scale.low_max
        ),
        agents=await digests.agent_histograms(db, team.name, kind, start, end),
        agent_comments=await digests.agent_comments(
            db, team.name, kind, start, end, per_agent=AGENT_COMMENTS_QUOTED * QUOTE_CANDIDATES
        ),
        alerts=await digests.alert_figures(db, team.name, start, end, as_of=now),
        value=await digests.customer_value(
            # "Unhappy" is the low band everywhere in the digest: below low_max + 1.
            db,
            team.name,
            kind,
            start,
            end,
            satisfied_min=scale.low_max + 1,
        ),
        unreachable=await digests.unreachable_customers(db, team.name, start, end),
        accounts=await gather_accounts(db, team, (start, end), (previous.start, previous.end)),
    )


async def build_digest(db: Database, team: Team, period: Period, now: datetime) -> Digest:
    return compose_digest(team, period, await gather_figures(db, team, period, now), now)


def render_chart(digest: Digest) -> bytes:
    ngettext = plural_translator(chart_language(digest.language))
    weeks = len(digest.weeks)
    title = ngettext(
        "{team} — {score}, last {count} week", "{team} — {score}, last {count} weeks", weeks
    ).format(team=digest.team, score=score_name(digest.kind), count=weeks)
    return render_trend_chart(
        digest.weeks,
        kind=digest.kind,
        title=title,
        target=digest.target,
        language=digest.language,
    )


# ------------------------------------------------------------------ posting


def good_news_message(team: Team, digest: Digest, nps_line: str | None = None) -> dict[str, Any]:
    """The good news, with the trend as Slack's native chart when the team chose it, and
    a line on the relational NPS round under way, if one is."""
    message = render_good_news(digest)
    if nps_line:
        message = {**message, "blocks": [*message["blocks"], context(nps_line)]}
    if team.chart == ChartKind.NATIVE:
        charts = native_charts(
            team.name, digest.kind, digest.weeks, digest.target, Words.of(digest.language)
        )
        message = {**message, "blocks": [*message["blocks"], *charts]}
    return message


async def post_weekly_digest(ctx: WorkspaceContext, team: Team) -> int:
    """The team's weekly job: post the week its latest scheduled moment covers.

    Run by the team's cron job and once at start, so a bot that was down at the
    moment still posts that digest; the DigestPost rows keep every message to once
    however often it runs. Returns the Slack posts made.
    """
    if not team.digest_channel:
        return 0
    period = covered_week(latest_digest_moment(team, ctx.now()), team.zone)
    if await _before_the_team(ctx, team, period):
        log.info(
            "digest skipped team=%s week=%s reason=before_team_existed", team.name, period.label
        )
        return 0
    # Messages Slack refused on an earlier run get another try (a few in all).
    return await post_team_digest(ctx, team, period, retry_failed=True)


async def _before_the_team(ctx: WorkspaceContext, team: Team, period: Period) -> bool:
    """A new install's first start: the week it would catch up on ended before the team
    existed and no survey went out in it, so its digests could only be empty."""
    created = await team_settings.created_at(ctx.db, ctx.workspace, team.name)
    if created is None or period.end > created:
        return False
    return (await digests.delivery(ctx.db, team.name, period.start, period.end)).delivered == 0


async def retry_refused_digests(ctx: WorkspaceContext, team: Team) -> int:
    """Another try for this week's messages Slack refused (five tries in all), in order.

    A week with nothing refused is left alone: posting it is the weekly job's work.
    """
    if not team.digest_channel:
        return 0
    period = covered_week(latest_digest_moment(team, ctx.now()), team.zone)
    rows = await digests.posted_digests(ctx.db, team.name, period.label)
    if not any(row.retryable for row in rows.values()):
        return 0
    return await post_team_digest(ctx, team, period, retry_failed=True)


async def post_team_digest(
    ctx: WorkspaceContext,
    team: Team,
    period: Period,
    *,
    retry_failed: bool = False,
    by_hand: bool = False,
) -> int:
    """Post one team's week: good news, improvement, chart, then each agent's summary.

    `retry_failed` takes back messages Slack refused before (a few times in all);
    `by_hand` (the CLI) also ignores that limit and a week already marked complete.
    """
    channel = team.digest_channel
    if not channel:
        return 0
    db, client, customers, now = ctx.db, ctx.client, ctx.customers, ctx.now()
    done = await digests.posted_digests(db, team.name, period.label)
    if DigestPart.COMPLETE in done and not by_hand:
        return 0  # the cheap path for every later tick of the week
    digest = await build_digest(db, team, period, now)
    nps_line = await running_round_line(db, team)
    posts = 0

    async def once(name: str, send: _Send) -> str | None:
        nonlocal posts
        if not await digests.claim_digest(
            db,
            team.name,
            period.label,
            name,
            now,
            retry_failed=retry_failed or by_hand,
            any_attempt=by_hand,
        ):
            return None
        try:
            target, ts = await send()
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            await digests.finish_digest(
                db, team.name, period.label, name, status=DigestPostStatus.FAILED
            )
            # Slack busy or down is a WARNING (the retry job tries again); a refusal
            # another try cannot fix is an ERROR.
            log.log(
                logging.WARNING if is_transient_failure(exc) else logging.ERROR,
                "digest post failed team=%s period=%s digest=%s error=%s",
                team.name,
                period.label,
                name,
                error,
            )
            return None
        except BaseException:
            await digests.finish_digest(
                db, team.name, period.label, name, status=DigestPostStatus.FAILED
            )
            raise
        await digests.finish_digest(
            db,
            team.name,
            period.label,
            name,
            status=DigestPostStatus.POSTED,
            channel_id=target,
            message_ts=ts,
        )
        posts += 1
        log.info(
            "digest posted team=%s period=%s digest=%s channel=%s ts=%s",
            team.name,
            period.label,
            name,
            target,
            ts,
        )
        return ts

    async def post_message(target: str, message: dict[str, Any]) -> tuple[str, str | None]:
        response = await client.chat_postMessage(
            channel=target, text=message["text"], blocks=message["blocks"], unfurl_links=False
        )
        return str(response["channel"]), response.get("ts")

    good_ts = await once(
        DigestPart.GOOD_NEWS,
        lambda: post_message(channel, good_news_message(team, digest, nps_line)),
    )
    if good_ts is None and DigestPart.GOOD_NEWS in done:
        good_ts = done[DigestPart.GOOD_NEWS].message_ts
    # Good news leads: while it waits for another try, the improvement digest waits too.
    good_row = (await digests.posted_digests(db, team.name, period.label)).get(DigestPart.GOOD_NEWS)
    good_news_pending = good_row is not None and good_row.retryable
    if not good_news_pending:
        await once(
            DigestPart.IMPROVEMENT, lambda: post_message(channel, render_improvement(digest))
        )

    _ = translator(team.language)

    async def upload_chart() -> tuple[str, str | None]:
        png = await asyncio.to_thread(render_chart, digest)
        await client.files_upload_v2(
            channel=channel,
            file=png,
            filename=f"surveybot-{team.name}-{period.label}.png",
            title=_("{team}: {score} and answers, week by week").format(
                team=team.name, score=score_name(digest.kind)
            ),
            alt_txt=_("Weekly {score} and answer counts for the last weeks").format(
                score=score_name(digest.kind)
            ),
            initial_comment=_("The last weeks: the score (line) and the answers (bars)."),
            thread_ts=good_ts,
            request_file_info=False,
        )
        return channel, None

    # The chart belongs in the good news' thread: without that message, wait for a retry.
    if good_ts is not None and team.chart == ChartKind.IMAGE:
        await once(DigestPart.CHART, upload_chart)

    for summary in digest.agents:

        async def send_summary(agent_id: str = summary.agent_id) -> tuple[str, str | None]:
            # The directory already knows the DMs of agents thanked or surveyed this week.
            dm = await customers.dm_channel(agent_id)
            agent = next(a for a in digest.agents if a.agent_id == agent_id)
            return await post_message(dm, render_agent_summary(digest, agent))

        await once(agent_part(summary.agent_id), send_summary)

    # The week is done once nothing is left worth another try.
    rows = await digests.posted_digests(db, team.name, period.label)
    if not any(row.retryable for row in rows.values()):
        await digests.claim_digest(db, team.name, period.label, DigestPart.COMPLETE, now)
        await digests.finish_digest(
            db, team.name, period.label, DigestPart.COMPLETE, status=DigestPostStatus.POSTED
        )
    return posts


# ------------------------------------------------------------------ dry run and CLI


def _team_and_period(
    teams: TeamLookup, team_name: str, week: str | None, now: datetime
) -> tuple[Team, Period]:
    team = teams.by_name(team_name)
    if team is None:
        raise UnknownTeam(team_name, teams)
    period = parse_week(week, team.zone) if week else covered_week(now, team.zone)
    return team, period


def agents_named_in(digest: Digest) -> list[str]:
    """Every agent id the digest shows: kudos, praise credits, private summaries."""
    ids = [*digest.good_news.kudos, *(q.agent_id for q in digest.good_news.praise)]
    ids += [summary.agent_id for summary in digest.agents]
    return list(dict.fromkeys(agent for agent in ids if agent))


async def agent_names(customers: CustomerDirectory | None, digest: Digest) -> dict[str, str]:
    """Their names, as Slack shows a mention in the posted digest (none without Slack)."""
    if customers is None:
        return {}
    names: dict[str, str] = {}
    for agent_id in agents_named_in(digest):
        profile = await customers.profile(agent_id)
        if profile.name:
            names[agent_id] = profile.name
    return names


async def render_dry_run(
    ctx: WorkspaceContext, team_name: str, week: str | None, *, names: bool = True
) -> str:
    """The digest as the terminal shows it, without posting anything; agents by name
    as Slack shows their mentions in the posted digest (by id when `names` is off: no
    Slack to ask)."""
    now = ctx.now()
    team, period = _team_and_period(ctx.teams, team_name, week, now)
    digest = await build_digest(ctx.db, team, period, now)
    return render_digest_text(digest, await agent_names(ctx.customers if names else None, digest))


async def digest_command(settings: Settings, team: str, week: str | None, dry_run: bool) -> int:
    """`surveybot digest --team NAME [--dry-run] [--week YYYY-Www]`; returns the exit code."""
    try:
        teams = load_teams(settings.config_path)
    except TeamsFileError as exc:
        print(f"surveybot digest: {exc}", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        await migrate(db)
        ctx = environment_context(settings, db, teams, clock=utcnow)
        now = ctx.now()
        # Settings saved in App Home win over the file, as in `serve`.
        await ctx.teams.load(now)
        try:
            chosen, period = _team_and_period(ctx.teams, team, week, now)
        except ValueError as exc:
            print(f"surveybot digest: {exc}", file=sys.stderr)
            return 2
        if dry_run:
            # With a bot token the agents show by name, as in the posted digest.
            names = bool(settings.slack_bot_token)
            print(await render_dry_run(ctx, chosen.name, week, names=names), end="")
            return 0
        if not settings.slack_bot_token:
            print("surveybot digest: SLACK_BOT_TOKEN is not set", file=sys.stderr)
            return 2
        if not chosen.digest_channel:
            print(f"surveybot digest: team {chosen.name!r} has no digest_channel", file=sys.stderr)
            return 2
        posts = await post_team_digest(ctx, chosen, period, by_hand=True)
        print(f"{chosen.name} {period.label}: {posts} message(s) posted")
        return 0
    finally:
        await db.dispose()
