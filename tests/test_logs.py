"""The log as an operator reads it: one line per event, ids only, every failure once."""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterator

import aiohttp
import pytest
from sqlalchemy import text

from bot.logs import KeyValueFormatter, fields
from bot.scheduler import JobOutcomes
from sandbox import FakeSlack
from tests.answering import delivered_survey, score_click, view_submission
from tests.harness import Bot, running_bot
from tests.waiting import wait_until

FORGED = "U0FORGED\n2026-11-30 09:00:00,000 level=ERROR logger=surveybot.alerts alert lost"
# Every line the formatter writes starts like this; a forged one would too.
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} level=(\w+) logger=")

LogLines = Callable[[], list[str]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """The bot's log as the production formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    logger = logging.getLogger("surveybot")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: stream.getvalue().splitlines()
    logger.removeHandler(handler)
    logger.setLevel(level)


async def lines_with(log_lines: LogLines, needle: str, count: int = 1) -> list[str]:
    def found() -> list[str]:
        return [line for line in log_lines() if needle in line]

    await wait_until(lambda: len(found()) >= count, what=f"a log line with {needle!r}")
    return found()


def formatted(message: str, *args: object, **values: object) -> str:
    record = logging.LogRecord("surveybot.test", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(fields(**values))
    return KeyValueFormatter().format(record)


def test_a_value_with_a_newline_and_a_level_in_it_stays_on_one_line() -> None:
    as_argument = formatted("users.info failed user=%s error=%s", FORGED, "ratelimited")
    as_field = formatted("slack request", user=FORGED, ms=12)
    for line in (as_argument, as_field):
        assert len(line.splitlines()) == 1
        assert LINE_START.match(line)[1] == "INFO"  # type: ignore[index]
        assert 'user="U0FORGED\\n2026-11-30 09:00:00,000 level=ERROR logger=' in line
    assert as_argument.endswith(" error=ratelimited")
    assert as_field.endswith(" ms=12")


def test_plain_ids_stay_bare_and_a_space_cannot_pass_for_another_key() -> None:
    line = formatted("alert claimed", alert=7, user="U0AGENT", team="a b=c", week="2026-W47")
    assert line.endswith('alert claimed alert=7 user=U0AGENT team="a b=c" week=2026-W47')


async def test_every_slack_request_is_one_line_with_its_ids_but_not_who_sent_it(
    bot: Bot, slack: FakeSlack, log_lines: LogLines
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 3, user="U0SOMEONE"))
    (line,) = await lines_with(log_lines, "slack request type=block_actions")
    assert re.search(
        r"slack request type=block_actions action=survey_score_3 team=T0001 ms=\d+$", line
    )
    (refused,) = await lines_with(log_lines, "answer refused")
    assert refused.endswith(f"answer refused survey={d.survey.token} reason=not_yours")
    assert "U0SOMEONE" not in "\n".join(log_lines())
    # The close that sent the survey was a Slack request too: one line, by its event.
    (close,) = await lines_with(log_lines, "slack request type=event_callback")
    assert "event=reaction_added" in close
    assert all(LINE_START.match(line) for line in log_lines())
    assert [line for line in log_lines() if LINE_START.match(line)[1] == "ERROR"] == []  # type: ignore[index]


async def test_a_listener_failing_after_the_ack_is_logged_once_by_ids_without_the_comment(
    bot: Bot, slack: FakeSlack, log_lines: LogLines
) -> None:
    d = await delivered_survey(bot, slack)
    await bot.send_interaction(score_click(d, 5))
    await slack.wait_for("views.open")
    await slack.wait_for("chat.update")
    # The kudos to the agent is refused: the form was acked long before.
    slack.fail_next("chat.postMessage", error="channel_not_found")
    comment = "Bo fixed it, my card is 4111 1111 1111 1111"
    status, _ = await bot.send_interaction_json(view_submission(slack.views[-1], comment=comment))
    assert status == 200
    (line,) = await lines_with(log_lines, "slack listener failed")
    assert line.endswith(
        "slack listener failed type=view_submission callback=survey_follow_up team=T0001 "
        "error=channel_not_found"
    )
    assert LINE_START.match(line)[1] == "ERROR"  # type: ignore[index]
    everything = "\n".join(log_lines())
    assert "4111" not in everything and "Traceback" not in everything  # Slack's answer, not a bug
    assert "xoxb-" not in everything


async def lose_the_surveys_table(bot: Bot) -> None:
    """The database breaks under the bot: a table every listener and job reads is gone."""
    async with bot.workspace.db.session() as session:
        await session.execute(text("ALTER TABLE surveys RENAME TO surveys_lost"))
        await session.commit()


async def test_a_click_that_fails_right_after_the_ack_is_still_acked_and_logged_with_traceback(
    bot: Bot, slack: FakeSlack, log_lines: LogLines
) -> None:
    d = await delivered_survey(bot, slack)
    await lose_the_surveys_table(bot)
    started = time.monotonic()
    reply = await bot.send_interaction(score_click(d, 4))
    # Bolt would take the ack back when the listener raises at once; Slack still gets it.
    assert reply.status == 200 and time.monotonic() - started < 2.0
    (line,) = await lines_with(log_lines, "slack listener failed")
    assert line.endswith(
        "slack listener failed type=block_actions action=survey_score_4 team=T0001 "
        "error=OperationalError"
    )
    output = log_lines()
    assert output[output.index(line) + 1] == "Traceback (most recent call last):"


async def test_a_job_that_raises_is_logged_by_the_scheduler_with_its_traceback(
    slack: FakeSlack, sqlite_url: str, log_lines: LogLines
) -> None:
    async with running_bot(slack, sqlite_url, expiry_interval_seconds=0.05) as bot:
        await lose_the_surveys_table(bot)
        first, second, *_ = await lines_with(log_lines, "job failed", count=2)
    # One failing tick does not stop the next one.
    assert first.endswith("job failed job=expire_surveys error=OperationalError")
    assert second.endswith("job failed job=expire_surveys error=OperationalError")
    output = log_lines()
    assert output[output.index(first) + 1] == "Traceback (most recent call last):"


async def test_a_forged_line_in_a_webhook_is_refused_and_cannot_start_a_log_line(
    bot: Bot, log_lines: LogLines
) -> None:
    base = {"customer": {"email": "ann@example.com"}}
    status, answer = await bot.send_webhook({**base, "conversation_id": FORGED})
    assert status == 400 and answer["error"].startswith("conversation_id: must not contain")
    # A value that is valid but unknown is echoed in the error: quoted, on one line.
    status, answer = await bot.send_webhook(
        {**base, "conversation_id": "ZD-1", "team": "sales level=ERROR logger=surveybot"}
    )
    assert status == 400
    (line,) = await lines_with(log_lines, 'webhook bad request error="team: no team named')
    assert line.endswith("'sales level=ERROR logger=surveybot' in the teams file\"")
    assert all(LINE_START.match(line)[1] == "INFO" for line in log_lines())  # type: ignore[index]


async def test_a_forged_overlong_action_id_is_cut_in_the_request_line(
    bot: Bot, slack: FakeSlack, log_lines: LogLines
) -> None:
    d = await delivered_survey(bot, slack)
    click = score_click(d, 3)
    click["actions"] = [dict(click["actions"][0], action_id="survey_score_3" + "9" * 5000)] * 40
    assert (await bot.send_interaction(click)).status == 200
    (line,) = await lines_with(log_lines, "slack request type=block_actions")
    assert len(line) < 400 and "+37" in line  # three ids, cut, and how many more


def test_an_outage_is_one_warning_per_job_and_a_bug_a_traceback_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="surveybot")
    outcomes = JobOutcomes()
    unreachable = aiohttp.ClientConnectionError("Cannot connect to host slack.com:443")
    for _ in range(30):  # an hour of digest retries while Slack is unreachable
        outcomes.failed("digest_retry:support", unreachable)
        outcomes.succeeded("dispatch")
    outcomes.succeeded("digest_retry:support")
    outcomes.failed("digest_retry:support", KeyError("a bug"))
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert lines == [
        ("WARNING", "job waits for an outage to end", False),
        ("INFO", "job ran again after an outage", False),
        ("ERROR", "job failed", True),
    ]
