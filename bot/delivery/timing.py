"""When a survey goes out: pure decisions over plain values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_sampled(conversation_key: str, sample_rate: float) -> bool:
    """Whether this conversation is in the sample.

    Decided by a hash, not a coin toss, so a re-delivered close decides the same way.
    """
    if sample_rate >= 1.0:
        return True
    if sample_rate <= 0.0:
        return False
    digest = hashlib.sha256(conversation_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < sample_rate


def send_after(closed_at: datetime, delay_minutes: int) -> datetime:
    return closed_at + timedelta(minutes=delay_minutes)


def expires_at(closed_at: datetime, expire_days: int) -> datetime:
    return closed_at + timedelta(days=expire_days)


def quiet_hours_end(
    now: datetime, zone: ZoneInfo, window: tuple[time, time] | None
) -> datetime | None:
    """If `now` falls in the quiet hours of `zone`, the moment they end (UTC); else None.

    A window whose start is after its end ("20:00-08:00") runs over midnight.
    """
    if window is None:
        return None
    start, end = window
    if start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= clock < end
        end_day = local.date()
    else:
        quiet = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return None
    ends = datetime.combine(end_day, end, tzinfo=zone)
    return ends.astimezone(UTC)


RETRY_CAP = timedelta(hours=1)


def retry_delay(attempts: int, first: timedelta = timedelta(seconds=5)) -> timedelta:
    """Backoff between delivery attempts: first, twice that, four times … at most an hour."""
    return min(RETRY_CAP, first * (1 << min(20, max(0, attempts - 1))))
