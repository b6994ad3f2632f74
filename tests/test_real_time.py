"""In real time, at Slack's limits: surveys go out the moment they are due, every Slack
call keeps to its tier (shared by processes), an outage loses nothing, /metrics tells."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.pacing import NoSlotInTime, Pacer
from sandbox import FakeSlack
from storage import surveys as store
from storage.db import Database
from storage.pacing import PaceStores
from tests.harness import CUSTOMER, TEAMS_TOML, Bot, running_bot
from tests.waiting import wait_until

DM_TEAM = TEAMS_TOML.replace('delivery = "thread"', 'delivery = "dm"')


def close(n: int, customer: str = CUSTOMER) -> dict[str, Any]:
    return {"conversation_id": f"ZD-{n}", "customer": {"slack_user_id": customer}}


async def all_delivered(bot: Bot, count: int) -> bool:
    surveys = await store.all_surveys(bot.workspace.db)
    return len(surveys) == count and all(s.status == "delivered" for s in surveys)


async def test_a_close_due_now_is_delivered_without_waiting_for_the_timer(
    slack: FakeSlack, sqlite_url: str
) -> None:
    # The safety tick is half a minute away: only the close itself can wake the dispatcher.
    async with running_bot(slack, sqlite_url, dispatch_interval_seconds=30) as bot:
        await asyncio.sleep(0.3)  # the dispatcher has looked at an empty outbox and sleeps
        status, body = await bot.send_webhook(close(1))
        assert (status, body["status"]) == (202, "scheduled")
        (post,) = await slack.wait_for("chat.postMessage", timeout=3)
        assert post.args["metadata"] == {
            "event_type": "surveybot_survey",
            "event_payload": {"survey": body["survey_id"]},
        }


async def test_the_pace_holds_a_method_under_its_tier_and_two_processes_share_it(
    db: Database,
) -> None:
    # conversations.open is Tier 3: 50 a minute. Slack's minute runs in one second here.
    second_process = Database(db.url)
    pacers = [Pacer(PaceStores(d), compression=60) for d in (db, second_process)]
    went: list[float] = []

    async def call(pacer: Pacer) -> None:
        await pacer.wait_turn("T0001", "conversations.open")
        went.append(time.monotonic())

    await asyncio.gather(*(call(pacers[n % 2]) for n in range(80)))
    await second_process.dispose()
    went.sort()
    # In no (compressed) minute more than the tier, counted over both processes.
    busiest = max(sum(1 for t in went if start <= t < start + 1.0) for start in went)
    assert busiest <= 50
    # Each alone would have let 50 through at once; together they were held to one pace.
    assert went[-1] - went[0] > 0.5


async def test_a_call_with_a_deadline_goes_at_once_or_not_at_all_and_books_nothing(
    db: Database,
) -> None:
    # views.open: 100 a minute, 10 at once, then one every 0.68 s.
    pacer = Pacer(PaceStores(db))
    for _ in range(10):
        assert await pacer.wait_turn("T0001", "views.open", within=0.0) == 0.0
    with pytest.raises(NoSlotInTime):
        await pacer.wait_turn("T0001", "views.open", within=0.01)
    # The refused call left the next slot free: one waiting up to a second takes it.
    waited = await pacer.wait_turn("T0001", "views.open", within=1.0)
    assert 0 < waited < 1.0
    # A person's Home clicks: a few at once, then no more for now.
    assert [await pacer.person_may_click("T0001", "U0LEAD") for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert await pacer.person_may_click("T0001", "U0OTHER")


async def test_a_burst_of_closes_is_sent_once_each_at_slacks_pace(
    slack: FakeSlack, sqlite_url: str
) -> None:
    slack.enforce_tiers(compression=60)
    count = 500
    for n in range(count):
        slack.add_user(f"U0B{n:05d}", tz="UTC")
    async with running_bot(slack, sqlite_url, teams_toml=DM_TEAM, pace_compression=60) as bot:
        for start in range(0, count, 50):
            replies = await asyncio.gather(
                *(bot.send_webhook(close(n, f"U0B{n:05d}")) for n in range(start, start + 50))
            )
            assert {status for status, _ in replies} == {202}
        # Counted twice a second: reading 500 rows every 20 ms would slow the bot it watches.
        await wait_until(
            lambda: all_delivered(bot, count), timeout=90, interval=0.5, what="every survey"
        )
    posted = slack.surveys_posted()
    assert len(posted) == count and set(posted.values()) == {1}
    assert len(slack.rate_limited) <= len(slack.calls) // 100  # no 429 storm


# A 503 is transient whatever its body says, even a code nobody listed.
@pytest.mark.parametrize("error", ["service_unavailable", "upstream_connect_error"])
async def test_a_long_outage_loses_no_survey_and_logs_one_warning_per_survey(
    slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    caplog.set_level(logging.INFO, logger="surveybot")
    async with running_bot(slack, sqlite_url, teams_toml=DM_TEAM, retry_first_seconds=0.01) as bot:
        slack.fail_next("chat.postMessage", count=100_000, status=503, error=error)
        for n in range(5):
            slack.add_user(f"U0OUT{n}", tz="UTC")
            assert (await bot.send_webhook(close(n, f"U0OUT{n}")))[0] == 202

        async def outlasted_five_attempts() -> bool:
            surveys = await store.all_surveys(bot.workspace.db)
            return len(surveys) == 5 and all(s.attempts > 5 for s in surveys)

        await wait_until(outlasted_five_attempts, timeout=30, what="more than 5 attempts each")
        surveys = await store.all_surveys(bot.workspace.db)
        assert {s.status for s in surveys} <= {"scheduled", "sending"}
        assert {s.last_error for s in surveys} == {error}
        slack.heal()
        await wait_until(lambda: all_delivered(bot, 5), timeout=30, what="delivery after")
    assert set(slack.surveys_posted().values()) == {1} and len(slack.surveys_posted()) == 5
    # One line per survey when its trouble started, not one per attempt.
    retries = [r for r in caplog.records if r.getMessage().startswith("survey delivery retry")]
    assert len(retries) == 5 and {r.levelno for r in retries} == {logging.WARNING}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_metrics_parse_and_count_a_rate_limited_call(bot: Bot, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    await bot.send_webhook(close(1))
    await slack.wait_for("chat.postMessage", 2)
    await wait_until(lambda: all_delivered(bot, 1), what="the survey delivered")
    status, text = await bot.get("/metrics")
    assert status == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    calls = "surveybot_slack_api_calls_total"
    assert samples[(calls, (("method", "chat.postMessage"), ("outcome", "429")))] == 1
    assert samples[(calls, (("method", "chat.postMessage"), ("outcome", "ok")))] == 1
    assert samples[("surveybot_surveys", (("status", "delivered"),))] == 1
    assert samples[("surveybot_outbox_depth", ())] == 0
    assert samples[("surveybot_dispatch_lag_seconds_count", ())] == 1
    assert ("surveybot_ack_seconds_count", ()) in samples
