"""Who a customer is: the email addresses and Slack ids that name one person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import Conversation, CustomerEmail, Survey

# Links are followed this many hops at most (email -> id -> other emails -> ...).
MAX_HOPS = 4


@dataclass(frozen=True)
class Identities:
    """Every name one person is known by here."""

    slack_ids: frozenset[str]
    emails: frozenset[str]  # lower case

    @property
    def keys(self) -> frozenset[str]:
        """What a survey's customer_key can hold for this person."""
        return self.slack_ids | self.emails

    @property
    def empty(self) -> bool:
        return not self.slack_ids and not self.emails


def stable_key(slack_id: str | None, email: str | None) -> str:
    """The throttle's key: the Slack id once known, else the email in lower case."""
    key = slack_id or (email or "").lower()
    if not key:
        raise ValueError("a customer needs a Slack id or an email")
    return key


async def link_email(db: Database, email: str, slack_id: str, at: datetime) -> None:
    """Remember that `email` is `slack_id`; surveys keyed by the email take the Slack id."""
    email = email.lower()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    upsert = (
        dialect.insert(CustomerEmail)
        .values(email=email, slack_id=slack_id, learned_at=at)
        .on_conflict_do_update(
            index_elements=["email"], set_={"slack_id": slack_id, "learned_at": at}
        )
    )
    async with db.session() as session:
        await session.execute(upsert)
        await session.execute(
            update(Survey)
            .where(col(Survey.customer_key) == email)
            .values(customer_key=slack_id)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def slack_id_for_email(db: Database, email: str) -> str | None:
    async with db.session() as session:
        return (
            await session.execute(
                select(col(CustomerEmail.slack_id)).where(col(CustomerEmail.email) == email.lower())
            )
        ).scalar_one_or_none()


async def identities_in(
    session: AsyncSession,
    slack_ids: Iterable[str],
    emails: Iterable[str],
    *,
    from_history: bool = False,
) -> Identities:
    """The person behind these names, following the email <-> Slack id links.

    With `from_history`, conversations and surveys that carry both names count as
    links too (rows stored before the links were kept; `forget` must find them).
    """
    ids = {i for i in slack_ids if i}
    mails = {e.lower() for e in emails if e}
    for _ in range(MAX_HOPS):
        pairs: list[tuple[str | None, str | None]] = [
            (slack_id, email)
            for slack_id, email in (
                await session.execute(
                    select(col(CustomerEmail.slack_id), col(CustomerEmail.email)).where(
                        or_(
                            col(CustomerEmail.slack_id).in_(ids),
                            col(CustomerEmail.email).in_(mails),
                        )
                    )
                )
            ).all()
        ]
        if from_history:
            for table in (Survey, Conversation):
                pairs += [
                    (slack_id, email)
                    for slack_id, email in (
                        await session.execute(
                            select(col(table.customer_id), col(table.customer_email)).where(
                                col(table.customer_id).is_not(None),
                                col(table.customer_email).is_not(None),
                                or_(
                                    col(table.customer_id).in_(ids),
                                    col(table.customer_email).in_(mails),
                                ),
                            )
                        )
                    ).all()
                ]
        found_ids = ids | {str(i) for i, _ in pairs if i}
        found_mails = mails | {str(e).lower() for _, e in pairs if e}
        if found_ids == ids and found_mails == mails:
            break
        ids, mails = found_ids, found_mails
    return Identities(frozenset(ids), frozenset(mails))


async def identities(db: Database, slack_id: str | None, email: str | None) -> Identities:
    async with db.session() as session:
        return await identities_in(session, [slack_id or ""], [email or ""])
