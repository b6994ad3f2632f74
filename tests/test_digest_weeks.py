"""Which week a digest covers and when it is due, in the team's own timezone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.digest.compose import covered_week, parse_week, recent_weeks
from bot.digest.schedule import digest_trigger, latest_digest_moment
from bot.teams import Team

BERLIN = Team(name="b", timezone="Europe/Berlin", digest_schedule="mon 09:00")
NEW_YORK = Team(name="ny", timezone="America/New_York", digest_schedule="mon 09:00")
AUCKLAND = Team(name="akl", timezone="Pacific/Auckland", digest_schedule="fri 17:30")


def test_a_week_runs_from_local_monday_midnight_to_the_next() -> None:
    week = parse_week("2026-W47", BERLIN.zone)
    # Berlin is UTC+1 in November: Monday 00:00 local is Sunday 23:00 UTC.
    assert week.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def test_the_week_that_leaves_summer_time_is_an_hour_longer() -> None:
    # Europe/Berlin leaves summer time on Sunday 25 Oct 2026 (week 43): 169 hours.
    week = parse_week("2026-W43", BERLIN.zone)
    assert (week.end - week.start).total_seconds() == 169 * 3600
    weeks = recent_weeks(parse_week("2026-W47", BERLIN.zone), BERLIN.zone)
    assert [w.label for w in weeks][:2] == ["2026-W40", "2026-W41"]
    assert all(a.end == b.start for a, b in itertools.pairwise(weeks))


def test_a_digest_covers_the_iso_week_before_the_moment_it_fires() -> None:
    # Monday 4 Jan 2027 is in ISO week 2027-W01; the week before is 2026-W53.
    monday = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    assert covered_week(monday, BERLIN.zone).label == "2026-W53"


def test_the_trigger_fires_at_the_schedule_in_the_teams_timezone() -> None:
    sunday = datetime(2026, 11, 22, tzinfo=UTC)
    # Monday 09:00 in New York (EST, UTC−5) is 14:00 UTC.
    assert digest_trigger(NEW_YORK).get_next_fire_time(None, sunday) == datetime(
        2026, 11, 23, 14, 0, tzinfo=UTC
    )
    # Friday 17:30 in Auckland (UTC+13 in November) is Friday 04:30 UTC.
    assert digest_trigger(AUCKLAND).get_next_fire_time(None, sunday) == datetime(
        2026, 11, 27, 4, 30, tzinfo=UTC
    )


def test_the_latest_moment_is_the_last_firing_at_or_before_now() -> None:
    monday_14 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert latest_digest_moment(NEW_YORK, monday_14) == monday_14
    assert latest_digest_moment(NEW_YORK, datetime(2026, 11, 25, tzinfo=UTC)) == monday_14
    a_minute_early = monday_14 - timedelta(minutes=1)
    assert latest_digest_moment(NEW_YORK, a_minute_early) == monday_14 - timedelta(days=7)
    # Auckland's Friday: on Tuesday the latest moment is still last Friday.
    assert latest_digest_moment(AUCKLAND, datetime(2026, 12, 1, tzinfo=UTC)) == datetime(
        2026, 11, 27, 4, 30, tzinfo=UTC
    )


def test_the_first_moment_of_summer_time_is_not_taken_for_last_weeks() -> None:
    # Berlin enters summer time on 28 Mar 2027: Monday 09:00 is 07:00 UTC, one hour
    # less than a week after the Monday before (08:00 UTC).
    first = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    assert latest_digest_moment(BERLIN, first + timedelta(seconds=30)) == first
    assert covered_week(first, BERLIN.zone).label == "2027-W12"


@pytest.mark.parametrize("label", ["2026-47", "W47", "2026-W54", "2025-W53", ""])
def test_a_bad_week_says_the_format(label: str) -> None:
    with pytest.raises(ValueError, match=r"ISO week|week of that year"):
        parse_week(label, BERLIN.zone)
