"""The one AsyncIOScheduler of the process, with its jobs declared here.

A job that raises is logged once, by the scheduler's error listener; jobs do not
catch for logging's sake.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError

from bot.answering.expiry import expire_overdue
from bot.context import ServedWorkspaces, WorkspaceContext
from bot.digest.job import post_weekly_digest, retry_refused_digests
from bot.digest.schedule import digest_trigger
from bot.home.figures import count_accounts_ahead
from bot.logs import fields, log_failure
from bot.metrics import Metrics
from bot.nps.job import run_nps_rounds
from bot.privacy import purge_old_comments
from bot.slack.client import is_transient_failure
from bot.team_directory import RECHECK_SECONDS
from bot.teams import Team
from storage import answers, events, support_messages
from storage.db import Database
from storage.pacing import forget_idle_keys

log = logging.getLogger("surveybot.scheduler")

# Slack retries for up to ~5 minutes; keep seen event ids well past that.
EVENT_MEMORY = timedelta(hours=1)
# Who started a support conversation is kept this long; an older one is read from Slack.
SEEN_MEMORY = timedelta(days=90)
# The pacer's per-channel keys are spent within seconds; keep them an hour, in seconds.
PACE_MEMORY = 3600.0
# A digest a few hours late (a busy or suspended host) is still worth posting.
DIGEST_MISFIRE_GRACE = timedelta(hours=6)
# How often this week's digests Slack refused get another try (five tries in all).
DIGEST_RETRY_INTERVAL = timedelta(minutes=5)
# How often rotating bot tokens are looked at (each is renewed 2 hours before it expires).
TOKEN_RENEWAL_MINUTES = 5
# How long shutdown waits for jobs already running (a digest may post several messages).
JOB_GRACE_SECONDS = 10.0


class Scheduler:
    def __init__(self, dispatch_interval: float, expiry_interval: float = 60.0) -> None:
        self.dispatch_interval = dispatch_interval
        self.expiry_interval = expiry_interval
        self._scheduler: AsyncIOScheduler | None = None
        # Jobs under way: shutdown lets them finish (a dispatch between "sent to Slack"
        # and "marked delivered", a query on a connection about to be disposed).
        self._running: set[asyncio.Task[object]] = set()
        self._metrics: Metrics | None = None
        self._served: ServedWorkspaces | None = None
        self.outcomes = JobOutcomes()

    async def start(
        self,
        served: ServedWorkspaces,
        *,
        db: Database,
        clock: Callable[[], datetime],
        wake_dispatcher: Callable[[], None],
        digest_catch_up_seconds: float,
        metrics: Metrics,
        renew_tokens: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        """Start the jobs: housekeeping once for the process (`db` sees every workspace),
        the rest once for each served workspace, its context looked up at each run."""
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_listener(
            lambda event: self.outcomes.failed(event.job_id, event.exception), EVENT_JOB_ERROR
        )
        scheduler.add_listener(
            lambda event: self.outcomes.succeeded(event.job_id), EVENT_JOB_EXECUTED
        )
        scheduler.add_listener(_log_job_missed, EVENT_JOB_MISSED)
        self._metrics = metrics
        # The scheduler runs on wall time; the jobs read each workspace's clock.
        started = datetime.now(UTC)

        async def dispatch() -> None:
            # The dispatcher wakes itself for new and timed work; this tick is the safety net.
            wake_dispatcher()

        self._served = served

        async def expire_surveys() -> None:
            # One query finds the workspaces with something to close (usually none).
            for workspace in await answers.workspaces_with_overdue(db, clock()):
                ctx = await served.for_rows(workspace)
                if ctx is not None:  # not served here (uninstalled): nothing to update
                    await expire_overdue(ctx)

        async def use_saved_settings() -> None:
            # A lead's save through another replica reaches this one within seconds,
            # and so does an uninstall.
            await served.refresh()

        async def forget_old_events() -> None:
            await events.forget_events_before(db, clock() - EVENT_MEMORY)
            await support_messages.forget_seen_before(db, clock() - SEEN_MEMORY)
            await forget_idle_keys(db, int((time.time() - PACE_MEMORY) * 1_000_000))

        scheduler.add_job(
            dispatch,
            "interval",
            seconds=self.dispatch_interval,
            id="dispatch",
            max_instances=1,
            coalesce=True,
            next_run_time=started,
        )
        scheduler.add_job(
            expire_surveys,
            "interval",
            seconds=self.expiry_interval,
            id="expire_surveys",
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            use_saved_settings,
            "interval",
            seconds=RECHECK_SECONDS,
            id="team_settings",
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(forget_old_events, "interval", minutes=10, id="forget_events")
        if renew_tokens is not None:
            scheduler.add_job(
                renew_tokens,
                "interval",
                minutes=TOKEN_RENEWAL_MINUTES,
                id="renew_tokens",
                max_instances=1,
                coalesce=True,
                next_run_time=started,
            )

        def in_each_workspace(
            work: Callable[[WorkspaceContext], Awaitable[object]],
        ) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                for ctx in await served.every():
                    await work(ctx)

            return run

        once = {"max_instances": 1, "coalesce": True}
        # Retention: comments older than each team keeps them are blanked, scores kept.
        scheduler.add_job(
            in_each_workspace(purge_old_comments),
            "interval",
            hours=1,
            id="retention",
            next_run_time=started,
            **once,
        )
        # Starts each due NPS round once and reports each closed one once (rows decide).
        scheduler.add_job(
            in_each_workspace(run_nps_rounds), "cron", minute="*/15", id="nps_rounds", **once
        )
        scheduler.add_job(
            in_each_workspace(count_accounts_ahead),
            "cron",
            hour=0,
            minute=3,
            id="accounts_of_the_day",
            **once,
        )
        for job in scheduler.get_jobs():
            job.modify(func=self._tracked(job.func))
        scheduler.start()
        self._scheduler = scheduler
        catch_up = started + timedelta(seconds=digest_catch_up_seconds)
        for ctx in await served.every():
            self.add_workspace(ctx, catch_up=catch_up)

    def add_workspace(self, ctx: WorkspaceContext, *, catch_up: datetime | None = None) -> None:
        """A served workspace's digests (at start, or when it is first served here).

        At start the first run is the catch-up: a bot that was down at the team's moment
        still posts that week's digest, and the rows make a run at any time safe."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        first_run = catch_up
        for team in ctx.teams.teams:
            self._replace_digest_jobs(scheduler, ctx.workspace, team, first_run=first_run)

    def remove_workspace(self, workspace: str) -> None:
        """An uninstalled workspace: none of its jobs run again here."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        prefix = _job_prefix(workspace)
        for job in scheduler.get_jobs():
            if job.id.startswith(("digest:" + prefix, "digest_retry:" + prefix)):
                scheduler.remove_job(job.id)

    def _tracked(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            task = asyncio.current_task()
            assert task is not None  # a job always runs as a task on the loop
            self._running.add(task)
            try:
                return await job()
            finally:
                self._running.discard(task)

        return run

    def reschedule_digest(self, ctx: WorkspaceContext, team: Team) -> None:
        """A team's digest moment or channel changed (saved here or on another replica):
        its jobs follow at once."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        self._replace_digest_jobs(scheduler, ctx.workspace, team, first_run=None)
        log.info("digest rescheduled team=%s schedule=%s", team.name, team.digest_schedule)

    def _replace_digest_jobs(
        self,
        scheduler: AsyncIOScheduler,
        workspace: str,
        team: Team,
        *,
        first_run: datetime | None,
    ) -> None:
        prefix = _job_prefix(workspace)
        job_ids = (f"digest:{prefix}{team.name}", f"digest_retry:{prefix}{team.name}")
        for job_id in job_ids:
            if scheduler.get_job(job_id) is not None:
                scheduler.remove_job(job_id)
        self._add_digest_jobs(scheduler, workspace, team, first_run=first_run)
        for job_id in job_ids:
            job = scheduler.get_job(job_id)
            if job is not None:
                job.modify(func=self._tracked(job.func))

    def _timed(self, job: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            started = time.perf_counter()
            try:
                return await job()
            finally:
                if self._metrics is not None:
                    self._metrics.digest_duration.observe(time.perf_counter() - started)

        return run

    def _add_digest_jobs(
        self,
        scheduler: AsyncIOScheduler,
        workspace: str,
        team: Team,
        *,
        first_run: datetime | None,
    ) -> None:
        if not team.digest_channel or self._served is None:
            return
        when = {"next_run_time": first_run} if first_run is not None else {}
        prefix = _job_prefix(workspace)
        scheduler.add_job(
            self._timed(_for_team(post_weekly_digest, self._served, workspace, team)),
            digest_trigger(team),
            id=f"digest:{prefix}{team.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(DIGEST_MISFIRE_GRACE.total_seconds()),
            **when,
        )
        scheduler.add_job(
            _for_team(retry_refused_digests, self._served, workspace, team),
            "interval",
            seconds=DIGEST_RETRY_INTERVAL.total_seconds(),
            id=f"digest_retry:{prefix}{team.name}",
            max_instances=1,
            coalesce=True,
        )

    def jobs(self) -> list[Job]:
        """The scheduled jobs (empty before start); for the operator and the tests."""
        return list(self._scheduler.get_jobs()) if self._scheduler else []

    async def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None or not scheduler.running:
            return
        scheduler.pause()
        if self._running:
            _, unfinished = await asyncio.wait(set(self._running), timeout=JOB_GRACE_SECONDS)
            if unfinished:
                log.warning("stopping with jobs unfinished", extra=fields(count=len(unfinished)))
        scheduler.shutdown(wait=False)


_TeamJob = Callable[[WorkspaceContext, Team], Awaitable[int]]


def _job_prefix(workspace: str) -> str:
    """Single-workspace mode keeps its job ids ("digest:support"); others name theirs."""
    return f"{workspace}:" if workspace else ""


def _for_team(
    job: _TeamJob, served: ServedWorkspaces, workspace: str, team: Team
) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        ctx = await served.for_rows(workspace)
        if ctx is None:
            return 0  # uninstalled since: its jobs go at the next refresh
        # The team as saved now: a change in App Home applies to the very next run.
        return await job(ctx, ctx.teams.by_name(team.name) or team)

    return run


def is_outage(error: BaseException) -> bool:
    """Slack, the network or the database is away: the job's next run will try again."""
    return (
        is_transient_failure(error)
        or isinstance(error, OSError)
        # SQLAlchemy's mark of a database connection that broke under the query.
        or bool(getattr(error, "connection_invalidated", False))
    )


class JobOutcomes:
    """How jobs that raise are logged: a bug every time, with its traceback; an outage
    once when it starts (a WARNING) and once when it ends, however many runs it spans."""

    def __init__(self) -> None:
        self.waiting: set[str] = set()  # ids of jobs failing through an outage (bounded)

    def failed(self, job_id: str, error: BaseException) -> None:
        if not is_outage(error):
            log_failure(log, "job failed", error, job=job_id)
            return
        if job_id not in self.waiting:
            self.waiting.add(job_id)
            log.warning(
                "job waits for an outage to end",
                extra=fields(job=job_id, error=_outage_name(error)),
            )

    def succeeded(self, job_id: str) -> None:
        if job_id in self.waiting:
            self.waiting.discard(job_id)
            log.info("job ran again after an outage", extra=fields(job=job_id))


def _outage_name(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or error.response.status_code)
    return type(error).__name__


def _log_job_missed(event: JobExecutionEvent) -> None:
    scheduled = event.scheduled_run_time.isoformat()
    log.warning("job missed", extra=fields(job=event.job_id, scheduled=scheduled))
