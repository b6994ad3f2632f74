"""App Home through the real bot against the fake Slack: what a lead, an agent and a
customer see, the drill-down, team settings, claim/resolve and the test survey."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from bot.digest.job import render_dry_run
from sandbox import FakeSlack, payloads
from sandbox.blockkit import validate_blocks
from storage import surveys as survey_store
from storage.surveys import SurveyRecord
from storage.vocabulary import DrillScope
from tests import harness
from tests.harness import AGENT, ALERT_CHANNEL, Bot, running_bot

LEAD = "U0LEAD"
LEAD_TWO = "U0LEADTWO"
OTHER_AGENT = "U0AGENTTWO"
STRANGER = "U0STRANGER"
CUSTOMERS = [f"U0CUST{i:02d}" for i in range(30)]
HOSTILE = "<!channel> <@U0BOSS> & thanks"

# The harness's team, surveyed by direct message, with two leads and a target.
TEAMS_TOML = harness.TEAMS_TOML.replace('delivery = "thread"', 'delivery = "dm"') + (
    f'leads = ["{LEAD}", "{LEAD_TWO}"]\ntarget = 80\n'
)


@pytest_asyncio.fixture
async def home_bot(slack: FakeSlack, sqlite_url: str) -> AsyncIterator[Bot]:
    for user in (LEAD, LEAD_TWO, OTHER_AGENT, STRANGER, *CUSTOMERS):
        slack.add_user(user, name=user.lower())
    async with running_bot(
        slack, sqlite_url, teams_toml=TEAMS_TOML, home_refresh_seconds=0.2
    ) as bot:
        yield bot


async def wait_until(check: Callable[[], Any], timeout: float = 5.0) -> Any:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def delivered(bot: Bot, token: str) -> SurveyRecord:
    async def check() -> SurveyRecord | None:
        survey = await survey_store.survey_by_token(bot.workspace.db, token)
        return survey if survey and survey.status == "delivered" else None

    deadline = time.monotonic() + 5
    while (survey := await check()) is None:
        assert time.monotonic() < deadline, f"survey {token} was not delivered"
        await asyncio.sleep(0.02)
    return survey


async def answer(
    bot: Bot, customer: str, score: int, *, agent: str = AGENT, comment: str | None = None
) -> SurveyRecord:
    """A helpdesk close, the survey delivered by DM, and the customer's click."""
    status, body = await bot.send_webhook(
        {
            "conversation_id": f"ZD-{customer}-{time.monotonic_ns()}",
            "customer": {"slack_user_id": customer},
            "agent": {"slack_user_id": agent},
        }
    )
    assert status == 202, body
    survey = await delivered(bot, body["survey_id"])
    assert survey.channel_id and survey.message_ts
    message = bot.slack.message(survey.channel_id, survey.message_ts)
    click = payloads.block_actions(
        channel=survey.channel_id, message=message, action_id=f"survey_score_{score}", user=customer
    )
    await bot.send_interaction(click)
    await wait_until(
        lambda: (
            "answered"
            in json.dumps(
                bot.slack.message(survey.channel_id or "", survey.message_ts or "")
            ).lower()
            or True
        )
    )
    for _ in range(250):
        current = await survey_store.survey_by_token(bot.workspace.db, survey.token)
        if current and current.status == "answered":
            break
        await asyncio.sleep(0.02)
    if comment is not None:
        await wait_until(
            lambda: [
                c
                for c in bot.slack.called("views.open")
                if c.args["view"].get("private_metadata") == survey.token
            ]
        )
        opened = [
            c
            for c in bot.slack.called("views.open")
            if c.args["view"].get("private_metadata") == survey.token
        ]
        if opened:
            view = opened[-1].args["view"]
            reasons = ["slow_response"] if score <= 2 else []
            await bot.send_interaction(
                payloads.view_submission(view, user=customer, reasons=reasons, comment=comment)
            )
    return survey


