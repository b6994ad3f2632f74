"""A relational NPS round through the real bot against the fake Slack: exactly the
active customers not asked recently, each on a weekday morning in their own zone,
spread over the configured days, the skipped recorded, planned once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.nps.job import run_nps_rounds
from bot.nps.slots import SLOT_FORMAT
from sandbox import FakeSlack
from storage import nps as store
from storage import surveys
from storage.vocabulary import NpsOutcome, SurveyStatus
from tests.harness import TEAMS_TOML, Bot, running_bot, seed_slack
from tests.test_home import open_home, shown
from tests.waiting import wait_until

NPS_TEAMS = (
    TEAMS_TOML
    + """nps_schedule = "every 3 months from 2027-01-04"
nps_spread_days = 5
throttle_days = 7
leads = ["U0LEAD"]
"""
)
# Three active customers far apart, one asked three days before the round, one whose
# last conversation is older than the 90 active days.
ZONES = {
    "U0BERLIN": "Europe/Berlin",
    "U0NEWYORK": "America/New_York",
    "U0TOKYO": "Asia/Tokyo",
    "U0RECENT": "Europe/Paris",
    "U0GONE": "Europe/London",
}
ROUND_STARTS = date(2027, 1, 4)  # a Monday
PLANNING = datetime(2027, 1, 3, 10, 0, tzinfo=UTC)  # 4 January begins in UTC+14


async def close_at(bot: Bot, customer: str, moment: datetime) -> None:
    bot.clock.set(moment)
    status, _ = await bot.send_webhook(
        {"conversation_id": f"T-{customer}", "customer": {"slack_user_id": customer}}
    )
    assert status == 202


async def test_a_round_asks_the_active_customers_not_asked_recently_on_weekday_mornings(
    slack: FakeSlack, store_url: str
) -> None:
    seed_slack(slack)
    for user, zone in ZONES.items():
        slack.add_user(user, name=user.lower(), tz=zone)
    slack.add_user("U0LEAD", name="lead")
    async with running_bot(slack, store_url, teams_toml=NPS_TEAMS) as bot:
        for user in ("U0BERLIN", "U0NEWYORK", "U0TOKYO"):
            await close_at(bot, user, PLANNING - timedelta(days=30))
        await close_at(bot, "U0RECENT", PLANNING - timedelta(days=3))
        await close_at(bot, "U0GONE", PLANNING - timedelta(days=120))

        bot.clock.set(PLANNING - timedelta(minutes=1))
        await run_nps_rounds(bot.workspace)
        assert await store.rounds_of(bot.workspace.db, "support") == []  # not yet due

        bot.clock.set(PLANNING)
        await run_nps_rounds(bot.workspace)
        await run_nps_rounds(bot.workspace)  # a second run (or process) plans nothing more
        (nps_round,) = await store.rounds_of(bot.workspace.db, "support")
        assert nps_round.starts_on == "2027-01-04" and nps_round.asked == 3
        invites = {i.customer_key: i for i in await store.invites_of(bot.workspace.db, 1)}
        assert {k: i.outcome for k, i in invites.items()} == {
            "U0BERLIN": NpsOutcome.ASKED,
            "U0NEWYORK": NpsOutcome.ASKED,
            "U0TOKYO": NpsOutcome.ASKED,
            "U0RECENT": NpsOutcome.ASKED_RECENTLY,  # recorded, never queued for later
        }
        assert invites["U0RECENT"].survey_token is None
        # The lead's App Home tells the round is under way, and how far it got.
        home = shown(await open_home(bot, "U0LEAD"))
        assert "NPS round of Jan 4, 2027 under way: 0 of 3 answered, 3 waiting" in home

        def due_at(user: str) -> datetime:
            slot = datetime.strptime(invites[user].slot or "", SLOT_FORMAT)
            return slot.replace(tzinfo=ZoneInfo(ZONES[user])).astimezone(UTC)

        # In the order their mornings come around the world.
        for user in sorted(("U0BERLIN", "U0NEWYORK", "U0TOKYO"), key=due_at):
            invite = invites[user]
            assert invite.slot is not None and invite.survey_token is not None
            slot = datetime.strptime(invite.slot, SLOT_FORMAT)
            assert ROUND_STARTS <= slot.date() < ROUND_STARTS + timedelta(days=5)
            assert slot.weekday() < 5 and time(9) <= slot.time() < time(12)
            survey = await surveys.survey_by_token(bot.workspace.db, invite.survey_token)
            assert survey is not None and survey.kind == "nps"
            # Nothing goes a minute before the slot comes in the customer's own zone…
            due = due_at(user)
            bot.clock.set(due - timedelta(minutes=1))
            bot.runtime.dispatcher.wake()
            await asyncio.sleep(0.3)
            assert slack.surveys_posted()[survey.token] == 0
            # …and it goes when it comes: a weekday morning there.
            bot.clock.set(due)
            bot.runtime.dispatcher.wake()

            async def delivered(token: str = survey.token) -> bool:
                sent = await surveys.survey_by_token(bot.workspace.db, token)
                return sent is not None and sent.status is SurveyStatus.DELIVERED

            await wait_until(delivered, what=f"{user}'s NPS survey")
            assert slack.surveys_posted()[survey.token] == 1
        # The spread is used: not everyone on the same morning.
        slots = {invites[u].slot for u in ("U0BERLIN", "U0NEWYORK", "U0TOKYO")}
        assert len(slots) == 3
