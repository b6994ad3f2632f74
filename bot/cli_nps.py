"""`surveybot nps --team NAME [--dry-run]`: whom a team's next NPS round would ask,
when, and whom it skips and why; or plan the round due now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, timedelta

from bot.clock import utcnow
from bot.context import environment_context
from bot.nps.rounds import RoundPlan, plan_round, start_round
from bot.nps.schedule import EARLIEST_OFFSET, RoundSchedule, due_round
from bot.settings import Settings
from bot.teams import Team, TeamsFileError, load_teams
from storage import nps as store
from storage.db import Database
from storage.migrations import migrate
from storage.vocabulary import NpsOutcome

SKIP_WORDS = {
    NpsOutcome.ASKED_RECENTLY: "skipped: asked recently (within throttle_days)",
    NpsOutcome.ANSWERED_LAST_ROUND: "skipped: answered the previous round",
}


def cmd_nps(args: argparse.Namespace) -> int:
    return asyncio.run(nps_command(Settings(), args.team, dry_run=args.dry_run))


async def next_round_start(db: Database, team: Team, now: datetime) -> date:
    """The round a dry run previews: the one due now if not planned yet, else the next."""
    assert team.nps_schedule
    schedule = RoundSchedule.parse(team.nps_schedule)
    planned = {r.starts_on for r in await store.rounds_of(db, team.name)}
    due = due_round(schedule, team.nps_spread_days, now)
    if due is not None and str(due) not in planned:
        return due
    return schedule.next_start((now + EARLIEST_OFFSET).date() + timedelta(days=1))


def describe(plan: RoundPlan, now: datetime) -> str:
    """The dry run, for the operator (English, like every CLI text)."""
    team = plan.team
    lines = [
        f"Team {team.name}: NPS round of {plan.starts_on} ({team.nps_schedule}), spread over "
        f"{team.nps_spread_days} day(s); audience: conversations closed since "
        f"{(now - timedelta(days=team.nps_active_days)).date()} "
        f"(nps_active_days = {team.nps_active_days}), as of {now:%Y-%m-%d %H:%M} UTC.",
        f"Would ask {len(plan.asked)} customer(s), each at a weekday morning in their own "
        "time zone:",
    ]
    for d in sorted(plan.asked, key=lambda d: (d.slot or now, d.customer.key)):
        assert d.slot is not None
        lines.append(f"  {d.customer.key:<32} {d.slot:%a %Y-%m-%d %H:%M} their time")
    lines.append(f"Would skip {len(plan.skipped)} customer(s):")
    for d in plan.skipped:
        last = f" (last asked {d.last_asked_at:%Y-%m-%d %H:%M} UTC)" if d.last_asked_at else ""
        lines.append(f"  {d.customer.key:<32} {SKIP_WORDS[d.outcome]}{last}")
    return "\n".join(lines) + "\n"


async def nps_command(
    settings: Settings, team_name: str, *, dry_run: bool, now: datetime | None = None
) -> int:
    try:
        teams = load_teams(settings.config_path)
    except TeamsFileError as exc:
        print(f"surveybot nps: {exc}", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        await migrate(db)
        clock = (lambda: now) if now is not None else utcnow
        ctx = environment_context(settings, db, teams, clock=clock)
        await ctx.teams.load(ctx.now())  # settings saved in App Home win over the file
        team = ctx.teams.by_name(team_name)
        if team is None:
            known = ", ".join(t.name for t in ctx.teams.teams)
            print(
                f"surveybot nps: no team named {team_name!r}; known teams: {known}", file=sys.stderr
            )
            return 2
        if not team.nps_schedule:
            print(
                f"surveybot nps: team {team.name!r} has no nps_schedule "
                '(for example nps_schedule = "every 6 months from 2027-01-11")',
                file=sys.stderr,
            )
            return 2
        if dry_run:
            starts_on = await next_round_start(ctx.db, team, ctx.now())
            print(describe(await plan_round(ctx, team, starts_on), ctx.now()), end="")
            return 0
        round_id = await start_round(ctx, team)
        if round_id is None:
            print(f"{team.name}: no NPS round is due now, or it is planned already")
            return 0
        (planned,) = [r for r in await store.rounds_of(ctx.db, team.name) if r.id == round_id]
        print(
            f"{team.name}: NPS round of {planned.starts_on} planned: "
            f"{planned.asked} asked, {planned.skipped} skipped"
        )
        return 0
    finally:
        await db.dispose()
