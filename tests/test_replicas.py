"""Two replicas on one PostgreSQL: a lead's save through one is used by the other within
seconds (the promise is 5 s), for alerts and for the digest's schedule."""

from __future__ import annotations

import time

import pytest
import pytest_asyncio

from sandbox import FakeSlack, payloads
from storage.db import Database
from tests.databases import empty_postgres
from tests.harness import ALERT_CHANNEL, running_bot
from tests.test_home import CUSTOMERS, LEAD, TEAMS_TOML, answer, settings_modal
from tests.waiting import wait_until

NEW_ALERTS = "C0NEWALERTS"
PROMISE_SECONDS = 5.0

pytestmark = pytest.mark.postgres


@pytest_asyncio.fixture
async def shared_postgres(postgres_url: str) -> str:
    """One empty PostgreSQL database for both replicas."""
    database = Database(postgres_url)
    await empty_postgres(database)
    await database.dispose()
    return postgres_url


async def test_a_save_through_one_replica_alerts_in_the_new_channel_through_the_other(
    slack: FakeSlack, shared_postgres: str
) -> None:
    for user in (LEAD, *CUSTOMERS[:2]):
        slack.add_user(user, name=user.lower())
    slack.add_channel(NEW_ALERTS)
    async with (
        running_bot(slack, shared_postgres, teams_toml=TEAMS_TOML) as one,
        running_bot(slack, shared_postgres, teams_toml=TEAMS_TOML) as other,
    ):
        before = other.runtime.scheduler.jobs()
        monday_nine = "day_of_week='0', hour='9'"
        assert monday_nine in str(next(j for j in before if j.id == "digest:support").trigger)

        modal = await settings_modal(one, LEAD)
        status, body = await one.send_interaction_json(
            payloads.submission(
                modal, user=LEAD, alert_channel=NEW_ALERTS, digest_schedule="fri 16:00"
            )
        )
        assert status == 200 and not body, body
        saved = time.monotonic()

        async def other_uses_it() -> bool:
            team = other.workspace.teams.by_name("support")
            return team is not None and team.alert_channel == NEW_ALERTS

        await wait_until(other_uses_it, timeout=PROMISE_SECONDS, what="the other replica's team")
        assert time.monotonic() - saved < PROMISE_SECONDS
        # The digest job moved with the schedule, on the replica that did not save.
        job = next(j for j in other.runtime.scheduler.jobs() if j.id == "digest:support")
        assert "day_of_week='4', hour='16'" in str(job.trigger)  # friday 16:00

        # A low score answered through the other replica alerts in the new channel.
        await answer(other, CUSTOMERS[0], 1)

        async def alert_posted() -> bool:
            return any(
                c.args.get("channel") == NEW_ALERTS for c in slack.called("chat.postMessage")
            )

        await wait_until(alert_posted, what="the alert in the new channel")
        assert not [
            c for c in slack.called("chat.postMessage") if c.args.get("channel") == ALERT_CHANNEL
        ]
