"""How a listener reaches the process's services."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.services import SERVICES_APP_KEY, SERVICES_KEY, Services


def services_of(context: Any) -> Services:
    services = context[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


def services_of_request(request: web.Request) -> Services:
    return request.app[SERVICES_APP_KEY]


Listener = Callable[..., Awaitable[None]]


def tracked(listener: Listener) -> Listener:
    """Count the listener's work, so a shutdown lets it finish.

    Bolt reads the wrapped function's argument names (through `__wrapped__`), so the
    listener must take `context`.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        async with services_of(kwargs["context"]).in_flight.track():
            await listener(**kwargs)

    return run
