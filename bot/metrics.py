"""Prometheus text exposition of what the outbox holds."""

from __future__ import annotations

from storage import surveys as store
from storage.db import Database

SURVEY_STATUSES = (
    "scheduled",
    "sending",
    "delivered",
    "answered",
    "failed",
    "cancelled",
    "throttled",
    "too_late",
    "expired",
)


async def render_metrics(db: Database) -> str:
    counts = await store.count_by_status(db)
    lines = [
        "# HELP surveybot_surveys Surveys by status.",
        "# TYPE surveybot_surveys gauge",
    ]
    for status in sorted(set(SURVEY_STATUSES) | set(counts)):
        lines.append(f'surveybot_surveys{{status="{status}"}} {counts.get(status, 0)}')
    return "\n".join(lines) + "\n"
