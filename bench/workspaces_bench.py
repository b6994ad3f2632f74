"""Many installed workspaces served by one deployment: two processes, one PostgreSQL.

    python -m bench.workspaces_bench             # 1,000 workspaces x 10 closes, Slack's own minute
    python -m bench.workspaces_bench --smoke     # 20 workspaces x 5 closes, a minute in 1 s

The bot runs in OAuth mode as two `surveybot serve` processes sharing a scratch
PostgreSQL database (`SURVEYBOT_TEST_PG`, as the tests use); the fake Slack and the
helpdesk run in this process. The fake holds every workspace, each with its own token,
and enforces Slack's tiers per workspace (its windows are keyed by the token's
workspace), as Slack limits each app per workspace.

The workspaces are installed by writing their installations straight into slack_sdk's
installation store on the scratch database (`AsyncSQLAlchemyInstallationStore.async_save`,
what bolt's OAuth flow calls at the end), not by a thousand browser flows: the flow
itself is tested in tests/test_oauth_install.py. Each workspace has its own webhook
secret in its section of the teams file, and each close is signed with it and posted
to `/webhooks/conversation-closed?workspace=T…`, for a new customer of that workspace;
the closes go out in a shuffled order, to the two processes in turn.

One workspace gets at most about 1.6 surveys a second from Slack (users.info, Tier 4),
so only many workspaces together keep the machine busy. Prints the surveys delivered per
second in all, fairness (the slowest workspace's time to its last survey against one
workspace's own floor, its closes' users.info at Tier 4), the 429s, lost and doubled
surveys, and each process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench import bot_processes as bench_bots
from bot.delivery.dispatcher import SURVEY_EVENT_TYPE
from bot.slack.installations import Installations
from sandbox.fake_slack import SLACK_TIERS, FakeSlack
from sandbox.local_bot import free_port
from sandbox.signed import HelpdeskSender
from storage.db import Database
from storage.migrations import migrate

TEAMS = '[[teams]]\nname = "support"\ndelay_minutes = 0\nquiet_hours = ""\ndelivery = "dm"\n'
IN_FLIGHT = 50


def workspace_id(n: int) -> str:
    return f"TW{n:05d}"


def secret_of(workspace: str) -> str:
    return f"bench-secret-{workspace.lower()}"


def teams_file(workspaces: list[str]) -> str:
    """The top-level team for everyone, and each workspace's own webhook secret."""
    sections = (f'[workspaces.{ws}]\nwebhook_secret = "{secret_of(ws)}"\n' for ws in workspaces)
    return TEAMS + "\n" + "\n".join(sections)


async def install(database_url: str, slack: FakeSlack, workspaces: list[str]) -> float:
    """Every workspace's installation, saved as bolt's OAuth flow saves one; seconds taken."""
    started = time.perf_counter()
    db = Database(database_url)
    try:
        await migrate(db)
        store = Installations(db, slack.installs.client_id).installation_store
        for team_id in workspaces:
            await store.async_save(slack.installation(team_id))
    finally:
        await db.dispose()
    return time.perf_counter() - started


class Arrivals:
    """When each survey first reached the fake Slack, per workspace (a listener on each)."""

    def __init__(self) -> None:
        self.at: dict[str, dict[str, float]] = {}  # workspace -> survey token -> seconds

    def listen(self, slack: FakeSlack, workspace: str) -> None:
        seen = self.at.setdefault(workspace, {})

        def posted(_: str, message: dict[str, Any]) -> None:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == SURVEY_EVENT_TYPE:
                seen.setdefault(metadata["event_payload"]["survey"], time.perf_counter())

        slack.workspace(workspace).listeners.append(posted)

    async def wait_for(self, total: int, *, within: float) -> None:
        deadline = time.perf_counter() + within
        while self.count() < total and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    def count(self) -> int:
        return sum(len(seen) for seen in self.at.values())


