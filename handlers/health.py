"""GET /healthz and GET /metrics."""

from __future__ import annotations

from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.slack.workspace import refusal_sentence
from handlers.context import runtime_of_request


async def healthz(request: web.Request) -> web.Response:
    runtime = runtime_of_request(request)
    if not await runtime.workspace.db.ping():
        return web.json_response({"status": "database unreachable"}, status=503)
    # OAuth mode: a workspace's refused token is its own (its uninstall), not the bot's.
    problem = await runtime.token.token_problem() if runtime.token is not None else None
    if problem is not None:
        return web.json_response(
            {"status": "slack token refused", "error": problem, "fix": refusal_sentence(problem)},
            status=503,
        )
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    runtime = runtime_of_request(request)
    ctx = runtime.workspace
    body = await runtime.metrics.render(ctx.db, ctx.now())
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def add_routes(web_app: web.Application, *, with_metrics: bool = True) -> None:
    web_app.router.add_get("/healthz", healthz)
    if with_metrics:
        web_app.router.add_get("/metrics", metrics)
