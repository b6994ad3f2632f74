"""When a survey goes out: delay, sampling, quiet hours in the customer's zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.delivery import timing

NIGHT = (time(20, 0), time(8, 0))
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_survey_due_at_night_waits_for_the_morning_in_the_customers_zone() -> None:
    # 22:30 in Berlin (UTC+1 in November) -> waits until 08:00 Berlin = 07:00 UTC next day.
    now = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)
    assert timing.quiet_hours_end(now, BERLIN, NIGHT) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_early_morning_is_still_quiet_until_eight() -> None:
    now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 06:00 Berlin
    assert timing.quiet_hours_end(now, BERLIN, NIGHT) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_daytime_is_not_quiet() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert timing.quiet_hours_end(now, BERLIN, NIGHT) is None
    assert timing.quiet_hours_end(now, BERLIN, None) is None


def test_a_same_day_window_is_quiet_only_inside_it() -> None:
    lunch = (time(12, 0), time(13, 0))
    utc = ZoneInfo("UTC")
    assert timing.quiet_hours_end(datetime(2026, 1, 1, 12, 30, tzinfo=UTC), utc, lunch) == datetime(
        2026, 1, 1, 13, 0, tzinfo=UTC
    )
    assert timing.quiet_hours_end(datetime(2026, 1, 1, 13, 0, tzinfo=UTC), utc, lunch) is None


def test_sampling_is_stable_for_the_same_conversation_and_close_to_the_rate() -> None:
    keys = [f"webhook:{i}" for i in range(4000)]
    picked = [timing.is_sampled(k, 0.25) for k in keys]
    assert picked == [timing.is_sampled(k, 0.25) for k in keys]
    assert 0.22 < sum(picked) / len(keys) < 0.28
    assert all(timing.is_sampled(k, 1.0) for k in keys[:50])
    assert not any(timing.is_sampled(k, 0.0) for k in keys[:50])


def test_retries_start_within_seconds_back_off_and_stop_growing_at_an_hour() -> None:
    assert [timing.retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(seconds=5),
        timedelta(seconds=10),
        timedelta(seconds=20),
    ]
    assert timing.retry_delay(2, first=timedelta(seconds=1)) == timedelta(seconds=2)
    assert timing.retry_delay(30) == timedelta(hours=1)
