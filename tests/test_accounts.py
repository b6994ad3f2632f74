"""Accounts (issue 18): the customer's company from the helpdesk's `account`, their Slack
Connect company or their email's domain (never a public mail provider); accounts at risk
and account health in the digest and Home, private below the minimum sample; the
drill-down to one account's answers. Through the real bot against the fake Slack."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from bot.accounts.blocks import account_drill_value, accounts_blocks
from bot.accounts.health import RiskReason, assess_accounts
from bot.accounts.naming import email_account, is_public_mail_domain
from bot.digest.blocks import render_improvement
from bot.digest.compose import week_containing
from bot.digest.job import build_digest
from bot.i18n import LANGUAGES
from bot.teams import Team
from bot.wording import Words
from sandbox import FakeSlack, payloads
from sandbox.blockkit import validate_blocks
from storage import surveys as survey_store
from storage.accounts import AccountPeriod
from storage.models import ACCOUNT_NAME_LENGTH
from storage.privacy import export_answers
from storage.surveys import SurveyRecord
from tests import harness
from tests.answering import delivered_survey, score_click
from tests.harness import AGENT, CUSTOMER, Bot, running_bot
from tests.test_home import click_in, open_home, shown
from tests.waiting import wait_until

LEAD = "U0LEAD"
CUSTOMER_CO = "T0CUSTOMERCO"
TEAMS_TOML = harness.TEAMS_TOML.replace('delivery = "thread"', 'delivery = "dm"') + (
    f'leads = ["{LEAD}"]\ncurrency = "EUR"\nthrottle_days = 0\n'
)
ACME = {"id": 4711, "name": "Acme Corp"}


@pytest_asyncio.fixture
async def accounts_bot(slack: FakeSlack, store_url: str) -> AsyncIterator[Bot]:
    """The bot on each store, a team surveying by DM with one lead."""
    slack.add_user(LEAD, name="lead")
    async with running_bot(slack, store_url, teams_toml=TEAMS_TOML) as bot:
        yield bot


async def answer(
    bot: Bot,
    customer: str,
    score: int,
    *,
    email: str | None = None,
    account: dict[str, Any] | None = None,
    clicker_team: str | None = None,
    value: float | None = None,
) -> SurveyRecord:
    """A helpdesk close, its survey delivered by DM, and the customer's click."""
    if customer not in bot.slack.default.users:
        bot.slack.add_user(customer, name=customer.lower())
    person: dict[str, Any] = {"slack_user_id": customer}
    if email:
        person["email"] = email
    close: dict[str, Any] = {
        "conversation_id": f"ZD-{customer}-{time.monotonic_ns()}",
        "customer": person,
        "agent": {"slack_user_id": AGENT},
    }
    if account is not None:
        close["account"] = account
    if value is not None:
        close["customer_value"] = value
    status, body = await bot.send_webhook(close)
    assert status == 202, body

    async def delivered() -> SurveyRecord | None:
        found = await survey_store.survey_by_token(bot.workspace.db, body["survey_id"])
        return found if found and found.status == "delivered" else None

    deadline = time.monotonic() + 5
    while (survey := await delivered()) is None:
        assert time.monotonic() < deadline, "not delivered"
        await _sleep()
    assert survey.channel_id and survey.message_ts
    click = payloads.block_actions(
        channel=survey.channel_id,
        message=bot.slack.message(survey.channel_id, survey.message_ts),
        action_id=f"survey_score_{score}",
        user=customer,
        **({"user_team": clicker_team} if clicker_team else {}),
    )
    await bot.send_interaction(click)
    deadline = time.monotonic() + 5
    while True:
        current = await survey_store.survey_by_token(bot.workspace.db, survey.token)
        if current and current.status == "answered":
            return current
        assert time.monotonic() < deadline, "not answered"
        await _sleep()


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.02)


async def exported(bot: Bot) -> dict[str, tuple[str, str]]:
    """customer -> (account key, account name), as `surveybot export` writes them."""
    return {
        row.customer_id: (row.account, row.account_name)
        async for row in export_answers(bot.workspace.db)
    }


