"""One seeder of support history, for the tests, the benchmarks and the sandbox.

- `add_answer`, `add_unanswered`, `add_alert`: single rows, for hand-computed weeks;
- `seed_weeks`: several weeks of a realistic team through the ORM (the sandbox's
  eight weeks: agents, customers, reasons, comments, a few open alerts);
- `fill_year`: a year of a large team in bulk SQL on a SQLite file (the benchmarks).

Both generators draw scores from one distribution and reasons from one list.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from storage.db import Database
from storage.models import Alert, Conversation, Response, ResponseReason, Survey
from storage.vocabulary import (
    AlertStatus,
    ConversationOutcome,
    Delivery,
    Source,
    SurveyKind,
    SurveyStatus,
)

# A CSAT week of a good team, out of 1000 answers (the benchmarks' SQL uses these).
SCORE_SHARES: Final = ((5, 450), (4, 300), (3, 100), (2, 70), (1, 80))
# Low scores give one reason, or two (slow and not resolved): eight equally likely picks.
REASON_PICKS: Final[tuple[tuple[str, ...], ...]] = (
    ("slow_response",),
    ("not_resolved",),
    ("unclear_answer",),
    ("repeated_myself",),
    ("agent_attitude",),
    ("hard_to_reach",),
    ("slow_response", "not_resolved"),
    ("other",),
)
PRAISE: Final = (
    "Thanks a lot, that was quick and clear.",
    "{agent} understood the problem at once and walked me through the fix.",
    "Fixed before I finished my coffee. Great support!",
    "Really patient with my questions, thank you {agent}.",
    "Clear answer with a link to the docs, exactly what I needed.",
)
COMPLAINTS: Final = (
    "It took two days to get a first answer.",
    "I had to explain the problem three times to three people.",
    "The workaround does not work and nobody came back to me.",
    "The answer was copied from the FAQ and did not fit my case.",
    "Still broken after a week.",
)

OPEN_ALERTS: Final = 3  # alerts of the latest low scores still open or claimed

_ids = itertools.count(1)


@dataclass(frozen=True)
class Answer:
    score: int
    agent: str | None = None
    customer: str | None = None
    value: float | None = None
    reasons: str | None = None  # comma-separated codes, as the follow-up gives them
    comment: str | None = None
    account: tuple[str, str] | None = None  # the customer's company: its key and name


async def add_answer(
    db: Database,
    answer: Answer,
    answered_at: datetime,
    *,
    team: str = "support",
    kind: str = "csat",
    delivered_at: datetime | None = None,
) -> int:
    """A closed conversation, its delivered survey and the answer that counts; the survey id."""
    n = next(_ids)
    delivered = delivered_at or answered_at - timedelta(minutes=5)
    async with db.session() as session:
        conversation = Conversation(
            source=Source.WEBHOOK,
            external_id=f"seed-{n}",
            team=team,
            customer_id=answer.customer,
            agent_id=answer.agent,
            closed_at=delivered,
            customer_value=answer.value,
            outcome=ConversationOutcome.SURVEY,
        )
        session.add(conversation)
        await session.flush()
        assert conversation.id is not None
        survey = Survey(
            token=f"tok{n}",
            conversation_id=conversation.id,
            team=team,
            kind=SurveyKind(kind),
            customer_key=answer.customer or f"anon{n}",
            customer_id=answer.customer,
            agent_id=answer.agent,
            delivery=Delivery.DM,
            status=SurveyStatus.ANSWERED,
            created_at=delivered,
            send_after=delivered,
            expires_at=delivered + timedelta(days=7),
            delivered_at=delivered,
            account=answer.account[0] if answer.account else None,
            account_name=answer.account[1] if answer.account else None,
        )
        session.add(survey)
        await session.flush()
        assert survey.id is not None
        response = Response(
            survey_id=survey.id,
            team=team,
            kind=SurveyKind(kind),
            agent_id=answer.agent,
            customer_id=answer.customer,
            customer_value=answer.value,
            score=answer.score,
            comment=answer.comment,
            answered_at=answered_at,
            account=answer.account[0] if answer.account else None,
            account_name=answer.account[1] if answer.account else None,
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        for code in (answer.reasons or "").split(","):
            if code:
                session.add(ResponseReason(response_id=response.id, reason=code))
        await session.commit()
        return survey.id


async def add_unanswered(
    db: Database,
    delivered_at: datetime,
    count: int,
    *,
    team: str = "support",
    customers: Sequence[str] = (),
) -> None:
    """`count` surveys delivered and not (yet) answered: they lower the response rate."""
    async with db.session() as session:
        for i in range(count):
            n = next(_ids)
            customer = customers[i % len(customers)] if customers else f"U{n}"
            conversation = Conversation(
                source=Source.WEBHOOK,
                external_id=f"seed-{n}",
                team=team,
                customer_id=customer,
                closed_at=delivered_at,
                outcome=ConversationOutcome.SURVEY,
            )
            session.add(conversation)
            await session.flush()
            assert conversation.id is not None
            session.add(
                Survey(
                    token=f"tok{n}",
                    conversation_id=conversation.id,
                    team=team,
                    kind=SurveyKind.CSAT,
                    customer_key=customer,
                    customer_id=customer,
                    delivery=Delivery.DM,
                    status=SurveyStatus.DELIVERED,
                    created_at=delivered_at,
                    send_after=delivered_at,
                    expires_at=delivered_at + timedelta(days=7),
                    delivered_at=delivered_at,
                )
            )
        await session.commit()


async def add_alert(
    db: Database,
    survey_id: int,
    status: str,
    created_at: datetime,
    *,
    resolved_at: datetime | None = None,
    claimed_by: str | None = None,
    team: str = "support",
) -> None:
    async with db.session() as session:
        session.add(
            Alert(
                survey_id=survey_id,
                team=team,
                status=AlertStatus(status),
                created_at=created_at,
                claimed_by=claimed_by,
                claimed_at=created_at + timedelta(hours=1) if claimed_by else None,
                resolved_at=resolved_at,
            )
        )
        await session.commit()


def pick_score(draw: int) -> int:
    """The score for a draw in 0..999, per SCORE_SHARES."""
    for score, share in SCORE_SHARES:
        if draw < share:
            return score
        draw -= share
    return 1


@dataclass(frozen=True)
class Seeded:
    answers: int
    unanswered: int
    open_alerts: int


async def seed_weeks(
    db: Database,
    *,
    now: datetime,
    agents: Sequence[str],
    customers: Sequence[str],
    weeks: int = 8,
    team: str = "support",
    names: dict[str, str] | None = None,
    seed: int = 8,
    accounts: Mapping[str, tuple[str, str]] | None = None,
) -> Seeded:
    """`weeks` weeks before `now` of one team: about 25 answers a week getting slowly
    better, 40 % answered, reasons and comments on low and high scores, customer values,
    an alert on every low score (the three latest still open or claimed). `accounts`:
    each customer's company (key, name), where it is known."""
    rng = random.Random(seed)
    names = names or {}
    accounts = accounts or {}
    answers = unanswered = 0
    low: list[tuple[int, datetime, str]] = []  # every low score: its survey, when, whose
    for week in range(weeks, 0, -1):
        start = now - timedelta(weeks=week)
        # Older weeks a little worse, so the trend chart climbs toward today.
        worse = week * 18
        for _ in range(rng.randint(20, 30)):
            at = start + timedelta(minutes=rng.randint(60, 7 * 24 * 60 - 60))
            agent = rng.choice(agents)
            customer = rng.choice(customers)
            score = pick_score(min(999, rng.randrange(1000) + rng.randrange(worse + 1)))
            reasons = comment = None
            if score <= 2:
                reasons = ",".join(rng.choice(REASON_PICKS))
                comment = rng.choice(COMPLAINTS) if rng.random() < 0.7 else None
            elif score == 5 and rng.random() < 0.4:
                comment = rng.choice(PRAISE).format(agent=names.get(agent, "the agent"))
            value = float(rng.choice((50, 100, 100, 200, 400)))
            answer = Answer(score, agent, customer, value, reasons, comment, accounts.get(customer))
            survey_id = await add_answer(db, answer, at, team=team)
            answers += 1
            if score <= 2:
                low.append((survey_id, at, agent))
        # 40 % answered: about 1.5 surveys left unanswered per answer, delivered midweek.
        left = rng.randint(30, 45)
        await add_unanswered(
            db, start + timedelta(days=3), left, team=team, customers=list(customers)
        )
        unanswered += left
    # Every low score raised an alert; the three latest are still being dealt with.
    low.sort(key=lambda item: item[1])
    for n, (survey_id, at, agent) in enumerate(reversed(low)):
        if n < OPEN_ALERTS:
            claimed = n % 2 == 1
            status, by = ("claimed", agent) if claimed else ("open", None)
            await add_alert(db, survey_id, status, at, claimed_by=by, team=team)
        else:
            done = at + timedelta(hours=rng.randint(1, 30))
            await add_alert(db, survey_id, "resolved", at, resolved_at=done, team=team)
    return Seeded(answers, unanswered, min(OPEN_ALERTS, len(low)))


