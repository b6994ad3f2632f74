"""Seeding answered surveys, deliveries and alerts for the digest tests.

The week every test reads: team "support" in Europe/Berlin (UTC+1 in November),
ISO week 2026-W47 = Monday 16 Nov 00:00 local (15 Nov 23:00 UTC) to Monday 23 Nov.
The digest fires Monday 23 Nov 09:00 local = 08:00 UTC.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.teams import Team
from sandbox import FakeSlack
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

TEAM = Team(
    name="support",
    digest_channel="C0DIGEST",
    timezone="Europe/Berlin",
    digest_schedule="mon 09:00",
    chart="image",  # the PNG upload; test_chart_is_native_by_default covers the block
)
WEEK = "2026-W47"
WEEK_START = datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
FIRES_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DIGEST = "C0DIGEST"
AGENTS = ("UAGENTA", "UAGENTB")
HOSTILE = "<!channel> <https://evil.example|bank> nobody answered"
PRAISE = "Ana fixed our SSO in ten minutes, thank you!"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Answer:
    score: int
    agent: str | None = None
    customer: str | None = None
    value: float | None = None
    reasons: str | None = None  # comma-separated codes, as the follow-up gives them
    comment: str | None = None


async def add_answer(
    db: Database,
    answer: Answer,
    answered_at: datetime,
    *,
    team: str = "support",
    kind: str = "csat",
    delivered_at: datetime | None = None,
) -> int:
    """A closed conversation, its delivered survey and the answer that counts."""
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
    db: Database, delivered_at: datetime, count: int, *, team: str = "support"
) -> None:
    async with db.session() as session:
        for _ in range(count):
            n = next(_ids)
            conversation = Conversation(
                source=Source.WEBHOOK,
                external_id=f"seed-{n}",
                team=team,
                customer_id=f"U{n}",
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
                    customer_key=f"U{n}",
                    customer_id=f"U{n}",
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
    team: str = "support",
) -> None:
    async with db.session() as session:
        session.add(
            Alert(
                survey_id=survey_id,
                team=team,
                status=AlertStatus(status),
                created_at=created_at,
                resolved_at=resolved_at,
            )
        )
        await session.commit()


# The seeded week, by hand (CSAT 4–5 = satisfied, 1–2 = low, 5 = high):
#   W47: 10 answers 5,5,5,4,4,4,3,2,1,1 -> 6 satisfied -> CSAT 60 %, 3 low (2,1,1)
#   W46:  8 answers 5,4,4,3,3,2,1,1     -> 3 satisfied -> 37.5 %   => up 22.5 pts
#   Delivered in W47: the 10 answered + 15 unanswered = 25 -> response rate 10/25 = 40 %
#   Reasons in W47 (overall 60 %, 10 answers; the score without the answers citing them):
#     not_resolved  scores 2,1 -> 6 of the other 8 satisfied = 75 % (ties slow_response)
#     slow_response scores 2,1 -> 75 %
#     unclear_answer score 3   -> 6 of 9 = 66.7 %
#   Customer value: C1..C7 at 100, C8 at 200, C9 at 300 (C9 answered twice, counted once)
#     total 1200; unhappy (score 1–2): C8, C9 -> 500 -> at risk 500 × 0.95 = 475
#     per lost point: 1200 / 100 × 0.95 = 11.4
#   Agents: UAGENTA 5,5,4,4,2,1 -> 6 answers, 4 satisfied (66.7 %, Wilson 30–90 %)
#           UAGENTB 5,4,3,1     -> 4 answers: below the minimum sample of 5, no figure
THIS_WEEK: list[tuple[Answer, datetime]] = [
    # Monday 00:30 in Berlin is still Sunday in UTC: it belongs to W47.
    (
        Answer(5, "UAGENTA", "C1", 100, comment=PRAISE),
        datetime(2026, 11, 15, 23, 30, tzinfo=UTC),
    ),
    (Answer(5, "UAGENTB", "C2", 100, comment="Great help."), WEEK_START + timedelta(days=1)),
    (Answer(5, "UAGENTA", "C3", 100), WEEK_START + timedelta(days=1, hours=1)),
    (Answer(4, "UAGENTB", "C4", 100, comment="ok"), WEEK_START + timedelta(days=1, hours=2)),
    (Answer(4, "UAGENTA", "C5", 100), WEEK_START + timedelta(days=2)),
    (Answer(4, "UAGENTA", "C6", 100), WEEK_START + timedelta(days=2, hours=1)),
    (Answer(3, "UAGENTB", "C7", 100, "unclear_answer"), WEEK_START + timedelta(days=3)),
    (
        Answer(2, "UAGENTA", "C8", 200, "slow_response,not_resolved", "Took two days to answer."),
        WEEK_START + timedelta(days=3, hours=1),
    ),
    (Answer(1, "UAGENTA", "C9", 300, "slow_response", HOSTILE), WEEK_START + timedelta(days=4)),
    (
        Answer(1, "UAGENTB", "C9", 300, "not_resolved", "Still broken."),
        WEEK_START + timedelta(days=5),
    ),
]
LAST_WEEK_SCORES = [
    (5, None),
    (4, None),
    (4, None),
    (3, "slow_response"),
    (3, None),
    (2, "slow_response"),
    (1, "slow_response"),
    (1, "slow_response,other"),
]


async def seed_week(db: Database) -> None:
    """The week above, the week before, one answer just after, deliveries and alerts."""
    ids = [await add_answer(db, answer, at) for answer, at in THIS_WEEK]
    for i, (score, reasons) in enumerate(LAST_WEEK_SCORES):
        at = WEEK_START - timedelta(days=6, hours=-i)
        await add_answer(db, Answer(score, "UAGENTA", f"P{i}", reasons=reasons), at)
    # Monday 23 Nov 00:30 in Berlin: already W48, not in the digest.
    await add_answer(db, Answer(1, "UAGENTB"), datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    await add_unanswered(db, WEEK_START + timedelta(days=2), 15)
    # Still waiting when the digest fires: one open for 2 days, one claimed for 5 hours.
    await add_alert(db, ids[8], "open", FIRES_AT - timedelta(days=2))
    await add_alert(db, ids[9], "claimed", FIRES_AT - timedelta(hours=5))
    await add_alert(
        db,
        ids[7],
        "resolved",
        WEEK_START + timedelta(days=3),
        resolved_at=WEEK_START + timedelta(days=3, hours=2),
    )


def seed_digest_slack(slack: FakeSlack) -> None:
    """The digest channel and the agents the digest names."""
    slack.add_channel(DIGEST)
    for agent in AGENTS:
        slack.add_user(agent, name=agent.lower())