# ------------------------------------------------------------------ where accounts come from


async def test_accounts_come_from_the_webhook_slack_connect_and_email_domains_never_gmail(
    accounts_bot: Bot,
) -> None:
    bot = accounts_bot
    own_team = bot.slack.team_id
    bot.slack.default.add_external_user(
        "U0DEV", team_id=CUSTOMER_CO, company="Customer Co", dm_allowed=True
    )
    acme = await answer(bot, "U0ANN", 5, email="ann@acme.example", account=ACME)
    await answer(bot, "U0BOB", 4, email="bob@globex.example")
    await answer(bot, "U0CAT", 4, email="cat@gmail.com")
    await answer(bot, "U0GIL", 4, email="gil@GMX.de")
    await answer(bot, "U0DEV", 3, clicker_team=CUSTOMER_CO)
    await answer(bot, "U0EVE", 3, clicker_team=own_team)
    await answer(bot, "U0FAY", 3, clicker_team="T0UNNAMED")  # team.info: team_not_found

    # The helpdesk's account is kept on the survey from the close.
    assert (acme.account, acme.account_name) == ("helpdesk:4711", "Acme Corp")
    assert await exported(bot) == {
        "U0ANN": ("helpdesk:4711", "Acme Corp"),  # the webhook's account wins over the domain
        "U0BOB": ("domain:globex.example", "globex.example"),
        "U0CAT": ("", ""),  # gmail.com is no company
        "U0GIL": ("", ""),  # nor is any gmx country domain
        # Their own Slack Connect company, named by team.info (team:read).
        "U0DEV": (f"slack:{CUSTOMER_CO}", "Customer Co"),
        "U0EVE": ("", ""),  # one of our own workspace: no company of a customer's
        "U0FAY": ("slack:T0UNNAMED", "T0UNNAMED"),  # no name to be had: its id
    }
    asked = [c.args["team"] for c in bot.slack.called("team.info")]
    assert sorted(asked) == [CUSTOMER_CO, "T0UNNAMED"]  # once each, never our own


async def test_a_blank_account_is_no_account_and_a_bad_one_loses_only_the_account(
    accounts_bot: Bot,
) -> None:
    bot = accounts_bot
    await answer(bot, "U0ANN", 5, email="ann@acme.example", account={"id": "", "name": ""})
    status, body = await bot.send_webhook(
        {
            "conversation_id": "ZD-odd",
            "customer": {"slack_user_id": "U0ANN"},
            "account": {"id": True, "name": "Acme"},
        }
    )
    assert status == 202 and body["ignored"] == ["account.id: Input should be a valid string"]
    # Zendesk's empty organization placeholders: the email's domain is the account.
    assert (await exported(bot))["U0ANN"] == ("domain:acme.example", "acme.example")


def test_public_mail_domains_are_never_an_account() -> None:
    for domain in (
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.kz",
        "qq.com",
        "163.com",
    ):
        assert is_public_mail_domain(domain), domain
        assert email_account(f"someone@{domain.upper()}") is None, domain
    found = email_account("ann@Acme.Example")
    assert found is not None and (found.key, found.name) == ("domain:acme.example", "acme.example")
    assert email_account("not-an-email") is None


# ------------------------------------------------------------------ the rules, pure


def period(
    key: str, shares: list[float], low: int = 0, answers: int | None = None
) -> AccountPeriod:
    return AccountPeriod(
        key=key,
        name=key,
        people=len(shares),
        share_sum=sum(shares),
        answers=answers if answers is not None else len(shares),
        low=low,
        low_value=0.0,
        low_people=0,
    )


def test_each_person_counts_once_in_an_accounts_score() -> None:
    # Four satisfied people and one who wrote ten unhappy answers: 80 %, not 4 of 14.
    accounts = assess_accounts([period("acme", [1, 1, 1, 1, 0], low=10, answers=14)], [])
    (acme,) = accounts.health
    assert acme.figure is not None and round(acme.figure.score, 1) == 80.0
    assert acme.figure.low < 80 < acme.figure.high  # its Wilson interval over 5 people