async def open_home(bot: Bot, user: str) -> dict[str, Any]:
    before = len([c for c in bot.slack.called("views.publish") if c.args["user_id"] == user])
    await bot.send_event(payloads.app_home_opened(user=user))
    await wait_until(
        lambda: (
            len([c for c in bot.slack.called("views.publish") if c.args["user_id"] == user])
            > before
        )
    )
    return bot.slack.home_tabs[user]


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def click_in(bot: Bot, view: dict[str, Any], user: str, action_id: str, **kwargs: Any) -> Any:
    return await bot.send_interaction(
        payloads.view_block_actions(view, user=user, action_id=action_id, **kwargs)
    )


# ------------------------------------------------------------------ who sees what


async def test_a_lead_opens_home_and_sees_the_answers_just_given_counted(home_bot: Bot) -> None:
    await answer(home_bot, CUSTOMERS[0], 5)
    await answer(home_bot, CUSTOMERS[1], 4)
    await answer(home_bot, CUSTOMERS[2], 1)
    home = await open_home(home_bot, LEAD)
    text = shown(home)
    assert "support: CSAT" in text
    assert "(3 answers)" in text  # this week's score and its count
    assert "66.7%" in text  # 2 of 3 satisfied
    assert "CSAT % = answers of 4 or 5 ÷ all answers × 100" in text  # the formula, one line away
    assert "80%: 13.3 pts to go" in text  # against the team's target
    assert "response rate" in text and "Low scores (1–2)" in text
    charts = [b for b in home["blocks"] if b["type"] == "data_visualization"]
    assert [c["chart"]["type"] for c in charts] == ["line", "bar"]
    assert charts[1]["chart"]["series"][0]["data"][-1]["value"] == 3
    assert "Open alerts* (1, oldest first)" in text
    assert "Team settings" in text and "Send me a test survey" in text


async def test_a_non_lead_agent_sees_only_their_own_figures(home_bot: Bot) -> None:
    for customer in CUSTOMERS[:5]:
        await answer(home_bot, customer, 5)
    await answer(home_bot, CUSTOMERS[5], 1, agent=OTHER_AGENT)
    home = await open_home(home_bot, AGENT)
    text = shown(home)
    assert "Your figures, last 30 days" in text
    assert "from 5 answers" in text and "likely between" in text  # Wilson, past the sample
    assert OTHER_AGENT not in text and "Team settings" not in text
    assert not [b for b in home["blocks"] if b["type"] == "data_visualization"]
    other = shown(await open_home(home_bot, OTHER_AGENT))
    assert "1 answer. Your score shows once you have 5 answers" in other
    assert AGENT not in other


async def test_a_customer_sees_no_team_figures(home_bot: Bot) -> None:
    await answer(home_bot, CUSTOMERS[0], 1)
    text = shown(await open_home(home_bot, CUSTOMERS[0]))
    assert "surveybot* asks customers one quick question" in text
    assert "%" not in text and "support:" not in text and "CSAT" not in text
    assert AGENT not in text and "data_visualization" not in text


# ------------------------------------------------------------------ settings


async def settings_modal(bot: Bot, user: str) -> dict[str, Any]:
    home = await open_home(bot, user)
    count = len(bot.slack.called("views.open")) + 1
    await click_in(bot, home, user, "home_team_settings")
    await bot.slack.wait_for("views.open", count)
    # The modal just opened, not a Home published since (a save refreshes the leads').
    return next(
        v for v in reversed(bot.slack.views) if v.get("callback_id") == "home_team_settings"
    )


