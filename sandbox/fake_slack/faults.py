"""Fault controls: failures queued per method, Slack's rate tiers, slow or held answers."""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from sandbox.fake_slack.calls import Call

# Slack's published limits per workspace and method, calls a minute (the rate-limit
# reference); chat.postMessage also takes about one message a second per channel.
SLACK_TIERS: Final[dict[str, int]] = {
    "users.info": 100,
    "users.lookupByEmail": 50,
    "conversations.open": 50,
    "conversations.info": 50,
    "conversations.history": 50,
    "conversations.replies": 50,
    "chat.postMessage": 300,
    "chat.update": 50,
    "chat.postEphemeral": 100,
    "views.open": 100,
    "views.push": 100,
    "views.update": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
}
PER_CHANNEL_PER_SECOND: Final[dict[str, int]] = {"chat.postMessage": 1}


@dataclass
class Tiers:
    """Sliding windows of accepted calls; a call over a limit is answered 429."""

    compression: float
    windows: dict[tuple[str, ...], collections.deque[float]] = field(default_factory=dict)

    def admit(self, key: tuple[str, ...], limit: int, window: float, now: float) -> float:
        """0 when the call fits (and is counted), else the seconds until it would."""
        calls = self.windows.setdefault(key, collections.deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return calls[0] + window - now
        calls.append(now)
        return 0.0

    def over(self, call: Call, workspace: str) -> float:
        """Seconds until `call` would fit its workspace's tiers (0: it fits now)."""
        now = time.monotonic()
        minute = 60.0 / self.compression
        limit = SLACK_TIERS.get(call.method)
        if limit is not None:
            wait = self.admit((workspace, call.method), limit, minute, now)
            if wait:
                return wait
        per_second = PER_CHANNEL_PER_SECOND.get(call.method)
        channel = call.args.get("channel")
        if per_second is not None and channel:
            key = (workspace, call.method, str(channel))
            return self.admit(key, per_second, 1.0 / self.compression, now)
        return 0.0


@dataclass
class Failure:
    remaining: int
    status: int
    error: str
    retry_after: int | None

    def response(self) -> web.Response:
        if self.status == 429:
            retry_after = 1 if self.retry_after is None else self.retry_after
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        return web.json_response({"ok": False, "error": self.error}, status=self.status)


class Faults:
    """What tests ask the fake to get wrong; FakeSlack exposes these as its own methods."""

    def __init__(self) -> None:
        # Tokens answered with token_revoked (e.g. to test an uninstall).
        self.revoked_tokens: set[str] = set()
        # Seconds a method takes to answer (a slow Slack: work still running at shutdown).
        self.latency: dict[str, float] = {}
        # Calls answered 429 because they went over a tier (not injected failures).
        self.rate_limited: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.tiers: Tiers | None = None
        self.delays: dict[str, tuple[float, asyncio.Event]] = {}

    def fail_next(
        self,
        method: str,
        *,
        count: int = 1,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (queued after earlier ones)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        self.failures.setdefault(method, []).append(Failure(count, status, error, retry_after))

    def heal(self) -> None:
        """An outage ends: failures still queued by fail_next are dropped."""
        self.failures.clear()

    def enforce_tiers(self, compression: float = 1.0) -> None:
        """Answer calls over Slack's rate tiers with 429 and Retry-After, as Slack does.

        `compression` runs Slack's minute faster (a minute lasts 60/compression s);
        Retry-After is then in compressed seconds too, rounded up to a whole one.
        """
        self.tiers = Tiers(compression)

    def delay_responses(self, method: str, seconds: float) -> None:
        """Handle `method` at once (a message is posted) but answer only after `seconds`:
        the window in which a caller may die between Slack's yes and hearing it."""
        held = self.delays.pop(method, None)
        if held is not None:
            held[1].set()  # answers held so far go out now
        if seconds > 0:
            self.delays[method] = (seconds, asyncio.Event())

    def take_failure(self, method: str) -> Failure | None:
        queue = self.failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining == 0:
            queue.pop(0)
        return failure

    async def hold(self, method: str) -> None:
        """Wait as delay_responses asked before answering `method`."""
        held = self.delays.get(method)
        if held is None:
            return
        try:
            async with asyncio.timeout(held[0]):
                await held[1].wait()
        except TimeoutError:
            pass
