"""Delivering due sends from the outbox in the database: conversations' surveys,
invitations and reminders (storage.vocabulary.Purpose), all the same way.

Everything it needs is in the database, so a restart loses nothing. The dispatcher
runs as one task per process: new due work wakes it at once, a timer wakes it at
the next known send time, and the scheduler's periodic tick is only a safety net.
It delivers several surveys at once (bounded, one in flight per customer), each
claimed with a lease; two processes sharing one database never claim the same row.

A process killed after Slack accepted a post but before the delivery was recorded
leaves a claimed row whose lease runs out. The next claim marks it orphaned, and
before posting again the dispatcher looks for the survey's id in the message
metadata of the customer's conversation since that claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.context import OneWorkspace, ServedWorkspaces, WorkspaceContext
from bot.delivery.deliver import SURVEY_EVENT_TYPE as SURVEY_EVENT_TYPE
from bot.delivery.deliver import Delivery, RetryPolicy
from bot.delivery.slack_connect import RefusedDms
from bot.logs import log_failure
from bot.metrics import Metrics
from storage import outbox
from storage.db import Database
from storage.surveys import ConversationRecord, SurveyRecord, conversations_of

log = logging.getLogger("surveybot.dispatcher")

LEASE = timedelta(minutes=5)
SAFETY_INTERVAL = 15.0
# Why a send of a workspace no longer served (uninstalled) was dropped.
WORKSPACE_NOT_SERVED = "workspace_not_served"


class Dispatcher:
    def __init__(
        self,
        served: ServedWorkspaces | WorkspaceContext,
        *,
        db: Database | None = None,
        clock: Callable[[], datetime] | None = None,
        max_attempts: int = 5,
        retry_first: timedelta = timedelta(seconds=5),
        concurrency: int = 16,
        lease: timedelta = LEASE,
        safety_interval: float = SAFETY_INTERVAL,
        metrics: Metrics | None = None,
    ) -> None:
        # One workspace's context claims only its own rows; the served workspaces of
        # OAuth mode claim from the whole outbox (`db`), each row sent in its own.
        if isinstance(served, WorkspaceContext):
            db, clock, served = served.db, served.clock, OneWorkspace(served)
        assert db is not None and clock is not None
        self.served = served
        self.db = db
        self.clock = clock
        self.policy = RetryPolicy(max_attempts=max_attempts, retry_first=retry_first)
        self.concurrency = concurrency
        self._claim_at_least = max(1, concurrency // 4)
        self.lease = lease
        self.safety_interval = safety_interval
        self.metrics = metrics or Metrics()
        self.refused_dms = RefusedDms(clock)
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[int]] = {}  # customer key -> delivery
        self._runner: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ the loop

    def wake(self) -> None:
        """New due work (a close, a freed slot, the safety tick): look at the outbox now."""
        self._wake.set()

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="dispatcher")

    async def stop(self, grace: float) -> None:
        """Stop claiming; deliveries under way get `grace` seconds, then their rows'
        leases bring them back (checked against Slack before a second post)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            # Not cancelled: a cancel inside a claim would leave its SQLite connection
            # holding the write lock. The loop sees `_runner` gone at its next turn.
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(runner), timeout=grace)
            except TimeoutError:
                runner.cancel()
        pending = list(self._in_flight.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("stopping with deliveries unfinished count=%d", len(late))

    async def _run(self) -> None:
        while self._runner is not None:
            self._wake.clear()
            if self._in_flight and self.concurrency - len(self._in_flight) < self._claim_at_least:
                # (Nearly) every slot busy: the next finished delivery wakes us (closes may
                # too). Claims wait for a few free slots: a claim is a transaction whatever
                # it takes, and one per finished delivery was a tenth of a busy process.
                await self._wake.wait()
                continue
            try:
                claimed = await self._claim_and_start()
                timeout = 0.0 if claimed else await self._until_next_due()
            except Exception as exc:
                log_failure(log, "dispatcher failed", exc)
                timeout = self.safety_interval
            if timeout > 0:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()

    async def _until_next_due(self) -> float:
        due = await outbox.next_due_at(self.db)
        if due is None:
            return self.safety_interval
        seconds = (due - self.clock()).total_seconds()
        # Due but not claimable (its customer is busy, another process has it):
        # a finished delivery or the safety tick wakes us.
        return self.safety_interval if seconds <= 0 else min(self.safety_interval, seconds)

    async def _claim_and_start(self) -> int:
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        now = self.clock()
        surveys = await outbox.claim_due(self.db, now, now + self.lease, free, set(self._in_flight))
        conversations = await self._conversations(surveys)
        for survey in surveys:
            task = asyncio.create_task(self._deliver_claimed(survey, now, conversations))
            self._in_flight[survey.customer_key] = task
            task.add_done_callback(functools.partial(self._finished, survey.customer_key))
        return len(surveys)

    def _finished(self, customer_key: str, _: asyncio.Task[int]) -> None:
        self._in_flight.pop(customer_key, None)
        self._wake.set()

    async def run_once(self, limit: int | None = None) -> int:
        """Deliver everything due now, `concurrency` at a time; answer how many were delivered.

        For the CLI and tests; the serving process uses the loop started by `start`.
        """
        delivered = 0
        batch = limit or self.concurrency
        while True:
            now = self.clock()
            surveys = await outbox.claim_due(self.db, now, now + self.lease, batch)
            if not surveys:
                return delivered
            conversations = await self._conversations(surveys)
            results = await asyncio.gather(
                *(self._deliver_claimed(s, now, conversations) for s in surveys)
            )
            delivered += sum(results)

    # -------------------------------------------------------------- one survey

    async def _conversations(self, surveys: list[SurveyRecord]) -> dict[int, ConversationRecord]:
        """The claimed surveys' conversations, read at once (each names its conversation
        in a DM); one missing is read again by its delivery."""
        try:
            return await conversations_of(self.db, surveys)
        except Exception as exc:
            log_failure(log, "conversations not read ahead", exc)
            return {}

    async def _deliver_claimed(
        self,
        survey: SurveyRecord,
        now: datetime,
        conversations: dict[int, ConversationRecord] | None = None,
    ) -> int:
        ctx = await self.served.for_rows(survey.workspace)
        if ctx is None:
            # Uninstalled (or never served here): nothing more goes to that workspace.
            await outbox.cancel(self.db, survey.id, WORKSPACE_NOT_SERVED)
            log.info("send cancelled survey=%s reason=%s", survey.token, WORKSPACE_NOT_SERVED)
            return 0
        delivery = Delivery(ctx, self.policy, self.metrics, self.refused_dms, conversations or {})
        return await delivery.run(survey, now)
