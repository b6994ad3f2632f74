"""How long a lead's App Home and the drill-down's first page take over a year of answers.

    python -m bench.home_bench                   # 1,000,000 answers (about a minute to build)
    python -m bench.home_bench --responses 200000
    python -m bench.home_bench --smoke           # ~20,000 answers, for CI

Fills a SQLite file with the shared seeder's bulk year (sandbox.history.fill_year: one
team, a year, at the schema's head) and gives every answered survey its conversation.
Times, over many runs, a lead's Home composed and rendered (every aggregate, the native
chart, alerts, reasons, comments; the views.publish call excluded) and the drill-down's
first page (the query and the modal; the permalinks Slack would give excluded). Prints
p50 and p95.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.digest_bench import NOW, bench_args, year_of_answers
from bot.home.blocks import render_lead_home
from bot.home.drilldown_blocks import DrillQuery, render_drill_down
from bot.home.figures import HomeContent, Viewer, gather_team
from bot.home.views import drill_page
from bot.team_directory import ENVIRONMENT_WORKSPACE
from bot.teams import Team
from sandbox.history import give_conversations
from storage.db import Database
from storage.home import PAGE_SIZE
from storage.vocabulary import DrillScope

LEAD = "ULEAD"
TEAM = Team(
    name="support",
    digest_channel="C0DIGEST",
    alert_channel="C0ALERTS",
    timezone="Europe/Berlin",
    leads=(LEAD,),
    target=80,
)
RUNS = 40


async def timings(runs: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    await work()  # warm the page cache and the statement cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


async def measure(path: Path, responses: int, runs: int) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    viewer = Viewer(LEAD, is_admin=False, teams=(TEAM,), is_agent=False)

    async def lead_home() -> object:
        content = HomeContent(viewer, (await gather_team(db, ENVIRONMENT_WORKSPACE, TEAM, NOW),))
        return render_lead_home(content)

    async def first_page(scope: str) -> object:
        query = DrillQuery(TEAM.name, DrillScope(scope))
        page = await drill_page(db, TEAM, query, NOW)
        return render_drill_down(query, page, {}, low="1–2", page_size=PAGE_SIZE)

    try:
        home = await timings(runs, lead_home)
        low = await timings(runs, lambda: first_page("low_week"))
        everything = await timings(runs, lambda: first_page("all"))
        figures = await gather_team(db, ENVIRONMENT_WORKSPACE, TEAM, NOW)
    finally:
        await db.dispose()
    print(f"responses: {responses:,} over a year; last 30 days: {figures.last_30.total:,} answers")
    print(
        f"lead Home (aggregates + composition + rendering): "
        f"p50 {statistics.median(home):.1f} ms, p95 {p95(home):.1f} ms"
    )
    for name, times in (("low scores this week", low), ("all answers, 30 days", everything)):
        print(
            f"drill-down first page ({name}): "
            f"p50 {statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms"
        )


def main(argv: list[str] | None = None) -> int:
    args = bench_args("python -m bench.home_bench", __doc__, argv, RUNS)
    with year_of_answers(args.responses, then=give_conversations) as path:
        asyncio.run(measure(path, args.responses, max(2, args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