def test_an_account_whose_score_fell_by_more_than_its_interval_is_at_risk() -> None:
    before = period("acme", [1.0] * 20)
    fell = assess_accounts([period("acme", [1.0] * 10 + [0.5] * 10)], [before])
    (acme,) = fell.at_risk
    assert acme.risks == (RiskReason.FELL,) and acme.trend.arrow == "↓"
    # A fall within the noise of a few people is no risk.
    within = assess_accounts([period("acme", [1.0] * 5 + [0.8])], [period("acme", [1.0] * 6)])
    assert within.at_risk == ()


def test_two_low_answers_put_an_account_at_risk_even_below_the_minimum_sample() -> None:
    accounts = assess_accounts([period("tiny", [0.0, 0.0], low=2)], [])
    (tiny,) = accounts.at_risk
    assert tiny.figure is None and tiny.risks == (RiskReason.LOW_ANSWERS,)


# ------------------------------------------------------------------ Home and the digest


async def test_home_and_digest_show_accounts_at_risk_and_health_private_below_the_sample(
    accounts_bot: Bot,
) -> None:
    bot = accounts_bot
    # Acme: six answers from three people (the sample is met); one person twice unhappy.
    for customer, score in (("U0A1", 5), ("U0A1", 5), ("U0A2", 4), ("U0A2", 5)):
        await answer(bot, customer, score, account=ACME)
    for _ in range(2):
        await answer(bot, "U0A3", 1, account=ACME, value=500)
    # Globex: three answers, two low: at risk, but counts only, never a score.
    for customer, score in (("U0G1", 1), ("U0G2", 2), ("U0G3", 5)):
        await answer(bot, customer, score, email=f"{customer.lower()}@globex.example")

    home = await open_home(bot, LEAD)
    text = shown(home)
    assert "Accounts at risk (30 days)" in text
    assert "Account health, largest accounts (30 days)" in text
    assert "each person counted once" in text
    acme_line = next(b for b in home["blocks"] if b.get("text", {}).get("text", "")[:1] == "🟡")
    # Per person: 100 %, 100 %, 0 % -> 66.7 %, a yellow band, with its interval.
    assert "66.7%" in acme_line["text"]["text"] and "likely between" in acme_line["text"]["text"]
    globex = [b for b in home["blocks"] if "globex.example" in json.dumps(b)]
    assert globex, "Globex is listed"
    for block in globex:
        line = block["text"]["text"]
        assert "%" not in line and "likely between" not in line  # no score below the sample
    assert any("2 low answers of 3" in b["text"]["text"] for b in globex)
    assert any("a score needs at least 5 answers" in b["text"]["text"] for b in globex)
    # Acme's unhappy person carries 500 a month: 475 at risk at the default churn.
    assert "€475 a month at risk" in text

    team = Team(name="support", currency="EUR", timezone="UTC")
    now = bot.clock()
    digest = await build_digest(bot.workspace.db, team, week_containing(now, team.zone), now)
    message = render_improvement(digest)
    words = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Accounts at risk (this week)" in words and "Account health" in words
    assert "Acme Corp" in words and "globex.example" in words


async def test_the_drill_down_opens_an_accounts_answers(accounts_bot: Bot) -> None:
    bot = accounts_bot
    for customer, score in (("U0A1", 5), ("U0A2", 1), ("U0A3", 2)):
        await answer(bot, customer, score, account=ACME)
    await answer(bot, "U0X1", 1, email="x1@other.example")
    home = await open_home(bot, LEAD)
    count = len(bot.slack.called("views.open")) + 1
    await click_in(bot, home, LEAD, "home_drill_account_0")  # Acme, at risk
    await bot.slack.wait_for("views.open", count)
    drill = bot.slack.views[-1]
    text = shown(drill)
    assert drill["callback_id"] == "home_drill_down"
    assert "Answers of the account *Acme Corp*, last 30 days" in text
    assert "1–3 of 3" in text  # Acme's three answers, not the other account's
    assert "U0X1" not in text
    # A page change keeps to the account (the modal carries it).
    assert json.loads(drill["private_metadata"])["account"] == "helpdesk:4711"


