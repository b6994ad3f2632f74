"""`forget` erases a person everywhere the bot keeps anything: the SQLite file, its
write-ahead log, and the log (which never had their words or ids to begin with)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import FakeSlack
from sandbox.payloads import message_posted
from storage import surveys as store
from storage.db import Database
from storage.privacy import forget_customer
from tests.answering import block_actions, view_submission
from tests.conftest import Lines
from tests.harness import ALERT_CHANNEL, CUSTOMER, SUPPORT_CHANNEL, running_bot
from tests.test_process import project_env, run_cli
from tests.waiting import wait_until

EMAIL = "ann@example.com"
TICKET = "ZD-SECRET-4711"
WORDS = "Gideon from billing laughed at my overdraft"


def stored_bytes(path: Path) -> dict[str, bytes]:
    files = {"database": path, "write-ahead log": Path(f"{path}-wal")}
    return {name: f.read_bytes() if f.exists() else b"" for name, f in files.items()}


@pytest.mark.parametrize("how", ["cli", "direct"])
async def test_after_forget_neither_the_database_nor_its_wal_nor_the_log_holds_the_person(
    slack: FakeSlack, tmp_path: Path, how: str, every_log_line: Lines
) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    async with running_bot(slack, url) as bot:
        # They once asked in the support channel too: the bot remembers who started that.
        asked = message_posted(user=CUSTOMER, channel=SUPPORT_CHANNEL, ts="1763800000.000100")
        await bot.send_event(asked)
        assert await bot.runtime.in_flight.drained(timeout=10)
        # A helpdesk close by email, a low score, and the customer's words.
        status, _ = await bot.send_webhook(
            {
                "conversation_id": TICKET,
                "customer": {"email": EMAIL},
                "agent": {"slack_user_id": "U0AGENT"},
            }
        )
        assert status == 202

        async def delivered() -> bool:
            (survey,) = await store.all_surveys(bot.workspace.db)
            return survey.status == "delivered"

        await wait_until(delivered)
        (survey,) = await store.all_surveys(bot.workspace.db)
        assert survey.channel_id and survey.message_ts
        message = slack.message(survey.channel_id, survey.message_ts)
        click = block_actions(
            channel=survey.channel_id, message=message, action_id="survey_score_1"
        )
        await bot.send_interaction(click)
        await slack.wait_for("views.open")
        await bot.send_interaction_json(view_submission(slack.views[-1], comment=WORDS))
        await wait_until(
            lambda: any(c.args["channel"] == ALERT_CHANNEL for c in slack.called("chat.update"))
        )
        before = stored_bytes(path)
        assert any(WORDS.encode() in b for b in before.values())  # the test finds what is there

        if how == "cli":
            code, out = await run_cli(
                "forget",
                "--customer",
                EMAIL,
                cwd=tmp_path,
                env=project_env(tmp_path, DATABASE_URL=url),
            )
            assert code == 0, out
            assert f"Forgot {EMAIL} (also known as {CUSTOMER}): 1 conversation" in out
        else:
            db = Database(url)
            gone = await forget_customer(db, EMAIL)
            await db.dispose()
            assert (gone.surveys, gone.answers, gone.flushed) == (1, 1, True)
            out = ""
        assert await store.all_surveys(bot.workspace.db) == []
        after = stored_bytes(path)

    needles = [WORDS, "overdraft", EMAIL, CUSTOMER, TICKET]
    for where, content in after.items():
        for needle in needles:
            assert needle.encode() not in content, f"{needle!r} is still in the {where}"
    # The operator's report names whom it erased; the log lines around it do not.
    cli_log = [line for line in out.splitlines() if " level=" in line]
    log = every_log_line() + "\n".join(cli_log)
    for needle in needles:
        assert needle not in log, f"{needle!r} is in the log"
