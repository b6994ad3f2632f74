"""Surveys go out: every source, through the real bot, against the fake Slack."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sandbox import FakeSlack
from sandbox.payloads import message_shortcut
from storage import surveys as store
from storage.models import Conversation
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, TEAMS_TOML, Bot, Clock, running_bot
from tests.waiting import wait_until

ROOT_TS = "1763900000.000100"


def reaction(
    user: str = AGENT, name: str = "white_check_mark", ts: str = ROOT_TS
) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": CUSTOMER,
        "item": {"type": "message", "channel": SUPPORT_CHANNEL, "ts": ts},
        "event_ts": "1763900100.000200",
    }


def webhook_close(conversation_id: str = "ZD-1001", **extra: Any) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "customer": {"slack_user_id": CUSTOMER},
        "agent": {"slack_user_id": AGENT},
        **extra,
    }


def survey_buttons(message: dict[str, Any]) -> list[str]:
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    return [element["text"]["text"] for element in actions["elements"]]


async def conversations(bot: Bot) -> list[Conversation]:
    from sqlalchemy import select

    async with bot.workspace.db.session() as session:
        return list((await session.execute(select(Conversation))).scalars().all())


async def survey_status_is(bot: Bot, status: str) -> bool:
    """Whether the one survey has reached `status` (written after Slack answers)."""
    (survey,) = await store.all_surveys(bot.workspace.db)
    return survey.status == status


async def attempts_recorded(bot: Bot, attempts: int) -> bool:
    (survey,) = await store.all_surveys(bot.workspace.db)
    return survey.attempts == attempts


async def test_close_reaction_sends_one_survey_in_the_thread(bot: Bot, slack: FakeSlack) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "My invoice is wrong")

    response = await bot.send_event(reaction())
    assert response.status == 200

    (post,) = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == SUPPORT_CHANNEL
    assert post.args["thread_ts"] == ROOT_TS
    assert post.args["text"] == "How satisfied are you with the help you received?"
    assert survey_buttons(post.args)[0] == "1 · Very dissatisfied"
    await wait_until(partial(survey_status_is, bot, "delivered"))
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.agent_id == AGENT
    assert survey.customer_id == CUSTOMER
    (notice,) = slack.ephemerals
    assert notice["user"] == AGENT and "gets a short survey in the thread" in notice["text"]


async def test_the_customer_cannot_close_their_own_conversation(bot: Bot, slack: FakeSlack) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "never mind")
    await bot.send_event(reaction(user=CUSTOMER))
    await slack.wait_for("chat.postEphemeral")
    assert await store.all_surveys(bot.workspace.db) == []
    assert "Only someone from the support team" in slack.ephemerals[0]["text"]


async def test_a_reaction_on_a_reply_closes_nothing(bot: Bot, slack: FakeSlack) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
    slack.add_message(SUPPORT_CHANNEL, "1763900050.000100", CUSTOMER, "thanks", thread_ts=ROOT_TS)
    await bot.send_event(reaction(ts="1763900050.000100"))
    await slack.wait_for("chat.postEphemeral")
    assert await store.all_surveys(bot.workspace.db) == []


async def test_a_reaction_outside_support_channels_or_another_emoji_is_ignored(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
    await bot.send_event(reaction(name="tada"))
    other = reaction()
    other["item"]["channel"] = "C0RANDOM"
    await bot.send_event(other)
    await asyncio.sleep(0.3)
    assert await store.all_surveys(bot.workspace.db) == []
    assert slack.called("chat.postEphemeral") == []


async def test_the_skip_reaction_closes_without_a_survey(bot: Bot, slack: FakeSlack) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "spam")
    await bot.send_event(reaction(name="no_entry_sign"))
    await slack.wait_for("chat.postEphemeral")
    await bot.send_event(reaction())  # a later close reaction changes nothing
    await slack.wait_for("chat.postEphemeral", 2)
    assert await store.all_surveys(bot.workspace.db) == []
    (conversation,) = await conversations(bot)
    assert conversation.outcome == "skipped"


async def test_the_message_shortcut_closes_and_sends_the_survey(bot: Bot, slack: FakeSlack) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "VPN is down")
    payload = message_shortcut(
        callback_id="close_and_survey",
        user=AGENT,
        channel=SUPPORT_CHANNEL,
        message={"type": "message", "user": CUSTOMER, "ts": ROOT_TS, "text": "VPN is down"},
    )
    response = await bot.send_interaction(payload)
    assert response.status == 200
    (post,) = await slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == ROOT_TS
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.agent_id == AGENT


async def test_the_shortcut_on_a_reply_closes_the_thread_it_belongs_to(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "VPN is down")
    reply_ts = "1763900060.000100"
    slack.add_message(SUPPORT_CHANNEL, reply_ts, AGENT, "fixed", thread_ts=ROOT_TS)
    payload = message_shortcut(
        callback_id="close_and_survey",
        user=AGENT,
        channel=SUPPORT_CHANNEL,
        message={"type": "message", "user": AGENT, "ts": reply_ts, "thread_ts": ROOT_TS},
    )
    await bot.send_interaction(payload)
    (post,) = await slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == ROOT_TS
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.customer_id == CUSTOMER


async def delivered_surveys(bot: Bot) -> list[Any]:
    for _ in range(100):
        surveys = await store.all_surveys(bot.workspace.db)
        if surveys and all(s.status == "delivered" for s in surveys):
            return list(surveys)
        await asyncio.sleep(0.02)
    raise AssertionError("the surveys were not recorded as delivered")


async def test_a_webhook_close_is_accepted_and_delivered_by_dm(bot: Bot, slack: FakeSlack) -> None:
    status, body = await bot.send_webhook(webhook_close(customer_value=120))
    assert status == 202
    assert body["status"] == "scheduled" and body["survey_id"]
    (post,) = await slack.wait_for("chat.postMessage")
    # Posted to the user id (Slack opens the DM): a burst never queues behind
    # conversations.open; the DM channel Slack answers with is what is recorded.
    assert post.args["channel"] == CUSTOMER
    assert "thread_ts" not in post.args
    assert slack.called("conversations.open") == []
    (survey,) = await delivered_surveys(bot)
    assert survey.channel_id is not None and survey.channel_id.startswith("D")


async def test_a_webhook_customer_given_by_email_is_found_in_slack(
    bot: Bot, slack: FakeSlack
) -> None:
    status, body = await bot.send_webhook(
        {"conversation_id": 77, "customer": {"email": "ANN@example.com"}, "survey": "ces"}
    )
    assert (status, body["status"]) == (202, "scheduled")
    (post,) = await slack.wait_for("chat.postMessage")
    assert len(survey_buttons(post.args)) == 7
    await wait_until(partial(survey_status_is, bot, "delivered"))
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.customer_id == CUSTOMER


async def test_a_helpdesk_sending_twice_gets_the_same_survey_back(
    bot: Bot, slack: FakeSlack
) -> None:
    _, first = await bot.send_webhook(webhook_close())
    _, second = await bot.send_webhook(webhook_close())
    assert second == {
        "survey_id": first["survey_id"],
        "status": "duplicate",
        "why": "this conversation was reported before; its first survey stands",
    }
    await slack.wait_for("chat.postMessage")
    await asyncio.sleep(0.3)
    assert len(slack.called("chat.postMessage")) == 1


async def test_an_event_retry_and_a_second_close_create_nothing_new(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
    await bot.send_event(reaction(), event_id="Ev0RETRY")
    retry = await bot.send_event(reaction(), event_id="Ev0RETRY", retry_num=1)
    assert retry.status == 200
    await bot.send_event(reaction(user="U0OTHERAGENT"))  # another agent closes it too
    await slack.wait_for("chat.postEphemeral", 2)
    await slack.wait_for("chat.postMessage")
    await asyncio.sleep(0.3)
    assert len(await store.all_surveys(bot.workspace.db)) == 1
    assert len(slack.called("chat.postMessage")) == 1
    # The retried delivery was not handled twice: two notices (first close, second agent).
    assert len(slack.ephemerals) == 2
    assert "already closed" in slack.ephemerals[1]["text"]


async def test_forged_and_stale_signatures_are_refused_and_store_nothing(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
    forged = await bot.send_event(reaction(), secret="not-the-secret")
    stale = await bot.send_event(reaction(), timestamp=int(datetime.now(UTC).timestamp()) - 600)
    assert (forged.status, stale.status) == (401, 401)

    status, body = await bot.send_webhook(webhook_close(), secret="guess")
    assert (status, body) == (401, {"error": "wrong signature"})
    old = int((datetime.now(UTC) - timedelta(minutes=6)).timestamp())
    status, body = await bot.send_webhook(webhook_close(), timestamp=old)
    assert status == 401 and "stale" in body["error"]
    status, _ = await bot.send_webhook(webhook_close(), signature="sha256=")
    assert status == 401

    await asyncio.sleep(0.2)
    assert await store.all_surveys(bot.workspace.db) == []
    assert await conversations(bot) == []


async def test_a_bad_webhook_body_gets_400_naming_the_field_and_stores_nothing(bot: Bot) -> None:
    status, body = await bot.send_webhook({"conversation_id": "1", "customer": {}})
    assert (status, body) == (400, {"error": "customer: give slack_user_id or email"})
    status, body = await bot.send_webhook(b"{oops")
    assert (status, body) == (400, {"error": "body: not valid JSON"})
    status, body = await bot.send_webhook(webhook_close(team="nobody"))
    assert status == 400 and body["error"].startswith("team:")
    assert await conversations(bot) == []


async def test_huge_bodies_are_refused(bot: Bot) -> None:
    status, _ = await bot.send_webhook(b"{" + b" " * 70_000 + b"}")
    assert status == 413
    response = await bot.send_event({"type": "reaction_added", "pad": "x" * 300_000})
    assert response.status == 413
    assert await conversations(bot) == []


# Retry-After: 0 so the test does not sleep; slack_sdk adds up to 1 s of jitter to it anyway.
@pytest.mark.parametrize("failure", [{"status": 429, "retry_after": 0}, {"status": 500}])
async def test_rate_limits_and_server_errors_are_retried_and_the_survey_arrives_once(
    bot: Bot, slack: FakeSlack, failure: dict[str, Any]
) -> None:
    slack.fail_next("chat.postMessage", **failure)
    await bot.send_webhook(webhook_close())
    calls = await slack.wait_for("chat.postMessage", 2, timeout=10)
    await asyncio.sleep(0.3)
    dm_messages = [
        m for channel, ms in slack.messages.items() for m in ms if channel.startswith("D")
    ]
    assert len(dm_messages) == 1
    assert len(calls) == 2
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.status == "delivered"


async def test_after_the_last_attempt_the_survey_is_marked_failed_with_slacks_error(
    bot: Bot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="surveybot")
    slack.fail_next("chat.postMessage", count=20, error="channel_not_found")
    await bot.send_webhook(webhook_close())
    await slack.wait_for("chat.postMessage")
    await wait_until(partial(survey_status_is, bot, "failed"))
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.last_error == "channel_not_found"
    lines = [r.getMessage() for r in caplog.records if "survey failed" in r.getMessage()]
    assert len(lines) == 1 and "error=channel_not_found" in lines[0]


async def test_an_unknown_error_is_retried_with_backoff_until_the_last_attempt(
    slack: FakeSlack, sqlite_url: str
) -> None:
    clock = Clock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    async with running_bot(slack, sqlite_url, clock=clock) as bot:
        slack.fail_next("chat.postMessage", count=3, status=200, error="a_code_we_never_saw")
        await bot.send_webhook(webhook_close())
        for attempt in range(1, 4):
            await slack.wait_for("chat.postMessage", attempt)
            await wait_until(partial(attempts_recorded, bot, attempt), what=f"attempt {attempt}")
            clock.advance(timedelta(seconds=5 * 2**attempt))
        (survey,) = await store.all_surveys(bot.workspace.db)
        assert survey.status == "failed" and survey.last_error == "a_code_we_never_saw"


async def test_a_restart_between_scheduling_and_sending_still_delivers(
    slack: FakeSlack, sqlite_url: str
) -> None:
    clock = Clock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    delayed = TEAMS_TOML.replace("delay_minutes = 0", "delay_minutes = 10")
    async with running_bot(slack, sqlite_url, teams_toml=delayed, clock=clock) as bot:
        status, body = await bot.send_webhook(webhook_close())
        assert (status, body["status"]) == (202, "scheduled")
        await asyncio.sleep(0.2)
    assert slack.called("chat.postMessage") == []

    clock.advance(timedelta(minutes=11))
    async with running_bot(slack, sqlite_url, teams_toml=delayed, clock=clock) as bot:
        await slack.wait_for("chat.postMessage")
        (survey,) = await store.all_surveys(bot.workspace.db)
        assert survey.token == body["survey_id"]


async def test_a_survey_due_at_night_waits_for_the_customers_morning(
    slack: FakeSlack, sqlite_url: str
) -> None:
    # 22:30 in Berlin, where the customer lives: the survey waits until 08:00 there.
    clock = Clock(datetime(2026, 11, 23, 21, 30, tzinfo=UTC))
    night = TEAMS_TOML.replace('quiet_hours = ""', 'quiet_hours = "20:00-08:00"')
    async with running_bot(slack, sqlite_url, teams_toml=night, clock=clock) as bot:
        await bot.send_webhook(webhook_close())
        await slack.wait_for("users.info")
        await asyncio.sleep(0.2)
        assert slack.called("chat.postMessage") == []
        (survey,) = await store.all_surveys(bot.workspace.db)
        assert survey.send_after == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
        clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
        await slack.wait_for("chat.postMessage")


async def test_a_waiting_survey_is_cancelled_when_the_customer_writes_again(
    slack: FakeSlack, sqlite_url: str
) -> None:
    delayed = TEAMS_TOML.replace("delay_minutes = 0", "delay_minutes = 30")
    async with running_bot(slack, sqlite_url, teams_toml=delayed) as bot:
        slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
        await bot.send_event(reaction())
        await slack.wait_for("chat.postEphemeral")
        await bot.send_event(
            {
                "type": "message",
                "channel": SUPPORT_CHANNEL,
                "user": CUSTOMER,
                "text": "actually, one more thing",
                "ts": "1763900300.000100",
                "thread_ts": ROOT_TS,
                "channel_type": "channel",
            }
        )
        await wait_until(partial(survey_status_is, bot, "cancelled"))


async def test_sample_rate_zero_surveys_nothing(slack: FakeSlack, sqlite_url: str) -> None:
    sampled = TEAMS_TOML.replace("delivery =", "sample_rate = 0.0\ndelivery =")
    async with running_bot(slack, sqlite_url, teams_toml=sampled) as bot:
        status, body = await bot.send_webhook(webhook_close())
        assert (status, body["survey_id"], body["status"]) == (202, None, "not_sampled")
        assert (
            body["why"] == "not in the sample: the team surveys 0% of conversations (sample_rate)"
        )


async def test_health_answers_200_and_503_when_the_database_is_gone(
    slack: FakeSlack, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    async with running_bot(slack, f"sqlite+aiosqlite:///{data / 'bot.db'}") as bot:
        assert await bot.get("/healthz") == (200, '{"status": "ok"}')
        await bot.workspace.db.engine.dispose()
        data.rename(tmp_path / "moved")
        status, _ = await bot.get("/healthz")
        assert status == 503


async def test_metrics_count_surveys_by_status(bot: Bot, slack: FakeSlack) -> None:
    await bot.send_webhook(webhook_close())
    await slack.wait_for("chat.postMessage")

    async def counted_delivered() -> bool:
        status, text = await bot.get("/metrics")
        assert status == 200
        return 'surveybot_surveys{status="delivered"} 1' in text

    await wait_until(counted_delivered)


async def test_a_close_reported_after_the_survey_would_have_expired_is_not_surveyed(
    bot: Bot, slack: FakeSlack
) -> None:
    two_months_ago = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    status, body = await bot.send_webhook(webhook_close(closed_at=two_months_ago))
    assert (status, body["status"]) == (202, "too_late")
    _, again = await bot.send_webhook(webhook_close(closed_at=two_months_ago))
    assert (again["survey_id"], again["status"]) == (body["survey_id"], "duplicate")
    await asyncio.sleep(0.3)
    assert slack.called("chat.postMessage") == []


async def test_a_late_close_within_the_expiry_goes_out_now_and_expires_on_time(
    bot: Bot, slack: FakeSlack
) -> None:
    closed = datetime.now(UTC) - timedelta(days=3)
    status, body = await bot.send_webhook(webhook_close(closed_at=closed.isoformat()))
    assert (status, body["status"]) == (202, "scheduled")
    await slack.wait_for("chat.postMessage")
    (survey,) = await store.all_surveys(bot.workspace.db)
    assert survey.expires_at == closed + timedelta(days=7)


async def test_a_non_ascii_slack_signature_gets_401_not_a_crash(bot: Bot) -> None:
    async with bot.http.post(
        f"{bot.url}/slack/events",
        data=b"{}",
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": str(int(datetime.now(UTC).timestamp())),
            "X-Slack-Signature": "v0=\u00e9t\u00e9",
        },
    ) as response:
        assert response.status == 401


def context_texts(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]
        for block in message["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]


async def test_a_dm_survey_says_which_helpdesk_conversation_it_is_about(
    bot: Bot, slack: FakeSlack
) -> None:
    await bot.send_webhook(webhook_close(conversation_id="<!channel> ZD-7"))
    (post,) = await slack.wait_for("chat.postMessage")
    assert context_texts(post.args)[0] == "About your support conversation *&lt;!channel&gt; ZD-7*"


async def test_a_slack_conversation_surveyed_by_dm_links_back_to_its_thread(
    slack: FakeSlack, sqlite_url: str
) -> None:
    by_dm = TEAMS_TOML.replace('delivery = "thread"', 'delivery = "dm"')
    async with running_bot(slack, sqlite_url, teams_toml=by_dm) as bot:
        slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
        await bot.send_event(reaction())
        (post,) = await slack.wait_for("chat.postMessage")
        assert post.args["channel"] == CUSTOMER
        (about, *_) = context_texts(post.args)
        assert (
            about.startswith("About <https://") and "|your conversation with the support" in about
        )


async def test_a_survey_in_the_thread_needs_no_reminder_of_what_it_is_about(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "help")
    await bot.send_event(reaction())
    (post,) = await slack.wait_for("chat.postMessage")
    assert not any(text.startswith("About") for text in context_texts(post.args))


async def test_an_ordinary_helpdesk_body_is_surveyed_and_told_when(
    bot: Bot, slack: FakeSlack
) -> None:
    # A customer's name, a ticket with no assignee, a blank custom field: all as sent.
    status, body = await bot.send_webhook(
        {
            "conversation_id": "ZD-77",
            "customer": {"email": "ann@example.com", "name": "Ann Example"},
            "agent": {"email": ""},
            "customer_value": "",
        }
    )
    assert (status, body["status"]) == (202, "scheduled"), body
    assert datetime.fromisoformat(body["send_after"]) <= datetime.now(UTC)
    assert body["why"] == "goes out now"
    (post,) = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == CUSTOMER


async def test_an_unusable_ticket_link_is_left_out_and_said_so(bot: Bot, slack: FakeSlack) -> None:
    status, body = await bot.send_webhook(webhook_close(conversation_url="javascript:alert(1)"))
    assert (status, body["status"]) == (202, "scheduled"), body
    assert body["ignored"] == [
        "conversation_url: must be an http or https link to the conversation"
    ]
    await slack.wait_for("chat.postMessage")
