"""The outbox on both stores: one survey per conversation, claims that never double-send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.surveys import ClosedConversation, CloseStatus, close_conversation
from bot.teams import Team
from storage import events
from storage import surveys as store
from storage.db import Database
from storage.statuses import Source

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TEAM = Team(name="support", support_channels=("C1",), delay_minutes=0, quiet_hours=None)


def a_close(
    external_id: str = "42", customer: str = "U1CUSTOMER", closed_at: datetime = NOW
) -> ClosedConversation:
    return ClosedConversation(
        source=Source.WEBHOOK,
        external_id=external_id,
        team=TEAM,
        closed_at=closed_at,
        customer_id=customer,
        agent_id="U2AGENT",
    )


async def test_the_database_allows_one_survey_per_conversation(db: Database) -> None:
    first, second = await asyncio.gather(
        close_conversation(db, a_close(), NOW), close_conversation(db, a_close(), NOW)
    )
    assert {first.status, second.status} == {CloseStatus.SCHEDULED, CloseStatus.DUPLICATE}
    assert first.survey_id == second.survey_id
    assert len(await store.all_surveys(db)) == 1


async def test_a_due_survey_is_claimed_by_exactly_one_dispatcher(db: Database) -> None:
    await close_conversation(db, a_close(), NOW)
    (survey_id,) = await store.due_survey_ids(db, NOW)
    lease = NOW + timedelta(minutes=5)
    claims = await asyncio.gather(
        *(store.claim_survey(db, survey_id, NOW, lease) for _ in range(4))
    )
    assert sum(claim is not None for claim in claims) == 1
    assert await store.due_survey_ids(db, NOW) == []


async def test_a_claim_left_by_a_dead_sender_is_taken_again_after_its_lease(db: Database) -> None:
    await close_conversation(db, a_close(), NOW)
    (survey_id,) = await store.due_survey_ids(db, NOW)
    assert await store.claim_survey(db, survey_id, NOW, NOW + timedelta(minutes=5))
    later = NOW + timedelta(minutes=6)
    assert await store.due_survey_ids(db, later) == [survey_id]
    assert await store.claim_survey(db, survey_id, later, later + timedelta(minutes=5))


async def test_the_throttle_window_spares_a_customer_a_second_survey(db: Database) -> None:
    assert (await close_conversation(db, a_close("1"), NOW)).status is CloseStatus.SCHEDULED
    later = NOW + timedelta(days=3)
    second = await close_conversation(db, a_close("2", closed_at=later), later)
    assert second.status is CloseStatus.THROTTLED
    much_later = NOW + timedelta(days=8)
    third = await close_conversation(db, a_close("3", closed_at=much_later), much_later)
    assert third.status is CloseStatus.SCHEDULED


async def test_a_repeated_event_id_is_seen_once(db: Database) -> None:
    assert await events.first_delivery(db, "Ev1", NOW)
    assert not await events.first_delivery(db, "Ev1", NOW)
    assert await events.forget_events_before(db, NOW + timedelta(hours=2)) == 1


async def test_times_come_back_as_aware_utc(db: Database) -> None:
    result = await close_conversation(db, a_close(), NOW)
    assert result.survey_id
    survey = await store.survey_by_token(db, result.survey_id)
    assert survey is not None
    assert survey.send_after == NOW
    assert survey.send_after.tzinfo is not None