async def test_an_invalid_settings_value_keeps_the_modal_open_with_a_field_error(
    home_bot: Bot,
) -> None:
    modal = await settings_modal(home_bot, LEAD)
    assert modal["callback_id"] == "home_team_settings"
    status, body = await home_bot.send_interaction_json(
        payloads.submission(modal, user=LEAD, digest_schedule="someday", delay_minutes="-1")
    )
    assert status == 200
    assert body["response_action"] == "errors"
    # Each beside its field, saying what to enter: the team's language is English.
    assert body["errors"] == {
        "digest_schedule": "Enter a day and a time, for example mon 09:00 "
        "(the day is one of mon, tue, wed, thu, fri, sat, sun).",
        "delay_minutes": "Enter a whole number from 0 to 10,080.",
    }
    _, body = await home_bot.send_interaction_json(
        payloads.submission(modal, user=LEAD, survey="ces")  # the target of 80 is no CES
    )
    assert body["errors"] == {"target": "Enter a mean CES from 1 to 7, or leave it empty."}
    assert "Last settings change" not in shown(await open_home(home_bot, LEAD))


# A lead fills in every kind of wrong value the modal can hold.
WRONG_VALUES = {
    "delay_minutes": "-5",
    "throttle_days": "400",
    "expire_days": "0",
    "sample_rate": "2",
    "churn_probability": "1.5",
    "quiet_hours": "8pm",
    "timezone": "Mars/Olympus",
    "digest_schedule": "monday 9",
    "currency": "EURO",
    "target": "120",
}

# What each field then says, in the team's language, its numbers written that way.
WHAT_TO_ENTER = {
    "pl": {
        "delay_minutes": "Wpisz liczbę całkowitą od 0 do 10\u00a0080.",
        "throttle_days": "Wpisz liczbę całkowitą od 0 do 365.",
        "expire_days": "Wpisz liczbę całkowitą od 1 do 90.",
        "sample_rate": "Wpisz liczbę od 0 do 1.",
        "churn_probability": "Wpisz liczbę od 0 do 1: 0,95 oznacza 95% szans na utratę "
        "niezadowolonego klienta.",
        "quiet_hours": "Użyj formatu HH:MM-HH:MM, na przykład 20:00-08:00, albo zostaw puste.",
        "timezone": "Wpisz nazwę strefy czasowej, na przykład Europe/Berlin lub America/New_York.",
        "digest_schedule": "Wpisz dzień i godzinę, na przykład mon 09:00 (dzień to jedno z: "
        "mon, tue, wed, thu, fri, sat, sun).",
        "currency": "Wpisz trzyliterowy kod waluty, na przykład USD, EUR lub JPY.",
        "target": "Wpisz CSAT % od 0 do 100 albo zostaw puste.",
    },
    "de": {
        "delay_minutes": "Gib eine ganze Zahl von 0 bis 10.080 ein.",
        "throttle_days": "Gib eine ganze Zahl von 0 bis 365 ein.",
        "expire_days": "Gib eine ganze Zahl von 1 bis 90 ein.",
        "sample_rate": "Gib eine Zahl von 0 bis 1 ein.",
        "churn_probability": "Gib eine Zahl von 0 bis 1 ein: 0,95 bedeutet eine "
        "Wahrscheinlichkeit von 95\u00a0%, einen unzufriedenen Kunden zu verlieren.",
        "quiet_hours": "Verwende das Format HH:MM-HH:MM, zum Beispiel 20:00-08:00, oder lass "
        "das Feld leer.",
        "timezone": "Gib den Namen einer Zeitzone ein, zum Beispiel Europe/Berlin oder "
        "America/New_York.",
        "digest_schedule": "Gib einen Tag und eine Uhrzeit ein, zum Beispiel mon 09:00 (der Tag "
        "ist einer von mon, tue, wed, thu, fri, sat, sun).",
        "currency": "Gib einen dreistelligen Währungscode ein, zum Beispiel USD, EUR oder JPY.",
        "target": "Gib einen CSAT % von 0 bis 100 ein oder lass das Feld leer.",
    },
}


