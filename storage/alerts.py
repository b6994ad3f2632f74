"""Alerts about low scores: one per survey, claimed and resolved with conditional updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import Database
from storage.models import Alert
from storage.statuses import AlertStatus


async def create_alert(db: Database, alert: Alert) -> Alert | None:
    """Store the survey's alert; None when it already has one (unique survey_id)."""
    async with db.session() as session:
        session.add(alert)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        return alert


async def set_alert_message(db: Database, alert_id: int, channel_id: str, message_ts: str) -> bool:
    """Remember where the alert was posted; False if another process posted it first."""
    return (
        await db.write(
            update(Alert)
            .where(col(Alert.id) == alert_id, col(Alert.message_ts).is_(None))
            .values(channel_id=channel_id, message_ts=message_ts)
        )
    ) == 1


async def forget_unposted_alert(db: Database, alert_id: int) -> None:
    """Remove an alert whose post failed (it never reached Slack)."""
    await db.write(delete(Alert).where(col(Alert.id) == alert_id, col(Alert.message_ts).is_(None)))


async def claim_alert(db: Database, alert_id: int, user_id: str, at: datetime) -> bool:
    """Take an open alert; False when someone claimed (or resolved) it first."""
    return (
        await db.write(
            update(Alert)
            .where(col(Alert.id) == alert_id, col(Alert.status) == AlertStatus.OPEN)
            .values(status=AlertStatus.CLAIMED, claimed_by=user_id, claimed_at=at)
        )
    ) == 1


async def resolve_alert(db: Database, alert_id: int, user_id: str, at: datetime) -> bool:
    """Close an alert; False when it was already resolved."""
    return (
        await db.write(
            update(Alert)
            .where(col(Alert.id) == alert_id, col(Alert.status) != AlertStatus.RESOLVED)
            .values(status=AlertStatus.RESOLVED, resolved_by=user_id, resolved_at=at)
        )
    ) == 1


async def get_alert(db: Database, alert_id: int) -> Alert | None:
    async with db.session() as session:
        return await session.get(Alert, alert_id)


async def alert_for_survey(db: Database, survey_id: int) -> Alert | None:
    async with db.session() as session:
        result = await session.execute(select(Alert).where(col(Alert.survey_id) == survey_id))
        return result.scalar_one_or_none()
