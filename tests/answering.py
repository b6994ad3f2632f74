"""Interactivity payloads as Slack sends them, and a delivered survey to click on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sandbox import FakeSlack, payloads
from sandbox.payloads import reaction_added
from storage import surveys as store
from storage.surveys import SurveyRecord
from storage.vocabulary import Purpose
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, Bot
from tests.waiting import wait_until

ROOT_TS = "1763900000.000100"
_counter = itertools.count(1)


@dataclass
class Delivered:
    survey: SurveyRecord
    channel: str
    ts: str
    message: dict[str, Any]
    thread_ts: str | None


async def close_by_reaction(bot: Bot) -> None:
    """The agent adds the close reaction to the customer's first message (ROOT_TS)."""
    await bot.send_event(
        reaction_added(
            user=AGENT,
            reaction="white_check_mark",
            channel=SUPPORT_CHANNEL,
            ts=ROOT_TS,
            item_user=CUSTOMER,
        )
    )


TICKET_URL = "https://example.zendesk.com/agent/tickets/1001"


async def delivered_survey(bot: Bot, slack: FakeSlack, *, source: str = "slack") -> Delivered:
    """A survey sent through the real paths: a close in Slack, or a helpdesk webhook."""
    if source == "slack":
        slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "My invoice is wrong")
        await close_by_reaction(bot)
    else:
        close: dict[str, Any] = {
            "conversation_id": "ZD-1001",
            "customer": {"slack_user_id": CUSTOMER},
            "agent": {"slack_user_id": AGENT},
            "customer_value": 120,
        }
        if source == "webhook_with_link":
            close["conversation_url"] = TICKET_URL
        await bot.send_webhook(close)
    (post,) = await slack.wait_for("chat.postMessage")

    async def only_survey() -> SurveyRecord:
        # Not its reminder, which a team's `reminder_after` adds once it is delivered.
        sent = await store.all_surveys(bot.workspace.db)
        (survey,) = (s for s in sent if s.purpose is not Purpose.REMINDER)
        return survey

    async def delivered() -> bool:
        return (await only_survey()).status == "delivered"

    await wait_until(delivered, what="the survey marked delivered")
    survey = await only_survey()
    assert survey.channel_id and survey.message_ts
    message = slack.message(survey.channel_id, survey.message_ts)
    return Delivered(
        survey, survey.channel_id, survey.message_ts, message, post.args.get("thread_ts")
    )


def block_actions(*, user: str = CUSTOMER, **kwargs: Any) -> dict[str, Any]:
    """A click, by the survey's customer unless another user is named."""
    return payloads.block_actions(user=user, **kwargs)


def view_submission(view: dict[str, Any], *, user: str = CUSTOMER, **kwargs: Any) -> dict[str, Any]:
    return payloads.view_submission(view, user=user, **kwargs)


def view_closed(view: dict[str, Any], *, user: str = CUSTOMER) -> dict[str, Any]:
    return payloads.view_closed(view, user=user)


def score_click(d: Delivered, score: int, **kwargs: Any) -> dict[str, Any]:
    """The survey's customer clicks `score` on the delivered survey."""
    return block_actions(
        channel=d.channel,
        message=d.message,
        action_id=f"survey_score_{score}",
        thread_ts=d.thread_ts,
        **kwargs,
    )