@pytest.mark.parametrize("language", sorted(WHAT_TO_ENTER))
async def test_a_lead_reads_what_to_enter_in_the_teams_language(
    slack: FakeSlack, sqlite_url: str, language: str
) -> None:
    slack.add_user(LEAD, name="lead")
    teams_toml = TEAMS_TOML + f'language = "{language}"\n'
    async with running_bot(slack, sqlite_url, teams_toml=teams_toml) as bot:
        modal = await settings_modal(bot, LEAD)
        _status, body = await bot.send_interaction_json(
            payloads.submission(modal, user=LEAD, **WRONG_VALUES)
        )
        assert body["response_action"] == "errors"
        assert body["errors"] == WHAT_TO_ENTER[language]
        _status, body = await bot.send_interaction_json(
            payloads.submission(modal, user=LEAD, survey="ces")  # the target of 80 is no CES
        )
        assert (
            body["errors"]
            == {
                "pl": {"target": "Wpisz średni CES od 1 do 7 albo zostaw puste."},
                "de": {
                    "target": "Gib einen mittleren CES von 1 bis 7 ein oder lass das Feld leer."
                },
            }[language]
        )
        assert "Last settings change" not in shown(await open_home(bot, LEAD))


async def test_a_saved_change_is_used_by_the_very_next_survey_and_survives_a_restart(
    slack: FakeSlack, sqlite_url: str
) -> None:
    for user in (LEAD, *CUSTOMERS):
        slack.add_user(user, name=user.lower())
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML) as bot:
        modal = await settings_modal(bot, LEAD)
        status, body = await bot.send_interaction_json(
            payloads.submission(
                modal, user=LEAD, survey="ces", target="6", digest_schedule="fri 16:30"
            )
        )
        assert status == 200 and not body, body
        status, body = await bot.send_webhook(
            {"conversation_id": "next", "customer": {"slack_user_id": CUSTOMERS[0]}}
        )
        survey = await delivered(bot, body["survey_id"])
        message = slack.message(survey.channel_id or "", survey.message_ts or "")
        assert "How easy" in json.dumps(message)
        assert len(payloads.buttons(message)) == 7
        (job,) = [j for j in bot.runtime.scheduler.jobs() if j.id == "digest:support"]
        assert "day_of_week='4'" in str(job.trigger) and "hour='16'" in str(job.trigger)
        home = shown(await open_home(bot, LEAD))
        # Each field by its label in the form, each choice in the form's words.
        assert (
            f"<@{LEAD}> changed *Survey*: CSAT: how satisfied (1–5) → CES: how easy (1–7); "
        ) in home
        assert "*Target (CSAT % or mean CES)*: `80` → `6`" in home
        assert "*Weekly digest*: `mon 09:00` → `fri 16:30`" in home
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML) as bot:
        status, body = await bot.send_webhook(
            {"conversation_id": "after-restart", "customer": {"slack_user_id": CUSTOMERS[1]}}
        )
        survey = await delivered(bot, body["survey_id"])
        assert "How easy" in json.dumps(
            slack.message(survey.channel_id or "", survey.message_ts or "")
        )
        modal = await settings_modal(bot, LEAD)
        chosen = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
        assert chosen["survey"]["initial_option"]["value"] == "ces"
        assert chosen["digest_schedule"]["initial_value"] == "fri 16:30"


async def test_an_edit_by_a_non_lead_is_refused_with_nothing_saved(home_bot: Bot) -> None:
    await answer(home_bot, CUSTOMERS[0], 5)  # the agent has a Home of their own
    home = await open_home(home_bot, AGENT)
    assert "home_team_settings" not in shown(home)
    modal = await settings_modal(home_bot, LEAD)  # the lead's form, in a stranger's hands
    _status, body = await home_bot.send_interaction_json(
        payloads.submission(modal, user=STRANGER, delay_minutes="99")
    )
    assert body["response_action"] == "errors"
    assert "Only this team's leads and workspace admins" in next(iter(body["errors"].values()))
    again = await settings_modal(home_bot, LEAD)
    delay = next(b for b in again["blocks"] if b.get("block_id") == "delay_minutes")
    assert delay["element"]["initial_value"] == "0"
    assert "Last settings change" not in shown(home_bot.slack.home_tabs[LEAD])


