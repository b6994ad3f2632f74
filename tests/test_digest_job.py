"""The weekly digests as a team sees them in Slack: once, on time, with the chart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest.job import post_weekly_digest, retry_refused_digests
from bot.teams import Team
from sandbox import FakeSlack, validate_blocks
from storage.db import Database
from tests.contexts import in_workspace
from tests.digest_seed import (
    DIGEST,
    FIRES_AT,
    HOSTILE,
    PRAISE,
    TEAM,
    WEEK_START,
    Answer,
    add_answer,
    seed_digest_slack,
    seed_week,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        seed_digest_slack(fake)
        yield fake


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def public(slack: FakeSlack) -> list[dict[str, Any]]:
    """Digest messages in the channel (the chart's share message excluded)."""
    return [m for m in slack.messages.get(DIGEST, []) if not m.get("upload")]


def dms(slack: FakeSlack) -> dict[str, list[dict[str, Any]]]:
    return {c: msgs for c, msgs in slack.messages.items() if c.startswith("D")}


async def test_good_news_digest_shows_csat_trend_and_quotes_praise(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    good_news, improvement = public(slack)
    text = blocks_text(good_news)
    assert "week 47" in good_news["text"] and good_news["text"]  # notification fallback
    # 6 of 10 satisfied = 60 %; last week 3 of 8 = 37.5 % -> up 22.5 pts; 10 of 25 = 40 %.
    assert "60%, up from 37.5% (+22.5 pts)" in text
    assert "40% of the 25 surveys delivered were answered" in text
    assert PRAISE in text
    assert "Kudos to <@UAGENTA>, <@UAGENTB>" in text
    assert "“Slow response” came up 2 times, down from 4 the week before" in text
    assert "CSAT % = answers of 4 or 5 ÷ all answers × 100" in text  # the formula, one line away
    assert "uncertain" not in text  # 10 answers is enough
    for message in (good_news, improvement):
        assert validate_blocks(message["blocks"], surface="message") == []
        assert len(message["blocks"]) < 50 and len(blocks_text(message)) < 13_000


async def test_improvement_digest_names_top_reasons_alerts_and_revenue_at_risk(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    text = blocks_text(public(slack)[1])
    # 3 of 10 answers scored 1–2. Without the 2 answers citing "not resolved" (both 1s),
    # 6 of the other 8 are satisfied: 75 % instead of 60 %; "unclear": 6 of 9 = 66.7 %.
    assert "3 unhappy answers out of 10 (scored 1–2)" in text
    without = "Without the answers citing it, CSAT would have been"
    first = text.index(f"1. Issue not resolved — cited 2 times*\\n{without} 75% instead of 60%.")
    second = text.index(f"2. Slow response — cited 2 times*\\n{without} 75% instead of 60%.")
    third = text.index(f"3. Unclear answer — cited 1 time*\\n{without} 66.7% instead of 60%.")
    assert first < second < third
    assert "Still broken." in text
    assert "Check first-reply times on the busiest hours and add cover there." in text
    assert "2 alerts still open (1 not yet claimed); the oldest has waited 2 days" in text
    # Unhappy (1–2) customers' value 500 × 0.95 = 475; 1200 ÷ 100 × 0.95 = 11.4 a point.
    assert "$475 a month, from unhappy customers: 2 of 9 with a known value" in text
    assert "counted at a 95% chance of losing an unhappy customer" in text
    assert "each point of CSAT lost puts another $11.40 at risk" in text
    assert "UAGENT" not in text  # the improvement names no agent


async def test_hostile_comments_arrive_escaped(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    everything = json.dumps(slack.messages, ensure_ascii=False)
    assert "&lt;!channel&gt; &lt;https://evil.example|bank&gt; nobody answered" in everything
    assert "<!channel>" not in everything and "<https://evil" not in everything
    assert HOSTILE not in everything


async def test_a_double_fire_posts_each_digest_exactly_once(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    first = await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    again = await post_weekly_digest(
        in_workspace(db, client, FIRES_AT + timedelta(minutes=5)), TEAM
    )
    racing = await asyncio.gather(
        post_weekly_digest(in_workspace(db, client, FIRES_AT + timedelta(minutes=10)), TEAM),
        post_weekly_digest(in_workspace(db, client, FIRES_AT + timedelta(minutes=10)), TEAM),
    )
    # good news + improvement + chart + two agents' summaries
    assert first == 5 and again == 0 and list(racing) == [0, 0]
    assert len(public(slack)) == 2
    assert len(slack.uploads) == 1
    assert sorted(len(m) for m in dms(slack).values()) == [1, 1]


async def test_two_processes_firing_together_post_once(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    other = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    results = await asyncio.gather(
        post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM),
        post_weekly_digest(in_workspace(db, other, FIRES_AT), TEAM),
    )
    assert sum(results) == 5
    assert len(public(slack)) == 2 and len(slack.uploads) == 1
    assert sum(len(m) for m in dms(slack).values()) == 2


async def test_digests_cover_the_week_before_the_teams_local_moment(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    new_york = Team(
        name="east",
        digest_channel=DIGEST,
        timezone="America/New_York",
        digest_schedule="mon 09:00",
        chart="image",
    )
    # Monday 23 Nov 2026, 09:00 in New York (EST, UTC−5) is 14:00 UTC: a minute before,
    # the latest moment is still the Monday before, which covered week 46.
    assert await post_weekly_digest(
        in_workspace(db, client, datetime(2026, 11, 23, 13, 59, tzinfo=UTC)), new_york
    )
    assert await post_weekly_digest(
        in_workspace(db, client, datetime(2026, 11, 23, 14, 0, tzinfo=UTC)), new_york
    )
    week_46, _, week_47, _ = public(slack)
    assert "week 46" in week_46["text"]
    # The week before the moment it fires, in New York: 16–22 Nov, ISO week 47.
    assert "week 47" in week_47["text"]
    assert "week 47, Nov 16\u2009–\u200922, 2026 (America/New_York)" in blocks_text(week_47)


async def test_a_late_start_still_posts_that_weeks_digest_once(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    tuesday = FIRES_AT + timedelta(days=1)
    assert await post_weekly_digest(in_workspace(db, client, tuesday), TEAM) > 0
    assert (
        await post_weekly_digest(in_workspace(db, client, tuesday + timedelta(hours=1)), TEAM) == 0
    )
    # The next Monday morning is a new week.
    assert (
        await post_weekly_digest(in_workspace(db, client, FIRES_AT + timedelta(days=7)), TEAM) > 0
    )
    assert [m["text"].split(":")[0] for m in public(slack)][::2] == [
        "🎉 Good news — support, week 47",
        "🎉 Good news — support, week 48",
    ]


async def test_chart_is_uploaded_through_the_two_step_flow_into_the_good_news_thread(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    (get_url,) = slack.called("files.getUploadURLExternal")
    (complete,) = slack.called("files.completeUploadExternal")
    assert slack.called("files.upload") == []
    assert get_url.args["filename"].endswith(".png")
    (upload,) = slack.uploads
    assert upload["content"].startswith(PNG_SIGNATURE)
    assert upload["channel_id"] == DIGEST
    assert upload["thread_ts"] == public(slack)[0]["ts"]
    assert complete.args["channel_id"] == DIGEST


async def test_agents_summaries_go_only_to_their_own_dm(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    opened = {c.args["users"] for c in slack.called("conversations.open")}
    assert opened == {"UAGENTA", "UAGENTB"}
    channels = dms(slack)
    assert len(channels) == 2
    texts = {c: blocks_text(msgs[0]) for c, msgs in channels.items()}
    a_text = next(t for t in texts.values() if "66.7%" in t)
    b_text = next(t for t in texts.values() if "66.7%" not in t)
    # Agent A: 4 of 6 satisfied = 66.7 %, Wilson 95 % interval 30–90 %.
    assert "*CSAT 66.7%* from 6 answers, likely between 30% and 90%" in a_text
    assert "Only you see this" in a_text
    # Agent B has 4 answers, one short of the minimum sample: no figure, kindly said.
    assert "You have 4 answers so far" in b_text and "1 more" in b_text
    assert "Still broken." in b_text and PRAISE not in b_text
    # Nobody's figures in the channel, and no agent is ranked there.
    channel_text = " ".join(blocks_text(m) for m in public(slack))
    assert "CSAT 66.7%" not in channel_text and "Wilson" not in channel_text


async def test_an_empty_week_says_so_kindly(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    good_news, improvement = public(slack)
    text = blocks_text(good_news)
    assert "No answers came in this week" in text
    assert "0%" not in text and "nan" not in text.lower()
    assert "nothing unhappy to learn from" in blocks_text(improvement)
    assert len(slack.uploads) == 1  # the chart still shows the quiet weeks
    assert dms(slack) == {}


async def test_a_week_with_few_answers_says_the_figures_are_uncertain(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    for score in (5, 4, 2):
        await add_answer(db, Answer(score, "UAGENTA"), WEEK_START + timedelta(days=1))
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    text = blocks_text(public(slack)[0])
    # 2 of 3 satisfied = 66.7 %, but 3 answers are fewer than 10.
    assert "66.7%" in text
    assert "Only 3 answers this week: these figures are uncertain" in text


async def test_a_team_whose_post_fails_does_not_stop_the_others(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    broken = Team(name="broken", digest_channel="C0BROKEN", digest_schedule="mon 00:00")
    working = Team(
        name="working", digest_channel=DIGEST, digest_schedule="mon 00:00", chart="image"
    )
    # The broken team's good news is refused; its improvement digest waits behind it.
    slack.fail_next("chat.postMessage", error="channel_not_found")
    assert await post_weekly_digest(in_workspace(db, client, FIRES_AT), broken) == 0
    # the working team's two digests and chart
    assert await post_weekly_digest(in_workspace(db, client, FIRES_AT), working) == 3
    assert [m["text"].split(":")[0] for m in public(slack)] == [
        "🎉 Good news — working, week 47",
        "🔧 Room to improve — working, week 47",
    ]


async def test_a_digest_slack_refused_is_posted_on_a_later_tick_in_order(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    slack.fail_next("chat.postMessage", status=503, error="service_unavailable")
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    assert public(slack) == []  # the improvement digest waits for the good news
    for tick in range(1, 4):
        await retry_refused_digests(
            in_workspace(db, client, FIRES_AT + timedelta(minutes=5 * tick)), TEAM
        )
    assert [m["text"].split(":")[0] for m in public(slack)] == [
        "🎉 Good news — support, week 47",
        "🔧 Room to improve — support, week 47",
    ]
    assert len(slack.uploads) == 1


async def test_a_digest_slack_keeps_refusing_is_given_up_after_five_tries(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await seed_week(db)
    slack.fail_next("chat.postMessage", count=50, error="channel_not_found")
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    for tick in range(1, 8):
        await retry_refused_digests(
            in_workspace(db, client, FIRES_AT + timedelta(minutes=5 * tick)), TEAM
        )
    good_news_tries = [
        c for c in slack.called("chat.postMessage") if c.args["text"].startswith("🎉 Good news")
    ]
    assert len(good_news_tries) == 5


async def test_the_retry_job_leaves_a_week_with_nothing_refused_to_the_weekly_job(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    assert await retry_refused_digests(in_workspace(db, client, FIRES_AT), TEAM) == 0
    assert slack.called("chat.postMessage") == []
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), TEAM)
    assert (
        await retry_refused_digests(in_workspace(db, client, FIRES_AT + timedelta(minutes=5)), TEAM)
        == 0
    )
    assert len(public(slack)) == 2


async def post_week_with_chart(db: Database, client: AsyncWebClient, chart: str) -> None:
    """The seeded week's digest, posted for a team that chose this chart."""
    await seed_week(db)
    team = TEAM.model_copy(update={"chart": chart})
    await post_weekly_digest(in_workspace(db, client, FIRES_AT), team)


async def test_a_team_on_the_native_chart_gets_it_in_the_good_news_and_no_upload(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await post_week_with_chart(db, client, "native")
    good_news = public(slack)[0]
    charts = [b for b in good_news["blocks"] if b["type"] == "data_visualization"]
    assert [c["chart"]["type"] for c in charts] == ["line", "bar"]
    assert slack.uploads == []


async def test_a_team_without_a_chart_gets_neither(
    db: Database, slack: FakeSlack, client: AsyncWebClient
) -> None:
    await post_week_with_chart(db, client, "none")
    assert "data_visualization" not in json.dumps(public(slack))
    assert slack.uploads == []
