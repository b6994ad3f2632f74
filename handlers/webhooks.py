"""POST /webhooks/…: a helpdesk tells us a conversation closed.

`/webhooks/conversation-closed` is signed our way; `/webhooks/<helpdesk>` each verify
their vendor's own signature and map its payload to the same close.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.clock import utcnow
from bot.context import WorkspaceContext
from bot.delivery.helpdesks import HELPDESKS, Helpdesk, Ignored
from bot.delivery.webhook import (
    BadRequest,
    read_object,
    receive_close,
    signature_problem,
)
from bot.settings import HELPDESK_BODY_MAX_BYTES, WEBHOOK_BODY_MAX_BYTES
from handlers.context import runtime_of_request

log = logging.getLogger("surveybot.handlers.webhooks")

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _too_large(limit: int) -> web.Response:
    return web.json_response({"error": f"body: larger than {limit // 1024} KiB"}, status=413)


async def _body(request: web.Request, limit: int) -> bytes | web.Response:
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        return _too_large(limit)
    return body


def _bad_request(source: str, bad: BadRequest) -> web.Response:
    if source == "webhook":
        log.info("webhook bad request error=%s", bad.error)
    else:
        log.info("webhook bad request source=%s error=%s", source, bad.error)
    return web.json_response({"error": bad.error}, status=400)


def _secret(request: web.Request, source: str, single: str | None) -> str | None:
    """The secret this request must be signed with: the environment's with one workspace,
    else the one of the workspace the URL names (?workspace=T…, its teams-file section)."""
    installed = runtime_of_request(request).installed
    if installed is None:
        return single
    workspace = request.query.get("workspace", "")
    return installed.webhook_secret(workspace, source) if workspace else None


def _disabled(request: web.Request, source: str, variable: str) -> web.Response:
    installed = runtime_of_request(request).installed
    if installed is None:
        error = (
            f"{'webhook' if source == 'webhook' else source + ' webhook'} disabled: set {variable}"
        )
        return web.json_response({"error": error}, status=503)
    workspace = request.query.get("workspace")
    if not workspace:
        return web.json_response(
            {"error": "workspace: name it in the URL, ?workspace=T…"}, status=400
        )
    return web.json_response(
        {"error": f"workspace {workspace[:32]}: no {source}_secret in its teams-file section"},
        status=404,
    )


async def _workspace(request: web.Request, data: dict[str, Any]) -> WorkspaceContext | str:
    """The workspace a signed close is for, or why it is refused (nothing is stored)."""
    runtime = runtime_of_request(request)
    named = data.get("workspace")
    if runtime.installed is None:
        ours = runtime.token.team_id if runtime.token is not None else None
        if named is not None and ours and named != ours:
            return "workspace: not the one this surveybot serves"
        return runtime.workspace
    workspace = request.query.get("workspace", "")
    if named is not None and named != workspace:
        return "workspace: the signing secret belongs to another workspace"
    ctx = await runtime.served.for_rows(workspace)
    return ctx if ctx is not None else "workspace: not installed"


async def _close(request: web.Request, source: str, data: dict[str, Any]) -> web.Response:
    """The generic body (parsed) recorded as a close; answered 202 with when and why."""
    ctx = await _workspace(request, data)
    if isinstance(ctx, str):
        log.warning("webhook refused source=%s reason=%s", source, ctx)
        return web.json_response({"error": ctx}, status=403)
    data = {key: value for key, value in data.items() if key != "workspace"}
    received = await receive_close(ctx, data, source=source)
    if isinstance(received, BadRequest):
        return _bad_request(source, received)
    return web.json_response(received.answer, status=202)


async def conversation_closed(request: web.Request) -> web.Response:
    runtime = runtime_of_request(request)
    secret = _secret(request, "webhook", runtime.settings.webhook_secret)
    if not secret:
        return _disabled(request, "webhook", "SURVEYBOT_WEBHOOK_SECRET")
    body = await _body(request, WEBHOOK_BODY_MAX_BYTES)
    if isinstance(body, web.Response):
        return body
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
    data = read_object(body)
    if isinstance(data, BadRequest):
        return _bad_request("webhook", data)
    return await _close(request, "webhook", data)


def helpdesk_endpoint(helpdesk: Helpdesk) -> Handler:
    async def closed(request: web.Request) -> web.Response:
        single = runtime_of_request(request).settings.helpdesk_secret(helpdesk.name)
        secret = _secret(request, helpdesk.name, single)
        if not secret:
            return _disabled(request, helpdesk.name, helpdesk.secret_variable)
        body = await _body(request, HELPDESK_BODY_MAX_BYTES)
        if isinstance(body, web.Response):
            return body
        problem = helpdesk.verify(secret, request.headers, body, utcnow())
        if problem:
            log.warning("webhook refused source=%s reason=%s", helpdesk.name, problem)
            return web.json_response({"error": problem}, status=401)
        data = read_object(body)
        if isinstance(data, BadRequest):
            return _bad_request(helpdesk.name, data)
        generic = helpdesk.to_generic(data, request.headers)
        if isinstance(generic, BadRequest):
            return _bad_request(helpdesk.name, generic)
        if isinstance(generic, Ignored):
            log.info("webhook ignored source=%s why=%s", helpdesk.name, generic.why)
            return web.json_response({"status": "ignored", "why": generic.why})
        # A helpdesk that cannot name the team in its payload names it in the URL.
        team = request.query.get("team")
        if team is not None and "team" not in generic:
            generic = {**generic, "team": team}
        return await _close(request, helpdesk.name, generic)

    return closed


def add_routes(web_app: web.Application) -> None:
    web_app.router.add_post("/webhooks/conversation-closed", conversation_closed)
    for helpdesk in HELPDESKS:
        web_app.router.add_post(f"/webhooks/{helpdesk.name}", helpdesk_endpoint(helpdesk))