async def test_two_leads_saving_at_once_lose_nothing_silently(home_bot: Bot) -> None:
    first = await settings_modal(home_bot, LEAD)
    second = await settings_modal(home_bot, LEAD_TWO)
    results = await asyncio.gather(
        home_bot.send_interaction_json(payloads.submission(first, user=LEAD, delay_minutes="10")),
        home_bot.send_interaction_json(payloads.submission(second, user=LEAD_TWO, target="90")),
    )
    bodies = [body for _, body in results]
    saved = [b for b in bodies if not b]
    refused = [b for b in bodies if b]
    assert len(saved) == 1 and len(refused) == 1
    (error,) = set(refused[0]["errors"].values())
    assert "Someone else changed these settings while you were editing" in error
    # The one told reopens the form, sees the other change, and saves theirs too.
    loser = LEAD_TWO if bodies[1] else LEAD
    reopened = await settings_modal(home_bot, loser)
    change = {"target": "90"} if loser == LEAD_TWO else {"delay_minutes": "10"}
    _, body = await home_bot.send_interaction_json(
        payloads.submission(reopened, user=loser, **change)
    )
    assert not body
    final = await settings_modal(home_bot, LEAD)
    inputs = {b["block_id"]: b["element"] for b in final["blocks"] if b["type"] == "input"}
    assert inputs["delay_minutes"]["initial_value"] == "10"
    assert inputs["target"]["initial_value"] == "90"


# ------------------------------------------------------------------ limits, alerts, test survey


async def test_every_home_and_modal_is_within_block_kits_limits(home_bot: Bot) -> None:
    for i, customer in enumerate(CUSTOMERS[:8]):
        await answer(home_bot, customer, 1 if i % 2 else 5, comment=HOSTILE * 20)
    home = await open_home(home_bot, LEAD)
    count = len(home_bot.slack.called("views.open")) + 1
    await click_in(home_bot, home, LEAD, "home_drill_low")
    await home_bot.slack.wait_for("views.open", count)
    drill = home_bot.slack.views[-1]
    assert drill["callback_id"] == "home_drill_down" and "&lt;!channel&gt;" in shown(drill)
    await settings_modal(home_bot, LEAD)
    home = home_bot.slack.home_tabs[LEAD]
    count = len(home_bot.slack.called("views.open")) + 1
    await click_in(home_bot, home, LEAD, "home_test_survey")
    await home_bot.slack.wait_for("views.open", count)
    await open_home(home_bot, AGENT)
    await open_home(home_bot, STRANGER)
    # The fake refuses views breaking a limit (invalid_blocks); every one went through.
    for method in ("views.publish", "views.open"):
        for call in home_bot.slack.called(method):
            assert call.args["view"]["type"] in ("home", "modal")
    assert len(home_bot.slack.views) == len(home_bot.slack.called("views.publish")) + len(
        home_bot.slack.called("views.open")
    )
    assert "<!channel>" not in shown(home_bot.slack.home_tabs[LEAD])  # words escaped


def test_the_fake_slack_refuses_a_chart_beyond_slacks_limits() -> None:
    chart = {
        "type": "data_visualization",
        "title": "x" * 51,
        "chart": {
            "type": "line",
            "series": [{"name": "CSAT", "data": [{"label": "1 Dec", "value": 80}]}],
            "axis_config": {"categories": ["1 Dec", "8 Dec"]},
        },
    }
    errors = validate_blocks([chart, chart, chart], surface="message")
    assert any("chart title" in e for e in errors)
    assert any("one point per category" in e for e in errors)
    assert any("3 data_visualization blocks > 2" in e for e in errors)


