"""Which week a digest covers and when it is due, in the team's own timezone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from bot.digest import covered_week, is_due, parse_week, recent_weeks, scheduled_moment
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


def test_due_at_the_schedule_in_the_teams_timezone() -> None:
    assert scheduled_moment(NEW_YORK, datetime(2026, 11, 25, tzinfo=UTC)) == datetime(
        2026, 11, 23, 14, 0, tzinfo=UTC
    )
    assert not is_due(NEW_YORK, datetime(2026, 11, 23, 13, 59, tzinfo=UTC))
    assert is_due(NEW_YORK, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    # Friday 17:30 in Auckland (UTC+13 in November) is Friday 04:30 UTC.
    assert not is_due(AUCKLAND, datetime(2026, 11, 27, 4, 29, tzinfo=UTC))
    assert is_due(AUCKLAND, datetime(2026, 11, 27, 4, 30, tzinfo=UTC))


@pytest.mark.parametrize("label", ["2026-47", "W47", "2026-W54", "2025-W53", ""])
def test_a_bad_week_says_the_format(label: str) -> None:
    with pytest.raises(ValueError, match=r"ISO week|week of that year"):
        parse_week(label, BERLIN.zone)
