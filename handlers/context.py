"""How a listener reaches its workspace's context, and a route the process's runtime."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.context import WorkspaceContext
from bot.inflight import InFlight
from bot.runtime import CONTEXT_KEY, IN_FLIGHT_KEY, RUNTIME_CONTEXT_KEY, RUNTIME_KEY, Runtime


def workspace_of(context: Any) -> WorkspaceContext:
    """The context middleware built for this request's workspace."""
    ctx = context[CONTEXT_KEY]
    assert isinstance(ctx, WorkspaceContext)
    return ctx


def runtime_of(context: Any) -> Runtime:
    """The process's runtime, for the few listeners that act beyond one workspace."""
    runtime = context[RUNTIME_CONTEXT_KEY]
    assert isinstance(runtime, Runtime)
    return runtime


def runtime_of_request(request: web.Request) -> Runtime:
    return request.app[RUNTIME_KEY]


def workspace_of_request(request: web.Request) -> WorkspaceContext:
    """A route's workspace: single-workspace mode has one."""
    return runtime_of_request(request).workspace


Listener = Callable[..., Awaitable[None]]


def tracked(listener: Listener) -> Listener:
    """Count the listener's work, so a shutdown lets it finish.

    Bolt reads the wrapped function's argument names (through `__wrapped__`), so the
    listener must take `context`.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        in_flight = kwargs["context"][IN_FLIGHT_KEY]
        assert isinstance(in_flight, InFlight)
        async with in_flight.track():
            await listener(**kwargs)

    return run
