"""The Slack client's retry waits: slack_sdk's by default, shorter when configured.

A 429 waits its Retry-After (through the pacer); these waits are for 5xx and
connection errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.slack.client import make_client
from storage.db import Database


def backoff_of(settings: Settings, tmp_path: Path) -> list[float]:
    client = make_client(settings, Database(f"sqlite+aiosqlite:///{tmp_path / 'pace.db'}"))
    return [client.backoff.calculate_sleep_duration(n) for n in (0, 1) for _ in range(50)]


def test_by_default_retries_wait_as_slack_sdk_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SURVEYBOT_SLACK_RETRY_BACKOFF", raising=False)
    waits = backoff_of(Settings(_env_file=None), tmp_path)
    assert all(0.5 <= wait < 1.5 for wait in waits[:50])
    assert all(1.0 <= wait < 2.0 for wait in waits[50:])


def test_the_environment_shortens_the_waits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SURVEYBOT_SLACK_RETRY_BACKOFF", "0")
    assert set(backoff_of(Settings(_env_file=None), tmp_path)) == {0}
