"""The NPS rounds job: start each team's round when due, and post each round's report
once when it has closed (every survey answered, expired or given up)."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk.errors import SlackApiError

from bot.context import WorkspaceContext
from bot.nps.report import compose_report, progress_line, render_report
from bot.nps.rounds import start_round
from bot.scales import NPS
from bot.teams import Team
from storage import nps as store
from storage.db import Database
from storage.nps import RoundAnswers, RoundRecord
from storage.vocabulary import DigestPostStatus

log = logging.getLogger("surveybot.nps")


async def run_nps_rounds(ctx: WorkspaceContext) -> int:
    """Every team of the workspace: start a due round, report closed ones; reports posted."""
    posted = 0
    for team in ctx.teams.teams:
        await start_round(ctx, team)
        posted += await report_closed_rounds(ctx, team)
    return posted


async def _answers(ctx: WorkspaceContext, round_id: int) -> RoundAnswers:
    return await store.round_answers(
        ctx.db, round_id, detractor_max=NPS.low_max, promoter_min=NPS.high_min
    )


async def report_closed_rounds(ctx: WorkspaceContext, team: Team) -> int:
    rounds = await store.rounds_of(ctx.db, team.name)
    posted = 0
    for index, nps_round in enumerate(rounds):
        if nps_round.report_status in (DigestPostStatus.POSTED, DigestPostStatus.POSTING):
            continue
        if not team.digest_channel:
            continue
        progress = await store.progress(ctx.db, nps_round.id)
        if progress.waiting:
            continue
        if not await store.claim_report(ctx.db, nps_round.id, ctx.now()):
            continue  # another process posts it
        previous = await _answers(ctx, rounds[index - 1].id) if index else None
        report = compose_report(
            date.fromisoformat(nps_round.starts_on),
            await _answers(ctx, nps_round.id),
            progress,
            previous,
            team.churn_probability,
        )
        message = render_report(report, team.language, team.currency)
        try:
            sent = await ctx.client.chat_postMessage(channel=team.digest_channel, **message)
        except SlackApiError:
            await store.report_done(ctx.db, nps_round.id, DigestPostStatus.FAILED)
            raise  # the scheduler logs it; the next run tries again
        await store.report_done(ctx.db, nps_round.id, DigestPostStatus.POSTED, str(sent["ts"]))
        log.info("nps round reported team=%s starts_on=%s", team.name, nps_round.starts_on)
        posted += 1
    return posted


async def running_round_line(db: Database, team: Team) -> str | None:
    """The line the weekly digest and App Home show while a round runs."""
    running = await _running(db, team)
    if running is None:
        return None
    progress = await store.progress(db, running.id)
    return progress_line(date.fromisoformat(running.starts_on), progress, team.language)


async def _running(db: Database, team: Team) -> RoundRecord | None:
    rounds = await store.rounds_of(db, team.name)
    waiting = [r for r in rounds if r.report_status is None]
    return waiting[-1] if waiting else None
