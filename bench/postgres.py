"""The benchmarks' PostgreSQL: years of one team's answers in a scratch database.

The years are the SQLite bulk year's rows (sandbox.history: the same scores, reasons,
comments, accounts and alerts, from the same per-row formulas), generated inside
PostgreSQL by `generate_series`: no row crosses the wire. The secondary indexes are
dropped while the rows go in and built once after, and foreign keys are not checked row
by row (the rows are made consistent), so 10,000,000 answers seed in minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg  # type: ignore[import-untyped]

from bench.bot_processes import PG_ADMIN_DSN as PG_ADMIN_DSN
from bench.bot_processes import scratch_postgres as scratch_postgres
from sandbox.history import (
    BULK_AGENTS,
    BULK_CUSTOMERS,
    BULK_RESPONSE_RATE,
    COMMENT,
    REASON_PICK,
    _account,
    _reason_codes,
    _score_case,
)
from storage.tally_triggers import rebuild_statements

# substr() takes an int length; the series is bigint (its products overflow int).
PG_COMMENT = COMMENT.replace("20 + s.id % 100", "(20 + s.id % 100)::int")
PG_REASON_PICK = REASON_PICK.replace("r.survey_id", "r.survey_id::bigint")
SEEDED = ("conversations", "surveys", "responses", "response_reasons", "alerts")
TALLIES = ("answer_tallies", "delivery_tallies")


def asyncpg_dsn(url: str) -> str:
    """The plain DSN asyncpg takes for a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _timestamp(expr: str) -> str:
    # Naive UTC, as UTCDateTime stores it.
    return f"(to_timestamp({expr}) AT TIME ZONE 'UTC')"


async def _drop_secondary_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the seeded tables' indexes that back no constraint; their definitions."""
    rows = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
        FROM pg_index AS i
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        """,
        list(SEEDED),
    )
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [str(row["ddl"]) for row in rows]


async def fill_years_postgres(
    url: str,
    responses: int,
    now: datetime,
    days: int,
    *,
    conversations: bool = True,
    team: str = "support",
) -> None:
    """`days` before `now` of one large team in the database at `url` (schema at head):
    surveys delivered evenly, 40 % answered, reasons and alerts on low scores (the last
    two weeks' partly open), each survey with its conversation unless told not to (the
    digest reads none: its surveys then point at conversation ids never written, as
    the SQLite bulk year's do); then ANALYZE."""
    surveys = int(responses / BULK_RESPONSE_RATE)
    start = int((now - timedelta(days=days)).timestamp())
    step = days * 86400 / surveys
    at = f"{start} + floor(s.id * {step})"
    delivered = _timestamp(at)
    answered = _timestamp(f"{at} + 600 + s.id % 7200")
    customer = f"'C' || (s.id * 31 % {BULK_CUSTOMERS})"
    series = f"generate_series(1::bigint, {surveys}::bigint) AS s(id)"
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '512MB'")
        # Replica mode skips the foreign keys' per-row triggers (the rows are consistent).
        await conn.execute("SET session_replication_role = replica")
        indexes = await _drop_secondary_indexes(conn)
        if conversations:
            await conn.execute(
                f"""
                INSERT INTO conversations (id, source, external_id, team, customer_id, agent_id,
                    closed_at, outcome)
                SELECT s.id, 'webhook', 'ZD-' || s.id, $1, {customer},
                    'UAGENT' || (s.id % {BULK_AGENTS}), {delivered}, 'survey'
                FROM {series}
                """,
                team,
            )
        await conn.execute(
            f"""
            INSERT INTO surveys (id, token, conversation_id, team, kind, customer_key,
                customer_id, agent_id, delivery, status, created_at, send_after, expires_at,
                attempts, delivered_at)
            SELECT s.id, 'b' || s.id, s.id, $1, 'csat', {customer}, {customer},
                'UAGENT' || (s.id % {BULK_AGENTS}), 'dm',
                CASE WHEN s.id % 5 < 2 THEN 'answered' ELSE 'delivered' END,
                {delivered}, {delivered}, {delivered}, 0, {delivered}
            FROM {series}
            """,
            team,
        )
        # The answers in time order, as they arrive: ids grow with answered_at.
        await conn.execute(
            f"""
            INSERT INTO responses (survey_id, team, kind, agent_id, customer_id, customer_value,
                score, comment, answered_at, account, account_name)
            SELECT s.id, $1, 'csat', 'UAGENT' || (s.id % {BULK_AGENTS}), {customer},
                CASE WHEN s.id * 31 % {BULK_CUSTOMERS} % 5 < 3
                     THEN 50 + (s.id * 31 % {BULK_CUSTOMERS}) % 40 * 50 END,
                {_score_case()}, {PG_COMMENT}, {answered},
                {_account("domain:co", ".example")}, {_account("co", ".example")}
            FROM {series}
            WHERE s.id % 5 < 2
            ORDER BY s.id
            """,
            team,
        )
        await conn.execute(
            f"""
            WITH codes(pick, reason) AS ({_reason_codes()})
            INSERT INTO response_reasons (response_id, reason)
            SELECT r.id, codes.reason FROM responses AS r
            JOIN codes ON codes.pick = {PG_REASON_PICK}
            WHERE r.score <= 2
            """
        )
        await conn.execute(
            """
            INSERT INTO alerts (survey_id, team, status, created_at, resolved_at)
            SELECT r.survey_id, r.team,
                CASE WHEN r.answered_at > $1 THEN
                    CASE r.survey_id % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'claimed'
                    ELSE 'resolved' END
                ELSE 'resolved' END,
                r.answered_at, r.answered_at
            FROM responses AS r WHERE r.score <= 2
            """,
            (now - timedelta(days=14)).replace(tzinfo=None),
        )
        for table in ("conversations", "surveys"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {surveys})")
        for ddl in indexes:
            await conn.execute(ddl)
        # Replica mode kept the tallies' triggers quiet: they are counted once, here.
        for statement in rebuild_statements("postgresql"):
            await conn.execute(statement)
        await conn.execute(f"VACUUM ANALYZE {', '.join((*SEEDED, *TALLIES))}")
    finally:
        await conn.close()