# ---------------------------------------------------------------- bulk, for benches

BULK_DAYS: Final = 365
BULK_RESPONSE_RATE: Final = 0.4  # 2.5 surveys delivered per answer
BULK_AGENTS: Final = 40
BULK_CUSTOMERS: Final = 25_000

# Deterministic pseudo-random per row: random() may be evaluated more than once per
# row once SQLite flattens the subquery, which would make score and reasons disagree.
_R: Final = "((s.id * {a} + {b}) % 1000)"


def _score_case() -> str:
    draw = _R.format(a=7919, b=13)
    bound, whens = 0, []
    for score, share in SCORE_SHARES[:-1]:
        bound += share
        whens.append(f"WHEN {draw} < {bound} THEN {score}")
    return f"CASE {' '.join(whens)} ELSE {SCORE_SHARES[-1][0]} END"


def _reason_codes() -> str:
    rows = [f"({i}, '{code}')" for i, pick in enumerate(REASON_PICKS) for code in pick]
    return "VALUES " + ", ".join(rows)


REASON_PICK: Final = _R.format(a=104729, b=7).replace("s.id", "r.survey_id") + " % 8"
COMMENT: Final = f"""CASE WHEN {_R.format(a=15485863, b=3)} < 300 THEN
    substr('Thanks a lot, that was quick and clear. The agent understood the problem at once '
           || 'and walked me through the fix step by step.', 1, 20 + s.id % 100)
    END"""


