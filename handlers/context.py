"""How a listener reaches the process's services."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.app import SERVICES_APP_KEY, SERVICES_KEY, Services


def services_of(context: Any) -> Services:
    services = context[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


def services_of_request(request: web.Request) -> Services:
    return request.app[SERVICES_APP_KEY]
