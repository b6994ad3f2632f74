"""When rounds start and when each person's slot comes: pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.nps.schedule import RoundSchedule, due_round
from bot.nps.slots import due_in_zone, slot_for, weekdays
from bot.team_checks import nps_schedule

TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_schedule_repeats_every_n_months_on_the_same_day_or_the_months_last() -> None:
    schedule = RoundSchedule.parse("every 3 months from 2026-11-30")
    assert [schedule.start(n) for n in range(3)] == [
        date(2026, 11, 30),
        date(2027, 2, 28),  # February has no 30th
        date(2027, 5, 30),
    ]
    assert schedule.latest_start(date(2027, 3, 1)) == date(2027, 2, 28)
    assert schedule.latest_start(date(2026, 11, 29)) is None
    assert schedule.next_start(date(2027, 3, 1)) == date(2027, 5, 30)


@pytest.mark.parametrize(
    "text",
    [
        "every 0 months from 2027-01-01",
        "every 13 months from 2027-01-01",
        "every 6 months from 2027-02-30",
        "twice a year",
        "every month",
    ],
)
def test_a_schedule_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="every N months from YYYY-MM-DD"):
        nps_schedule(text)


def test_an_empty_schedule_means_no_rounds_and_spacing_is_forgiven() -> None:
    assert nps_schedule("") is None
    assert nps_schedule("  Every 6 Months  from 2027-01-11 ") == "every 6 months from 2027-01-11"


def test_a_round_is_planned_from_its_first_moment_anywhere_to_the_end_of_its_spread() -> None:
    schedule = RoundSchedule.parse("every 6 months from 2027-01-04")
    assert due_round(schedule, 5, datetime(2027, 1, 3, 9, 59, tzinfo=UTC)) is None
    assert due_round(schedule, 5, datetime(2027, 1, 3, 10, 0, tzinfo=UTC)) == date(2027, 1, 4)
    assert due_round(schedule, 5, datetime(2027, 1, 8, 23, 0, tzinfo=UTC)) == date(2027, 1, 4)
    assert due_round(schedule, 5, datetime(2027, 1, 9, 0, 0, tzinfo=UTC)) is None


def test_slots_are_weekday_mornings_inside_the_spread_and_the_same_every_time() -> None:
    days = weekdays(date(2027, 1, 8), 3)  # Friday, Saturday, Sunday
    assert days == [date(2027, 1, 8)]
    assert weekdays(date(2027, 1, 9), 2) == [date(2027, 1, 11)]  # a weekend: Monday
    spread = weekdays(date(2027, 1, 4), 5)
    for n in range(200):
        slot = slot_for(f"U{n}", None, spread)
        assert slot.date() in spread and time(9) <= slot.time() < time(12)
        assert slot == slot_for(f"U{n}", None, spread)


def test_an_invitation_waits_for_its_slot_in_the_customers_zone() -> None:
    slot = datetime(2027, 1, 5, 9, 30)  # Tuesday 09:30, their time
    in_tokyo = datetime(2027, 1, 5, 0, 30, tzinfo=UTC)
    assert due_in_zone(slot, datetime(2027, 1, 4, 12, 0, tzinfo=UTC), TOKYO) == in_tokyo
    assert due_in_zone(slot, in_tokyo, TOKYO) is None
    # Missed (the bot was down until Tokyo's evening): the next weekday morning.
    late = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)  # 19:00 in Tokyo
    assert due_in_zone(slot, late, TOKYO) == datetime(2027, 1, 6, 0, 30, tzinfo=UTC)
    friday_night = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
    assert due_in_zone(slot, friday_night, TOKYO) == datetime(2027, 1, 11, 0, 30, tzinfo=UTC)
