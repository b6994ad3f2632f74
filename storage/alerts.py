"""Alerts about low scores: one per survey, claimed and resolved with conditional updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import Database
from storage.models import Alert
from storage.records import read_model
from storage.vocabulary import AlertStatus


@dataclass(frozen=True)
class AlertRecord:
    """A low score brought to the team, and who is following up."""

    id: int
    survey_id: int
    team: str
    status: AlertStatus
    channel_id: str | None
    message_ts: str | None
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None


def _record(row: Alert) -> AlertRecord:
    return read_model(AlertRecord, row, status=AlertStatus(row.status))


async def create_alert(
    db: Database, *, survey_id: int, team: str, channel_id: str | None, created_at: datetime
) -> AlertRecord | None:
    """Store the survey's open alert; None when it already has one (unique survey_id)."""
    alert = Alert(
        survey_id=survey_id,
        team=team,
        status=AlertStatus.OPEN,
        channel_id=channel_id,
        created_at=created_at,
    )
    async with db.session() as session:
        session.add(alert)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        return _record(alert)


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


async def get_alert(db: Database, alert_id: int) -> AlertRecord | None:
    async with db.session() as session:
        row = await session.get(Alert, alert_id)
        return _record(row) if row is not None else None


async def alert_for_survey(db: Database, survey_id: int) -> AlertRecord | None:
    async with db.session() as session:
        result = await session.execute(select(Alert).where(col(Alert.survey_id) == survey_id))
        row = result.scalar_one_or_none()
        return _record(row) if row is not None else None
