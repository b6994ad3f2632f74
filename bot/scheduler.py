"""The one AsyncIOScheduler of the process, with its jobs declared here.

A job that raises is logged once, by the scheduler's error listener; jobs do not
catch for logging's sake.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.digest_job import post_due_digests
from bot.expiry import expire_overdue
from bot.logs import fields, log_failure
from storage import events

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger("surveybot.scheduler")

# Slack retries for up to ~5 minutes; keep seen event ids well past that.
EVENT_MEMORY = timedelta(hours=1)
# How often to look for digests that are due; the DigestPost rows make firing often safe.
DIGEST_INTERVAL = timedelta(minutes=5)


class Scheduler:
    def __init__(self, dispatch_interval: float, expiry_interval: float = 60.0) -> None:
        self.dispatch_interval = dispatch_interval
        self.expiry_interval = expiry_interval
        self._scheduler: AsyncIOScheduler | None = None
        # Held while a dispatch runs, so shutdown can let it finish instead of
        # cancelling it between "sent to Slack" and "marked delivered".
        self._dispatching = asyncio.Lock()

    def start(self, services: Services) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_listener(_log_job_error, EVENT_JOB_ERROR)
        scheduler.add_listener(_log_job_missed, EVENT_JOB_MISSED)

        async def dispatch() -> None:
            async with self._dispatching:
                await services.dispatcher.run_once()

        async def expire_surveys() -> None:
            await expire_overdue(services.db, services.client, services.teams, services.clock())

        async def forget_old_events() -> None:
            await events.forget_events_before(services.db, services.clock() - EVENT_MEMORY)

        scheduler.add_job(
            dispatch,
            "interval",
            seconds=self.dispatch_interval,
            id="dispatch",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # the scheduler runs on wall time
        )
        scheduler.add_job(
            expire_surveys,
            "interval",
            seconds=self.expiry_interval,
            id="expire_surveys",
            max_instances=1,
            coalesce=True,
        )

        async def post_digests() -> None:
            await post_due_digests(services.db, services.client, services.teams, services.clock())

        scheduler.add_job(forget_old_events, "interval", minutes=10, id="forget_events")
        # First run one interval after start, then every interval; a late start still
        # posts this week's digests, and the DigestPost rows keep it to once.
        scheduler.add_job(
            post_digests,
            "interval",
            seconds=DIGEST_INTERVAL.total_seconds(),
            id="digests",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler

    async def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None or not scheduler.running:
            return
        scheduler.pause()
        async with self._dispatching:
            scheduler.shutdown(wait=False)


def _log_job_error(event: JobExecutionEvent) -> None:
    log_failure(log, "job failed", event.exception, job=event.job_id)


def _log_job_missed(event: JobExecutionEvent) -> None:
    scheduled = event.scheduled_run_time.isoformat()
    log.warning("job missed", extra=fields(job=event.job_id, scheduled=scheduled))
