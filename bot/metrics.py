"""Prometheus text exposition of what the outbox holds."""

from __future__ import annotations

from storage import surveys as store
from storage.db import Database
from storage.statuses import SurveyStatus


async def render_metrics(db: Database) -> str:
    counts = await store.count_by_status(db)
    lines = [
        "# HELP surveybot_surveys Surveys by status.",
        "# TYPE surveybot_surveys gauge",
    ]
    # Every status is shown, at 0 too, so a dashboard's series never vanishes.
    for status in sorted({str(s) for s in SurveyStatus} | set(counts)):
        lines.append(f'surveybot_surveys{{status="{status}"}} {counts.get(status, 0)}')
    return "\n".join(lines) + "\n"
