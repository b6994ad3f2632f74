"""Cross-cutting listener concerns, each written once: the request log line, Slack's
event retries, and what happens when a listener raises."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import fields, log_failure
from bot.runtime import CONTEXT_KEY, IN_FLIGHT_KEY, RECEIVED_KEY, RUNTIME_CONTEXT_KEY, Runtime
from bot.slack.client import trigger_deadline
from bot.slack.deliveries import first_delivery
from bot.text import truncate
from handlers.context import workspace_of

log = logging.getLogger("surveybot.handlers")

IDEMPOTENT_EVENTS = frozenset({"message"})
# Requests that act on a workspace's data, so must come from the bot's own workspace.
WORKSPACE_REQUESTS = frozenset(
    {"event_callback", "block_actions", "view_submission", "view_closed", "message_action"}
)

Next = Callable[[], Awaitable[BoltResponse]]
Middleware = Callable[[AsyncBoltRequest, BoltResponse, Next], Awaitable[BoltResponse]]


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# A line stays small whatever a forged request carries: ids cut to this many characters
# (ours are far shorter), and at most this many action ids (Slack sends one).
LOGGED_ID_CHARS = 64
LOGGED_ACTIONS = 3


def _short(value: object) -> str | None:
    return None if value is None else truncate(str(value), LOGGED_ID_CHARS)


def request_ids(body: dict[str, Any]) -> dict[str, str | None]:
    """What a Slack request is, by its ids only: never its text, values, tokens, or who
    sent it (most clicks are a customer's, and customers' ids stay out of logs)."""
    event = _dict(body.get("event"))
    view = _dict(body.get("view"))
    actions = body.get("actions")
    actions = actions if isinstance(actions, list) else []
    action_ids = [
        truncate(str(a.get("action_id")), LOGGED_ID_CHARS)
        for a in actions[:LOGGED_ACTIONS]
        if isinstance(a, dict)
    ]
    if len(actions) > LOGGED_ACTIONS:
        action_ids.append(f"+{len(actions) - LOGGED_ACTIONS}")
    return {
        "type": _short(body.get("type")),
        "event": _short(event.get("type")),
        "action": ",".join(action_ids) or None,
        "callback": _short(body.get("callback_id") or view.get("callback_id")),
    }


class _LoggedAck(AsyncAck):
    """Bolt's ack, which also writes the request's line with the time Slack waited,
    and which an exception raised after it cannot take back."""

    _response: BoltResponse | None = None

    def __init__(self, request: dict[str, object], observe: Callable[[float], None]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._request = request
        self._observe = observe
        self._started = time.perf_counter()

    @property
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        # Bolt clears the ack when a listener raises after acking; if its 10 ms poll
        # had not seen the ack yet, Slack would get a 404 three seconds later.
        if self._response is None or value is not None:
            self._response = value

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response: BoltResponse = await super().__call__(*args, **kwargs)
        elapsed = time.perf_counter() - self._started
        self._observe(elapsed)
        log.info("slack request", extra=fields(**self._request, ms=round(elapsed * 1000)))
        return response


def log_request(observe: Callable[[float], None]) -> Middleware:
    async def log_request(req: AsyncBoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        """One line per Slack request, written when it is acked.

        Bolt's global middleware is not wrapped around the listener (`next()` returns
        at once), so the line goes out with the ack, the moment Slack stops waiting.
        """
        body = req.body if isinstance(req.body, dict) else {}
        req.context["ack"] = _LoggedAck({**request_ids(body), "team": req.context.team_id}, observe)
        return await next()

    return log_request


def request_workspace(body: dict[str, Any]) -> str | None:
    """The workspace a request comes from, as its body says (an org-wide install's
    requests name no team in their authorization)."""
    team = body.get("team")
    view = _dict(body.get("view"))
    found = body.get("team_id") or (team.get("id") if isinstance(team, dict) else team)
    found = found or view.get("team_id")
    return str(found) if isinstance(found, str) and found else None


def provide_context(runtime: Runtime) -> Middleware:
    async def provide_context(
        req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse:
        """Give listeners their workspace's context; ack and drop a request from a
        workspace this process does not serve: nothing is stored."""
        body = req.body if isinstance(req.body, dict) else {}
        ctx = await runtime.context_for(req.context.team_id, req.context.enterprise_id)
        if ctx is None:
            if body.get("type") in WORKSPACE_REQUESTS:
                log.warning(
                    "slack request refused reason=other_workspace",
                    extra=fields(**request_ids(body), team=req.context.team_id),
                )
                return BoltResponse(status=200, body="")
            ctx = runtime.workspace  # url_verification and the like act on no data
        deadline = None
        if body.get("trigger_id"):
            # A modal opened with this request's trigger_id goes before it dies, or never.
            actions = body.get("actions")
            action = actions[0] if isinstance(actions, list) and actions else {}
            deadline = trigger_deadline(
                req.context.get(RECEIVED_KEY) or time.monotonic(),  # Socket Mode: now
                action.get("action_ts") if isinstance(action, dict) else None,
                now=time.monotonic(),
                wall=time.time(),
            )
        # An org-wide install's token serves many workspaces: its calls name this one.
        org_wide = req.context.team_id is None and req.context.enterprise_id is not None
        team_id = request_workspace(body) if org_wide else req.context.team_id
        if deadline is not None or org_wide:
            ctx = ctx.for_request(deadline=deadline, team_id=team_id)
        req.context[CONTEXT_KEY] = ctx
        req.context[IN_FLIGHT_KEY] = runtime.in_flight
        req.context[RUNTIME_CONTEXT_KEY] = runtime
        return await next()

    return provide_context


async def drop_repeated_events(
    req: AsyncBoltRequest, resp: BoltResponse, next: Next
) -> BoltResponse:
    """Ack an event_id already handled without handling it again.

    A retry header alone proves nothing (the first delivery may have been lost),
    so the database's record of the event_id decides.
    """
    body = req.body
    event_id = body.get("event_id") if isinstance(body, dict) else None
    event_type = (body.get("event") or {}).get("type") if isinstance(body, dict) else None
    # Every message in a support channel arrives here; handling one twice only cancels
    # an already cancelled survey, so they skip the write that dedupes the rest.
    if event_type in IDEMPOTENT_EVENTS:
        return await next()
    if body.get("type") == "event_callback" and isinstance(event_id, str):
        ctx = workspace_of(req.context)
        if not await first_delivery(ctx.db, event_id, ctx.now()):
            log.info(
                "event repeated event_id=%s retry=%s",
                event_id,
                ",".join(req.headers.get("x-slack-retry-num") or []) or "-",
            )
            return BoltResponse(status=200, body="")
    return await next()


async def log_listener_error(
    error: Exception, body: dict[str, Any], request: AsyncBoltRequest
) -> None:
    """Bolt's error handler: every listener or middleware that raised, logged once.

    Listeners do not catch for logging's sake; after the ack nobody waits for an
    answer, so this line is all that is left to do.
    """
    log_failure(
        log,
        "slack listener failed",
        error,
        **request_ids(body if isinstance(body, dict) else {}),
        team=request.context.team_id,
    )


def register(app: AsyncApp, runtime: Runtime) -> None:
    app.middleware(log_request(runtime.metrics.ack_latency.observe))
    app.middleware(provide_context(runtime))
    app.middleware(drop_repeated_events)
    app.error(log_listener_error)
