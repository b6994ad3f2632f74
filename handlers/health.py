"""GET /healthz and GET /metrics."""

from __future__ import annotations

from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.workspace import refusal_sentence
from handlers.context import services_of_request


async def healthz(request: web.Request) -> web.Response:
    services = services_of_request(request)
    if not await services.db.ping():
        return web.json_response({"status": "database unreachable"}, status=503)
    problem = await services.workspace.token_problem() if services.workspace else None
    if problem is not None:
        return web.json_response(
            {"status": "slack token refused", "error": problem, "fix": refusal_sentence(problem)},
            status=503,
        )
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    services = services_of_request(request)
    body = await services.metrics.render(services.db, services.clock())
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def add_routes(web_app: web.Application, *, with_metrics: bool = True) -> None:
    web_app.router.add_get("/healthz", healthz)
    if with_metrics:
        web_app.router.add_get("/metrics", metrics)