async def test_claim_and_resolve_from_home_update_the_alert_message_too(home_bot: Bot) -> None:
    await answer(home_bot, CUSTOMERS[0], 1)
    (alert,) = await wait_until(lambda: home_bot.slack.messages.get(ALERT_CHANNEL))
    home = await open_home(home_bot, LEAD)
    publishes = len(home_bot.slack.called("views.publish"))
    await click_in(home_bot, home, LEAD, "alert_claim")
    await wait_until(
        lambda: "is following up" in json.dumps(home_bot.slack.message(ALERT_CHANNEL, alert["ts"]))
    )
    await home_bot.slack.wait_for("views.publish", publishes + 1)
    home = home_bot.slack.home_tabs[LEAD]
    assert f":eyes: <@{LEAD}> is following up" in shown(home)
    await click_in(home_bot, home, LEAD, "alert_resolve")
    await wait_until(
        lambda: "Resolved by" in json.dumps(home_bot.slack.message(ALERT_CHANNEL, alert["ts"]))
    )
    await wait_until(lambda: "None waiting" in shown(home_bot.slack.home_tabs[LEAD]))


async def test_the_test_survey_is_never_counted(home_bot: Bot) -> None:
    home = await open_home(home_bot, LEAD)
    await click_in(home_bot, home, LEAD, "home_test_survey")
    (_opened,) = await home_bot.slack.wait_for("views.open")
    modal = home_bot.slack.views[-1]
    await home_bot.send_interaction(
        payloads.submission(modal, user=LEAD, test_survey_language="it")
    )
    # By DM (to the user id, Slack opens it), exactly as a customer gets it, in the
    # language chosen.
    posts = await home_bot.slack.wait_for("chat.postMessage")
    survey_post = posts[-1]
    assert survey_post.args["channel"] == LEAD
    assert "Qual è il suo livello di soddisfazione" in json.dumps(
        survey_post.args["blocks"], ensure_ascii=False
    )
    (survey,) = await survey_store.all_surveys(home_bot.workspace.db)
    survey = await delivered(home_bot, survey.token)
    message = home_bot.slack.message(survey.channel_id or "", survey.message_ts or "")
    await home_bot.send_interaction(
        payloads.block_actions(
            channel=survey.channel_id or "", message=message, action_id="survey_score_1", user=LEAD
        )
    )
    await wait_until(lambda: len(home_bot.slack.called("chat.update")) >= 1)  # the thank-you
    text = shown(await open_home(home_bot, LEAD))
    assert "(0 answers)" in text and "Open alerts*\\nNone waiting" in text
    assert ALERT_CHANNEL not in home_bot.slack.messages  # no alert for a test
    _, metrics = await home_bot.get("/metrics")
    assert 'status="answered"} 1' not in metrics


async def test_home_is_republished_when_an_answer_comes_in_coalescing_a_busy_minute(
    slack: FakeSlack, sqlite_url: str
) -> None:
    for user in (LEAD, *CUSTOMERS):
        slack.add_user(user, name=user.lower())
    async with running_bot(
        slack, sqlite_url, teams_toml=TEAMS_TOML, home_refresh_seconds=1.5
    ) as bot:
        await open_home(bot, LEAD)
        for customer in CUSTOMERS[:4]:
            await answer(bot, customer, 5)
        await wait_until(lambda: "(4 answers)" in shown(slack.home_tabs[LEAD]), timeout=10)
        for_lead = [c for c in slack.called("views.publish") if c.args["user_id"] == LEAD]
        # Fresh within the interval, but not once per answer.
        assert 2 <= len(for_lead) < 5


async def test_the_drill_down_lists_the_answers_behind_low_scores_and_filters_by_agent(
    home_bot: Bot,
) -> None:
    await answer(home_bot, CUSTOMERS[0], 1, comment="Took ages <!here>")
    await answer(home_bot, CUSTOMERS[1], 2, agent=OTHER_AGENT)
    await answer(home_bot, CUSTOMERS[2], 5)
    home = await open_home(home_bot, LEAD)
    count = len(home_bot.slack.called("views.open")) + 1
    await click_in(home_bot, home, LEAD, "home_drill_low")
    await home_bot.slack.wait_for("views.open", count)
    modal = home_bot.slack.views[-1]
    text = shown(modal)
    assert "1–2 of 2" in text and f"<@{CUSTOMERS[0]}>" in text and CUSTOMERS[2] not in text
    assert "&lt;!here&gt;" in text and "Slow response" in text
    await click_in(home_bot, modal, LEAD, "drill_agent", selected_user=OTHER_AGENT)
    (update,) = await home_bot.slack.wait_for("views.update")
    filtered = shown(update.args["view"])
    assert "1–1 of 1" in filtered and f"<@{CUSTOMERS[1]}>" in filtered
    assert CUSTOMERS[0] not in filtered
    # Someone who does not lead the team gets no answers, however the button reached them.
    count = len(home_bot.slack.called("views.open")) + 1
    await click_in(home_bot, home, STRANGER, "home_drill_all")
    await home_bot.slack.wait_for("views.open", count)
    assert "Only this team's leads" in shown(home_bot.slack.views[-1])


