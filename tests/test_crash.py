"""A bot killed (SIGKILL) mid-burst, some posts accepted by Slack but not yet recorded,
then restarted: every survey arrives, none twice."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp

from sandbox import FakeSlack
from sandbox.local_bot import free_port
from sandbox.signed import HelpdeskSender
from storage import surveys as store
from storage.db import Database
from tests.test_process import project_env, stop_with_sigterm
from tests.waiting import wait_until

SECRET = "crash-webhook-secret"
BURST = 30
TEAMS = '[[teams]]\nname = "support"\ndelay_minutes = 0\nquiet_hours = ""\ndelivery = "dm"\n'


async def serve(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def listening(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(f"{url}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientConnectionError:
        return False


async def test_a_sigkill_after_slack_accepted_posts_then_a_restart_sends_each_survey_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "teams.toml").write_text(TEAMS)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        for n in range(BURST):
            slack.add_user(f"U0K{n:04d}", tz="UTC")
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
            SURVEYBOT_WEBHOOK_SECRET=SECRET,
            SURVEYBOT_CONFIG=str(tmp_path / "teams.toml"),
            SURVEYBOT_CLAIM_LEASE_SECONDS="1",
            SURVEYBOT_DISPATCH_INTERVAL="0.2",
            SURVEYBOT_PACE_COMPRESSION="30",
            PORT=str(port),
        )
        # Slack takes the posts at once but answers late: the bot dies in between.
        slack.delay_responses("chat.postMessage", 60)
        process = await serve(tmp_path, env)
        try:
            await wait_until(lambda: listening(http, url), timeout=30, what="the bot listening")
            sender = HelpdeskSender(http, url, SECRET)
            for n in range(BURST):
                body = {"conversation_id": f"ZD-{n}", "customer": {"slack_user_id": f"U0K{n:04d}"}}
                assert (await sender.closed(body)).status == 202
            await slack.wait_for("chat.postMessage", 3, timeout=15)
            process.kill()
            await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
        unrecorded = slack.surveys_posted()
        assert unrecorded, "the bot died before Slack took any post"

        slack.delay_responses("chat.postMessage", 0)
        process = await serve(tmp_path, env)
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'surveybot.db'}")
        try:

            async def all_delivered() -> bool:
                surveys = await store.all_surveys(db)
                return len(surveys) == BURST and all(s.status == "delivered" for s in surveys)

            await wait_until(all_delivered, timeout=60, what="every survey delivered")
            await stop_with_sigterm(process)
        finally:
            await db.dispose()
            if process.returncode is None:
                process.kill()
    posted = slack.surveys_posted()
    assert len(posted) == BURST, "a survey was lost"
    assert set(posted.values()) == {1}, "a survey was sent twice"
    # The posts Slack took before the kill were found again, not repeated.
    assert all(posted[token] == 1 for token in unrecorded)
    assert slack.called("conversations.history")
