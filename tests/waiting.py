"""Waiting for the bot's work after the ack: one polling loop for every test."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

Condition = Callable[[], object | Awaitable[object]]


async def wait_until(
    condition: Condition,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - how long the condition may take to hold
    interval: float = 0.02,
    what: str = "",
) -> None:
    """Return once `condition()` (sync or async) is truthy; fail saying what was awaited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() >= deadline:
            name = getattr(condition, "__name__", "<lambda>")
            awaited = what or (name if name != "<lambda>" else "a condition")
            raise AssertionError(f"waited {timeout} s for {awaited}, in vain")
        await asyncio.sleep(interval)
