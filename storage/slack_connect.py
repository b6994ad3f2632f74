"""Customers from another company in a shared channel (Slack Connect): their survey's
way into the thread, and their company, kept on the survey."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from storage.db import Database
from storage.models import Survey
from storage.vocabulary import Delivery


async def send_in_thread(db: Database, survey_id: int, company: str | None) -> None:
    """The survey goes into its thread after all (its customer is from another company):
    kept before the post, so the thank-you, the reminder and a crash check all look in
    the thread, and the score never shows there."""
    values: dict[str, object] = {"delivery": Delivery.THREAD}
    if company:
        values["customer_team"] = company
    await db.write(update(Survey).where(col(Survey.id) == survey_id).values(**values))
