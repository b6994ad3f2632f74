"""Slack's deliveries: each event is handled once, however often Slack sends it."""

from __future__ import annotations

from datetime import datetime

from storage import events
from storage.db import Database


async def first_delivery(db: Database, event_id: str, now: datetime) -> bool:
    """True the first time Slack delivers `event_id`; the database remembers, not memory."""
    return await events.first_delivery(db, event_id, now)
