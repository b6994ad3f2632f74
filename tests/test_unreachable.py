"""Customers Slack cannot reach are counted, not lost in a log line."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.digest.job import post_weekly_digest
from sandbox import FakeSlack
from storage import surveys as store
from storage.vocabulary import SurveyStatus
from tests.contexts import in_workspace
from tests.harness import AGENT, DIGEST_CHANNEL, Bot
from tests.waiting import wait_until

NOBODY = "nobody@example.com"  # no account in the fake Slack has this address


def closed_for(conversation_id: str, email: str) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "customer": {"email": email},
        "agent": {"slack_user_id": AGENT},
    }


async def statuses(bot: Bot) -> list[SurveyStatus]:
    return [s.status for s in await store.all_surveys(bot.workspace.db)]


def next_monday_morning(moment: datetime) -> datetime:
    days = 7 - moment.weekday()
    return (moment + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


async def test_a_customer_without_a_slack_account_is_unreachable_and_counted(
    bot: Bot, slack: FakeSlack
) -> None:
    _, first = await bot.send_webhook(closed_for("ZD-1", NOBODY))
    assert first["status"] == "scheduled"  # nobody asked Slack yet: the webhook answers at once

    async def unreachable() -> bool:
        return await statuses(bot) == [SurveyStatus.UNREACHABLE]

    await wait_until(unreachable)
    assert slack.called("conversations.open") == [] and slack.called("chat.postMessage") == []

    # The bot now knows (for an hour): the next close says so at once.
    status, again = await bot.send_webhook(closed_for("ZD-2", NOBODY.upper()))
    assert (status, again["status"]) == (202, "unreachable") and again["survey_id"]
    assert len(slack.called("users.lookupByEmail")) == 1

    _, metrics = await bot.get("/metrics")
    assert 'surveybot_surveys{status="unreachable"} 2' in metrics

    posts = await post_weekly_digest(
        in_workspace(bot.workspace.db, bot.workspace.client, next_monday_morning(bot.clock())),
        bot.workspace.teams.default,
    )
    assert posts >= 2
    (improvement,) = [
        m for m in slack.messages[DIGEST_CHANNEL] if "Room to improve" in m.get("text", "")
    ]
    shown = str(improvement["blocks"])
    assert "1 customer could not be reached: no Slack account has their email address" in shown
    assert "Slack Connect" in shown
