"""How fast the bot acknowledges a click, against a bare aiohttp endpoint on the same machine.

    python -m bench.ack_bench            # 300 clicks
    python -m bench.ack_bench --smoke    # 30 clicks, for CI

Slack wants a 2xx within 3 seconds. The bot (bolt over aiohttp, signature check, the
services middleware) answers a survey click and only then talks to the database and
to Slack. This times the round trip of signed clicks to the real bot against a fake
Slack, and the same signed requests to a bare handler that answers 200 at once, and
prints both medians and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot import ids
from bot.app import serving
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


async def _timed(count: int, send: Callable[[int], Awaitable[int]]) -> list[float]:
    times = []
    for n in range(count):
        started = time.perf_counter()
        status = await send(n)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"request {n} answered {status}")
    return times


def _bare_endpoint() -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/slack/events", ok)
    return app


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

            async with serving(_bare_endpoint(), "127.0.0.1", 0, log_requests=False) as bare_url:
                bare_sender = SlackSender(http, bare_url, "unused")

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

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)

    print(f"clicks: {clicks}")
    print(
        f"bot ack (signed click -> 200): median {statistics.median(ours):.2f} ms, "
        f"p95 {p95(ours):.2f} ms"
    )
    print(
        f"bare aiohttp endpoint: median {statistics.median(baseline):.2f} ms, "
        f"p95 {p95(baseline):.2f} ms"
    )
    print(
        f"ratio bot / bare (medians): {statistics.median(ours) / statistics.median(baseline):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_bench", description=__doc__)
    parser.add_argument("--clicks", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="30 clicks")
    args = parser.parse_args()
    asyncio.run(run(30 if args.smoke else args.clicks))


if __name__ == "__main__":
    main()
