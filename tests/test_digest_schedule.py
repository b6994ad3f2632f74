"""The running bot's digest jobs: one weekly cron job per team, in the team's timezone,
whose first run at start catches up a week missed while the bot was down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from sandbox import FakeSlack
from tests.harness import DIGEST_CHANNEL, Bot, Clock, running_bot
from tests.waiting import wait_until

TEAMS = """
[[teams]]
name = "support"
digest_channel = "C0DIGEST"
timezone = "Europe/Berlin"
digest_schedule = "mon 09:00"

[[teams]]
name = "east"
digest_channel = "C0EAST"
timezone = "America/New_York"
digest_schedule = "fri 17:30"

[[teams]]
name = "quiet"
"""

# The harness team posts on Mondays at 09:00 UTC; this is the day after.
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


async def caught_up(bot: Bot) -> None:
    """Wait for the support team's first run (the catch-up) to be over."""

    def waits_for_monday() -> bool:
        (job,) = [j for j in bot.runtime.scheduler.jobs() if j.id == "digest:support"]
        # Once it has run, the job waits for the next Monday 09:00 (UTC for this team).
        return bool(job.next_run_time.astimezone(UTC).strftime("%a %H:%M") == "Mon 09:00")

    await wait_until(waits_for_monday, what="the digest job to run at start")


async def test_each_team_with_a_digest_channel_has_one_cron_job_in_its_timezone(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS) as bot:
        jobs = bot.runtime.scheduler.jobs()
    weekly = {
        job.id: job
        for job in jobs
        if isinstance(job.trigger, CronTrigger) and job.id.startswith("digest:")
    }
    assert sorted(weekly) == ["digest:east", "digest:support"]  # "quiet" posts no digest
    # The other cron jobs: NPS rounds, started and reported every 15 minutes, and the
    # accounts' people of past days, counted once just after midnight (UTC).
    others = [j.id for j in jobs if isinstance(j.trigger, CronTrigger) and j.id not in weekly]
    assert sorted(others) == ["accounts_of_the_day", "nps_rounds"]
    assert str(weekly["digest:support"].trigger.timezone) == "Europe/Berlin"
    assert str(weekly["digest:east"].trigger.timezone) == "America/New_York"
    sunday = datetime(2026, 11, 22, tzinfo=UTC)
    # 09:00 in Berlin (UTC+1) and 17:30 in New York (UTC−5), in November.
    assert weekly["digest:support"].trigger.get_next_fire_time(None, sunday) == datetime(
        2026, 11, 23, 8, 0, tzinfo=UTC
    )
    assert weekly["digest:east"].trigger.get_next_fire_time(None, sunday) == datetime(
        2026, 11, 27, 22, 30, tzinfo=UTC
    )
    assert all(job.misfire_grace_time == 6 * 3600 for job in weekly.values())
    retries = {job.id: job.trigger for job in jobs if job.id.startswith("digest_retry:")}
    assert sorted(retries) == ["digest_retry:east", "digest_retry:support"]
    assert all(
        isinstance(t, IntervalTrigger) and t.interval == timedelta(minutes=5)
        for t in retries.values()
    )


async def first_started(slack: FakeSlack, sqlite_url: str, at: datetime) -> None:
    """The install's first start, at `at`: its teams exist from then on."""
    async with running_bot(slack, sqlite_url, clock=Clock(at), digest_catch_up_seconds=0) as bot:
        await caught_up(bot)
        await asyncio.sleep(0.3)


async def test_a_brand_new_install_posts_no_digest_for_the_week_before_its_team_existed(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(
        slack, sqlite_url, clock=Clock(TUESDAY), digest_catch_up_seconds=0
    ) as bot:
        await caught_up(bot)
        await asyncio.sleep(0.5)  # the catch-up run is over; anything it posted is in
    assert slack.messages.get(DIGEST_CHANNEL, []) == []
    # The next Monday's digest covers the team's first (partial) week: that one is posted.
    next_week = TUESDAY + timedelta(days=7)
    async with running_bot(
        slack, sqlite_url, clock=Clock(next_week), digest_catch_up_seconds=0
    ) as again:
        await slack.wait_for("chat.postMessage", 2)
        await caught_up(again)
    assert [m["text"].split(":")[0] for m in slack.messages[DIGEST_CHANNEL]][:1] == [
        "🎉 Good news — support, week 48"
    ]


async def test_a_bot_started_after_the_moment_posts_last_weeks_digest_once(
    slack: FakeSlack, sqlite_url: str
) -> None:
    await first_started(slack, sqlite_url, TUESDAY - timedelta(days=8))
    assert slack.messages.get(DIGEST_CHANNEL, []) == []
    clock = Clock(TUESDAY)
    async with running_bot(slack, sqlite_url, clock=clock, digest_catch_up_seconds=0) as bot:
        await slack.wait_for("chat.postMessage", 2)
        await caught_up(bot)
    # The default chart is Slack's native block, in the good news: nothing to upload.
    assert slack.called("files.completeUploadExternal") == []
    posted = [m["text"].split(":")[0] for m in slack.messages[DIGEST_CHANNEL]]
    assert posted[:2] == [
        "🎉 Good news — support, week 47",
        "🔧 Room to improve — support, week 47",
    ]
    # A restart the same week finds the week posted and posts nothing more.
    async with running_bot(slack, sqlite_url, clock=clock, digest_catch_up_seconds=0) as again:
        await caught_up(again)
        await asyncio.sleep(0.3)  # the run is started; let its few reads finish
    assert len(slack.called("chat.postMessage")) == 2


async def test_a_shutdown_during_the_digest_lets_it_finish_posting(
    slack: FakeSlack, sqlite_url: str
) -> None:
    await first_started(slack, sqlite_url, TUESDAY - timedelta(days=8))
    slack.latency["chat.postMessage"] = 0.3
    clock = Clock(TUESDAY)
    async with running_bot(slack, sqlite_url, clock=clock, digest_catch_up_seconds=0):
        await slack.wait_for("chat.postMessage")
        # SIGTERM arrives now: the good news is on its way, the rest still to come.
    # The good news (its chart is Slack's native block, inside it) and the room to
    # improve both reached the channel.
    assert len(slack.messages[DIGEST_CHANNEL]) == 2
