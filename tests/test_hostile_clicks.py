"""Clicks and forms nobody's button sends, on both stores: refused before storage, quietly
when replayed, and a comment is never lost nor logged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, text

from sandbox import FakeSlack
from storage import alerts as alert_store
from storage import answers
from storage.db import is_sqlite
from storage.models import AnswerChange, Response
from tests.answering import Delivered, block_actions, delivered_survey, score_click, view_submission
from tests.conftest import Lines
from tests.harness import ALERT_CHANNEL, CUSTOMER, Bot
from tests.waiting import wait_until

SLACK_WRITES = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open")
SECRET_WORDS = "my card is 4111 1111 1111 1111, Ann Example at 12 Secret Lane"


def refusals(slack: FakeSlack, words: str) -> list[dict[str, Any]]:
    return [e for e in slack.ephemerals if words in e["text"]]


def writes(slack: FakeSlack) -> int:
    return sum(len(slack.called(method)) for method in SLACK_WRITES)


async def settle(bot: Bot) -> None:
    """Let the bot's after-ack work finish (or, here, not happen): every listener done,
    then a moment for what they scheduled."""
    assert await bot.runtime.in_flight.drained(timeout=10)
    await asyncio.sleep(0.3)


async def count(bot: Bot, table: type[AnswerChange] | type[Response]) -> int:
    async with bot.workspace.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def low_score(bot: Bot, slack: FakeSlack) -> tuple[Delivered, dict[str, Any]]:
    d = await delivered_survey(bot, slack)
    click = score_click(d, 1)
    await bot.send_interaction(click)
    await slack.wait_for("views.open")
    await slack.wait_for("chat.postMessage", 2)  # the survey, then the alert

    async def alert_posted() -> bool:
        alert = await alert_store.alert_for_survey(bot.workspace.db, d.survey.id)
        return alert is not None and alert.message_ts is not None

    await wait_until(alert_posted)
    return d, click


async def test_a_replayed_low_click_changes_nothing_and_writes_nothing_to_slack(
    any_bot: Bot, slack: FakeSlack
) -> None:
    _, click = await low_score(any_bot, slack)
    await settle(any_bot)
    before = writes(slack)
    for _ in range(10):
        assert (await any_bot.send_interaction(click)).status == 200
    await settle(any_bot)
    assert writes(slack) == before
    assert await count(any_bot, AnswerChange) == 1


async def test_the_same_claim_clicked_twice_is_shown_once(any_bot: Bot, slack: FakeSlack) -> None:
    await low_score(any_bot, slack)
    (alert,) = slack.messages[ALERT_CHANNEL]
    message = slack.message(ALERT_CHANNEL, alert["ts"])
    claim = block_actions(
        channel=ALERT_CHANNEL, message=message, action_id="alert_claim", user="U0AGENT"
    )
    await any_bot.send_interaction(claim)
    await slack.wait_for("chat.update")
    await settle(any_bot)
    before = writes(slack)
    for _ in range(3):
        await any_bot.send_interaction(claim)
    await settle(any_bot)
    assert writes(slack) == before


@pytest.mark.parametrize(
    "forged",
    [
        {"action_id": "survey_score_" + "9" * 5000},
        {"value": "9" * 5000},
        {"action_ts": "1763900000." + "0" * 40},
        {"value": "tok:" + "²"},
    ],
    ids=["5000-digit-action-id", "5000-digit-value", "overlong-action-ts", "unicode-digit"],
)
async def test_a_click_no_button_sends_is_refused_politely_before_storage(
    any_bot: Bot, slack: FakeSlack, forged: dict[str, str], every_log_line: Lines
) -> None:
    d = await delivered_survey(any_bot, slack)
    click = score_click(d, 1)
    click["actions"][0].update(forged)
    reply = await any_bot.send_interaction(click)
    assert reply.status == 200
    await slack.wait_for("chat.postEphemeral", 2)  # the agent's close notice, then this
    (note,) = [e for e in slack.ephemerals if e["user"] == CUSTOMER]
    assert "Nothing was recorded" in note["text"]
    assert await count(any_bot, Response) == 0 and await count(any_bot, AnswerChange) == 0
    assert "level=ERROR" not in every_log_line() and "Traceback" not in every_log_line()


async def test_a_5000_digit_alert_id_is_refused_politely(any_bot: Bot, slack: FakeSlack) -> None:
    await low_score(any_bot, slack)
    (alert,) = slack.messages[ALERT_CHANNEL]
    message = slack.message(ALERT_CHANNEL, alert["ts"])
    for value in ("9" * 5000, "99999999999", "0"):
        forged = block_actions(
            channel=ALERT_CHANNEL, message=message, action_id="alert_claim", value=value
        )
        assert (await any_bot.send_interaction(forged)).status == 200
    await wait_until(lambda: len(refusals(slack, "could not find")) == 3)


async def test_a_comment_with_nul_and_a_lone_surrogate_is_saved_cleaned_and_the_alert_updated(
    any_bot: Bot, slack: FakeSlack
) -> None:
    d, _ = await low_score(any_bot, slack)
    submitted = view_submission(slack.views[-1], comment="Took\x00 three\ud800 days.")
    status, body = await any_bot.send_interaction_json(submitted)
    assert (status, body) == (200, "")
    await slack.wait_for("chat.update", 2)  # the thank-you, then the alert
    assert d.survey.id is not None
    stored = await answers.response_for(any_bot.workspace.db, d.survey.id)
    assert stored is not None and stored.comment == "Took three days."
    (alert,) = slack.messages[ALERT_CHANNEL]
    assert "> Took three days." in str(slack.message(ALERT_CHANNEL, alert["ts"])["blocks"])


@asynccontextmanager
async def comments_refused(bot: Bot) -> AsyncIterator[None]:
    """The database refuses every comment (a constraint added under the bot), then is mended:
    the PostgreSQL database is shared by the whole run."""
    db = bot.workspace.db
    if is_sqlite(db.url):
        add = (
            "CREATE TRIGGER refuse_comments BEFORE UPDATE OF comment ON responses "
            "WHEN NEW.comment IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        drop = "DROP TRIGGER refuse_comments"
    else:
        # PostgreSQL's error then quotes the failing row, comment and all, in its DETAIL.
        add = (
            "ALTER TABLE responses ADD CONSTRAINT refuse_comments CHECK (comment IS NULL) NOT VALID"
        )
        drop = "ALTER TABLE responses DROP CONSTRAINT refuse_comments"
    async with db.session() as session:
        await session.execute(text(add))
        await session.commit()
    try:
        yield
    finally:
        async with db.session() as session:
            await session.execute(text(drop))
            await session.commit()


async def test_a_database_error_while_saving_a_comment_tells_the_customer_and_logs_no_words(
    any_bot: Bot, slack: FakeSlack, every_log_line: Lines
) -> None:
    await low_score(any_bot, slack)
    async with comments_refused(any_bot):
        status, _ = await any_bot.send_interaction_json(
            view_submission(slack.views[-1], comment=SECRET_WORDS)
        )
        assert status == 200
        await wait_until(lambda: refusals(slack, "something went wrong"))
    (note,) = refusals(slack, "something went wrong")
    assert note["user"] == CUSTOMER
    log = every_log_line()
    assert "follow-up not saved" in log and "Traceback (most recent call last)" in log
    for words in ("4111", "Secret Lane", "Ann Example"):
        assert words not in log


async def test_a_click_from_another_workspace_is_refused_and_nothing_is_stored(
    any_bot: Bot, slack: FakeSlack
) -> None:
    assert any_bot.runtime.token and any_bot.runtime.token.team_id == "T0001"
    d = await delivered_survey(any_bot, slack)
    click = score_click(d, 1)
    click["team"] = {"id": "T0OTHER", "domain": "elsewhere"}
    before = writes(slack)
    reply = await any_bot.send_interaction(click)
    assert (reply.status, reply.body) == (200, "")
    await settle(any_bot)
    assert writes(slack) == before
    assert await count(any_bot, Response) == 0 and await count(any_bot, AnswerChange) == 0
    # The same click from the survey's own workspace counts.
    click["team"] = {"id": "T0001", "domain": "acme"}
    await any_bot.send_interaction(click)
    await wait_until(lambda: count(any_bot, Response))
