"""Rows belong to one Slack workspace: on both stores, nothing of one is read, counted,
throttled or claimed in another, although team names and helpdesk ids repeat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from slack_sdk.oauth.installation_store import Installation

from bot.delivery.closes import ClosedConversation, close_conversation
from bot.digest.compose import covered_week
from bot.digest.job import gather_figures
from bot.home.figures import gather_agent, gather_team
from bot.privacy import forget_workspace
from bot.slack.installations import Installations
from bot.teams import Team
from sandbox.history import seed_weeks
from storage import answers, customers, digests, outbox
from storage import surveys as store
from storage.db import Database
from storage.vocabulary import CloseStatus, Source, SurveyKind
from tests.contexts import in_workspace

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TEAM = Team(name="support", support_channels=("C1",), delay_minutes=0, quiet_hours=None)
WEEK = (NOW - timedelta(days=7), NOW + timedelta(days=1))


def a_close(external_id: str = "ZD-1", customer: str = "U1CUSTOMER") -> ClosedConversation:
    return ClosedConversation(
        source=Source.WEBHOOK,
        external_id=external_id,
        team=TEAM,
        closed_at=NOW,
        customer_id=customer,
        agent_id="U2AGENT",
    )


async def test_the_same_helpdesk_ticket_and_customer_in_two_workspaces_are_two_surveys(
    db: Database,
) -> None:
    first = await close_conversation(in_workspace(db, now=NOW, workspace="T1"), a_close())
    second = await close_conversation(in_workspace(db, now=NOW, workspace="T2"), a_close())
    # Neither a duplicate of the other, nor throttled by the other's survey.
    assert first.status is CloseStatus.SCHEDULED
    assert second.status is CloseStatus.SCHEDULED
    assert first.survey_id != second.survey_id
    one, two = db.in_workspace("T1"), db.in_workspace("T2")
    assert [s.token for s in await store.all_surveys(one)] == [first.survey_id]
    assert [s.token for s in await store.all_surveys(two)] == [second.survey_id]
    assert len(await store.all_surveys(db)) == 2  # the dispatcher's view: every workspace


async def test_closes_of_many_workspaces_written_together_are_each_judged_in_their_own(
    db: Database,
) -> None:
    """One batch (one transaction) holds closes of several workspaces: each is a duplicate
    or throttled only by its own workspace's rows, and stored in its own workspace."""
    await close_conversation(in_workspace(db, now=NOW, workspace="T1"), a_close("ZD-0", "U1ANN"))
    closes = [
        ("T1", a_close("ZD-0", "U1ANN")),  # stored before in T1: a duplicate
        ("T2", a_close("ZD-0", "U1ANN")),  # the same ids in T2: new, not throttled
        ("T1", a_close("ZD-1", "U1ANN")),  # Ann asked in T1 already: throttled
        ("T2", a_close("ZD-1", "U1ANN")),  # Ann of T2 asked by T2's ZD-0 in this batch
        *((f"T{3 + n % 4}", a_close(f"ZD-{n}", f"U1NEW{n}")) for n in range(12)),
    ]
    results = await asyncio.gather(
        *(close_conversation(in_workspace(db, now=NOW, workspace=ws), c) for ws, c in closes)
    )
    assert [r.status for r in results[:4]] == [
        CloseStatus.DUPLICATE,
        CloseStatus.SCHEDULED,
        CloseStatus.THROTTLED,
        CloseStatus.THROTTLED,
    ]
    assert [r.status for r in results[4:]] == [CloseStatus.SCHEDULED] * 12
    for workspace in ("T1", "T2", "T3", "T4", "T5", "T6"):
        tokens = {s.token for s in await store.all_surveys(db.in_workspace(workspace))}
        expected = {
            r.survey_id for (ws, _), r in zip(closes, results, strict=True) if ws == workspace
        }
        assert tokens == expected - {None}


async def test_a_survey_of_one_workspace_cannot_be_found_or_answered_from_another(
    db: Database,
) -> None:
    closed = await close_conversation(in_workspace(db, now=NOW, workspace="T1"), a_close())
    assert closed.survey_id is not None
    (claimed,) = await outbox.claim_due(db, NOW, NOW + timedelta(minutes=5), limit=10)
    await outbox.mark_delivered(
        db, claimed.id, channel_id="D1", message_ts="1.0", at=NOW, customer_id="U1CUSTOMER"
    )
    one, two = db.in_workspace("T1"), db.in_workspace("T2")
    survey = await store.survey_by_token(one, closed.survey_id)
    assert survey is not None
    assert await store.survey_by_token(two, closed.survey_id) is None
    assert await store.get_survey(two, survey.id) is None
    # Even a write handed the other workspace's record changes nothing there.
    assert (
        await answers.record_click(
            two, survey, 1, action_ts="2.0", at=NOW, keeps_follow_up=lambda old, new: True
        )
        is None
    )
    assert await answers.response_for(one, survey.id) is None
    clicked = await answers.record_click(
        one, survey, 5, action_ts="2.0", at=NOW, keeps_follow_up=lambda old, new: True
    )
    assert clicked is not None
    assert await answers.response_for(two, survey.id) is None