async def test_an_agent_or_stranger_cannot_open_an_accounts_answers(accounts_bot: Bot) -> None:
    bot = accounts_bot
    await answer(bot, "U0A1", 1, account=ACME)
    await answer(bot, "U0A2", 1, account=ACME)
    home = await open_home(bot, LEAD)
    count = len(bot.slack.called("views.open")) + 1
    await click_in(bot, home, AGENT, "home_drill_account_0")
    await bot.slack.wait_for("views.open", count)
    refused = shown(bot.slack.views[-1])
    assert "Only this team's leads" in refused and "U0A1" not in refused


async def test_answers_without_any_account_leave_home_as_it_was(accounts_bot: Bot) -> None:
    await answer(accounts_bot, "U0CAT", 1, email="cat@gmail.com")
    text = shown(await open_home(accounts_bot, LEAD))
    assert "Accounts at risk" not in text and "Account health" not in text


async def test_an_old_answer_counts_in_the_previous_period_only(accounts_bot: Bot) -> None:
    bot = accounts_bot
    for customer in ("U0A1", "U0A2", "U0A3", "U0A4", "U0A5"):
        await answer(bot, customer, 5, account=ACME)
    bot.clock.advance(timedelta(days=31))
    for customer in ("U0A1", "U0A2", "U0A3", "U0A4", "U0A5"):
        await answer(bot, customer, 1, account=ACME)
    bot.clock.advance(timedelta(minutes=1))  # the frozen clock: Home's window ends before now
    home = await open_home(bot, LEAD)
    text = shown(home)
    # 100 % the month before, 0 % now: fell far beyond its interval, with the arrow.
    assert "score fell from 100% to 0%" in text and "↓" in text


# ------------------------------------------------------------------ Block Kit's limits


LONG_NAME = "株式会社エクサンプル・インターナショナル・ホールディングス" * 8  # 200 wide characters


@pytest.mark.parametrize("language", [*LANGUAGES])
def test_accounts_stay_within_block_kits_limits_in_every_language(language: str) -> None:
    """Many accounts with the longest names, at risk and not, in Home and the digest."""
    current = [
        AccountPeriod(
            key=f"helpdesk:{'9' * 240}{i}",
            name=LONG_NAME[: ACCOUNT_NAME_LENGTH - 1] + str(i),
            people=50 + i,
            share_sum=(50 + i) * 0.3,
            answers=999_999,
            low=999_999,
            low_value=123_456_789.0,
            low_people=40,
        )
        for i in range(12)
    ]
    previous = [replace(p, share_sum=p.people * 1.0) for p in current]
    accounts = assess_accounts(current, previous)
    words = Words.of(language)
    home = accounts_blocks(
        accounts,
        words,
        period=words._("30 days"),
        currency="EUR",
        drill=lambda account, index: {
            "type": "button",
            "action_id": f"home_drill_account_{index}",
            "text": {"type": "plain_text", "text": words._("Show answers")},
            "value": account_drill_value("t" * 80, account),
        },
    )
    assert validate_blocks(home, surface="home") == []
    digest = accounts_blocks(accounts, words, period=words._("this week"), currency="EUR")
    assert validate_blocks(digest, surface="message") == []
    assert len(home) <= 15 and len(digest) <= 4  # a fixed share of a Home's 100 blocks


async def test_a_slack_customers_account_is_the_domain_of_the_email_slack_gave_us(
    bot: Bot, slack: FakeSlack
) -> None:
    """A close in the support channel: no email on the survey, but the one users.info
    showed at delivery (customer_emails) names the company when they answer."""
    delivered = await delivered_survey(bot, slack)
    assert delivered.survey.customer_email is None
    await bot.send_interaction(score_click(delivered, 4))

    async def settled() -> bool:
        current = await survey_store.survey_by_token(bot.workspace.db, delivered.survey.token)
        return current is not None and current.account is not None

    await wait_until(settled, what="the account settled at the answer")
    assert await exported(bot) == {CUSTOMER: ("domain:example.com", "example.com")}
