"""The Slack client's retry waits: slack_sdk's by default, shorter when configured."""

from __future__ import annotations

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.settings import Settings
from bot.slack import make_client


def backoffs(settings: Settings) -> list[BackoffRetryIntervalCalculator]:
    handlers = make_client(settings).retry_handlers
    # A 429 waits its Retry-After; slack_sdk never asks the calculator there.
    found = [
        h.interval_calculator
        for h in handlers
        if not isinstance(h, AsyncRateLimitErrorRetryHandler)
    ]
    backoffs = [b for b in found if isinstance(b, BackoffRetryIntervalCalculator)]
    assert backoffs and len(backoffs) == len(found)
    return backoffs


def test_by_default_retries_wait_as_slack_sdk_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SURVEYBOT_SLACK_RETRY_BACKOFF", raising=False)
    for backoff in backoffs(Settings(_env_file=None)):
        assert backoff.backoff_factor == 0.5
        assert all(0.5 <= backoff.calculate_sleep_duration(0) < 1.5 for _ in range(50))
        assert all(1.0 <= backoff.calculate_sleep_duration(1) < 2.0 for _ in range(50))


def test_the_environment_shortens_the_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEYBOT_SLACK_RETRY_BACKOFF", "0")
    for backoff in backoffs(Settings(_env_file=None)):
        assert backoff.calculate_sleep_duration(0) == backoff.calculate_sleep_duration(3) == 0
