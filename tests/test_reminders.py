"""One polite reminder (issue 18), through the real bot and the fake Slack: a team's
`reminder_after` reminds a customer once of a survey they have not answered, in the
survey's own thread or DM, never in their quiet hours, and never once they answered,
wrote again, or the survey expired. Time moves with the bot's injectable clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.delivery.reminders import remind_after, reminder_delay
from bot.teams import TeamsFileError, parse_teams
from sandbox import FakeSlack, payloads
from sandbox.payloads import message_posted, reaction_added
from storage import answers, surveys
from storage.surveys import SurveyRecord
from storage.vocabulary import Delivery, Purpose, ReminderStatus, SurveyKind, SurveyStatus
from tests.answering import ROOT_TS, block_actions, delivered_survey, score_click
from tests.conftest import Lines
from tests.contexts import in_workspace
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, TEAMS_TOML, Bot, running_bot
from tests.waiting import wait_until

# Monday 23 November 2026, 09:00 UTC: 10:00 for Ann in Berlin.
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REMINDING = TEAMS_TOML + "reminder_after = 24\n"
REMINDER_TEXT = "A gentle reminder: we would still love to hear how it went."


def buttons_of(message: dict[str, Any]) -> list[str]:
    return payloads.buttons(message)


async def reminder_of(bot: Bot, survey: SurveyRecord) -> SurveyRecord:
    """The survey's reminder, which the dispatcher adds just after recording the delivery."""

    async def added() -> bool:
        return await surveys.reminder_of(bot.workspace.db, survey.id) is not None

    await wait_until(added, what="the reminder scheduled")
    reminder = await surveys.reminder_of(bot.workspace.db, survey.id)
    assert reminder is not None
    return reminder


async def at(bot: Bot, moment: datetime) -> None:
    """Time moves on to `moment`, and the dispatcher looks at the outbox."""
    bot.clock.set(moment)
    bot.runtime.dispatcher.wake()


async def status_becomes(bot: Bot, send: SurveyRecord, status: SurveyStatus) -> SurveyRecord:
    async def reached() -> bool:
        now = await surveys.get_survey(bot.workspace.db, send.id)
        return now is not None and now.status is status

    await wait_until(reached, what=f"{send.token} {status}")
    now = await surveys.get_survey(bot.workspace.db, send.id)
    assert now is not None
    return now


async def dropped_metric(bot: Bot, reason: str) -> float:
    _, metrics = await bot.get("/metrics")
    for line in metrics.splitlines():
        if line.startswith(f'surveybot_reminders_dropped_total{{reason="{reason}"}}'):
            return float(line.split()[-1])
    return 0.0


async def closed(bot: Bot, slack: FakeSlack, root_ts: str) -> SurveyRecord:
    """Ann's conversation at `root_ts` is closed by reaction: its survey, once recorded."""
    before = {s.id for s in await surveys.all_surveys(bot.workspace.db)}
    slack.add_message(SUPPORT_CHANNEL, root_ts, CUSTOMER, "My invoice is wrong")
    await bot.send_event(
        reaction_added(
            user=AGENT,
            reaction="white_check_mark",
            channel=SUPPORT_CHANNEL,
            ts=root_ts,
            item_user=CUSTOMER,
        )
    )

    async def new_surveys() -> list[SurveyRecord]:
        return [s for s in await surveys.all_surveys(bot.workspace.db) if s.id not in before]

    await wait_until(new_surveys, what="the close's survey recorded")
    (survey,) = await new_surveys()
    return survey


async def a_few_turns() -> None:
    """Several more turns of the dispatcher (its interval is 0.05 s in tests)."""
    await asyncio.sleep(0.3)


# ------------------------------------------------------------------ it goes, once


