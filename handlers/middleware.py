"""Cross-cutting listener concerns: Slack's event retries are handled once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.deliveries import first_delivery
from handlers.context import services_of

log = logging.getLogger("surveybot.handlers")

IDEMPOTENT_EVENTS = frozenset({"message"})


async def drop_repeated_events(
    req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
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
        services = services_of(req.context)
        if not await first_delivery(services.db, event_id, services.clock()):
            log.info(
                "event repeated event_id=%s retry=%s",
                event_id,
                ",".join(req.headers.get("x-slack-retry-num") or []) or "-",
            )
            return BoltResponse(status=200, body="")
    return await next()


def register(app: AsyncApp) -> None:
    app.middleware(drop_repeated_events)
