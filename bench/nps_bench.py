"""Planning a relational NPS round for many active customers, and its report.

    python -m bench.nps_bench                    # 100,000 active customers, SQLite
    python -m bench.nps_bench --postgres         # the same on a scratch PostgreSQL database
    python -m bench.nps_bench --smoke            # 2,000 customers, for CI

Fills a fresh database at the schema's head with one conversation closed in the last 90
days per customer (bulk INSERTs, no ORM objects); one in ten was also surveyed two days
ago (skipped: asked recently), the others 40 days ago (their slot's seed). Then times:
- planning the round (the audience, the contact rule, each person's slot, and storing
  the round, its invitations in the outbox and the skips in one transaction), with the
  process's peak resident memory during it (VmHWM, reset before planning);
- the round report over every invitation answered (the aggregates, composition and
  Block Kit rendering; no posting).
Targets on the 2-core machine: planning < 10 s and < 250 MB; the report < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import bindparam, insert, text

from bench.postgres import scratch_postgres
from bot.context import NoChanges, WorkspaceContext
from bot.nps.report import compose_report, render_report
from bot.nps.rounds import start_round
from bot.scales import NPS
from bot.slack.customers import CustomerDirectory
from bot.team_directory import ENVIRONMENT_WORKSPACE, TeamDirectory
from bot.teams import Team, Teams
from storage import nps as store
from storage.db import Database
from storage.migrations import migrate
from storage.models import Conversation, Survey
from storage.types import UTCDateTime
from storage.vocabulary import ConversationOutcome, Delivery, Source, SurveyStatus

TEAM = Team(
    name="support",
    digest_channel="C0DIGEST",
    nps_schedule="every 6 months from 2027-01-04",
    throttle_days=7,
)
PLANNING = datetime(2027, 1, 3, 10, 0, tzinfo=UTC)
BATCH = 2000
SMOKE_CUSTOMERS = 2_000


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Start the peak from the current size (Linux: 5 > /proc/self/clear_refs)."""
    # Elsewhere the peak covers the seeding too: an upper bound.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _context(db: Database) -> WorkspaceContext:
    client = AsyncWebClient(token="xoxb-bench", base_url="http://127.0.0.1:9/api/")
    scoped = db.in_workspace(ENVIRONMENT_WORKSPACE)
    return WorkspaceContext(
        db=scoped,
        client=client,
        customers=CustomerDirectory(client),
        teams=TeamDirectory(scoped, ENVIRONMENT_WORKSPACE, Teams((TEAM,))),
        clock=lambda: PLANNING,
        changes=NoChanges(),
    )


async def _seed(db: Database, customers: int) -> None:
    conversations: list[dict[str, Any]] = []
    surveys: list[dict[str, Any]] = []
    for n in range(customers):
        customer = f"U{n:09d}"
        closed = PLANNING - timedelta(days=1 + n % 80, minutes=n % 600)
        conversations.append(
            {
                "workspace": "",
                "source": Source.WEBHOOK.value,
                "external_id": f"bench-{n}",
                "team": TEAM.name,
                "customer_id": customer,
                "closed_at": closed,
                "customer_value": float(50 + n % 200),
                "outcome": ConversationOutcome.SURVEY.value,
            }
        )
        asked = PLANNING - timedelta(days=2 if n % 10 == 0 else 40)
        surveys.append(
            {
                "workspace": "",
                "token": f"bench{n}",
                "team": TEAM.name,
                "kind": "csat",
                "customer_key": customer,
                "customer_id": customer,
                "delivery": Delivery.DM.value,
                "status": SurveyStatus.EXPIRED.value,
                "created_at": asked,
                "send_after": asked,
                "expires_at": asked + timedelta(days=7),
                "purpose": "invitation",
            }
        )
    async with db.writing() as session:
        for table, rows in ((Conversation, conversations), (Survey, surveys)):
            columns: Any = table.__table__  # type: ignore[union-attr]
            for start in range(0, len(rows), BATCH):
                await session.execute(insert(columns), rows[start : start + BATCH])
        await session.commit()


