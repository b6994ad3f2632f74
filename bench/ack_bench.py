"""How fast the bot acknowledges a click, against a bare slack_bolt AsyncApp that only acks.

    python -m bench.ack_bench            # 300 clicks, 50 at a time
    python -m bench.ack_bench --smoke    # 30 clicks, for CI

Slack wants a 2xx within 3 seconds. The bot (bolt over aiohttp, signature check, the
services middleware, event dedup, the request log line) answers a survey click and
only then talks to the database and to Slack. The baseline is bolt itself: an
AsyncApp with one listener that acks, served the same way (aiohttp, the same
adapter, signature verification on). Both get the same signed clicks, 50 in flight
at once; the bench prints p50, p99 and their ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import serving
from bot.slack import ids
from sandbox import payloads
from sandbox.fake_slack import FakeSlack
from sandbox.local_bot import local_bot
from sandbox.signed import SlackSender

CUSTOMER, AGENT, CHANNEL, ROOT_TS = "U0ANN", "U0BO", "C0SUPPORT", "1763900000.000100"
TEAMS = f"""
[[teams]]
name = "support"
support_channels = ["{CHANNEL}"]
delay_minutes = 0
quiet_hours = ""
"""


CONCURRENCY = 50


WARM_UP = 5


async def _timed(count: int, send: Callable[[int], Awaitable[int]]) -> list[float]:
    """Each request's round trip in ms, CONCURRENCY of them in flight at once.

    A few requests go first, untimed: bolt asks auth.test once, on its first request.
    """
    for n in range(WARM_UP):
        await send(count + n)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> float:
        async with gate:
            started = time.perf_counter()
            status = await send(n)
            elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"request {n} answered {status}")
        return elapsed

    return list(await asyncio.gather(*(one(n) for n in range(count))))


def _bare_bolt_app(slack: FakeSlack, signing_secret: str) -> web.Application:
    """bolt's AsyncApp with a listener that only acks, served as the bot is served."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url),
        signing_secret=signing_secret,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @bolt.action(re.compile(".*"))
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def slack_events(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    return app


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


async def _delivered_survey(slack: FakeSlack, sender: SlackSender) -> dict[str, Any]:
    slack.add_message(CHANNEL, ROOT_TS, CUSTOMER, "help")
    await sender.event(
        payloads.reaction_added(
            user=AGENT, reaction="white_check_mark", channel=CHANNEL, ts=ROOT_TS, item_user=CUSTOMER
        )
    )
    (post,) = await slack.wait_for("chat.postMessage", timeout=15)
    for _ in range(200):
        posted = slack.messages.get(CHANNEL, [])
        if posted:
            return posted[0]
        await asyncio.sleep(0.02)
    raise RuntimeError(f"no survey posted: {post}")


async def run(clicks: int) -> None:
    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as folder:
        async with FakeSlack() as slack, aiohttp.ClientSession() as http:
            slack.add_user(CUSTOMER, tz="UTC")
            async with local_bot(slack, Path(folder), teams_toml=TEAMS) as bot:
                sender = SlackSender(http, bot.url, bot.signing_secret)
                survey = await _delivered_survey(slack, sender)

                async def click(n: int) -> int:
                    # Middle scores, alternating: every click is a real change of answer.
                    action = ids.survey_score_action(3 + n % 2)
                    reply = await sender.interaction(
                        payloads.block_actions(
                            channel=CHANNEL,
                            message=survey,
                            action_id=action,
                            user=CUSTOMER,
                            thread_ts=ROOT_TS,
                        )
                    )
                    return reply.status

                ours = await _timed(clicks, click)

            secret = "bare-signing-secret"
            bare_app = _bare_bolt_app(slack, secret)
            async with serving(bare_app, "127.0.0.1", 0, log_requests=False) as bare_url:
                bare_sender = SlackSender(http, bare_url, secret)

                async def bare(n: int) -> int:
                    message = {**survey, "ts": ROOT_TS}
                    payload = payloads.block_actions(
                        channel=CHANNEL,
                        message=message,
                        action_id=ids.survey_score_action(3 + n % 2),
                        user=CUSTOMER,
                    )
                    return (await bare_sender.interaction(payload)).status

                baseline = await _timed(clicks, bare)

    p50, p99 = _percentile(ours, 0.5), _percentile(ours, 0.99)
    b50, b99 = _percentile(baseline, 0.5), _percentile(baseline, 0.99)
    print(f"clicks: {clicks}, {CONCURRENCY} in flight")
    print(f"bot ack (signed click -> 200): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"bare bolt AsyncApp (ack only): p50 {b50:.2f} ms, p99 {b99:.2f} ms")
    print(f"ratio bot / bare: p50 {p50 / b50:.2f}, p99 {p99 / b99:.2f} (target p99 <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_bench", description=__doc__)
    parser.add_argument("--clicks", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="30 clicks")
    args = parser.parse_args()
    asyncio.run(run(30 if args.smoke else args.clicks))


if __name__ == "__main__":
    main()
