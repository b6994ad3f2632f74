"""The Slack client's retry waits: slack_sdk's by default, shorter when configured.

A 429 waits its Retry-After (through the pacer); these waits are for 5xx and
connection errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.slack.client import make_client, trigger_deadline
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


def test_a_triggers_deadline_counts_from_the_click_when_the_clocks_agree() -> None:
    # Received at 100.0 (monotonic), read at 100.2; the wall clock says 1000.2.
    def deadline(action_ts: object) -> float:
        return round(trigger_deadline(100.0, action_ts, now=100.2, wall=1000.2), 3)

    assert deadline(None) == 102.0  # no click time: 2 s from arrival
    assert deadline("1000.100000") == 102.0  # handed over at once: arrival decides
    assert deadline("998.700000") == 101.2  # Slack took 1.5 s to hand it over
    assert deadline("997.000000") == 99.5  # already dead: nothing will be tried
    assert deadline("1763900000.000100") == 102.0  # a clock far off is not trusted
    assert deadline("1e999") == 102.0 and deadline("nan") == 102.0