async def _answer_everything(db: Database, round_id: int) -> int:
    """Every invitation of the round answered (scores 0–10 in turn), detractors citing a
    reason and promoters writing a few words: set-based, as fast as the store allows."""
    params: dict[str, Any] = {"round": round_id, "at": PLANNING}
    async with db.writing() as session:
        await session.execute(
            text(
                "INSERT INTO responses (survey_id, workspace, team, kind, customer_id, score,"
                " comment, answered_at, is_test)"
                " SELECT s.id, s.workspace, s.team, s.kind, s.customer_id, s.id % 11,"
                " CASE WHEN s.id % 11 >= 9 THEN 'Quick, kind and right the first time.' END,"
                " :at, false"
                " FROM nps_invites i JOIN surveys s ON s.token = i.survey_token"
                " WHERE i.round_id = :round"
            ).bindparams(bindparam("at", type_=UTCDateTime())),
            params,
        )
        await session.execute(
            text(
                "INSERT INTO response_reasons (response_id, reason)"
                " SELECT r.id, CASE WHEN r.score % 2 = 0 THEN 'slow_response' ELSE"
                " 'not_resolved' END FROM responses r JOIN surveys s ON s.id = r.survey_id"
                " JOIN nps_invites i ON i.survey_token = s.token"
                " WHERE i.round_id = :round AND r.score <= 6"
            ),
            {"round": round_id},
        )
        answered = await session.execute(
            text(
                "UPDATE surveys SET status = :answered WHERE token IN"
                " (SELECT survey_token FROM nps_invites WHERE round_id = :round)"
            ),
            {"round": round_id, "answered": SurveyStatus.ANSWERED.value},
        )
        await session.commit()
    if db.engine.dialect.name == "postgresql":
        # The round closes days later: autovacuum has analyzed the answers by then.
        async with db.session() as session:
            await session.execute(text("ANALYZE responses, response_reasons"))
            await session.commit()
    return int(getattr(answered, "rowcount", 0) or 0)


async def measure(url: str, customers: int, store_name: str) -> None:
    db = Database(url)
    try:
        await migrate(db)
        await _seed(db, customers)
        ctx = _context(db)
        _reset_peak()
        started = time.perf_counter()
        round_id = await start_round(ctx, TEAM)
        planning = time.perf_counter() - started
        peak = _peak_rss_mb()
        assert round_id is not None
        (planned,) = await store.rounds_of(ctx.db, TEAM.name)
        print(f"store: {store_name}; active customers: {customers:,}")
        print(
            f"plan a round: {planning:.2f} s; asked {planned.asked:,},"
            f" skipped {planned.skipped:,} (target < 10 s)"
        )
        print(f"peak memory while planning: {peak:.0f} MB (process VmHWM; target < 250 MB)")
        answered = await _answer_everything(db, round_id)

        started = time.perf_counter()
        progress = await store.progress(ctx.db, round_id)
        answers = await store.round_answers(
            ctx.db, round_id, detractor_max=NPS.low_max, promoter_min=NPS.high_min
        )
        report = compose_report(date(2027, 1, 4), answers, progress, None, 0.95)
        message = render_report(report, "en", "USD")
        reporting = time.perf_counter() - started
    finally:
        await db.dispose()
    print(f"round report over {answered:,} answers: {reporting * 1000:.0f} ms (target < 2 s)")
    print(f"report line: {message['blocks'][1]['text']['text']}")


async def run(customers: int, postgres: bool) -> None:
    if postgres:
        name = f"surveybot_nps_bench_{uuid.uuid4().hex[:8]}"
        url = await scratch_postgres(name)
        try:
            await measure(url, customers, "PostgreSQL")
        finally:
            await scratch_postgres(name, drop_only=True)
        return
    with TemporaryDirectory() as folder:
        await measure(f"sqlite+aiosqlite:///{Path(folder) / 'nps.db'}", customers, "SQLite")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_CUSTOMERS:,} customers")
    args = parser.parse_args()
    asyncio.run(run(SMOKE_CUSTOMERS if args.smoke else args.customers, args.postgres))


if __name__ == "__main__":
    main()
