"""When a team's NPS rounds start: `nps_schedule = "every 6 months from 2027-01-11"`.

A round starts on that date and every N months after it (the same day of the month, or
the month's last day when it is shorter). It is planned from the moment the start date
begins anywhere on Earth (UTC+14), so that the first morning of the round is still
ahead in every customer's zone, and no later than the end of its spread: a bot that was
down for the whole spread does not send an old round late.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# The earliest zone there is (Kiribati): a wall time there comes first.
EARLIEST_OFFSET = timedelta(hours=14)
_SCHEDULE = re.compile(r"every (\d+) months? from (\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class RoundSchedule:
    months: int
    first: date

    @classmethod
    def parse(cls, text: str) -> RoundSchedule:
        """A schedule the team's settings already checked (bot.team_checks.nps_schedule)."""
        found = _SCHEDULE.fullmatch(text)
        if found is None:
            raise ValueError(f"not an NPS schedule: {text!r}")
        return cls(int(found.group(1)), date.fromisoformat(found.group(2)))

    def start(self, index: int) -> date:
        """The start of round `index` (0 is the first)."""
        month = self.first.month - 1 + index * self.months
        year, month = self.first.year + month // 12, month % 12 + 1
        return date(year, month, min(self.first.day, calendar.monthrange(year, month)[1]))

    def latest_start(self, on: date) -> date | None:
        """The start of the latest round begun by `on`; None before the first."""
        if on < self.first:
            return None
        index = ((on.year - self.first.year) * 12 + on.month - self.first.month) // self.months
        while self.start(index) > on:
            index -= 1
        return self.start(index)

    def next_start(self, on: date) -> date:
        """The first round start on or after `on`."""
        latest = self.latest_start(on)
        if latest == on:
            return on
        if latest is None:
            return self.first
        index = 0
        while self.start(index) <= on:
            index += 1
        return self.start(index)


def planning_opens(starts_on: date) -> datetime:
    """When a round starting on this date may be planned: its first moment anywhere."""
    return datetime.combine(starts_on, time(0), tzinfo=UTC) - EARLIEST_OFFSET


def due_round(schedule: RoundSchedule, spread_days: int, now: datetime) -> date | None:
    """The round to plan now, if one is open for planning (it may be planned already)."""
    starts_on = schedule.latest_start((now + EARLIEST_OFFSET).date())
    if starts_on is None:
        return None
    closes = datetime.combine(starts_on + timedelta(days=spread_days), time(0), tzinfo=UTC)
    return starts_on if now < closes else None
