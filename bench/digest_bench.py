"""How long one week's digest takes on a year of a large team, on the SQLite default.

    python -m bench.digest_bench                 # 1,000,000 answers (about a minute to build)
    python -m bench.digest_bench --responses 200000
    python -m bench.digest_bench --smoke         # ~20,000 answers, for CI
    python -m bench.digest_bench --postgres --responses 10000000   # 3 years on PostgreSQL
    python -m bench.home_bench --postgres --responses 10000000 --keep  # seeds once (~20 min)
    python -m bench.digest_bench --database surveybot_bench_NNN --responses 10000000

Builds a temporary SQLite file at the schema's head, fills it with the shared seeder's
bulk year (sandbox.history.fill_year: INSERT … SELECT, no ORM objects), then times, best
of a few runs: the full digest of one week (every aggregate + composition + Block Kit
and terminal rendering, no posting) and the bare weekly score histogram alone, and
prints both and the ratio. The chart PNG is timed on its own: it is matplotlib, not the
database. With --postgres the answers span three years (a large team's several years) in
a scratch PostgreSQL database, generated inside it (bench.postgres), then analyzed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.postgres import PG_ADMIN_DSN, fill_years_postgres, scratch_postgres
from bot.digest.blocks import render_agent_summary, render_good_news, render_improvement
from bot.digest.compose import covered_week
from bot.digest.job import build_digest, render_chart
from bot.digest.text import render_digest_text
from bot.team_directory import ENVIRONMENT_WORKSPACE
from bot.teams import Team
from sandbox.history import BULK_DAYS, fill_year, give_conversations
from storage import digests
from storage.db import Database
from storage.migrations import migrate

TEAM = Team(name="support", digest_channel="C0DIGEST", timezone="Europe/Berlin")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
DAYS = BULK_DAYS
POSTGRES_DAYS = 3 * 365
SMOKE_RESPONSES = 20_000
RUNS = 5


async def best_of(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return min(times)


def store_name(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


async def measure(url: str, responses: int, runs: int, days: int) -> None:
    engine = Database(url)
    # The bot reads through its workspace's view: `workspace = …` leads every index.
    db = engine.in_workspace(ENVIRONMENT_WORKSPACE)
    period = covered_week(NOW, TEAM.zone)

    async def full_digest() -> object:
        digest = await build_digest(db, TEAM, period, NOW)
        rendered = [render_good_news(digest), render_improvement(digest)]
        rendered += [render_agent_summary(digest, a) for a in digest.agents]
        return rendered, render_digest_text(digest)

    async def bare_query() -> object:
        return await digests.weekly_histograms(db, TEAM.name, "csat", [period.start, period.end])

    try:
        await full_digest()  # warm the page cache and the statement cache alike
        digest_time = await best_of(runs, full_digest)
        bare_time = await best_of(runs, bare_query)
        digest = await build_digest(db, TEAM, period, NOW)
        started = time.perf_counter()
        render_chart(digest)
        chart_time = time.perf_counter() - started
    finally:
        await engine.dispose()
    week_answers = digest.good_news.answers
    print(
        f"store: {store_name(url)}; responses: {responses:,} over {days} days; "
        f"week {period.label}: {week_answers:,} answers"
    )
    print(f"digest (aggregates + composition + rendering): {digest_time * 1000:.1f} ms")
    print(f"bare weekly score histogram: {bare_time * 1000:.1f} ms")
    print(f"ratio digest / bare query: {digest_time / bare_time:.1f}")
    print(f"chart PNG (matplotlib, not included above): {chart_time * 1000:.0f} ms")


async def prepare(url: str) -> None:
    db = Database(url)
    try:
        await migrate(db)
    finally:
        await db.dispose()


def bench_args(
    prog: str, description: str | None, argv: list[str] | None, runs: int
) -> argparse.Namespace:
    """The options every benchmark over a year of answers takes."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_RESPONSES:,} answers")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument(
        "--postgres", action="store_true", help=f"{POSTGRES_DAYS} days on a scratch PostgreSQL"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch PostgreSQL database; print its name"
    )
    parser.add_argument(
        "--database",
        metavar="NAME",
        help="measure a PostgreSQL database an earlier --keep run seeded (no seeding)",
    )
    args = parser.parse_args(argv)
    args.postgres = args.postgres or args.database is not None
    if args.smoke:
        args.responses = SMOKE_RESPONSES
    args.days = POSTGRES_DAYS if args.postgres else DAYS
    return args


@contextmanager
def year_of_answers(
    responses: int, *, then: Callable[[Path], None] | None = None
) -> Iterator[Path]:
    """A temporary SQLite file at the schema's head holding a year of one team's answers."""
    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as folder:
        path = Path(folder) / "bench.db"
        asyncio.run(prepare(f"sqlite+aiosqlite:///{path}"))
        started = time.perf_counter()
        fill_year(path, responses, NOW)
        if then is not None:
            then(path)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        yield path


@contextmanager
def answers_on_postgres(
    responses: int, days: int, *, conversations: bool, keep: bool = False
) -> Iterator[str]:
    """A scratch PostgreSQL database at the schema's head holding `days` of answers."""
    name = f"surveybot_bench_{os.getpid()}"
    url = asyncio.run(scratch_postgres(name)).replace("postgresql://", "postgresql+asyncpg://")
    try:
        asyncio.run(prepare(url))
        started = time.perf_counter()
        asyncio.run(fill_years_postgres(url, responses, NOW, days, conversations=conversations))
        print(f"generated in {time.perf_counter() - started:.1f} s")
        yield url
    finally:
        if keep:
            print(f"kept: --database {name}")
        else:
            asyncio.run(scratch_postgres(name, drop_only=True))


@contextmanager
def answers_in_store(args: argparse.Namespace, *, conversations: bool = False) -> Iterator[str]:
    """The database URL of the answers these options ask for, on SQLite or PostgreSQL."""
    if args.database is not None:
        # Seeded by an earlier --keep run (a home_bench one has the conversations too).
        yield f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{args.database}".replace(
            "postgresql://", "postgresql+asyncpg://"
        )
        return
    if args.postgres:
        with answers_on_postgres(
            args.responses, args.days, conversations=conversations, keep=args.keep
        ) as url:
            yield url
        return
    then = give_conversations if conversations else None
    with year_of_answers(args.responses, then=then) as path:
        yield f"sqlite+aiosqlite:///{path}"


def main(argv: list[str] | None = None) -> int:
    args = bench_args("python -m bench.digest_bench", __doc__, argv, RUNS)
    with answers_in_store(args) as url:
        asyncio.run(measure(url, args.responses, max(1, args.runs), args.days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
