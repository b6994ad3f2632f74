"""How long a lead's App Home and the drill-down's first page take over a year of answers.

    python -m bench.home_bench                   # 1,000,000 answers (about a minute to build)
    python -m bench.home_bench --responses 200000
    python -m bench.home_bench --smoke           # ~20,000 answers, for CI
    python -m bench.home_bench --postgres --responses 10000000   # 3 years on PostgreSQL

Fills a SQLite file with the shared seeder's bulk year (sandbox.history.fill_year: one
team, a year, at the schema's head) and gives every answered survey its conversation.
Times, over many runs, a lead's Home composed and rendered (every aggregate, the native
chart, alerts, reasons, comments, accounts; the views.publish call excluded) and
drill-down pages (the query and the modal; the permalinks Slack would give excluded):
the first and a later one, and an account's. Prints p50 and p95, and the bare query
of the drill-down's page (ids under LIMIT) with the ratio. --postgres: see digest_bench.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from sqlalchemy import delete, select, text

from bench.digest_bench import NOW, answers_in_store, bench_args, store_name
from bot.home.blocks import render_lead_home
from bot.home.drilldown_blocks import DrillQuery, render_drill_down
from bot.home.figures import HomeContent, Viewer, gather_team
from bot.home.views import drill_page
from bot.team_directory import ENVIRONMENT_WORKSPACE
from bot.teams import Team
from storage.answer_sql import R, answers_of
from storage.db import Database, is_sqlite
from storage.home import PAGE_SIZE
from storage.models import AccountPerson, AccountSpan
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
LATER_PAGE = 10  # the eleventh page: answers 201–220


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


async def measure(url: str, responses: int, runs: int, days: int) -> None:
    engine = Database(url)
    # The bot reads through its workspace's view: `workspace = …` leads every index.
    db = engine.in_workspace(ENVIRONMENT_WORKSPACE)
    viewer = Viewer(LEAD, is_admin=False, teams=(TEAM,), is_agent=False)

    async def lead_home() -> object:
        content = HomeContent(viewer, (await gather_team(db, ENVIRONMENT_WORKSPACE, TEAM, NOW),))
        return render_lead_home(content)

    async def page_of(query: DrillQuery) -> object:
        page = await drill_page(db, TEAM, query, NOW)
        return render_drill_down(query, page, {}, low="1–2", page_size=PAGE_SIZE)

    async def bare_page() -> object:
        # The 30 days' newest page of ids alone: what any drill-down page costs at least.
        start = NOW - timedelta(days=30)
        query = (
            select(R.id)
            .where(*answers_of(TEAM.name, TEAM.survey.value, start, NOW))
            .order_by(R.answered_at.desc(), R.id.desc())
            .limit(PAGE_SIZE)
        )
        async with db.session() as session:
            return (await session.execute(query)).all()

    async def first_home_of_the_day() -> float:
        # Yesterday's snapshot of accounts' people no longer covers today's periods.
        async with engine.session() as session:
            await session.execute(delete(AccountPerson))
            await session.execute(delete(AccountSpan))
            await session.commit()
        started = time.perf_counter()
        await lead_home()
        took = (time.perf_counter() - started) * 1000
        if not is_sqlite(url):
            # What autovacuum does after such a rebuild (it is off on the bench machine).
            async with engine.engine.connect() as conn:
                done = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await done.execute(text("VACUUM ANALYZE account_people, account_spans"))
        return took

    try:
        first_of_day = await first_home_of_the_day()
        home = await timings(runs, lead_home)
        figures = await gather_team(db, ENVIRONMENT_WORKSPACE, TEAM, NOW)
        largest = figures.accounts.health[0] if figures.accounts.health else None
        pages = {
            "first page (low scores this week)": DrillQuery(TEAM.name, DrillScope.LOW_WEEK),
            "first page (all answers, 30 days)": DrillQuery(TEAM.name, DrillScope.ALL),
            f"page {LATER_PAGE + 1} (all answers, 30 days)": DrillQuery(
                TEAM.name, DrillScope.ALL, page=LATER_PAGE
            ),
        }
        if largest is not None:
            pages["first page (the largest account)"] = DrillQuery(
                TEAM.name, DrillScope.ACCOUNT, account=largest.key, account_name=largest.name
            )
        drills = {name: await timings(runs, partial(page_of, q)) for name, q in pages.items()}
        bare = await timings(runs, bare_page)
    finally:
        await engine.dispose()
    print(
        f"store: {store_name(url)}; responses: {responses:,} over {days} days; "
        f"last 30 days: {figures.last_30.total:,} answers, "
        f"{figures.accounts.accounts:,} accounts"
    )
    print(
        f"lead Home (aggregates + composition + rendering, accounts included): "
        f"p50 {statistics.median(home):.1f} ms, p95 {p95(home):.1f} ms"
    )
    print(
        f"first Home of a day (counts the accounts' people of the past days once): "
        f"{first_of_day:.1f} ms"
    )
    for name, times in drills.items():
        print(f"drill-down {name}: p50 {statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms")
    ratio = statistics.median(drills["first page (all answers, 30 days)"]) / statistics.median(bare)
    print(
        f"bare page of ids: p50 {statistics.median(bare):.1f} ms, p95 {p95(bare):.1f} ms; "
        f"ratio drill-down first page (all) / bare: {ratio:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = bench_args("python -m bench.home_bench", __doc__, argv, RUNS)
    with answers_in_store(args, conversations=True) as url:
        asyncio.run(measure(url, args.responses, max(2, args.runs), args.days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
