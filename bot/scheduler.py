"""The one AsyncIOScheduler of the process, with its jobs declared here."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.digest_job import post_due_digests
from bot.expiry import expire_overdue
from storage import events

if TYPE_CHECKING:
    from bot.services import Services

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

        async def dispatch() -> None:
            async with self._dispatching:
                try:
                    await services.dispatcher.run_once()
                except Exception:
                    log.exception("dispatch run failed")

        async def expire_surveys() -> None:
            try:
                await expire_overdue(services.db, services.client, services.teams, services.clock())
            except Exception:
                log.exception("expiry sweep failed")

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
            try:
                await post_due_digests(
                    services.db,
                    services.client,
                    services.customers,
                    services.teams,
                    services.clock(),
                )
            except Exception:
                log.exception("digest run failed")

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
