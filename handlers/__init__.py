"""The edges: Slack listeners and HTTP routes. Thin: parse, call `bot`, answer."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers import actions, events, health, home, middleware, shortcuts, views, webhooks


def register(app: AsyncApp, runtime: Runtime) -> None:
    middleware.register(app, runtime)
    events.register(app)
    shortcuts.register(app)
    actions.register(app)
    views.register(app)
    home.register(app)


def add_routes(web_app: web.Application, *, metrics: bool = True) -> None:
    """Slack's and the helpdesks' routes, /healthz, and /metrics unless it listens apart."""
    webhooks.add_routes(web_app)
    health.add_routes(web_app, with_metrics=metrics)


def add_internal_routes(web_app: web.Application) -> None:
    """/metrics and /healthz alone, for SURVEYBOT_METRICS_PORT."""
    health.add_routes(web_app)