async def test_answers_count_for_their_own_workspace_s_team_only(db: Database) -> None:
    for workspace, score in (("T1", 5), ("T2", 1)):
        closed = await close_conversation(in_workspace(db, now=NOW, workspace=workspace), a_close())
        assert closed.survey_id is not None
        (claimed,) = await outbox.claim_due(db, NOW, NOW + timedelta(minutes=5), limit=10)
        await outbox.mark_delivered(
            db, claimed.id, channel_id="D1", message_ts="1.0", at=NOW, customer_id="U1CUSTOMER"
        )
        scoped = db.in_workspace(workspace)
        survey = await store.survey_by_token(scoped, closed.survey_id)
        assert survey is not None
        await answers.record_click(
            scoped, survey, score, action_ts="2.0", at=NOW, keeps_follow_up=lambda o, n: True
        )
    for workspace, score in (("T1", 5), ("T2", 1)):
        (week,) = await digests.weekly_histograms(
            db.in_workspace(workspace), "support", SurveyKind.CSAT, WEEK
        )
        assert week == {score: 1}


async def test_a_digest_is_posted_once_per_workspace_not_once_for_all(db: Database) -> None:
    for workspace in ("T1", "T2"):
        scoped = db.in_workspace(workspace)
        assert await digests.claim_digest(scoped, "support", "2026-W47", "good_news", NOW)
        assert not await digests.claim_digest(scoped, "support", "2026-W47", "good_news", NOW)


async def test_an_email_linked_in_one_workspace_is_unknown_in_another(db: Database) -> None:
    await customers.link_email(db.in_workspace("T1"), "Ann@Example.com", "U1ANN", NOW)
    await customers.link_email(db.in_workspace("T2"), "ann@example.com", "U9OTHER", NOW)
    assert await customers.slack_id_for_email(db.in_workspace("T1"), "ann@example.com") == "U1ANN"
    assert await customers.slack_id_for_email(db.in_workspace("T2"), "ann@example.com") == "U9OTHER"
    assert await customers.slack_id_for_email(db.in_workspace("T3"), "ann@example.com") is None


async def test_digest_and_home_figures_of_one_workspace_ignore_another_s_answers(
    db: Database,
) -> None:
    """The same team name and the same agent ids in two workspaces: the figures of the
    first are the same before and after the second's weeks of answers are stored."""
    team = Team(name="support", support_channels=("C1",))
    now = NOW
    period = covered_week(now, team.zone)
    one = db.in_workspace("T1")

    async def figures() -> tuple[object, ...]:
        return (
            await gather_figures(one, team, period, now),
            await gather_team(one, "T1", team, now),
            await gather_agent(one, "U1AGENT", now),
        )

    await seed_weeks(one, now=now, agents=["U1AGENT"], customers=["U1C"], seed=1)
    before = await figures()
    await seed_weeks(
        db.in_workspace("T2"), now=now, agents=["U1AGENT", "U2AGENT"], customers=["U1C"], seed=2
    )
    assert await figures() == before


async def test_forgetting_a_workspace_erases_its_rows_and_tokens_and_nothing_of_another(
    db: Database,
) -> None:
    team = Team(name="support", support_channels=("C1",))
    period = covered_week(NOW, team.zone)
    for workspace, seed in (("T1", 1), ("T2", 2)):
        scoped = db.in_workspace(workspace)
        await seed_weeks(scoped, now=NOW, agents=["U1AGENT"], customers=["U1C"], seed=seed)
        await customers.link_email(scoped, "ann@example.com", "U1C", NOW)
        await in_workspace(db, now=NOW, workspace=workspace).teams.load(NOW)
    installs = Installations(db, "111.222")
    await installs.installation_store.async_save(
        Installation(app_id="A1", team_id="T1", bot_token="xoxb-t1", bot_id="B1",
                     bot_user_id="U0BOT", user_id="U9", installed_at=NOW)
    )  # fmt: skip
    two = db.in_workspace("T2")
    before = await gather_figures(two, team, period, NOW)

    gone = await forget_workspace(db, "T1")

    assert gone.found and gone.answers > 0 and gone.team_settings == 1
    one = db.in_workspace("T1")
    assert await store.all_surveys(one) == []
    assert await customers.slack_id_for_email(one, "ann@example.com") is None
    assert await installs.bot_token("T1") is None  # its token is gone with it
    assert await gather_figures(two, team, period, NOW) == before
    assert await customers.slack_id_for_email(two, "ann@example.com") == "U1C"
    assert not (await forget_workspace(db, "T1")).found
