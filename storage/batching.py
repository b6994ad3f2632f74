"""Group commit: writes that arrive together share one transaction.

A burst of closes is thousands of small transactions that each wait for the one
before (SQLite has one writer; PostgreSQL pays a round trip and a commit per
statement). Here the first writer starts a drain task; whatever arrives while a
batch is being written joins the next one. A lone write is written at once, alone:
nothing waits on a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 200


class GroupCommit(Generic[Item, Result]):
    """Runs `write_batch` over the items waiting, a batch at a time, in arrival order.

    `write_batch` answers one result per item, in order. If it raises, every caller
    in that batch gets the error; it should itself isolate an item that only fails
    alone (see storage.closes).
    """

    def __init__(
        self,
        write_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def write(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        drainer = self._drainer
        if drainer is None or drainer.done() or drainer.get_loop() is not loop:
            # Items left by a loop that has gone can never be written from this one.
            self._waiting = [w for w in self._waiting if w[1].get_loop() is loop]
            self._drainer = loop.create_task(self._drain(), name="group-commit")
        self._waiting.append((item, future))
        # A caller that gives up does not cancel the write: its batch is shared.
        return await asyncio.shield(future)

    async def wait_idle(self) -> None:
        """Until everything submitted so far is written (for an orderly shutdown)."""
        drainer = self._drainer
        if drainer is not None and not drainer.done():
            await asyncio.shield(drainer)

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                results = await self._write_batch([item for item, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch + self._waiting:
                    future.cancel()
                self._waiting.clear()
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
