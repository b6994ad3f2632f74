"""Talking to the bot the way Slack and helpdesks do: signed POSTs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.delivery.webhook import sign
from sandbox.payloads import event_callback


@dataclass
class SignedReply:
    status: int
    body: Any  # parsed JSON when the bot answered JSON, else the text


@dataclass
class SlackSender:
    """Signs each request with the app's signing secret, as Slack does."""

    http: aiohttp.ClientSession
    bot_url: str
    signing_secret: str

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> SignedReply:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        verifier = SignatureVerifier(secret if secret is not None else self.signing_secret)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body) or "",
            **(headers or {}),
        }
        async with self.http.post(
            f"{self.bot_url}/slack/events", data=body.encode(), headers=all_headers
        ) as response:
            text = await response.text()
            parsed = json.loads(text) if text.startswith("{") else text
            return SignedReply(response.status, parsed)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kwargs: Any,
    ) -> SignedReply:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(event_callback(event, event_id))
        return await self.post(body, "application/json", headers=headers, **kwargs)

    async def interaction(self, payload: dict[str, Any], **kwargs: Any) -> SignedReply:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **kwargs)


@dataclass
class HelpdeskSender:
    """A helpdesk reporting closed conversations, signed with the webhook secret."""

    http: aiohttp.ClientSession
    bot_url: str
    secret: str

    async def closed(
        self,
        body: dict[str, Any] | bytes,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        workspace: str | None = None,
    ) -> SignedReply:
        """`workspace`: the one the URL names (a bot serving many: ?workspace=T…)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Surveybot-Timestamp": ts,
            "X-Surveybot-Signature": signature or sign(secret or self.secret, ts, raw),
        }
        async with self.http.post(
            f"{self.bot_url}/webhooks/conversation-closed",
            params={"workspace": workspace} if workspace else None,
            data=raw,
            headers=headers,
        ) as response:
            text = await response.text()
            return SignedReply(response.status, json.loads(text) if text.startswith("{") else text)
