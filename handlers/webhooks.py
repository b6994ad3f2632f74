"""POST /webhooks/conversation-closed: a helpdesk tells us a conversation closed."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.clock import utcnow
from bot.delivery.closes import close_conversation
from bot.delivery.webhook import BadRequest, parse_close, signature_problem
from bot.settings import WEBHOOK_BODY_MAX_BYTES
from handlers.context import runtime_of_request

log = logging.getLogger("surveybot.handlers.webhooks")

TOO_LARGE = {"error": f"body: larger than {WEBHOOK_BODY_MAX_BYTES // 1024} KiB"}


async def conversation_closed(request: web.Request) -> web.Response:
    runtime = runtime_of_request(request)
    secret = runtime.settings.webhook_secret
    if not secret:
        return web.json_response(
            {"error": "webhook disabled: set SURVEYBOT_WEBHOOK_SECRET"}, status=503
        )
    if request.content_length is not None and request.content_length > WEBHOOK_BODY_MAX_BYTES:
        return web.json_response(TOO_LARGE, status=413)
    body = await request.content.read(WEBHOOK_BODY_MAX_BYTES + 1)
    if len(body) > WEBHOOK_BODY_MAX_BYTES:
        return web.json_response(TOO_LARGE, status=413)
    # Freshness is about the wire, so it is checked against the wall clock.
    problem = signature_problem(
        secret,
        request.headers.get("X-Surveybot-Timestamp"),
        request.headers.get("X-Surveybot-Signature"),
        body,
        utcnow(),
    )
    if problem:
        log.warning("webhook refused reason=%s", problem)
        return web.json_response({"error": problem}, status=401)
    ctx = runtime.workspace
    closed = parse_close(body, ctx.teams, ctx.now())
    if isinstance(closed, BadRequest):
        log.info("webhook bad request error=%s", closed.error)
        return web.json_response({"error": closed.error}, status=400)
    result = await close_conversation(ctx, closed)
    return web.json_response(
        {"survey_id": result.survey_id, "status": result.status.value}, status=202
    )


def add_routes(web_app: web.Application) -> None:
    web_app.router.add_post("/webhooks/conversation-closed", conversation_closed)