def _timestamp(expr: str) -> str:
    # SQLAlchemy's SQLite DateTime text format, so string comparison matches the bounds.
    return f"strftime('%Y-%m-%d %H:%M:%S', {expr}, 'unixepoch') || '.000000'"


# Bulk customers belong to this many companies; one in ten writes from a public mail
# domain and has no account.
BULK_ACCOUNTS = 300


def _account(prefix: str, suffix: str) -> str:
    customer = f"(s.id * 31 % {BULK_CUSTOMERS})"
    return (
        f"CASE WHEN {customer} % 10 = 0 THEN NULL "
        f"ELSE '{prefix}' || ({customer} % {BULK_ACCOUNTS}) || '{suffix}' END"
    )


def fill_year(path: Path, responses: int, now: datetime, *, team: str = "support") -> None:
    """A year before `now` of one large team in the SQLite file at `path` (schema at
    head): surveys delivered evenly, 40 % answered, alerts on low scores (the last two
    weeks' partly open), in bulk INSERT … SELECT, no ORM objects."""
    surveys = int(responses / BULK_RESPONSE_RATE)
    start = int((now - timedelta(days=BULK_DAYS)).timestamp())
    step = BULK_DAYS * 86400 / surveys
    delivered = _timestamp(f"{start} + CAST(s.id * {step} AS INTEGER)")
    answered = _timestamp(f"{start} + CAST(s.id * {step} AS INTEGER) + 600 + s.id % 7200")
    customers, agents = BULK_CUSTOMERS, BULK_AGENTS
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")  # conversations come with give_conversations
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.execute(
            f"""
            WITH RECURSIVE seq(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM seq WHERE id < ?)
            INSERT INTO surveys (id, token, conversation_id, team, kind, customer_key,
                customer_id, agent_id, delivery, status, created_at, send_after, expires_at,
                attempts, delivered_at)
            SELECT s.id, 'b' || s.id, s.id, ?, 'csat', 'C' || (s.id * 31 % {customers}),
                'C' || (s.id * 31 % {customers}), 'UAGENT' || (s.id % {agents}), 'dm',
                CASE WHEN s.id % 5 < 2 THEN 'answered' ELSE 'delivered' END,
                {delivered}, {delivered}, {delivered}, 0, {delivered}
            FROM seq AS s
            """,
            (surveys, team),
        )
        conn.execute(
            f"""
            INSERT INTO responses (survey_id, team, kind, agent_id, customer_id, customer_value,
                score, comment, answered_at, account, account_name)
            SELECT s.id, s.team, s.kind, s.agent_id, s.customer_id,
                CASE WHEN s.id * 31 % {customers} % 5 < 3
                     THEN 50 + (s.id * 31 % {customers}) % 40 * 50 END,
                score, {COMMENT}, {answered},
                {_account("domain:co", ".example")}, {_account("co", ".example")}
            FROM (SELECT s.*, {_score_case()} AS score FROM surveys AS s WHERE s.id % 5 < 2)
                AS s
            """
        )
        conn.execute(
            f"""
            WITH codes(pick, reason) AS ({_reason_codes()})
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
            ((now - timedelta(days=14)).strftime("%Y-%m-%d %H:%M:%S.000000"),),
        )
    conn.execute("ANALYZE")
    conn.close()


def give_conversations(path: Path) -> None:
    """Give every bulk survey its conversation (the drill-down links each answer to it)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.execute(
            """
            INSERT INTO conversations (id, source, external_id, team, customer_id, agent_id,
                closed_at, outcome)
            SELECT s.conversation_id, 'webhook', 'ZD-' || s.id, s.team, s.customer_id,
                s.agent_id, s.created_at, 'survey'
            FROM surveys AS s
            """
        )
    conn.execute("ANALYZE")
    conn.close()
