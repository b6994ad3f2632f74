"""At start the bot asks Slack about every channel the teams name, and says which it
cannot use and how to fix that, before a survey, alert or digest fails there."""

from __future__ import annotations

import logging

import pytest

from bot.logs import KeyValueFormatter
from bot.slack.channels import ChannelProblem
from sandbox import FakeSlack
from tests.harness import running_bot
from tests.waiting import wait_until

TEAMS = """
[[teams]]
name = "support"
support_channels = ["C0SUPPORT", "C0OUTSIDE"]
alert_channel = "G0PRIVATE"
digest_channel = "C0OLD"

[[teams]]
name = "billing"
support_channels = ["C0BILLING"]
alert_channel = "C0PUBLIC"
digest_channel = "C0TYPO"
"""


async def checked(slack: FakeSlack, sqlite_url: str) -> list[ChannelProblem] | None:
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS) as bot:
        task = bot.runtime.channel_checks[0]
        assert task is not None
        await wait_until(task.done, what="the channel check")
        result = task.result()
        assert result is None or isinstance(result, list)
        return result


async def test_each_channel_the_bot_cannot_use_is_named_with_the_fix(
    slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_channel("C0SUPPORT", "support")
    slack.add_channel("C0OUTSIDE", "help-outside", bot_is_member=False)
    slack.add_channel("G0PRIVATE", "alerts", is_private=True, bot_is_member=False)
    slack.add_channel("C0OLD", "old-digests", is_archived=True)
    slack.add_channel("C0BILLING", "billing")
    # A public channel the bot has not joined: alerts may post there (chat:write.public).
    slack.add_channel("C0PUBLIC", "billing-alerts", bot_is_member=False)
    caplog.set_level(logging.INFO, logger="surveybot.channels")

    problems = await checked(slack, sqlite_url)

    assert problems is not None
    found = {p.channel: p for p in problems}
    assert sorted(found) == ["C0OLD", "C0OUTSIDE", "C0TYPO", "G0PRIVATE"]
    assert (
        "the bot is not in #help-outside, so it sees no closes there" in found["C0OUTSIDE"].problem
    )
    assert "/invite @surveybot" in found["C0OUTSIDE"].problem
    assert "#old-digests is archived" in found["C0OLD"].problem
    # Slack hides a private channel the bot is not in: the same answer as a typo.
    for channel in ("G0PRIVATE", "C0TYPO"):
        assert "if it is private" in found[channel].problem
        assert "/invite @surveybot" in found[channel].problem
        assert "About tab" in found[channel].problem
    assert [(u.team, u.field) for u in found["C0TYPO"].uses] == [("billing", "digest_channel")]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    lines = [KeyValueFormatter().format(r) for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "channel=C0TYPO" in line and "used_as=\"team 'billing' digest_channel\"" in line
        for line in lines
    ), lines
    # One call per channel (paced like every call: seven fit in Tier 3's burst).
    asked = [c.args["channel"] for c in slack.called("conversations.info")]
    assert sorted(asked) == sorted(
        ["C0SUPPORT", "C0OUTSIDE", "G0PRIVATE", "C0OLD", "C0BILLING", "C0PUBLIC", "C0TYPO"]
    )


async def test_without_the_scope_the_check_says_so_once_and_the_bot_starts(
    slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail_next("conversations.info", error="missing_scope")
    caplog.set_level(logging.INFO, logger="surveybot.channels")
    assert await checked(slack, sqlite_url) is None
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "channels:read" in warning and "reinstall" in warning
