"""A token Slack stops accepting is reported, and surveys it failed can be sent again."""

from __future__ import annotations

import json
from typing import Any

from sandbox import FakeSlack
from storage import surveys as store
from tests.harness import AGENT, CUSTOMER, Bot
from tests.test_process import project_env, run_cli
from tests.waiting import wait_until


def helpdesk_close(conversation_id: str) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "customer": {"slack_user_id": CUSTOMER},
        "agent": {"slack_user_id": AGENT},
    }


async def test_a_revoked_token_turns_healthz_red_with_what_to_do(
    bot: Bot, slack: FakeSlack
) -> None:
    assert await bot.get("/healthz") == (200, '{"status": "ok"}')
    slack.revoked_tokens.add(slack.bot_token)
    status, body = await bot.get("/healthz")
    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "slack token refused" and answer["error"] == "token_revoked"
    assert "OAuth & Permissions" in answer["fix"]
    slack.revoked_tokens.clear()
    assert await bot.get("/healthz") == (200, '{"status": "ok"}')


async def test_retry_sends_again_the_surveys_a_revoked_token_failed(
    bot: Bot, slack: FakeSlack, sqlite_url: str, tmp_path: Any
) -> None:
    slack.revoked_tokens.add(slack.bot_token)
    assert (await bot.send_webhook(helpdesk_close("ZD-7001")))[0] == 202

    async def failed() -> bool:
        return any(s.status == "failed" for s in await store.all_surveys(bot.workspace.db))

    await wait_until(failed, what="the survey marked failed")
    assert slack.messages == {}  # Slack refused the post: nobody was asked
    refused = len(slack.called("chat.postMessage"))

    slack.revoked_tokens.clear()  # the admin reinstalled the app
    code, out = await run_cli(
        "retry", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=sqlite_url)
    )
    assert code == 0, out
    assert "1 failed survey is back in the outbox" in out
    posted = await slack.wait_for("chat.postMessage", refused + 1)
    assert len(posted) == refused + 1
    assert sum(len(messages) for messages in slack.messages.values()) == 1
    code, out = await run_cli(
        "retry", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=sqlite_url)
    )
    assert "No failed surveys to send again." in out
