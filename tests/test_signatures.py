"""Known answers: requests signed by hand, outside the product, reach the real bot.

Each expected signature was computed once with openssl and is written here literally, so a
change to how the bot signs or checks a request cannot pass by changing both sides:

    printf '%s.%s' 1764000000 "$WEBHOOK_BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET"
    printf 'v0:%s:%s' 1764000000 "$SLACK_BODY" | openssl dgst -sha256 -hmac "$SIGNING_SECRET"

Both checks refuse a timestamp more than 5 minutes from the wall clock (the webhook's in
handlers/webhooks.py, Slack's inside slack_sdk), so the process's clock is moved to the
fixed moment while the bot runs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
import time_machine

from sandbox import FakeSlack
from tests.harness import Bot, running_bot

TIMESTAMP = "1764000000"  # 2025-11-24 16:00:00 UTC

WEBHOOK_SECRET = "known-answer-webhook-secret"
WEBHOOK_BODY = b'{"conversation_id": "ZD-4242", "customer": {"slack_user_id": "U0CUSTOMER"}}'
WEBHOOK_SIGNATURE = "sha256=5934d2847b764215ea083a03e87325b2e2718deb4fd09cc485b235a8c226b706"

SIGNING_SECRET = "known-answer-signing-secret"
CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
SLACK_BODY = (
    b'{"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "' + CHALLENGE.encode() + b'", '
    b'"type": "url_verification"}'
)
SLACK_SIGNATURE = "v0=13c8f1a6bee847205433bc4d2c9c2c59ca16f9837693c982419956453a5e319b"


def one_byte_changed(signature: str) -> str:
    last = signature[-1]
    return signature[:-1] + ("0" if last != "0" else "1")


@pytest_asyncio.fixture
async def bot_at_the_timestamp(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    moment = datetime.fromtimestamp(int(TIMESTAMP), UTC)
    with time_machine.travel(moment, tick=True):
        async with running_bot(
            slack, sqlite_url, webhook_secret=WEBHOOK_SECRET, slack_signing_secret=SIGNING_SECRET
        ) as bot:
            yield bot


async def post(bot: Bot, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with bot.http.post(f"{bot.url}{path}", data=body, headers=headers) as response:
        return response.status, await response.text()


async def test_a_webhook_signed_as_the_contract_says_is_accepted(
    bot_at_the_timestamp: Bot,
) -> None:
    def signed(signature: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Surveybot-Timestamp": TIMESTAMP,
            "X-Surveybot-Signature": signature,
        }

    path = "/webhooks/conversation-closed"
    status, text = await post(bot_at_the_timestamp, path, WEBHOOK_BODY, signed(WEBHOOK_SIGNATURE))
    assert status == 202 and json.loads(text)["status"] == "scheduled"

    forged = one_byte_changed(WEBHOOK_SIGNATURE)
    status, text = await post(bot_at_the_timestamp, path, WEBHOOK_BODY, signed(forged))
    assert (status, json.loads(text)) == (401, {"error": "wrong signature"})


async def test_a_slack_request_signed_as_slack_documents_is_accepted(
    bot_at_the_timestamp: Bot,
) -> None:
    def signed(signature: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": TIMESTAMP,
            "X-Slack-Signature": signature,
        }

    path = "/slack/events"
    status, text = await post(bot_at_the_timestamp, path, SLACK_BODY, signed(SLACK_SIGNATURE))
    assert status == 200 and CHALLENGE in text

    forged = one_byte_changed(SLACK_SIGNATURE)
    status, text = await post(bot_at_the_timestamp, path, SLACK_BODY, signed(forged))
    assert status == 401 and CHALLENGE not in text