@pytest.mark.parametrize("scope", ["low_week", "all"])
def test_drill_down_pages_hold_twenty_answers_with_next_and_previous(scope: str) -> None:
    from datetime import UTC, datetime

    from bot.home.drilldown_blocks import DrillQuery, render_drill_down
    from storage.home import AnswerPage, AnswerRow

    row = AnswerRow(
        1,
        2,
        "csat",
        ("slow_response",),
        "x" * 3000,
        datetime(2026, 12, 1, tzinfo=UTC),
        AGENT,
        CUSTOMERS[0],
        None,
        "webhook",
        None,
        None,
        "ZD-1",
    )
    page = AnswerPage(tuple(row for _ in range(20)), total=45)
    view = render_drill_down(
        DrillQuery("support", DrillScope(scope), page=1), page, {}, low="1–2", page_size=20
    )
    assert validate_blocks(view["blocks"], surface="modal") == []
    buttons = [
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert "drill_page_previous" in buttons and "drill_page_next" in buttons
    assert "21–40 of 45" in shown(view)


def test_the_settings_form_has_every_field_of_the_teams_file() -> None:
    from bot.home.team_settings import EDITABLE_FIELDS
    from bot.home.team_settings_blocks import render_settings_modal
    from bot.teams import Team

    modal = render_settings_modal(Team(name="support"), version=1)
    inputs = {b["block_id"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs == set(EDITABLE_FIELDS)
    assert validate_blocks(modal["blocks"], surface="modal") == []


async def test_a_polish_teams_lead_reads_home_in_polish_with_polish_numbers(
    slack: FakeSlack, sqlite_url: str
) -> None:
    for user in (LEAD, *CUSTOMERS):
        slack.add_user(user, name=user.lower(), locale="pl-PL")
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML + 'language = "pl"\n') as bot:
        await answer(bot, CUSTOMERS[0], 5)
        await answer(bot, CUSTOMERS[1], 4)
        await answer(bot, CUSTOMERS[2], 1)
        text = shown(await open_home(bot, LEAD))
    assert "*CSAT w tym tygodniu*" in text and "(3 odpowiedzi)" in text  # Polish plural
    assert "66,7%" in text  # a decimal comma, no space before %
    assert "80%: brakuje 13,3 pkt proc." in text
    assert "Wyślij mi ankietę testową" in text and "Ustawienia zespołu" in text
    assert "Last 30 days" not in text and "Open alerts" not in text, text


async def test_home_and_the_digest_give_a_reason_one_figure_with_one_formula(
    home_bot: Bot,
) -> None:
    await answer(home_bot, CUSTOMERS[0], 5)
    await answer(home_bot, CUSTOMERS[1], 1, comment="It took days")  # cites slow_response
    figure = "Without the answers citing it, CSAT would have been 100% instead of 50%."
    formula = "without a reason = the score counted again leaving out the answers that cited it"
    deadline = time.monotonic() + 5
    while figure not in (text := shown(await open_home(home_bot, LEAD))):
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.05)
    assert "Slow response" in text and formula in text and "costs" not in text
    now = home_bot.clock()
    year, week, _ = now.isocalendar()  # the team's timezone is UTC
    digest = await render_dry_run(home_bot.workspace, "support", f"{year}-W{week:02d}")
    assert figure in digest and formula in digest
