"""Slack deliveries already seen, so retries are handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import Database
from storage.models import ProcessedEvent


async def first_delivery(db: Database, event_id: str, now: datetime) -> bool:
    """True the first time `event_id` is seen; the primary key decides, not memory."""
    async with db.session() as session:
        session.add(ProcessedEvent(event_id=event_id[:64], received_at=now))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return False
    return True


async def forget_events_before(db: Database, cutoff: datetime) -> int:
    return await db.write(delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < cutoff))
