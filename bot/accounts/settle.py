"""Settling a customer's account when they answer: the one place that asks for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.accounts.naming import Account, account_of, email_account
from storage.db import Database
from storage.models import ACCOUNT_NAME_LENGTH
from storage.surveys import SurveyRecord

OwnTeam = Callable[[], Awaitable[str | None]]
CompanyName = Callable[[str], Awaitable[str | None]]


def given_account(survey: SurveyRecord) -> Account | None:
    """The account the survey was closed with (the helpdesk's), if any."""
    if survey.account is None:
        return None
    return Account(survey.account, survey.account_name or survey.account)


async def account_at_answer(
    db: Database,
    survey: SurveyRecord,
    customer_team: str | None,
    own_team: OwnTeam,
    company_name: CompanyName | None = None,
) -> Account | None:
    """The helpdesk's account, else the clicker's own Slack Connect company, else the
    domain of the survey's email. None leaves the email linked to their Slack id to
    `account_of_email`, asked inside the answer's own write (no extra round trip while
    a burst of clicks waits for the database)."""
    given = given_account(survey)
    if given is not None:
        return given
    team = customer_team or survey.customer_team
    if team:
        found = account_of(None, team, None, await own_team())
        if found is not None:
            name = await company_name(team) if company_name else None
            return Account(found.key, name[:ACCOUNT_NAME_LENGTH]) if name else found
    return account_of(None, None, survey.customer_email)


def account_of_email(email: str) -> tuple[str, str] | None:
    """The (key, name) of an email's company, for storage's answer write."""
    found = email_account(email)
    return (found.key, found.name) if found else None
