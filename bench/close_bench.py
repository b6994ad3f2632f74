"""From a helpdesk's close to the survey in Slack: webhook 202 -> chat.postMessage.

    python -m bench.close_bench            # 20 closes, one a second
    python -m bench.close_bench --smoke    # 3 closes, for CI

Zero delay, quiet hours off, each close for a new customer (so each survey costs a
users.info, as a first survey does). The closes come one a second, as a helpdesk's
do; the burst benchmark measures the bot at Slack's limits. Prints p50 and p95 of
the time from the webhook's 202 to the fake Slack receiving the survey's post.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from pathlib import Path

import aiohttp

from sandbox.fake_slack import FakeSlack
from sandbox.local_bot import local_bot
from sandbox.signed import HelpdeskSender

SECRET = "bench-webhook-secret"
TEAMS = '[[teams]]\nname = "support"\ndelay_minutes = 0\nquiet_hours = ""\ndelivery = "dm"\n'


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


async def _posted(slack: FakeSlack, token: str, timeout: float = 10.0) -> float:  # noqa: ASYNC109
    """The moment the fake received the post carrying `token` (polled every millisecond)."""
    seen = 0
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        calls = slack.calls
        for call in calls[seen:]:
            metadata = call.args.get("metadata") if call.method == "chat.postMessage" else None
            if isinstance(metadata, dict) and metadata.get("event_payload") == {"survey": token}:
                return time.perf_counter()
        seen = len(calls)
        await asyncio.sleep(0.001)
    raise RuntimeError(f"survey {token} was not posted within {timeout} s")


async def run(closes: int, spacing: float) -> None:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as folder:
        async with FakeSlack() as slack, aiohttp.ClientSession() as http:
            for n in range(closes):
                slack.add_user(f"U0C{n:05d}", tz="UTC")
            async with local_bot(
                slack,
                Path(folder),
                teams_toml=TEAMS,
                webhook_secret=SECRET,
                # No timer tick helps: the close itself must wake the dispatcher.
                dispatch_interval_seconds=30,
            ) as bot:
                sender = HelpdeskSender(http, bot.url, SECRET)
                for n in range(closes):
                    body = {
                        "conversation_id": f"B-{n}",
                        "customer": {"slack_user_id": f"U0C{n:05d}"},
                    }
                    reply = await sender.closed(body)
                    accepted = time.perf_counter()
                    if reply.status != 202:
                        raise RuntimeError(f"close {n} answered {reply.status}")
                    latencies.append(await _posted(slack, reply.body["survey_id"]) - accepted)
                    await asyncio.sleep(spacing)
    p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
    print(f"closes: {closes}, one every {spacing:g} s")
    print(
        f"close to survey (202 -> chat.postMessage): p50 {p50 * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
        "(targets p50 <= 500 ms, p95 <= 1000 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.close_bench", description=__doc__)
    parser.add_argument("--closes", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=1.0)
    parser.add_argument("--smoke", action="store_true", help="3 closes")
    args = parser.parse_args()
    asyncio.run(run(3 if args.smoke else args.closes, 0.2 if args.smoke else args.spacing))


if __name__ == "__main__":
    main()
