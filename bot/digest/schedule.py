"""When a team's weekly digest is due: its cron trigger, in the team's own timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.teams import Team

# Longer than any week between two firings, even one that leaves summer time.
_LOOK_BACK = timedelta(days=8)


def digest_trigger(team: Team) -> CronTrigger:
    """The team's weekly moment ("mon 09:00"), local to the team."""
    moment = team.digest_time
    # APScheduler 3 numbers weekdays from Monday = 0, as `Team.digest_weekday` does.
    return CronTrigger(
        day_of_week=team.digest_weekday,
        hour=moment.hour,
        minute=moment.minute,
        timezone=team.zone,
    )


def latest_digest_moment(team: Team, now: datetime) -> datetime:
    """The last time (UTC) the team's trigger fired, at or before `now`.

    Asked of the trigger itself, so the catch-up at start and the cron job agree on
    which week is due, whatever day the schedule names.
    """
    trigger = digest_trigger(team)
    moment: datetime = trigger.get_next_fire_time(None, now - _LOOK_BACK)
    while True:
        following: datetime = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        if following > now:
            return moment.astimezone(UTC)
        moment = following
