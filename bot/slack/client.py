"""The Slack Web API client: every call paced to Slack's tiers, counted, and retried
when Slack or the network says "not now".

Listeners, digests and the dispatcher all call Slack through this client (bolt's
per-request client is swapped for a sibling in the composition root), so nothing
bypasses the pace. Acks never call Slack, so no ack waits for a slot.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.pacing import NoSlotInTime, Pacer, workspace_key
from storage.db import Database
from storage.pacing import PaceStores

log = logging.getLogger("surveybot.slack")

# Quick retries inside one call; the dispatcher has its own, longer backoff on top.
TRANSIENT_RETRIES = 2
RATE_LIMITED_RETRIES = 3
# Slack sends Retry-After in whole seconds; a missing one means about a minute.
DEFAULT_RETRY_AFTER = 60.0
# A trigger_id lives 3 s from the click; a call made later than this after the request
# arrived would reach Slack too late (the network and Slack's own work take the rest).
TRIGGER_BUDGET = 2.0
# The same, counted from the click's own action_ts when our clock and Slack's agree
# (a click Slack handed over late has less left); a stamp further off is not trusted.
TRIGGER_LIFETIME_USABLE = 2.5
CLOCKS_AGREE_SECONDS = 30.0
# Where Slack's response_urls live, by the API host the client talks to.
HOOKS_HOSTS = {"slack.com": "hooks.slack.com", "slack-gov.com": "hooks.slack-gov.com"}


def trigger_deadline(received: float, action_ts: object, *, now: float, wall: float) -> float:
    """By when (time.monotonic()) a call with this request's trigger_id must start.

    `received`: when the request reached us; `action_ts`: the click's Slack timestamp,
    if any; `now`/`wall`: time.monotonic() and time.time() read together.
    """
    deadline = received + TRIGGER_BUDGET
    try:
        age = wall - float(str(action_ts))
    except ValueError:
        return deadline
    if -CLOCKS_AGREE_SECONDS < age < CLOCKS_AGREE_SECONDS:
        deadline = min(deadline, now + TRIGGER_LIFETIME_USABLE - max(0.0, age))
    return deadline


class TriggerExpired(Exception):
    """A call bound to a trigger_id found no slot before the trigger dies: not made."""

    def __init__(self, method: str) -> None:
        super().__init__(f"{method}: no slot before the trigger_id expires")
        self.method = method


def outcome_of(error: BaseException) -> str:
    """What a failed call's metric and `last_error` say: Slack's code when it gave one."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        if status == 429:
            return "429"
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if status >= 500:
            return str(code) if code else "5xx"
        return str(code or f"http_{status}")
    if isinstance(error, asyncio.TimeoutError | TimeoutError):
        return "timeout"
    return "connection_error"


class ScaledJitter(Jitter):
    """Up to twice the backoff factor at random: slack_sdk's own 0-1 s at its default 0.5."""

    def __init__(self, backoff_factor: float) -> None:
        self.up_to = 2 * backoff_factor

    def recalculate(self, duration: float) -> float:
        return duration + random.random() * self.up_to


def backoff_for(factor: float) -> BackoffRetryIntervalCalculator:
    """factor * 2**attempt plus jitter: 0.5-1.5 s, then 1-2 s by default."""
    return BackoffRetryIntervalCalculator(backoff_factor=factor, jitter=ScaledJitter(factor))


def is_server_error(error: BaseException) -> bool:
    return isinstance(error, SlackApiError) and error.response.status_code >= 500


def is_transient_failure(error: BaseException) -> bool:
    """Slack or the network was down or busy, whatever the body says: an HTTP status of
    500 or more, a 429, a timeout or a connection error. Another attempt later can work."""
    if isinstance(error, SlackApiError):
        status = int(error.response.status_code)
        return status >= 500 or status == 429
    return isinstance(error, asyncio.TimeoutError | TimeoutError | aiohttp.ClientError)


