"""Answers and alerts on both stores: one answer per survey, history kept, one claim wins."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.delivery.closes import ClosedConversation, close_conversation
from bot.teams import Team
from storage import alerts, outbox, surveys
from storage import answers as store
from storage.alerts import AlertRecord
from storage.db import Database
from storage.vocabulary import Source
from tests.contexts import in_workspace

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TEAM = Team(name="support", delay_minutes=0, quiet_hours=None, throttle_days=0)


def always(_old: int, _new: int) -> bool:
    return True


def never(_old: int, _new: int) -> bool:
    return False


async def delivered_survey(db: Database, external_id: str = "42") -> surveys.SurveyRecord:
    closed = ClosedConversation(
        source=Source.WEBHOOK,
        external_id=external_id,
        team=TEAM,
        closed_at=NOW,
        customer_id="U1CUSTOMER",
        agent_id="U2AGENT",
        customer_value=250.0,
    )
    result = await close_conversation(in_workspace(db, now=NOW), closed)
    assert result.survey_id is not None
    survey = await surveys.survey_by_token(db, result.survey_id)
    assert survey is not None and survey.id is not None
    await outbox.mark_delivered(
        db, survey.id, channel_id="D1", message_ts="1.000001", at=NOW, customer_id="U1CUSTOMER"
    )
    fresh = await surveys.get_survey(db, survey.id)
    assert fresh is not None
    return fresh


async def test_a_click_stores_the_answer_with_the_customer_value_and_history(
    db: Database,
) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    click = await store.record_click(db, survey, 2, action_ts="1.1", at=NOW, keeps_follow_up=always)
    assert click is not None and click.changed and click.previous_score is None
    assert (click.response.score, click.response.customer_value) == (2, 250.0)
    assert click.response.agent_id == "U2AGENT" and click.response.team == "support"
    stored = await surveys.get_survey(db, survey.id)
    assert stored is not None and stored.status == "answered"
    assert [c.score for c in await store.answer_history(db, survey.id)] == [2]


async def test_a_change_of_mind_counts_and_the_first_answer_stays_in_history(
    db: Database,
) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    await store.record_click(db, survey, 1, action_ts="1.1", at=NOW, keeps_follow_up=always)
    await store.save_follow_up(db, survey.id, reasons=["slow_response"], comment="meh", at=NOW)
    later = NOW + timedelta(minutes=3)
    click = await store.record_click(
        db, survey, 5, action_ts="1.2", at=later, keeps_follow_up=never
    )
    assert click is not None and click.changed and click.previous_score == 1
    assert click.response.score == 5 and click.response.answered_at == later
    # The complaint does not fit a top score: it is not carried over as praise.
    assert click.response.comment is None and click.response.reasons == ()
    assert [c.score for c in await store.answer_history(db, survey.id)] == [1, 5]


async def test_double_clicks_and_retries_store_one_answer(db: Database) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    clicks = await asyncio.gather(
        *(
            store.record_click(db, survey, 4, action_ts=ts, at=NOW, keeps_follow_up=always)
            for ts in ("1.1", "1.1", "1.2", "1.1")
        )
    )
    assert sum(bool(c and c.changed) for c in clicks) == 1
    assert len(await store.answer_history(db, survey.id)) == 1


async def test_a_late_retry_of_an_earlier_click_does_not_undo_a_change_of_mind(
    db: Database,
) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    await store.record_click(db, survey, 2, action_ts="1.1", at=NOW, keeps_follow_up=always)
    await store.record_click(db, survey, 4, action_ts="1.2", at=NOW, keeps_follow_up=always)
    retry = await store.record_click(db, survey, 2, action_ts="1.1", at=NOW, keeps_follow_up=always)
    assert retry is not None and not retry.changed and retry.response.score == 4


async def test_an_expired_survey_takes_no_answer(db: Database) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    assert await store.overdue_unanswered(db, NOW + timedelta(days=8)) != []
    assert await store.expire_unanswered(db, survey.id)
    assert not await store.expire_unanswered(db, survey.id)
    click = await store.record_click(db, survey, 3, action_ts="1.1", at=NOW, keeps_follow_up=always)
    assert click is None
    assert await store.response_for(db, survey.id) is None


async def test_an_answered_survey_is_not_expired_by_the_sweep(db: Database) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    await store.record_click(db, survey, 3, action_ts="1.1", at=NOW, keeps_follow_up=always)
    assert await store.overdue_unanswered(db, NOW + timedelta(days=8)) == []
    assert not await store.expire_unanswered(db, survey.id)


async def test_kudos_are_claimed_once_per_answer_however_often_the_words_change(
    db: Database,
) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None
    assert await store.save_follow_up(db, survey.id, reasons=[], comment="x", at=NOW) is None
    await store.record_click(db, survey, 5, action_ts="1.1", at=NOW, keeps_follow_up=always)
    first = await store.save_follow_up(db, survey.id, reasons=[], comment="Great help", at=NOW)
    assert first is not None and first.comment == "Great help"
    assert await store.claim_kudos(db, survey.id, NOW)
    again = await store.save_follow_up(db, survey.id, reasons=[], comment="Really great", at=NOW)
    assert again is not None and again.comment == "Really great"
    assert not await store.claim_kudos(db, survey.id, NOW)


async def test_one_alert_per_survey_and_one_claim_wins(db: Database) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None

    def alert() -> Coroutine[Any, Any, AlertRecord | None]:
        return alerts.create_alert(
            db, survey_id=survey.id, team="support", channel_id=None, created_at=NOW
        )

    made = await asyncio.gather(alert(), alert())
    (created,) = [a for a in made if a is not None]
    assert created.id is not None
    assert await alerts.set_alert_message(db, created.id, "C1", "2.000001")
    assert not await alerts.set_alert_message(db, created.id, "C1", "2.000002")

    claims = await asyncio.gather(
        *(alerts.claim_alert(db, created.id, user, NOW) for user in ("U1", "U2", "U3"))
    )
    assert claims.count(True) == 1
    assert await alerts.resolve_alert(db, created.id, "U9", NOW)
    assert not await alerts.resolve_alert(db, created.id, "U9", NOW)
    assert not await alerts.claim_alert(db, created.id, "U4", NOW)
    final = await alerts.alert_for_survey(db, survey.id)
    assert final is not None and final.status == "resolved" and final.resolved_by == "U9"
    assert final.claimed_by in ("U1", "U2", "U3") and final.message_ts == "2.000001"


async def test_the_latest_click_wins_whatever_order_the_clicks_arrive_in(db: Database) -> None:
    survey = await delivered_survey(db)
    assert survey.id is not None

    async def click(score: int, action_ts: str) -> store.Click | None:
        return await store.record_click(
            db, survey, score, action_ts=action_ts, at=NOW, keeps_follow_up=always
        )

    # Clicked 5, then 2, then 5 again, then 2; Slack hands them over shuffled.
    await click(5, "1763900000.000100")
    await click(5, "1763900002.5")  # the third click: the same answer, later
    late = await click(2, "1763900001.999999")  # the second click, arriving late
    assert late is not None and late.superseded and not late.changed
    assert late.response.score == 5
    last = await click(2, "1763900002.500001")
    assert last is not None and last.changed and last.response.score == 2
    early = await click(5, "1763900000.000100")  # the first, retried by Slack
    assert early is not None and not early.changed and early.response.score == 2
    assert [c.score for c in await store.answer_history(db, survey.id)] == [5, 2]