async def run(
    count: int,
    closes_each: int,
    compression: float,
    processes: int,
    seed: int,
    logs_to: Path | None = None,
) -> None:
    workspaces = [workspace_id(n) for n in range(1, count + 1)]
    total = count * closes_each
    ports = [free_port() for _ in range(processes)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    scratch = f"surveybot_workspaces_{os.getpid()}"
    arrivals = Arrivals()
    with tempfile.TemporaryDirectory(prefix="surveybot-workspaces-") as folder:
        (Path(folder) / "teams.toml").write_text(teams_file(workspaces))
        async with FakeSlack() as slack, aiohttp.ClientSession() as http:
            for ws_id in workspaces:
                ws = slack.add_workspace(ws_id, bot_token=f"xoxb-bench-{ws_id.lower()}")
                for n in range(closes_each):
                    ws.add_user(f"U{ws_id[2:]}C{n:03d}", tz="UTC")
                arrivals.listen(slack, ws_id)
            database_url = await bench_bots.scratch_postgres(scratch)
            installing = await install(database_url, slack, workspaces)
            slack.enforce_tiers(compression)
            env = bench_bots.bot_env(
                SLACK_CLIENT_ID=slack.installs.client_id,
                SLACK_CLIENT_SECRET=slack.installs.client_secret,
                SLACK_STATE_SECRET="bench-state-secret",
                SLACK_SIGNING_SECRET="bench",
                SLACK_API_URL=slack.api_url,
                SURVEYBOT_CONFIG=str(Path(folder) / "teams.toml"),
                SURVEYBOT_PACE_COMPRESSION=str(compression),
                DATABASE_URL=database_url,
            )
            bots: list[asyncio.subprocess.Process] = []
            logs = [(logs_to or Path(folder)) / f"bot{n}.log" for n in range(processes)]
            log_files = [path.open("wb") for path in logs]
            try:
                starting = time.perf_counter()
                for port, url, log in zip(ports, urls, log_files, strict=True):
                    bots.append(await bench_bots.start_bot(folder, env, port, log=log))
                    await bench_bots.listening(http, url, within=300.0)
                start = time.perf_counter() - starting
                order = [(ws, n) for ws in workspaces for n in range(closes_each)]
                random.Random(seed).shuffle(order)
                gate = asyncio.Semaphore(IN_FLIGHT)

                async def close(k: int, ws: str, n: int) -> int:
                    sender = HelpdeskSender(http, urls[k % processes], secret_of(ws))
                    body = {
                        "conversation_id": f"{ws}-{n}",
                        "customer": {"slack_user_id": f"U{ws[2:]}C{n:03d}"},
                    }
                    async with gate:
                        return (await sender.closed(body, workspace=ws)).status

                started = time.perf_counter()
                statuses = await asyncio.gather(
                    *(close(k, ws, n) for k, (ws, n) in enumerate(order))
                )
                intake = time.perf_counter() - started
                if set(statuses) != {202}:
                    raise RuntimeError(f"closes answered {Counter(statuses)}")
                # One workspace's own floor: its closes' users.info at Tier 4.
                floor = closes_each / SLACK_TIERS["users.info"] * 60 / compression
                # Generous: a slow machine shows as a low rate, not as surveys lost.
                await arrivals.wait_for(total, within=total / 2 + floor * 3 + 120)
                await asyncio.sleep(1.0)  # anything sent twice late still shows
                peaks = [bench_bots.peak_rss_mb(bot.pid) for bot in bots]
            finally:
                await bench_bots.stop_bots(bots)
                for log in log_files:
                    log.close()
                await bench_bots.scratch_postgres(scratch, drop_only=True)
            posted = slack.surveys_posted()
            calls = len([c for c in slack.calls if c.method != "upload"])
            limited = len(slack.rate_limited)
    lasts = sorted(max(seen.values()) - started for seen in arrivals.at.values() if seen)
    done = max(lasts) if lasts else float("nan")
    print(
        f"workspaces: {count} x {closes_each} closes ({total} surveys), "
        f"Slack's minute in {60 / compression:g} s, {processes} bot processes on PostgreSQL"
    )
    print(
        f"installed {count} workspaces in {installing:.1f} s (straight into the store); "
        f"bot processes answering after {start:.1f} s"
    )
    print(f"intake: {total / intake:.0f} closes/s accepted (202)")
    print(
        f"delivered: {arrivals.count()} surveys in {done:.1f} s: "
        f"{arrivals.count() / done:.1f} surveys/s in all (target >= 50)"
    )
    print(
        f"fairness: the slowest workspace's last survey after {done:.1f} s "
        f"(median {statistics.median(lasts):.1f} s, fastest {min(lasts):.1f} s); "
        f"one workspace's floor ({closes_each} users.info at Tier 4) {floor:.1f} s; "
        f"ratio {done / floor:.1f}"
    )
    print(f"Slack calls: {calls}, 429s: {limited} ({100 * limited / max(1, calls):.2f} %)")
    print(f"lost: {total - len(posted)}, doubled: {sum(c - 1 for c in posted.values())}")
    print(
        "peak RSS per process: " + ", ".join(f"{peak:.0f} MB" for peak in peaks) + " (target < 300)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workspaces_bench", description=__doc__)
    parser.add_argument("--workspaces", type=int, default=1_000)
    parser.add_argument("--closes", type=int, default=10, help="closes per workspace")
    parser.add_argument("--compression", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=17, help="the closes' shuffled order")
    parser.add_argument("--logs", type=Path, help="a folder to keep the bots' logs in")
    parser.add_argument("--smoke", action="store_true", help="20 x 5 closes, a minute in 1 s")
    args = parser.parse_args()
    if args.smoke:
        args.workspaces, args.closes, args.compression = 20, 5, 60.0
    asyncio.run(
        run(
            args.workspaces,
            args.closes,
            args.compression,
            args.processes,
            args.seed,
            args.logs,
        )
    )


if __name__ == "__main__":
    main()