async def test_a_reminder_goes_once_a_day_after_delivery_and_its_click_answers_the_survey(
    slack: FakeSlack, store_url: str
) -> None:
    async with running_bot(slack, store_url, teams_toml=REMINDING) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        assert reminder.send_after == START + timedelta(hours=24)  # delivered + reminder_after
        assert reminder.status is SurveyStatus.SCHEDULED

        await at(bot, START + timedelta(hours=23))  # an hour early: nothing
        await a_few_turns()
        assert slack.surveys_posted() == {survey.survey.token: 1}

        await at(bot, START + timedelta(hours=24))
        sent = await status_becomes(bot, reminder, SurveyStatus.DELIVERED)
        post = slack.called("chat.postMessage")[-1]
        # A reply in the survey's own thread, polite, with the survey's scale again.
        assert (post.args["channel"], post.args["thread_ts"]) == (SUPPORT_CHANNEL, ROOT_TS)
        assert post.args["text"] == REMINDER_TEXT
        assert "we will not ask again" in str(post.args["blocks"])
        assert buttons_of(post.args) == [f"survey_score_{n}" for n in range(1, 6)]

        await at(bot, START + timedelta(days=3))  # later turns: never a second one
        await a_few_turns()
        assert slack.surveys_posted() == {survey.survey.token: 1, reminder.token: 1}
        delivered = await surveys.get_survey(bot.workspace.db, survey.survey.id)
        assert delivered is not None
        again = await remind_after(
            in_workspace(bot.workspace.db, now=bot.clock()), delivered, timedelta(hours=1)
        )
        assert again.status is ReminderStatus.ALREADY_REMINDED

        # Ann clicks 4 on the reminder: the survey it reminds of is answered.
        assert sent.channel_id and sent.message_ts
        on_reminder = slack.message(sent.channel_id, sent.message_ts)
        await bot.send_interaction(
            block_actions(
                channel=SUPPORT_CHANNEL,
                message=on_reminder,
                action_id="survey_score_4",
                thread_ts=ROOT_TS,
                response_url=slack.response_url(
                    channel=SUPPORT_CHANNEL,
                    message_ts=sent.message_ts,
                    user=CUSTOMER,
                    thread_ts=ROOT_TS,
                ),
            )
        )
        answered = await status_becomes(bot, survey.survey, SurveyStatus.ANSWERED)
        response = await answers.response_for(bot.workspace.db, answered.id)
        assert response is not None and response.score == 4
        # The reminder she clicked now thanks her; the survey above keeps its buttons.
        reminder_ts = sent.message_ts

        def thanked() -> bool:
            return "survey_score_1" not in buttons_of(slack.message(SUPPORT_CHANNEL, reminder_ts))

        await wait_until(thanked, what="the reminder replaced by the thank-you")
        assert "survey_score_1" in buttons_of(slack.message(survey.channel, survey.ts))

        # A second click, on the survey itself, changes the one answer: never two.
        await bot.send_interaction(score_click(survey, 5))

        async def changed() -> bool:
            now = await answers.response_for(bot.workspace.db, answered.id)
            return now is not None and now.score == 5

        await wait_until(changed, what="the answer changed to 5")
        assert len(await answers.answer_history(bot.workspace.db, answered.id)) == 2
        # A reminder is no survey: counted nowhere.
        assert await surveys.count_by_status(bot.workspace.db) == {"answered": 1}
        # Nobody else can answer through it.
        await bot.send_interaction(
            block_actions(
                user=AGENT,
                channel=SUPPORT_CHANNEL,
                message=on_reminder,
                action_id="survey_score_1",
                thread_ts=ROOT_TS,
            )
        )

        def refused() -> bool:
            return any(c.args["user"] == AGENT for c in slack.called("chat.postEphemeral"))

        await wait_until(refused, what="the agent told it is not theirs")
        final = await answers.response_for(bot.workspace.db, answered.id)
        assert final is not None and final.score == 5


async def test_a_click_on_a_reminder_in_a_dm_answers_the_survey_and_thanks_in_place(
    slack: FakeSlack, sqlite_url: str
) -> None:
    """Without a usable response_url the thank-you replaces the clicked reminder."""
    teams = REMINDING.replace('delivery = "thread"', 'delivery = "dm"')
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack, source="webhook")
        reminder = await reminder_of(bot, survey.survey)
        await at(bot, START + timedelta(hours=24))
        sent = await status_becomes(bot, reminder, SurveyStatus.DELIVERED)
        assert (sent.channel_id, sent.thread_ts) == (survey.channel, survey.ts)  # under it
        assert sent.message_ts
        on_reminder = slack.message(survey.channel, sent.message_ts)
        await bot.send_interaction(
            block_actions(
                channel=survey.channel,
                message=on_reminder,
                action_id="survey_score_5",
                thread_ts=survey.ts,
            )
        )
        answered = await status_becomes(bot, survey.survey, SurveyStatus.ANSWERED)
        response = await answers.response_for(bot.workspace.db, answered.id)
        assert response is not None and response.score == 5
        (update,) = await slack.wait_for("chat.update")
        assert update.args["ts"] == sent.message_ts


