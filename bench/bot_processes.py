"""What the benchmarks share: the bot run as `surveybot serve` processes, a scratch
PostgreSQL database, and the processes' peak memory."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import aiohttp
import asyncpg  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("SURVEYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def listening(http: aiohttp.ClientSession, url: str, *, within: float = 30.0) -> None:
    """Wait until the bot at `url` answers /healthz."""
    for _ in range(int(within / 0.1)):
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the bot did not start within {within:g} s")


async def scratch_postgres(name: str, *, drop_only: bool = False) -> str:
    """A new, empty database on the tests' PostgreSQL server; its URL."""
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"


def bot_env(**variables: str) -> dict[str, str]:
    """This environment without any SLACK_* or SURVEYBOT_* of the caller's, plus these."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SURVEYBOT_"))}
    return {**kept, "PYTHONPATH": str(ROOT), **variables}


async def start_bot(
    folder: str, env: Mapping[str, str], port: int, *, log: IO[bytes] | None = None
) -> asyncio.subprocess.Process:
    """`surveybot serve` on `port`, run in `folder`; its log to `log`, else nowhere."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        cwd=folder,
        env={**env, "PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log if log is not None else asyncio.subprocess.DEVNULL,
    )


async def stop_bots(bots: list[asyncio.subprocess.Process]) -> None:
    for bot in bots:
        bot.terminate()
        await bot.wait()
