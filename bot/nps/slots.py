"""Each person's moment in a round: a weekday morning, in their own zone.

The slot is a wall time ("Tuesday 09:41"), picked inside the round's spread from the
customer's key and their own last survey, so the same person and history always get
the same slot (planning twice, or a dry run, says the same) and people spread evenly.
Their zone is known only at sending time (from their Slack profile), so the slot is
stored as a wall time and its invitation is due from the earliest zone on; the
dispatcher holds it until the slot comes in their zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.delivery import timing
from bot.nps.schedule import EARLIEST_OFFSET
from storage import nps as store
from storage.db import Database
from storage.surveys import SurveyRecord
from storage.vocabulary import Purpose, SurveyKind

MORNING_START = time(9, 0)
MORNING_MINUTES = 180  # 09:00 to 12:00
SLOT_FORMAT = "%Y-%m-%dT%H:%M"


def weekdays(starts_on: date, spread_days: int) -> list[date]:
    """The weekdays of the spread; a spread of weekend days only moves to the Monday."""
    days = [starts_on + timedelta(days=n) for n in range(spread_days)]
    found = [d for d in days if d.weekday() < 5]
    if found:
        return found
    day = starts_on
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return [day]


def slot_for(key: str, last_asked_at: datetime | None, days: Sequence[date]) -> datetime:
    """A wall time (no zone): one of the spread's weekdays (`weekdays`), 09:00 to 12:00."""
    seed = f"{key}|{last_asked_at.isoformat() if last_asked_at else '-'}|{days[0]}"
    digest = hashlib.sha256(seed.encode()).digest()
    day = days[int.from_bytes(digest[:4], "big") % len(days)]
    minute = int.from_bytes(digest[4:8], "big") % MORNING_MINUTES
    return datetime.combine(day, MORNING_START) + timedelta(minutes=minute)


def earliest_due(slot: datetime) -> datetime:
    """When the slot first comes anywhere (UTC): the invitation's `send_after`."""
    return slot.replace(tzinfo=UTC) - EARLIEST_OFFSET


def is_weekday_morning(local: datetime) -> bool:
    start = datetime.combine(local.date(), MORNING_START, tzinfo=local.tzinfo)
    return local.weekday() < 5 and start <= local < start + timedelta(minutes=MORNING_MINUTES)


def due_in_zone(slot: datetime, now: datetime, zone: ZoneInfo) -> datetime | None:
    """None when the invitation may go now; else when it may (UTC): its slot in this
    zone, or, once that has passed outside a weekday morning (the bot was down, Slack
    was busy), the next weekday morning at the slot's minute."""
    target = slot.replace(tzinfo=zone).astimezone(UTC)
    if now < target:
        return target
    local = now.astimezone(zone)
    if is_weekday_morning(local):
        return None
    day = local.date()
    if local.time() >= MORNING_START:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, slot.time(), tzinfo=zone).astimezone(UTC)


async def not_before(
    db: Database,
    survey: SurveyRecord,
    now: datetime,
    zone: ZoneInfo,
    quiet: tuple[time, time] | None,
) -> datetime | None:
    """When a send due now may go instead (UTC), or None for now: an NPS round's
    invitation waits for its slot in the customer's zone; every send keeps quiet hours."""
    if survey.kind == SurveyKind.NPS and survey.purpose is Purpose.INVITATION:
        slot = await store.slot_of(db, survey.token)
        if slot is not None:
            due = due_in_zone(datetime.strptime(slot, SLOT_FORMAT), now, zone)
            if due is not None:
                return due
    return timing.quiet_hours_end(now, zone, quiet)
