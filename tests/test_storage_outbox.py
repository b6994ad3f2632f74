"""The outbox on both stores: one survey per conversation, claims that never double-send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.delivery.closes import ClosedConversation, close_conversation
from bot.teams import Team
from storage import events, outbox
from storage import surveys as store
from storage.db import Database
from storage.vocabulary import CloseStatus, Source, SurveyStatus
from tests.contexts import in_workspace

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
        close_conversation(in_workspace(db, now=NOW), a_close()),
        close_conversation(in_workspace(db, now=NOW), a_close()),
    )
    assert {first.status, second.status} == {CloseStatus.SCHEDULED, CloseStatus.DUPLICATE}
    assert first.survey_id == second.survey_id
    assert len(await store.all_surveys(db)) == 1


async def test_a_due_survey_is_claimed_by_exactly_one_dispatcher(db: Database) -> None:
    await close_conversation(in_workspace(db, now=NOW), a_close())
    lease = NOW + timedelta(minutes=5)
    # Four dispatchers, each with its own engine as a replica would have.
    others = [Database(db.url) for _ in range(3)]
    try:
        claims = await asyncio.gather(
            *(outbox.claim_due(d, NOW, lease, limit=10) for d in (db, *others))
        )
    finally:
        for other in others:
            await other.dispose()
    assert sorted(len(claimed) for claimed in claims) == [0, 0, 0, 1]
    assert await outbox.claim_due(db, NOW, lease, limit=10) == []


async def test_a_claim_left_by_a_dead_sender_is_taken_again_after_its_lease(db: Database) -> None:
    await close_conversation(in_workspace(db, now=NOW), a_close())
    (first,) = await outbox.claim_due(db, NOW, NOW + timedelta(minutes=5), limit=10)
    assert await outbox.claim_due(db, NOW + timedelta(minutes=4), NOW, limit=10) == []
    later = NOW + timedelta(minutes=6)
    (again,) = await outbox.claim_due(db, later, later + timedelta(minutes=5), limit=10)
    assert again.id == first.id
    assert again.orphaned_since is not None  # a post may have reached Slack: look first


async def test_the_throttle_window_spares_a_customer_a_second_survey(db: Database) -> None:
    assert (
        await close_conversation(in_workspace(db, now=NOW), a_close("1"))
    ).status is CloseStatus.SCHEDULED
    later = NOW + timedelta(days=3)
    second = await close_conversation(in_workspace(db, now=later), a_close("2", closed_at=later))
    assert second.status is CloseStatus.THROTTLED
    much_later = NOW + timedelta(days=8)
    third = await close_conversation(
        in_workspace(db, now=much_later), a_close("3", closed_at=much_later)
    )
    assert third.status is CloseStatus.SCHEDULED


async def test_a_repeated_event_id_is_seen_once(db: Database) -> None:
    assert await events.first_delivery(db, "Ev1", NOW)
    assert not await events.first_delivery(db, "Ev1", NOW)
    assert await events.forget_events_before(db, NOW + timedelta(hours=2)) == 1


async def test_times_come_back_as_aware_utc(db: Database) -> None:
    result = await close_conversation(in_workspace(db, now=NOW), a_close())
    assert result.survey_id
    survey = await store.survey_by_token(db, result.survey_id)
    assert survey is not None
    assert survey.send_after == NOW
    assert survey.send_after.tzinfo is not None


# ------------------------------------------------------------ closes written together


async def test_closes_arriving_together_are_each_answered_as_if_alone(db: Database) -> None:
    """A burst shares transactions; what each close is told must not change for it."""
    await close_conversation(in_workspace(db, now=NOW), a_close("before", customer="U1ASKED"))
    closes = [
        a_close("a", customer="U1ANN"),
        a_close("a", customer="U1ANN"),  # the helpdesk retried at once: one survey
        a_close("b", customer="U1ANN"),  # Ann again: throttled by "a" in the same batch
        a_close("before", customer="U1ASKED"),  # stored before the burst: a duplicate
        a_close("c", customer="U1ASKED"),  # asked before the burst: throttled
        *(a_close(f"new-{n}", customer=f"U1NEW{n}") for n in range(20)),
    ]
    results = await asyncio.gather(
        *(close_conversation(in_workspace(db, now=NOW), c) for c in closes)
    )
    statuses = [r.status for r in results]
    assert statuses[:5] == [
        CloseStatus.SCHEDULED,
        CloseStatus.DUPLICATE,
        CloseStatus.THROTTLED,
        CloseStatus.DUPLICATE,
        CloseStatus.THROTTLED,
    ]
    assert statuses[5:] == [CloseStatus.SCHEDULED] * 20
    assert results[1].survey_id == results[0].survey_id
    surveys = await store.all_surveys(db)
    assert len(surveys) == 1 + 3 + 20  # "before", a, b, c and the twenty
    assert len({s.token for s in surveys}) == len(surveys)
    by_token = {s.token: s for s in surveys}
    assert by_token[results[0].survey_id or ""].customer_id == "U1ANN"
    # Due and claimable, one each: "before", "a" and the twenty.
    assert len(await outbox.claim_due(db, NOW, NOW + timedelta(minutes=5), limit=100)) == 22


async def test_a_close_stored_by_another_process_mid_batch_is_a_duplicate(db: Database) -> None:
    """Two processes (two engines) taking the same closes at once still store each once."""
    other = Database(db.url)
    try:
        ours, theirs = await asyncio.gather(
            asyncio.gather(
                *(
                    close_conversation(in_workspace(db, now=NOW), a_close(f"x{n}"))
                    for n in range(10)
                )
            ),
            asyncio.gather(
                *(
                    close_conversation(in_workspace(other, now=NOW), a_close(f"x{n}"))
                    for n in range(10)
                )
            ),
        )
    finally:
        await other.dispose()
    for mine, its in zip(ours, theirs, strict=True):
        assert {mine.status, its.status} <= {
            CloseStatus.SCHEDULED,
            CloseStatus.THROTTLED,
            CloseStatus.DUPLICATE,
        }
        assert mine.survey_id == its.survey_id
    surveys = await store.all_surveys(db)
    assert len(surveys) == 10
    # One customer, asked once.
    assert [s.status for s in surveys].count(SurveyStatus.SCHEDULED) == 1
