"""A burst of survey clicks against a fake Slack that expires trigger_ids after 3 s and
answers calls over Slack's tiers with 429, at Slack's real pace (nothing compressed).

    python -m bench.clicks_bench              # 500 customers click within seconds
    python -m bench.clicks_bench --smoke      # 60 clicks, for CI

The bot runs as `surveybot serve` in its own process (SQLite); the fake Slack and the
customers run in this one. Each customer has a survey delivered by DM (seeded straight
into the database: the deliveries are the burst bench's subject) and clicks a score;
low and top scores open the follow-up form. views.open allows 100 a minute with 10 at
once, so most of a burst cannot have its form within the trigger's 3 seconds: those
get *Tell us more* on their thank-you instead. Prints the forms opened, the Tell us
more buttons, the calls made with a dead trigger, the time until every click was
thanked, and the 429s. Under a heavy burst this process (the fake and 50 senders) is
busy too, so a call can reach the fake later than it left the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bench.bot_processes import bot_env, listening, start_bot, stop_bots
from bot.context import NoChanges, WorkspaceContext
from bot.delivery.closes import ClosedConversation, close_conversation
from bot.delivery.survey_blocks import render_survey
from bot.scales import Band, band_of, scale_for
from bot.slack.customers import CustomerDirectory
from bot.team_directory import ENVIRONMENT_WORKSPACE, TeamDirectory
from bot.teams import Teams, parse_teams
from sandbox import payloads
from sandbox.fake_slack import FakeSlack
from sandbox.local_bot import free_port
from sandbox.signed import SlackSender
from storage import outbox
from storage import surveys as store
from storage.db import Database
from storage.vocabulary import Source

# Surveys wait an hour before the dispatcher would send them: the bench delivers them.
TEAMS = '[[teams]]\nname = "support"\ndelay_minutes = 60\nquiet_hours = ""\ndelivery = "dm"\n'
IN_FLIGHT = 50
SECRET = "bench-signing-secret"


async def _seed(db: Database, slack: FakeSlack, customers: list[str]) -> list[store.SurveyRecord]:
    """A delivered DM survey for each customer, as the dispatcher would leave it."""
    team = parse_teams(TEAMS).teams[0]
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    now = datetime.now(UTC)
    ctx = WorkspaceContext(
        db=db,
        client=client,
        customers=CustomerDirectory(client),
        teams=TeamDirectory(db, ENVIRONMENT_WORKSPACE, Teams((team,))),
        clock=lambda: now,
        changes=NoChanges(),
    )
    delivered = []
    for n, customer in enumerate(customers):
        slack.add_user(customer, name=customer.lower())
        closed = ClosedConversation(
            Source.WEBHOOK, f"ZD-{n}", team, now, customer_id=customer, agent_id="U0AGENT"
        )
        result = await close_conversation(ctx, closed)
        survey = await store.survey_by_token(db, str(result.survey_id))
        assert survey is not None and survey.id is not None
        message = render_survey(token=survey.token, kind=survey.kind, locale=None)
        posted = await client.chat_postMessage(channel=customer, **message)
        await outbox.mark_delivered(
            db,
            survey.id,
            channel_id=str(posted["channel"]),
            message_ts=str(posted["ts"]),
            at=now,
            customer_id=customer,
        )
        fresh = await store.get_survey(db, survey.id)
        assert fresh is not None
        delivered.append(fresh)
    return delivered


def _thanked(slack: FakeSlack, survey: store.SurveyRecord) -> bool:
    message = slack.message(str(survey.channel_id), str(survey.message_ts))
    return "survey_change_answer" in json.dumps(message.get("blocks"))


async def run(count: int) -> None:
    customers = [f"U0C{n:05d}" for n in range(count)]
    rng = random.Random(20)
    scores = [rng.randint(1, 5) for _ in customers]
    scale = scale_for("csat")
    wanted = sum(band_of(scale, s) is not Band.MIDDLE for s in scores)
    with tempfile.TemporaryDirectory(prefix="surveybot-clicks-") as folder:
        (Path(folder) / "teams.toml").write_text(TEAMS)
        database_url = f"sqlite+aiosqlite:///{folder}/surveybot.db"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        async with FakeSlack() as slack, aiohttp.ClientSession() as http:
            env = bot_env(
                SLACK_BOT_TOKEN=slack.bot_token,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=slack.api_url,
                SURVEYBOT_CONFIG=str(Path(folder) / "teams.toml"),
                DATABASE_URL=database_url,
            )
            bot = await start_bot(folder, env, port)
            try:
                await listening(http, url)
                db = Database(database_url)
                surveys = await _seed(db, slack, customers)
                await db.dispose()
                slack.enforce_tiers()
                sender = SlackSender(http, url, SECRET)
                gate = asyncio.Semaphore(IN_FLIGHT)

                async def click(survey: store.SurveyRecord, score: int) -> None:
                    channel, ts = str(survey.channel_id), str(survey.message_ts)
                    async with gate:
                        # Clicked now: Slack hands a click over at once, its trigger fresh.
                        payload = payloads.block_actions(
                            channel=channel,
                            message=slack.message(channel, ts),
                            action_id=f"survey_score_{score}",
                            user=str(survey.customer_id),
                            response_url=slack.response_url(
                                channel=channel, message_ts=ts, user=str(survey.customer_id)
                            ),
                        )
                        await sender.interaction(payload)

                started = time.monotonic()
                await asyncio.gather(*(click(s, n) for s, n in zip(surveys, scores, strict=True)))
                clicked = time.monotonic() - started
                while not all(_thanked(slack, s) for s in surveys):
                    if time.monotonic() - started > 600:
                        break
                    await asyncio.sleep(0.05)
                thanked = time.monotonic() - started
                await asyncio.sleep(3.0)  # forms still opening within their 3 s
            finally:
                await stop_bots([bot])
            tokens = {s.token for s in surveys}
            forms = {v.get("private_metadata") for v in slack.views} & tokens
            more = sum(
                "Tell us more"
                in json.dumps(slack.message(str(s.channel_id), str(s.message_ts)).get("blocks"))
                for s in surveys
            )
            thanked_count = sum(_thanked(slack, s) for s in surveys)
            print(f"clicks: {count} in {clicked:.1f} s, {wanted} of them wanting a form")
            print(f"forms opened: {len(forms)}; Tell us more shown: {more}")
            print(f"calls made with an expired trigger: {len(slack.expired_triggers)}")
            print(f"every click thanked after: {thanked:.1f} s ({thanked_count} of {count})")
            print(f"429s: {len(slack.rate_limited)} (of {len(slack.calls)} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--smoke", action="store_true", help="60 clicks")
    args = parser.parse_args()
    asyncio.run(run(60 if args.smoke else args.count))


if __name__ == "__main__":
    main()