class Connections:
    """One HTTP session (its pool of kept-alive connections to Slack) for every client
    of the process: slack_sdk opens a new one per call unless given one, and a new TLS
    connection per call costs more than the call. Made on first use, in the loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class PacedWebClient(AsyncWebClient):
    def __init__(
        self,
        *args: Any,
        pacer: Pacer,
        metrics: Metrics,
        backoff: BackoffRetryIntervalCalculator | None = None,
        trigger_deadline: float | None = None,
        connections: Connections | None = None,
        **kwargs: Any,
    ) -> None:
        # Retries happen here, through the pacer, not inside slack_sdk.
        kwargs["retry_handlers"] = []
        super().__init__(*args, **kwargs)
        self.connections = connections or Connections()
        self.pacer = pacer
        self.metrics = metrics
        self.backoff = backoff or backoff_for(0.5)
        # time.monotonic() by which a call bound to this request's trigger_id must start.
        self.trigger_deadline = trigger_deadline

    def sibling(
        self,
        token: str | None,
        team_id: str | None = None,
        *,
        trigger_deadline: float | None = None,
    ) -> PacedWebClient:
        """The same client for another token (bolt's per-request client), same pace;
        `trigger_deadline` when the request carries a trigger_id."""
        return PacedWebClient(
            token=token,
            base_url=self.base_url,
            timeout=self.timeout,
            team_id=team_id,
            pacer=self.pacer,
            metrics=self.metrics,
            backoff=self.backoff,
            trigger_deadline=trigger_deadline,
            connections=self.connections,
        )

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        self.session = self.connections.session()
        workspace = workspace_key(self.token)
        arguments = kwargs.get("json") or kwargs.get("params") or kwargs.get("data") or {}
        if isinstance(arguments, dict) and arguments.get("trigger_id"):
            return await self._call_by_trigger(api_method, workspace, kwargs)
        channel = arguments.get("channel") if isinstance(arguments, dict) else None
        transient = rate_limited = 0
        while True:
            waited = await self.pacer.wait_turn(workspace, api_method, channel)
            self.metrics.pacer_wait.labels(method=api_method).observe(waited)
            try:
                response: AsyncSlackResponse = await super().api_call(api_method, **kwargs)
            except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
                outcome = outcome_of(exc)
                self.metrics.slack_calls.labels(method=api_method, outcome=outcome).inc()
                if outcome == "429" and rate_limited < RATE_LIMITED_RETRIES:
                    assert isinstance(exc, SlackApiError)
                    rate_limited += 1
                    retry_after = _retry_after(exc)
                    log.warning(
                        "slack rate limited method=%s retry_after=%s", api_method, retry_after
                    )
                    await self.pacer.hold(workspace, api_method, retry_after)
                    continue
                if (
                    not isinstance(exc, SlackApiError) or is_server_error(exc)
                ) and transient < TRANSIENT_RETRIES:
                    await asyncio.sleep(self.backoff.calculate_sleep_duration(transient))
                    transient += 1
                    continue
                raise
            self.metrics.slack_calls.labels(method=api_method, outcome="ok").inc()
            return response

    async def _call_by_trigger(
        self, api_method: str, workspace: str, kwargs: dict[str, Any]
    ) -> AsyncSlackResponse:
        """A call bound to a trigger_id (a modal opening) goes at once or not at all.

        It never queues past the trigger's deadline (a call made after it only fails,
        and holds a slot a living trigger could use) and is never retried: the person
        can click again, with a fresh trigger.
        """
        deadline = self.trigger_deadline
        if deadline is None:
            deadline = time.monotonic() + TRIGGER_BUDGET
        try:
            waited = await self.pacer.wait_turn(
                workspace, api_method, within=deadline - time.monotonic()
            )
        except NoSlotInTime:
            self.metrics.slack_calls.labels(method=api_method, outcome="no_slot").inc()
            raise TriggerExpired(api_method) from None
        self.metrics.pacer_wait.labels(method=api_method).observe(waited)
        try:
            response: AsyncSlackResponse = await super().api_call(api_method, **kwargs)
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            outcome = outcome_of(exc)
            self.metrics.slack_calls.labels(method=api_method, outcome=outcome).inc()
            if outcome == "429":
                assert isinstance(exc, SlackApiError)
                await self.pacer.hold(workspace, api_method, _retry_after(exc))
            raise
        self.metrics.slack_calls.labels(method=api_method, outcome="ok").inc()
        return response


async def open_modal(client: AsyncWebClient, trigger_id: str | None, view: dict[str, Any]) -> bool:
    """views.open with a click's trigger_id; whether the modal opened.

    A trigger that died (it lives 3 s), no slot in time, or a busy Slack is one
    WARNING: the person clicks again. Anything else Slack refuses is our mistake.
    """
    if not trigger_id:
        return False
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
        return True
    except TriggerExpired:
        error = "no_slot_in_time"
    except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
        error = outcome_of(exc)
        if error not in CALL_AGAIN_ERRORS and not is_transient_failure(exc):
            log.error("modal not opened callback=%s error=%s", view.get("callback_id"), error)
            return False
    log.warning("modal not opened callback=%s error=%s", view.get("callback_id"), error)
    return False


# A trigger_id Slack no longer takes: another click brings a fresh one.
CALL_AGAIN_ERRORS = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})


def may_respond_at(client: AsyncWebClient, response_url: str | None) -> bool:
    """Whether `response_url` is Slack's own: its hooks host for the API the client
    uses (hooks.slack.com for slack.com), or the API's own host (a local fake Slack).
    A signed request could still name any URL; the bot posts only to Slack."""
    if not response_url:
        return False
    url, api = urlsplit(response_url), urlsplit(client.base_url)
    api_host = (api.hostname or "").removeprefix("www.")
    if url.scheme == "https" and url.hostname == HOOKS_HOSTS.get(api_host):
        return True
    return (url.scheme, url.netloc) == (api.scheme, api.netloc) and api_host not in HOOKS_HOSTS


async def respond(
    client: AsyncWebClient, response_url: str | None, message: dict[str, Any], **how: Any
) -> bool:
    """Post `message` through a click's response_url (`replace_original=True`, or
    `response_type="ephemeral"`): not paced by a tier, good for 5 uses in 30 minutes.
    Whether Slack took it; the caller falls back to the Web API when not."""
    if not may_respond_at(client, response_url):
        return False
    assert response_url is not None
    webhook = AsyncWebhookClient(response_url, timeout=int(client.timeout))
    try:
        answer = await webhook.send_dict({**message, **how})
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("response_url failed error=%s", type(exc).__name__)
        return False
    if answer.status_code != 200:
        log.warning(
            "response_url refused status=%d error=%s", answer.status_code, answer.body[:100]
        )
        return False
    return True


def _retry_after(error: SlackApiError) -> float:
    headers = error.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def make_client(settings: Settings, db: Database, metrics: Metrics | None = None) -> PacedWebClient:
    """The client of one process, paced through `db` with every other process using it."""
    pacer = Pacer(
        PaceStores(db),
        compression=settings.pace_compression,
        history_per_minute=settings.history_per_minute,
    )
    return PacedWebClient(
        token=settings.slack_bot_token,
        base_url=settings.api_url,
        timeout=10,
        pacer=pacer,
        metrics=metrics or Metrics(),
        backoff=backoff_for(settings.slack_retry_backoff_seconds),
    )