async def test_when_the_survey_expires_its_reminder_loses_its_buttons_too(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(
        slack, sqlite_url, teams_toml=REMINDING, expiry_interval_seconds=0.05
    ) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        await at(bot, START + timedelta(hours=24))
        sent = await status_becomes(bot, reminder, SurveyStatus.DELIVERED)
        assert sent.message_ts
        reminder_ts = sent.message_ts
        assert buttons_of(slack.message(SUPPORT_CHANNEL, reminder_ts))

        await at(bot, START + timedelta(days=7, minutes=1))  # past expire_days
        await status_becomes(bot, survey.survey, SurveyStatus.EXPIRED)

        def both_closed() -> bool:
            return not buttons_of(slack.message(SUPPORT_CHANNEL, reminder_ts)) and not (
                buttons_of(slack.message(survey.channel, survey.ts))
            )

        await wait_until(both_closed, what="the survey and its reminder closed")


# ------------------------------------------------------------------ or it is dropped


async def test_no_reminder_after_the_customer_answered(
    slack: FakeSlack, sqlite_url: str, every_log_line: Lines
) -> None:
    async with running_bot(slack, sqlite_url, teams_toml=REMINDING) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        await bot.send_interaction(score_click(survey, 5))
        await status_becomes(bot, survey.survey, SurveyStatus.ANSWERED)

        await at(bot, START + timedelta(hours=25))
        dropped = await status_becomes(bot, reminder, SurveyStatus.CANCELLED)
        assert dropped.last_error == "answered"
        await a_few_turns()
        assert slack.surveys_posted() == {survey.survey.token: 1}
        assert await dropped_metric(bot, "answered") == 1
    assert f"reminder dropped survey={reminder.token} reason=answered" in every_log_line()


async def test_no_reminder_after_the_customer_wrote_again_in_the_thread(
    slack: FakeSlack, store_url: str, every_log_line: Lines
) -> None:
    async with running_bot(slack, store_url, teams_toml=REMINDING) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        later = f"{float(survey.ts) + 60:.6f}"  # a minute after the survey, in Slack's time
        await bot.send_event(
            message_posted(
                user=CUSTOMER,
                channel=SUPPORT_CHANNEL,
                ts=later,
                thread_ts=ROOT_TS,
                text="Actually, one more thing…",
            )
        )
        await at(bot, START + timedelta(hours=25))
        dropped = await status_becomes(bot, reminder, SurveyStatus.CANCELLED)
        assert dropped.last_error == "wrote_again"
        assert slack.surveys_posted() == {survey.survey.token: 1}
        assert await dropped_metric(bot, "wrote_again") == 1
    assert f"reminder dropped survey={reminder.token} reason=wrote_again" in every_log_line()


async def test_a_dm_survey_is_not_reminded_of_once_the_customer_wrote_in_the_thread(
    slack: FakeSlack, sqlite_url: str
) -> None:
    """The conversation is the support thread, wherever the survey went; the agent
    writing there changes nothing, the customer does."""
    teams = REMINDING.replace('delivery = "thread"', 'delivery = "dm"')
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        assert survey.channel.startswith("D")
        reminder = await reminder_of(bot, survey.survey)
        after = float(survey.ts)
        for n, author in enumerate((AGENT, CUSTOMER), start=1):
            await bot.send_event(
                message_posted(
                    user=author,
                    channel=SUPPORT_CHANNEL,
                    ts=f"{after + n:.6f}",
                    thread_ts=ROOT_TS,
                    text="…",
                )
            )
        await at(bot, START + timedelta(hours=25))
        dropped = await status_becomes(bot, reminder, SurveyStatus.CANCELLED)
        assert dropped.last_error == "wrote_again"


async def test_an_agent_writing_in_the_thread_does_not_stop_the_reminder(
    slack: FakeSlack, store_url: str
) -> None:
    async with running_bot(slack, store_url, teams_toml=REMINDING) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        # The customer's own message before the survey does not count either.
        for author, ts in ((CUSTOMER, float(survey.ts) - 30), (AGENT, float(survey.ts) + 30)):
            await bot.send_event(
                message_posted(
                    user=author, channel=SUPPORT_CHANNEL, ts=f"{ts:.6f}", thread_ts=ROOT_TS
                )
            )
        await at(bot, START + timedelta(hours=24))
        await status_becomes(bot, reminder, SurveyStatus.DELIVERED)


async def test_no_reminder_of_a_survey_that_expires_first(
    slack: FakeSlack, sqlite_url: str
) -> None:
    """Closed at 09:00 and asked at 10:00, a survey of one day closes at 09:00 the next
    day: a reminder 23 hours after delivery would come too late, and is not scheduled."""
    teams = TEAMS_TOML.replace("delay_minutes = 0", "delay_minutes = 60")
    teams += "expire_days = 1\nreminder_after = 23\n"
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        bot.clock.set(START)
        first = await closed(bot, slack, ROOT_TS)
        await at(bot, START + timedelta(hours=1))
        await status_becomes(bot, first, SurveyStatus.DELIVERED)
        await at(bot, START + timedelta(days=2))
        await a_few_turns()
        assert await surveys.reminder_of(bot.workspace.db, first.id) is None
        assert slack.surveys_posted() == {first.token: 1}


async def test_a_reminder_pushed_past_the_surveys_expiry_by_quiet_hours_is_dropped(
    slack: FakeSlack, sqlite_url: str
) -> None:
    """Closed at 07:00 in Berlin and asked at 08:00 as quiet hours end, Ann's survey
    expires at 07:00 the next day; its reminder, due at 06:00, waits for 08:00, by which
    time there is nothing left to remind of."""
    teams = TEAMS_TOML.replace('quiet_hours = ""', 'quiet_hours = "20:00-08:00"')
    teams = teams.replace("delay_minutes = 0", "delay_minutes = 60")
    teams += "expire_days = 1\nreminder_after = 22\n"
    monday_8 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        bot.clock.set(monday_8 - timedelta(hours=1))
        first = await closed(bot, slack, ROOT_TS)
        await at(bot, monday_8)
        delivered = await status_becomes(bot, first, SurveyStatus.DELIVERED)
        reminder = await reminder_of(bot, delivered)
        assert reminder.send_after == monday_8 + timedelta(hours=22)  # 06:00 in Berlin
        await at(bot, reminder.send_after)

        async def postponed() -> bool:
            now = await surveys.get_survey(bot.workspace.db, reminder.id)
            return now is not None and now.send_after == monday_8 + timedelta(days=1)

        await wait_until(postponed, what="the reminder moved to 08:00")
        await at(bot, monday_8 + timedelta(days=1))
        dropped = await status_becomes(bot, reminder, SurveyStatus.CANCELLED)
        assert dropped.last_error == "expired"
        assert slack.surveys_posted() == {first.token: 1}
        assert await dropped_metric(bot, "expired") == 1


# ------------------------------------------------------------------ quiet hours


async def test_a_reminder_due_in_quiet_hours_goes_when_they_end(
    slack: FakeSlack, sqlite_url: str
) -> None:
    teams = TEAMS_TOML.replace('quiet_hours = ""', 'quiet_hours = "20:00-08:00"')
    teams += "reminder_after = 12\n"
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        night = START + timedelta(hours=12)  # 21:00 UTC, 22:00 for Ann in Berlin
        assert reminder.send_after == night

        await at(bot, night)

        async def postponed() -> bool:
            now = await surveys.get_survey(bot.workspace.db, reminder.id)
            return now is not None and now.send_after > night

        await wait_until(postponed, what="the reminder moved to the morning")
        waiting = await surveys.get_survey(bot.workspace.db, reminder.id)
        assert waiting is not None and waiting.status is SurveyStatus.SCHEDULED
        morning = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
        assert waiting.send_after == morning
        await at(bot, night + timedelta(hours=5))  # 03:00 in Berlin: still asleep
        await a_few_turns()
        assert slack.surveys_posted() == {survey.survey.token: 1}

        await at(bot, morning)
        await status_becomes(bot, reminder, SurveyStatus.DELIVERED)
        assert slack.surveys_posted() == {survey.survey.token: 1, reminder.token: 1}


# ------------------------------------------------------------------ off, and the rule


async def test_no_reminder_when_the_setting_is_off(slack: FakeSlack, sqlite_url: str) -> None:
    assert parse_teams(TEAMS_TOML).default.reminder_after is None  # off by default
    async with running_bot(slack, sqlite_url) as bot:
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        await at(bot, START + timedelta(days=3))
        await a_few_turns()
        sends = await surveys.all_surveys(bot.workspace.db)
        assert [s.purpose for s in sends] == [Purpose.CONVERSATION]
        assert slack.surveys_posted() == {survey.survey.token: 1}


async def test_a_reminder_does_not_count_against_the_contact_rule(
    slack: FakeSlack, sqlite_url: str
) -> None:
    """Asked at 09:00 on Monday and reminded at 11:00, Ann may be asked again from
    09:00 on Tuesday (throttle_days = 1): the reminder asked nothing new."""
    teams = TEAMS_TOML.replace("delay_minutes = 0", "delay_minutes = 60")
    teams += "throttle_days = 1\nreminder_after = 1\n"
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        bot.clock.set(START - timedelta(hours=1))  # closed at 08:00, surveyed at 09:00
        first = await closed(bot, slack, ROOT_TS)
        await at(bot, START)
        first = await status_becomes(bot, first, SurveyStatus.DELIVERED)
        reminder = await reminder_of(bot, first)
        await at(bot, START + timedelta(hours=1))
        reminder = await status_becomes(bot, reminder, SurveyStatus.DELIVERED)
        assert reminder.created_at == START  # the survey was created an hour before

        # Tuesday 08:30: a day after the survey was created, not after the reminder.
        await at(bot, START + timedelta(days=1, minutes=-30))
        second = await closed(bot, slack, "1763990000.000100")
        assert second.status is SurveyStatus.SCHEDULED  # not throttled


# ------------------------------------------------------------------ the setting


@pytest.mark.parametrize("value", ["0", "-3", "2161", '"soon"'])
def test_the_teams_file_refuses_a_reminder_delay_out_of_range(value: str) -> None:
    with pytest.raises(TeamsFileError) as error:
        parse_teams(f'[[teams]]\nname = "support"\nreminder_after = {value}\n')
    assert "reminder_after" in str(error.value)


def test_the_teams_file_sets_the_reminder_delay_in_hours() -> None:
    assert parse_teams(REMINDING).default.reminder_after == 24


def test_the_teams_file_refuses_a_reminder_that_would_come_after_the_survey_expired() -> None:
    """Surveys live 7 days (168 hours) by default: a reminder at 168 hours would never go."""
    with pytest.raises(TeamsFileError) as error:
        parse_teams(TEAMS_TOML + "reminder_after = 168\n")
    assert "reminder_after" in str(error.value) and "168 hours" in str(error.value)
    assert parse_teams(TEAMS_TOML + "reminder_after = 167\n").default.reminder_after == 167


async def test_a_lead_turns_the_reminder_on_in_app_home(slack: FakeSlack, sqlite_url: str) -> None:
    lead = "U0LEAD"
    slack.add_user(lead, name="lead")
    teams = TEAMS_TOML + f'leads = ["{lead}"]\n'
    async with running_bot(slack, sqlite_url, teams_toml=teams) as bot:
        await bot.send_event(payloads.app_home_opened(user=lead))
        await slack.wait_for("views.publish")
        home = slack.home_tabs[lead]
        await bot.send_interaction(
            payloads.view_block_actions(home, user=lead, action_id="home_team_settings")
        )
        await slack.wait_for("views.open")
        modal = slack.views[-1]
        assert "Remind once after (hours)" in str(modal["blocks"])
        _, body = await bot.send_interaction_json(
            payloads.submission(modal, user=lead, reminder_after="200")
        )
        assert body["errors"] == {
            "reminder_after": "Enter fewer hours than a survey stays open (168), or leave it empty."
        }
        status, body = await bot.send_interaction_json(
            payloads.submission(modal, user=lead, reminder_after="6")
        )
        assert status == 200 and not (body or {}).get("errors")

        async def saved() -> bool:
            team = bot.workspace.teams.by_name("support")
            return team is not None and team.reminder_after == 6

        await wait_until(saved, what="the setting saved")
        bot.clock.set(START)
        survey = await delivered_survey(bot, slack)
        reminder = await reminder_of(bot, survey.survey)
        assert reminder.send_after == START + timedelta(hours=6)


def a_send(purpose: Purpose, kind: SurveyKind) -> SurveyRecord:
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    return SurveyRecord(
        token="t",
        team="support",
        kind=kind,
        customer_key="U1",
        delivery=Delivery.DM,
        status=SurveyStatus.DELIVERED,
        created_at=at,
        send_after=at,
        expires_at=at + timedelta(days=7),
        purpose=purpose,
        id=1,
        conversation_id=None,
    )


def test_an_nps_invitation_is_reminded_of_after_three_days_when_its_team_reminds() -> None:
    reminding = parse_teams('[[teams]]\nname = "support"\nreminder_after = 24\n').default
    silent = parse_teams('[[teams]]\nname = "support"\n').default
    nps = a_send(Purpose.INVITATION, SurveyKind.NPS)
    assert reminder_delay(reminding, nps) == timedelta(days=3)
    assert reminder_delay(silent, nps) is None  # off by default, NPS too
    csat = a_send(Purpose.CONVERSATION, SurveyKind.CSAT)
    assert reminder_delay(reminding, csat) == timedelta(hours=24)
