"""A customer is one person, whether a helpdesk names them by email or Slack id."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.privacy import forget_person
from sandbox import FakeSlack
from storage import answers
from storage import surveys as store
from storage.db import Database
from storage.models import (
    Alert,
    AnswerChange,
    Conversation,
    CustomerEmail,
    Response,
    ResponseReason,
)
from storage.vocabulary import SurveyStatus
from tests.answering import close_by_reaction, delivered_survey, score_click, view_submission
from tests.harness import AGENT, CUSTOMER, SUPPORT_CHANNEL, Bot, running_bot
from tests.test_process import project_env, run_cli
from tests.waiting import wait_until

ANN = "ann@example.com"  # CUSTOMER's email in the fake Slack
ROOT_TS = "1763900000.000100"


def closed_for(conversation_id: str, **customer: str) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "customer": customer,
        "agent": {"slack_user_id": AGENT},
    }


async def delivered(bot: Bot, slack: FakeSlack, count: int) -> None:
    await slack.wait_for("chat.postMessage", count)

    async def all_delivered() -> bool:
        statuses = [s.status for s in await store.all_surveys(bot.workspace.db)]
        return statuses.count(SurveyStatus.DELIVERED) >= count

    await wait_until(all_delivered)


async def test_a_second_close_by_email_after_delivery_is_throttled(
    bot: Bot, slack: FakeSlack
) -> None:
    status, first = await bot.send_webhook(closed_for("ZD-1", email=ANN))
    assert (status, first["status"]) == (202, "scheduled")
    await delivered(bot, slack, 1)

    status, second = await bot.send_webhook(closed_for("ZD-2", email=ANN.upper()))

    assert (status, second["status"]) == (202, "throttled")
    await asyncio.sleep(0.3)
    assert len(slack.called("chat.postMessage")) == 1


async def test_a_customer_surveyed_in_slack_is_throttled_when_a_helpdesk_names_their_email(
    bot: Bot, slack: FakeSlack
) -> None:
    slack.add_message(SUPPORT_CHANNEL, ROOT_TS, CUSTOMER, "My invoice is wrong")
    await close_by_reaction(bot)
    await delivered(bot, slack, 1)  # users.info told the bot Ann's email

    _, by_email = await bot.send_webhook(closed_for("ZD-7", email=ANN))

    assert by_email["status"] == "throttled"


async def test_a_customer_surveyed_by_email_is_throttled_when_named_by_slack_id(
    bot: Bot, slack: FakeSlack
) -> None:
    await bot.send_webhook(closed_for("ZD-1", email=ANN))
    await delivered(bot, slack, 1)
    _, by_id = await bot.send_webhook(closed_for("ZD-2", slack_user_id=CUSTOMER))
    assert by_id["status"] == "throttled"


async def test_a_webhook_naming_both_links_them_before_delivery(bot: Bot, slack: FakeSlack) -> None:
    bot.clock.set(bot.clock())  # hold time: the first survey stays in the outbox
    await bot.send_webhook(closed_for("ZD-1", slack_user_id="U0OTHER"))
    await bot.send_webhook(closed_for("ZD-2", slack_user_id="U0BEA", email="bea@example.com"))
    _, by_email = await bot.send_webhook(closed_for("ZD-3", email="BEA@example.com"))
    assert by_email["status"] == "throttled"


async def test_two_closes_for_one_customer_at_the_same_instant_survey_once(
    slack: FakeSlack, store_url: str
) -> None:
    async with running_bot(slack, store_url) as bot:
        replies = await asyncio.gather(
            *(bot.send_webhook(closed_for(f"ZD-{n}", slack_user_id=CUSTOMER)) for n in range(6))
        )
        statuses = sorted(body["status"] for _, body in replies)
        assert statuses == ["scheduled"] + ["throttled"] * 5
        await slack.wait_for("chat.postMessage")
        await asyncio.sleep(0.3)
        assert len(slack.called("chat.postMessage")) == 1


# ------------------------------------------------------------------ forget


async def test_forget_by_email_erases_the_person_known_by_slack_id_too(
    slack: FakeSlack, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'surveybot.db'}"
    async with running_bot(slack, url) as bot:
        d = await delivered_survey(bot, slack)  # in the thread, under Ann's Slack id
        await bot.send_interaction(score_click(d, 1))
        await slack.wait_for("chat.postMessage", 2)  # the alert
        await slack.wait_for("views.open")
        await bot.send_interaction(
            view_submission(slack.views[-1], reasons=["slow_response"], comment="so slow")
        )

        async def comment_saved() -> bool:  # the follow-up is saved after the ack
            answer = await answers.response_for(bot.workspace.db, d.survey.id)
            return answer is not None and answer.comment == "so slow"

        await wait_until(comment_saved)
        _, later = await bot.send_webhook(closed_for("ZD-9", email=ANN))
        assert later["status"] == "throttled"
        bystander = await bot.send_webhook(closed_for("ZD-10", slack_user_id="U0BEA"))
        assert bystander[1]["status"] == "scheduled"

    code, out = await run_cli(
        "forget", "--customer", ANN, cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=url)
    )

    assert code == 0, out
    said = (
        f"Forgot {ANN} (also known as {CUSTOMER}): 2 conversations, 2 surveys, 1 answer, 1 alert."
    )
    assert said in out.splitlines(), out
    db = Database(url)
    try:
        remaining = await store.all_surveys(db)
        assert [s.customer_key for s in remaining] == ["U0BEA"]
        async with db.session() as session:
            for table in (
                Conversation,
                Response,
                ResponseReason,
                Alert,
                AnswerChange,
                CustomerEmail,
            ):
                rows = (await session.execute(select(table))).scalars().all()
                left = [r for r in rows if CUSTOMER in repr(r) or ANN in repr(r).lower()]
                assert left == [], table.__name__
    finally:
        await db.dispose()

    again, said_again = await run_cli(
        "forget", "--customer", CUSTOMER, cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=url)
    )
    assert again == 1
    assert f"No customer found for {CUSTOMER}; nothing was erased." in said_again.splitlines()


async def test_forget_inside_the_bot_drops_the_cached_profile(bot: Bot, slack: FakeSlack) -> None:
    directory = bot.workspace.customers
    await directory.profile(CUSTOMER)
    await directory.user_id_for_email(ANN)
    asked = len(slack.called("users.info")), len(slack.called("users.lookupByEmail"))

    await forget_person(bot.workspace.db, ANN, directory)
    await directory.profile(CUSTOMER)
    await directory.user_id_for_email(ANN)

    assert (len(slack.called("users.info")), len(slack.called("users.lookupByEmail"))) == (
        asked[0] + 1,
        asked[1] + 1,
    )
