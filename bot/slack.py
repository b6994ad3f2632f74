"""The Slack Web API client, with retries for rate limits and server errors."""

from __future__ import annotations

import random

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings


class ScaledJitter(Jitter):
    """Up to twice the backoff factor at random: slack_sdk's own 0-1 s at its default 0.5."""

    def __init__(self, backoff_factor: float) -> None:
        self.up_to = 2 * backoff_factor

    def recalculate(self, duration: float) -> float:
        return duration + random.random() * self.up_to


def make_client(settings: Settings) -> AsyncWebClient:
    factor = settings.slack_retry_backoff_seconds
    # factor * 2**attempt plus jitter: 0.5-1.5 s, then 1-2 s by default.
    backoff = BackoffRetryIntervalCalculator(backoff_factor=factor, jitter=ScaledJitter(factor))
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.api_url,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
            # Waits Retry-After plus up to 1 s; slack_sdk ignores any interval calculator
            # here. Only background work calls Slack, never an ack path.
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        ],
    )
