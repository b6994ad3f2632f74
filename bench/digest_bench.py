"""How long one week's digest takes on a year of a large team, on the SQLite default.

    python -m bench.digest_bench                 # 1,000,000 answers (about a minute to build)
    python -m bench.digest_bench --responses 200000
    python -m bench.digest_bench --smoke         # ~20,000 answers, for CI

Builds a temporary SQLite file at the schema's head, fills it with INSERT … SELECT over
recursive CTEs (no ORM objects), then times, best of a few runs: the full digest of
one week (every aggregate + composition + Block Kit and terminal rendering, no
posting) and the bare weekly score histogram alone, and prints both and the ratio.
The chart PNG is timed on its own: it is matplotlib, not the database.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digest.blocks import render_agent_summary, render_good_news, render_improvement
from bot.digest.compose import covered_week
from bot.digest.job import build_digest, render_chart
from bot.digest.text import render_digest_text
from bot.teams import Team
from storage import digests
from storage.db import Database
from storage.migrations import migrate

TEAM = Team(name="support", digest_channel="C0DIGEST", timezone="Europe/Berlin")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
DAYS = 365
RESPONSE_RATE = 0.4  # 2.5 surveys delivered per answer
AGENTS = 40
CUSTOMERS = 25_000
SMOKE_RESPONSES = 20_000
RUNS = 5

# Deterministic pseudo-random per row: random() may be evaluated more than once per
# row once SQLite flattens the subquery, which would make score and reasons disagree.
_R = "((s.id * {a} + {b}) % 1000)"
SCORE = f"""CASE
    WHEN {_R.format(a=7919, b=13)} < 450 THEN 5
    WHEN {_R.format(a=7919, b=13)} < 750 THEN 4
    WHEN {_R.format(a=7919, b=13)} < 850 THEN 3
    WHEN {_R.format(a=7919, b=13)} < 920 THEN 2
    ELSE 1 END"""
# Low scores give one reason, or two (slow and not resolved), picked by survey id.
REASON_PICK = _R.format(a=104729, b=7).replace("s.id", "r.survey_id") + " % 8"
REASON_CODES = """VALUES (0, 'slow_response'), (1, 'not_resolved'), (2, 'unclear_answer'),
    (3, 'repeated_myself'), (4, 'agent_attitude'), (5, 'hard_to_reach'),
    (6, 'slow_response'), (6, 'not_resolved'), (7, 'other')"""
COMMENT = f"""CASE WHEN {_R.format(a=15485863, b=3)} < 300 THEN
    substr('Thanks a lot, that was quick and clear. The agent understood the problem at once '
           || 'and walked me through the fix step by step.', 1, 20 + s.id % 100)
    END"""


def _timestamp(expr: str) -> str:
    # SQLAlchemy's SQLite DateTime text format, so string comparison matches the bounds.
    return f"strftime('%Y-%m-%d %H:%M:%S', {expr}, 'unixepoch') || '.000000'"


def generate(path: Path, responses: int) -> None:
    """A year of one team: surveys delivered evenly, 40 % answered, alerts on low scores."""
    surveys = int(responses / RESPONSE_RATE)
    start = int((NOW - timedelta(days=DAYS)).timestamp())
    step = DAYS * 86400 / surveys
    delivered = _timestamp(f"{start} + CAST(s.id * {step} AS INTEGER)")
    answered = _timestamp(f"{start} + CAST(s.id * {step} AS INTEGER) + 600 + s.id % 7200")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")  # conversations are not read by the digest
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.execute(
            f"""
            WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < ?)
            INSERT INTO surveys (id, token, conversation_id, team, kind, customer_key,
                customer_id, agent_id, delivery, status, created_at, send_after, expires_at,
                attempts, delivered_at)
            SELECT s.id, 'b' || s.id, s.id, 'support', 'csat', 'C' || (s.id * 31 % {CUSTOMERS}),
                'C' || (s.id * 31 % {CUSTOMERS}), 'UAGENT' || (s.id % {AGENTS}), 'dm',
                CASE WHEN s.id % 5 < 2 THEN 'answered' ELSE 'delivered' END,
                {delivered}, {delivered}, {delivered}, 0, {delivered}
            FROM seq AS s
            """,
            (surveys,),
        )
        conn.execute(
            f"""
            INSERT INTO responses (survey_id, team, kind, agent_id, customer_id, customer_value,
                score, comment, answered_at)
            SELECT s.id, s.team, s.kind, s.agent_id, s.customer_id,
                CASE WHEN s.id * 31 % {CUSTOMERS} % 5 < 3
                     THEN 50 + (s.id * 31 % {CUSTOMERS}) % 40 * 50 END,
                score, {COMMENT}, {answered}
            FROM (SELECT s.*, {SCORE} AS score FROM surveys AS s WHERE s.id % 5 < 2) AS s
            """
        )
        conn.execute(
            f"""
            WITH codes(pick, reason) AS ({REASON_CODES})
            INSERT INTO response_reasons (response_id, reason)
            SELECT r.id, codes.reason FROM responses AS r
            JOIN codes ON codes.pick = {REASON_PICK}
            WHERE r.score <= 2
            """
        )
        conn.execute(
            """
            INSERT INTO alerts (survey_id, team, status, created_at, resolved_at)
            SELECT r.survey_id, r.team,
                CASE WHEN r.answered_at > ? THEN
                    CASE r.survey_id % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'claimed'
                    ELSE 'resolved' END
                ELSE 'resolved' END,
                r.answered_at, r.answered_at
            FROM responses AS r WHERE r.score <= 2
            """,
            ((NOW - timedelta(days=14)).strftime("%Y-%m-%d %H:%M:%S.000000"),),
        )
    conn.execute("ANALYZE")
    conn.close()


async def best_of(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return min(times)


async def measure(path: Path, responses: int, runs: int) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
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
        await db.dispose()
    week_answers = digest.good_news.answers
    print(
        f"responses: {responses:,} over {DAYS} days; week {period.label}: {week_answers:,} answers"
    )
    print(f"digest (aggregates + composition + rendering): {digest_time * 1000:.1f} ms")
    print(f"bare weekly score histogram: {bare_time * 1000:.1f} ms")
    print(f"ratio digest / bare query: {digest_time / bare_time:.1f}")
    print(f"chart PNG (matplotlib, not included above): {chart_time * 1000:.0f} ms")


async def prepare(path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
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
    args = parser.parse_args(argv)
    if args.smoke:
        args.responses = SMOKE_RESPONSES
    return args


@contextmanager
def year_of_answers(
    responses: int, *, then: Callable[[Path], None] | None = None
) -> Iterator[Path]:
    """A temporary SQLite file at the schema's head holding a year of one team's answers."""
    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as folder:
        path = Path(folder) / "bench.db"
        asyncio.run(prepare(path))
        started = time.perf_counter()
        generate(path, responses)
        if then is not None:
            then(path)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        yield path


def main(argv: list[str] | None = None) -> int:
    args = bench_args("python -m bench.digest_bench", __doc__, argv, RUNS)
    with year_of_answers(args.responses) as path:
        asyncio.run(measure(path, args.responses, max(1, args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
