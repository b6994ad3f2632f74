"""Invitations and reminders go through the outbox like every survey: once each, paced,
never in a thread they do not belong to, recognised after a crash instead of sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.closes import ClosedConversation, close_conversation
from bot.delivery.dispatcher import SURVEY_EVENT_TYPE, Dispatcher
from bot.delivery.sends import (
    Invitation,
    invite,
    posts_in_thread,
    remind,
    reminder_dropped,
    reminder_thread,
)
from bot.slack.client import make_client
from bot.teams import parse_teams
from sandbox import FakeSlack
from storage import outbox, surveys
from storage.db import Database
from storage.privacy import forget_customer
from storage.surveys import SurveyRecord
from storage.vocabulary import Delivery, Purpose, ReminderStatus, Source, SurveyStatus
from tests.answering import ROOT_TS, delivered_survey, score_click
from tests.contexts import in_workspace
from tests.databases import empty_postgres
from tests.harness import CUSTOMER, SUPPORT_CHANNEL, TEAMS_TOML, Bot, running_bot, settings_for
from tests.waiting import wait_until

DM_TEAM = TEAMS_TOML.replace('delivery = "thread"', 'delivery = "dm"')
REMINDER_TEXT = "A gentle reminder: we would still love to hear how it went."


def has_buttons(message: dict[str, Any]) -> bool:
    return any(block["type"] == "actions" for block in message.get("blocks", []))


def carries(post: dict[str, Any], token: str) -> bool:
    return post.get("metadata") == {
        "event_type": SURVEY_EVENT_TYPE,
        "event_payload": {"survey": token},
    }


async def status_of(bot: Bot, token: str) -> SurveyStatus | None:
    send = await surveys.survey_by_token(bot.workspace.db, token)
    return send.status if send else None


async def reaches(bot: Bot, token: str, status: SurveyStatus) -> None:
    async def reached() -> bool:
        return await status_of(bot, token) == status

    await wait_until(reached, what=f"{token} {status}")


def support_team(bot: Bot) -> Any:
    team = bot.workspace.teams.by_name("support")
    assert team is not None
    return team


async def test_an_invitation_goes_once_by_dm_to_its_customer(
    any_bot: Bot, slack: FakeSlack
) -> None:
    bot = any_bot
    now = bot.clock()
    invitation = await invite(
        in_workspace(bot.workspace.db, now=now),
        Invitation(support_team(bot), customer_email="ann@example.com"),
    )
    assert invitation.purpose is Purpose.INVITATION and invitation.conversation_id is None
    bot.runtime.dispatcher.wake()

    (post,) = await slack.wait_for("chat.postMessage")
    await reaches(bot, invitation.token, SurveyStatus.DELIVERED)
    assert post.args["channel"] == CUSTOMER  # Slack opens the DM
    assert "thread_ts" not in post.args
    assert carries(post.args, invitation.token)
    assert has_buttons(post.args)
    # About no conversation: no line naming one.
    assert not any(
        block["type"] == "context" and "About" in str(block) for block in post.args["blocks"]
    )
    delivered = await surveys.survey_by_token(bot.workspace.db, invitation.token)
    assert delivered is not None and delivered.customer_id == CUSTOMER  # found by email
    await asyncio.sleep(0.3)  # a few more dispatcher turns: nothing goes twice
    assert slack.surveys_posted() == {invitation.token: 1}


async def test_a_reminder_replies_once_in_the_survey_thread(bot: Bot, slack: FakeSlack) -> None:
    survey = await delivered_survey(bot, slack)
    now = bot.clock()
    result = await remind(in_workspace(bot.workspace.db, now=now), survey.survey, now)
    assert result.status is ReminderStatus.SCHEDULED and result.reminder is not None
    again = await remind(in_workspace(bot.workspace.db, now=now), survey.survey, now)
    assert again.status is ReminderStatus.ALREADY_REMINDED  # never a second one
    bot.runtime.dispatcher.wake()

    _, post = await slack.wait_for("chat.postMessage", 2)
    reminder = result.reminder
    await reaches(bot, reminder.token, SurveyStatus.DELIVERED)
    assert (post.args["channel"], post.args["thread_ts"]) == (SUPPORT_CHANNEL, ROOT_TS)
    assert post.args["text"].startswith(REMINDER_TEXT)
    # Its buttons are the survey's scale again, carrying the reminder's own id (a click
    # answers the survey it reminds of: tests/test_reminders.py).
    assert has_buttons(post.args)
    assert carries(post.args, reminder.token)
    await asyncio.sleep(0.3)
    assert slack.surveys_posted() == {survey.survey.token: 1, reminder.token: 1}
    # A reminder is no second survey: not in the counts, not in the response rate.
    assert await surveys.count_by_status(bot.workspace.db) == {"delivered": 1}


async def test_a_reminder_of_a_dm_survey_replies_under_the_survey_message(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url, teams_toml=DM_TEAM) as bot:
        survey = await delivered_survey(bot, slack, source="webhook")
        now = bot.clock()
        result = await remind(in_workspace(bot.workspace.db, now=now), survey.survey, now)
        assert result.reminder is not None
        bot.runtime.dispatcher.wake()
        _, post = await slack.wait_for("chat.postMessage", 2)
        await reaches(bot, result.reminder.token, SurveyStatus.DELIVERED)
    assert (post.args["channel"], post.args["thread_ts"]) == (survey.channel, survey.ts)
    assert survey.channel.startswith("D")


async def test_a_reminder_for_an_answered_survey_is_not_sent(bot: Bot, slack: FakeSlack) -> None:
    survey = await delivered_survey(bot, slack)
    now = datetime.now(UTC)
    bot.clock.set(now)
    result = await remind(
        in_workspace(bot.workspace.db, now=now), survey.survey, now + timedelta(hours=3)
    )
    assert result.reminder is not None
    await bot.send_interaction(score_click(survey, 5))
    await reaches(bot, survey.survey.token, SurveyStatus.ANSWERED)

    bot.clock.advance(timedelta(hours=4))  # the reminder falls due
    bot.runtime.dispatcher.wake()
    await reaches(bot, result.reminder.token, SurveyStatus.CANCELLED)
    dropped = await surveys.survey_by_token(bot.workspace.db, result.reminder.token)
    assert dropped is not None and dropped.last_error == "answered"
    assert slack.surveys_posted() == {survey.survey.token: 1}
    # Asked again now, there is nothing to remind of.
    answered = await surveys.survey_by_token(bot.workspace.db, survey.survey.token)
    assert answered is not None
    late = await remind(in_workspace(bot.workspace.db, now=bot.clock()), answered, bot.clock())
    assert late.status is ReminderStatus.NOT_WAITING


async def test_a_reminder_waits_for_the_morning_like_a_survey(
    slack: FakeSlack, sqlite_url: str
) -> None:
    """Quiet hours apply to every send: a reminder due at night goes in the morning."""
    night_team = TEAMS_TOML.replace('quiet_hours = ""', 'quiet_hours = "20:00-08:00"')
    async with running_bot(slack, sqlite_url, teams_toml=night_team) as bot:
        # Ann is in Berlin: 10:00 there is daytime for her survey.
        bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        survey = await delivered_survey(bot, slack)
        night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
        result = await remind(in_workspace(bot.workspace.db, now=bot.clock()), survey.survey, night)
        assert result.reminder is not None
        token = result.reminder.token
        bot.clock.set(night)
        bot.runtime.dispatcher.wake()

        async def postponed() -> bool:
            send = await surveys.survey_by_token(bot.workspace.db, token)
            return send is not None and send.send_after > night

        await wait_until(postponed, what="the reminder postponed to the morning")
        waiting = await surveys.survey_by_token(bot.workspace.db, token)
        assert waiting is not None and waiting.status is SurveyStatus.SCHEDULED
        assert waiting.send_after == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 Berlin
        assert len(slack.called("chat.postMessage")) == 1


async def dead_sender_posted(
    slack: FakeSlack, db: Any, at: datetime, channels: dict[str, str]
) -> None:
    """Another process claimed what was due at `at`, Slack took its posts (to these
    channels, by token), and it died before recording them: the rows stay claimed
    until their leases run out."""
    claimed = await outbox.claim_due(db, at, at + timedelta(minutes=1), limit=10)
    assert {send.token for send in claimed} == set(channels)
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    for send in claimed:
        await client.chat_postMessage(
            channel=channels[send.token],
            text="(posted by a process that then died)",
            metadata={"event_type": SURVEY_EVENT_TYPE, "event_payload": {"survey": send.token}},
            thread_ts=send.thread_ts,
        )


async def test_an_invitation_and_a_reminder_posted_before_a_crash_are_not_posted_again(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url, teams_toml=DM_TEAM) as bot:
        db = bot.workspace.db
        start = datetime.now(UTC)
        bot.clock.set(start)
        survey = await delivered_survey(bot, slack, source="webhook")
        due = start + timedelta(minutes=1)
        slack.add_user("U0BEA", tz="UTC")
        invitation = await invite(
            in_workspace(db, now=start),
            Invitation(support_team(bot), customer_id="U0BEA", send_after=due),
        )
        result = await remind(in_workspace(db, now=start), survey.survey, due)
        reminder = result.reminder
        assert reminder is not None and reminder.thread_ts == survey.ts

        await dead_sender_posted(
            slack, db, due, {invitation.token: "U0BEA", reminder.token: survey.channel}
        )
        bot.clock.set(due + timedelta(minutes=2))  # both leases have run out
        bot.runtime.dispatcher.wake()
        await reaches(bot, invitation.token, SurveyStatus.DELIVERED)
        await reaches(bot, reminder.token, SurveyStatus.DELIVERED)
    posted = slack.surveys_posted()
    assert posted == {survey.survey.token: 1, invitation.token: 1, reminder.token: 1}
    assert slack.called("conversations.history")  # the invitation's DM, looked at
    assert slack.called("conversations.replies")  # the reminder's thread, looked at


async def test_invitations_and_reminders_keep_to_slacks_pace(
    slack: FakeSlack, sqlite_url: str
) -> None:
    slack.enforce_tiers(compression=60)
    count = 150  # users.info is Tier 4: one and a half of Slack's minutes of them
    for n in range(count):
        slack.add_user(f"U0P{n:05d}", tz="UTC")
    async with running_bot(slack, sqlite_url, teams_toml=DM_TEAM, pace_compression=60) as bot:
        team = support_team(bot)
        sent = [
            await invite(
                in_workspace(bot.workspace.db, now=bot.clock()),
                Invitation(team, customer_id=f"U0P{n:05d}"),
            )
            for n in range(count)
        ]
        bot.runtime.dispatcher.wake()

        async def all_delivered() -> bool:
            return all(
                s.status is SurveyStatus.DELIVERED
                for s in await surveys.all_surveys(bot.workspace.db)
            )

        await wait_until(all_delivered, timeout=60, what="every invitation delivered")
    posted = slack.surveys_posted()
    assert posted == {s.token: 1 for s in sent}
    assert len(slack.rate_limited) <= len(slack.calls) // 100  # paced, not refused


# ------------------------------------------------------------------- pure rules

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def a_send(**values: Any) -> SurveyRecord:
    base: dict[str, Any] = {
        "id": 1,
        "conversation_id": 1,
        "token": "tok",
        "team": "support",
        "kind": "csat",
        "customer_key": CUSTOMER,
        "customer_id": CUSTOMER,
        "delivery": Delivery.THREAD,
        "status": SurveyStatus.DELIVERED,
        "created_at": NOW,
        "send_after": NOW,
        "expires_at": NOW + timedelta(days=7),
        "channel_id": SUPPORT_CHANNEL,
        "thread_ts": ROOT_TS,
        "message_ts": "1763900200.000300",
    }
    return SurveyRecord(**{**base, **values})


def test_a_reminder_replies_in_the_support_thread_or_under_a_dm_survey() -> None:
    assert reminder_thread(a_send()) == (SUPPORT_CHANNEL, ROOT_TS)
    # A DM survey of a Slack conversation still knows the support thread: not there.
    dm = a_send(delivery=Delivery.DM, channel_id="D0ANN")
    assert reminder_thread(dm) == ("D0ANN", "1763900200.000300")
    invitation = a_send(purpose=Purpose.INVITATION, conversation_id=None, channel_id="D0ANN")
    assert reminder_thread(invitation) == ("D0ANN", "1763900200.000300")
    assert reminder_thread(a_send(status=SurveyStatus.SCHEDULED, message_ts=None)) is None


def test_only_a_reminder_and_a_thread_survey_post_in_a_thread() -> None:
    assert posts_in_thread(a_send())
    assert not posts_in_thread(a_send(delivery=Delivery.DM))
    assert not posts_in_thread(a_send(purpose=Purpose.INVITATION, delivery=Delivery.THREAD))
    assert posts_in_thread(a_send(purpose=Purpose.REMINDER, delivery=Delivery.DM))


def test_a_reminder_is_dropped_once_its_survey_no_longer_waits() -> None:
    assert reminder_dropped(a_send(), NOW) is None
    assert reminder_dropped(a_send(status=SurveyStatus.ANSWERED), NOW) == "answered"
    assert reminder_dropped(a_send(status=SurveyStatus.CANCELLED), NOW) == "cancelled"
    assert reminder_dropped(a_send(status=SurveyStatus.EXPIRED), NOW) == "expired"
    # Past its expiry, even before the sweep has closed it.
    assert reminder_dropped(a_send(), NOW + timedelta(days=8)) == "expired"
    assert reminder_dropped(None, NOW) == "gone"


async def test_two_dispatchers_sharing_postgresql_send_each_invitation_and_reminder_once(
    slack: FakeSlack, postgres_url: str
) -> None:
    db = Database(postgres_url)
    await empty_postgres(db)
    teams = parse_teams(TEAMS_TOML)
    now = datetime.now(UTC)
    client = make_client(settings_for(slack, postgres_url), db)
    customers = [f"U0R{n:04d}" for n in range(20)]
    for customer in customers:
        slack.add_user(customer, tz="UTC")
    # Ten surveys delivered first, to remind of; ten invitations for the others.
    for customer in customers[:10]:
        await close_conversation(
            in_workspace(db, now=now),
            ClosedConversation(
                source=Source.WEBHOOK,
                external_id=f"conv-{customer}",
                team=teams.default,
                closed_at=now,
                customer_id=customer,
            ),
        )
    assert await Dispatcher(in_workspace(db, client, teams=teams.teams)).run_once() == 10
    reminders = [
        await remind(in_workspace(db, now=now), survey, now)
        for survey in await surveys.all_surveys(db)
    ]
    invitations = [
        await invite(in_workspace(db, now=now), Invitation(teams.default, customer_id=customer))
        for customer in customers[10:]
    ]
    first, second = (
        Dispatcher(in_workspace(Database(postgres_url), client, teams=teams.teams))
        for _ in range(2)
    )
    delivered = await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    assert sum(delivered) == 20
    posted = slack.surveys_posted()
    assert len(posted) == 30 and set(posted.values()) == {1}
    for sent in [*invitations, *(r.reminder for r in reminders)]:
        assert sent is not None and posted[sent.token] == 1
    assert {s.status for s in await surveys.all_surveys(db)} == {SurveyStatus.DELIVERED}
    for database in (db, first.db, second.db):
        await database.dispose()


async def test_forgetting_a_customer_erases_their_invitations_and_reminders(db: Database) -> None:
    team = parse_teams(TEAMS_TOML).default
    closed = ClosedConversation(
        source=Source.WEBHOOK, external_id="ZD-7", team=team, closed_at=NOW, customer_id=CUSTOMER
    )
    await close_conversation(in_workspace(db, now=NOW), closed)
    (survey,) = await outbox.claim_due(db, NOW, NOW + timedelta(minutes=5), limit=10)
    await outbox.mark_delivered(
        db, survey.id, channel_id="D0ANN", message_ts="1.2", at=NOW, customer_id=CUSTOMER
    )
    delivered = await surveys.get_survey(db, survey.id)
    assert delivered is not None
    assert (
        await remind(in_workspace(db, now=NOW), delivered, NOW)
    ).status is ReminderStatus.SCHEDULED
    await invite(in_workspace(db, now=NOW), Invitation(team, customer_id=CUSTOMER))

    forgotten = await forget_customer(db, CUSTOMER)

    assert forgotten.surveys == 3
    assert await surveys.all_surveys(db) == []
