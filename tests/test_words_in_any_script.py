"""Free text in any script is stored, quoted and exported intact, and never cut in half.

Through the real bot against the fake Slack (the alert and the digest), and the
`surveybot export` command in its own process.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest.job import post_weekly_digest
from bot.text import clip, quote, truncate
from sandbox import FakeSlack
from storage.surveys import all_surveys
from tests.answering import block_actions, delivered_survey, score_click, view_submission
from tests.contexts import in_workspace
from tests.harness import AGENT, ALERT_CHANNEL, DIGEST_CHANNEL, Bot
from tests.test_process import project_env, run_cli
from tests.waiting import wait_until

CHINESE = "客服回复太慢了，等了两天才有人回答。请改进！"
# Cyrillic, a combining accent, an emoji ZWJ sequence, a flag and Arabic.
BULGARIAN = "Благодаря ви! Отговорът дойде бързо и́ ясно 👩‍💻🇧🇬 شكرا"
# A Wednesday of ISO week 47 (UTC team); the digest for it fires on Monday 23 Nov.
ANSWERED = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
FIRES = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Cafe\u0301 ok", 6, "Cafe\u0301…"),  # é as e + combining acute stays whole
        ("ab👩‍💻cd", 4, "ab…"),  # the ZWJ sequence is one character to a reader
        ("x🇧🇬🇵🇱y", 4, "x🇧🇬…"),  # flags are pairs of regional indicators
        ("客服回复太慢了", 4, "客服回…"),
        ("short", 10, "short"),
    ],
)
def test_truncation_never_cuts_a_character_a_reader_sees_as_one(
    text: str, limit: int, expected: str
) -> None:
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= limit


def test_clipping_keeps_whole_graphemes_and_quoting_escapes_as_before() -> None:
    assert clip("e\u0301e\u0301", 3) == "e\u0301"
    assert quote("<!channel> 你好") == "> &lt;!channel&gt; 你好"


async def test_chinese_and_bulgarian_words_reach_the_alert_the_digest_and_the_export(
    bot: Bot, slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    bot.clock.set(ANSWERED)
    # A Chinese customer, unhappy: the alert and the improvement digest quote them.
    low = await delivered_survey(bot, slack, source="webhook")
    await bot.send_interaction(score_click(low, 1))
    await slack.wait_for("views.open")
    await bot.send_interaction_json(
        view_submission(slack.views[-1], reasons=["slow_response"], comment=CHINESE)
    )
    await wait_until(
        lambda: any(
            CHINESE in json.dumps(m.get("blocks"), ensure_ascii=False)
            for m in slack.messages.get(ALERT_CHANNEL, [])
        )
    )
    # A Bulgarian customer, delighted: the good-news digest quotes them.
    slack.add_user("U0BOGDAN", name="bogdan", locale="bg-BG")
    await bot.send_webhook(
        {
            "conversation_id": "ZD-2002",
            "customer": {"slack_user_id": "U0BOGDAN"},
            "agent": {"slack_user_id": AGENT},
        }
    )

    async def delivered() -> bool:
        return any(
            x.customer_id == "U0BOGDAN" and x.message_ts
            for x in await all_surveys(bot.workspace.db)
        )

    await wait_until(delivered)
    survey = next(x for x in await all_surveys(bot.workspace.db) if x.customer_id == "U0BOGDAN")
    assert survey.channel_id and survey.message_ts
    message = slack.message(survey.channel_id, survey.message_ts)
    await bot.send_interaction(
        block_actions(
            user="U0BOGDAN",
            channel=survey.channel_id,
            message=message,
            action_id="survey_score_5",
        )
    )
    await slack.wait_for("views.open", 2)
    await bot.send_interaction_json(
        view_submission(slack.views[-1], user="U0BOGDAN", comment=BULGARIAN)
    )

    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    team = bot.workspace.teams.default
    await post_weekly_digest(in_workspace(bot.workspace.db, client, FIRES), team)
    digests = json.dumps(slack.messages[DIGEST_CHANNEL], ensure_ascii=False)
    assert CHINESE in digests and BULGARIAN in digests

    code, out = await run_cli(
        "export", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=sqlite_url)
    )
    assert code == 0, out
    rows = out[out.index("survey_id,") :].splitlines()
    rows = [line for line in rows if not line.startswith("exported ")]
    comments = {row["comment"] for row in csv.DictReader(io.StringIO("\n".join(rows)))}
    assert {CHINESE, BULGARIAN} <= comments, out
