"""A burst of helpdesk closes against a fake Slack that enforces Slack's rate tiers.

    python -m bench.burst_bench                  # 10,000 closes, Slack's minute in 6 s
    python -m bench.burst_bench --smoke          # 200 closes, Slack's minute in 1 s
    python -m bench.burst_bench --postgres --processes 2   # two replicas, one pace

The bot runs as `surveybot serve` in its own process (SQLite), or as several processes
sharing a scratch PostgreSQL database (`SURVEYBOT_TEST_PG`, as the tests use) that
take the closes in turn; the fake Slack and the helpdesk run in this one. Each close is
for a new customer, so each survey costs a users.info (Tier 4, 100 a minute) and a
chat.postMessage (several hundred a minute): users.info sets the floor, N / 100 minutes.
Time is compressed: the fake's windows and the bot's pacer use the same factor. Prints
the intake rate, the time until the last survey reached Slack against the floor, the
429s, lost and doubled surveys, and the bot's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from bench.postgres import scratch_postgres
from sandbox.fake_slack import SLACK_TIERS, FakeSlack
from sandbox.local_bot import free_port
from sandbox.signed import HelpdeskSender

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"
TEAMS = '[[teams]]\nname = "support"\ndelay_minutes = 0\nquiet_hours = ""\ndelivery = "dm"\n'
IN_FLIGHT = 50


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _listening(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not start")


async def run(closes: int, compression: float, postgres: bool, processes: int) -> None:
    ports = [free_port() for _ in range(processes)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    scratch = f"surveybot_burst_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="surveybot-burst-") as folder:
        (Path(folder) / "teams.toml").write_text(TEAMS)
        async with FakeSlack() as slack, aiohttp.ClientSession() as http:
            slack.enforce_tiers(compression)
            for n in range(closes):
                slack.add_user(f"U0B{n:06d}", tz="UTC")
            env = {
                **{
                    k: v
                    for k, v in os.environ.items()
                    if not k.startswith(("SLACK_", "SURVEYBOT_"))
                },
                "PYTHONPATH": str(ROOT),
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": "bench",
                "SLACK_API_URL": slack.api_url,
                "SURVEYBOT_WEBHOOK_SECRET": SECRET,
                "SURVEYBOT_CONFIG": str(Path(folder) / "teams.toml"),
                "SURVEYBOT_PACE_COMPRESSION": str(compression),
                "DATABASE_URL": (
                    await scratch_postgres(scratch)
                    if postgres
                    else f"sqlite+aiosqlite:///{folder}/surveybot.db"
                ),
            }
            bots: list[asyncio.subprocess.Process] = []
            try:
                # One at a time: the first creates the schema before the others start.
                for port, url in zip(ports, urls, strict=True):
                    bots.append(
                        await asyncio.create_subprocess_exec(
                            sys.executable,
                            "-m",
                            "bot.cli",
                            "serve",
                            cwd=folder,
                            env={**env, "PORT": str(port)},
                            stdout=asyncio.subprocess.DEVNULL,
                            stderr=asyncio.subprocess.DEVNULL,
                        )
                    )
                    await _listening(http, url)
                senders = [HelpdeskSender(http, url, SECRET) for url in urls]
                gate = asyncio.Semaphore(IN_FLIGHT)

                async def close(n: int) -> int:
                    async with gate:
                        body = {
                            "conversation_id": f"BURST-{n}",
                            "customer": {"slack_user_id": f"U0B{n:06d}"},
                        }
                        return (await senders[n % len(senders)].closed(body)).status

                started = time.perf_counter()
                statuses = await asyncio.gather(*(close(n) for n in range(closes)))
                intake = time.perf_counter() - started
                if set(statuses) != {202}:
                    raise RuntimeError(f"closes answered {Counter(statuses)}")
                # users.info is the slowest tier each survey needs: N of them at 100 a minute.
                floor = closes / SLACK_TIERS["users.info"] * 60 / compression
                for _ in range(int((floor * 3 + 60) / 0.05)):
                    if len(slack.surveys_posted()) >= closes:
                        break
                    await asyncio.sleep(0.05)
                last = time.perf_counter() - started
                await asyncio.sleep(1.0)  # anything sent twice late still shows
                peak = max(_peak_rss_mb(bot.pid) for bot in bots)
            finally:
                for bot in bots:
                    bot.terminate()
                    await bot.wait()
                if postgres:
                    await scratch_postgres(scratch, drop_only=True)
            posted = slack.surveys_posted()
            calls = len([c for c in slack.calls if c.method != "upload"])
            limited = len(slack.rate_limited)
    store = "PostgreSQL" if postgres else "SQLite"
    print(
        f"closes: {closes}, Slack's minute in {60 / compression:g} s, "
        f"{processes} bot process{'es' if processes > 1 else ''} on {store}"
    )
    print(f"intake: {closes / intake:.0f} closes/s accepted (202) (target >= 300)")
    print(
        f"last survey delivered after {last:.1f} s; the tiers' floor {floor:.1f} s; "
        f"ratio {last / floor:.3f} (target <= 1.1)"
    )
    print(f"Slack calls: {calls}, 429s: {limited} ({100 * limited / max(1, calls):.2f} %)")
    print(
        f"lost: {closes - len(posted)}, doubled: {sum(c - 1 for c in posted.values())}; "
        f"bot peak RSS: {peak:.0f} MB{' (the largest process)' if processes > 1 else ''} "
        "(target < 200)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.burst_bench", description=__doc__)
    parser.add_argument("--closes", type=int, default=10_000)
    parser.add_argument("--compression", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="200 closes, a minute in 1 s")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument(
        "--processes", type=int, default=1, help="bot processes sharing the database (PostgreSQL)"
    )
    args = parser.parse_args()
    if args.processes > 1 and not args.postgres:
        parser.error("several processes share a PostgreSQL database: add --postgres")
    asyncio.run(
        run(
            200 if args.smoke else args.closes,
            60.0 if args.smoke else args.compression,
            args.postgres,
            args.processes,
        )
    )


if __name__ == "__main__":
    main()
