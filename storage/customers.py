"""Who a customer is: the email addresses and Slack ids that name one person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import Conversation, CustomerEmail, Survey
from storage.workspaces import owner_of

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
    async with db.writing() as session:
        await link_emails_in(session, {email: slack_id}, at)
        await session.commit()


async def link_emails_in(session: AsyncSession, links: Mapping[str, str], at: datetime) -> None:
    """`link_email` for several (email -> Slack id) at once, inside the caller's transaction."""
    links = {email.lower(): slack_id for email, slack_id in links.items()}
    if not links:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(CustomerEmail).values(
        [
            {"workspace": owner_of(session), "email": e, "slack_id": i, "learned_at": at}
            for e, i in sorted(links.items())
        ]
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=["workspace", "email"],
            set_={"slack_id": upsert.excluded.slack_id, "learned_at": upsert.excluded.learned_at},
        )
    )
    await session.execute(
        update(Survey)
        .where(col(Survey.customer_key).in_(links))
        .values(customer_key=case(links, value=col(Survey.customer_key)))
        .execution_options(synchronize_session=False)
    )


async def slack_id_for_email(db: Database, email: str) -> str | None:
    async with db.session() as session:
        return (
            await session.execute(
                select(col(CustomerEmail.slack_id)).where(col(CustomerEmail.email) == email.lower())
            )
        ).scalar_one_or_none()


async def _linked(
    session: AsyncSession, ids: set[str], mails: set[str], *, from_history: bool
) -> tuple[set[str], set[str], list[tuple[str | None, str | None]]]:
    """The names reachable from these by the email <-> Slack id links, and the links."""
    links: list[tuple[str | None, str | None]] = []
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
        links += pairs
        found_ids = ids | {str(i) for i, _ in pairs if i}
        found_mails = mails | {str(e).lower() for _, e in pairs if e}
        if found_ids == ids and found_mails == mails:
            break
        ids, mails = found_ids, found_mails
    return ids, mails, links


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
    ids, mails, _ = await _linked(
        session,
        {i for i in slack_ids if i},
        {e.lower() for e in emails if e},
        from_history=from_history,
    )
    return Identities(frozenset(ids), frozenset(mails))


async def _links_across(
    session: AsyncSession, ids: set[tuple[str, str]], mails: set[tuple[str, str]]
) -> list[tuple[str, str | None, str | None]]:
    """`_linked`'s stored links for names of several workspaces, each name given with its
    workspace (an unlimited session): (workspace, Slack id, email) per link found."""
    links: list[tuple[str, str | None, str | None]] = []
    where = col(CustomerEmail.workspace)
    for _ in range(MAX_HOPS):
        conditions = []
        if ids:
            conditions.append(tuple_(where, col(CustomerEmail.slack_id)).in_(sorted(ids)))
        if mails:
            conditions.append(tuple_(where, col(CustomerEmail.email)).in_(sorted(mails)))
        if not conditions:
            break
        rows = await session.execute(
            select(where, col(CustomerEmail.slack_id), col(CustomerEmail.email)).where(
                or_(*conditions)
            )
        )
        pairs = [(str(w), i, e) for w, i, e in rows.all()]
        links += pairs
        found_ids = ids | {(w, str(i)) for w, i, _ in pairs if i}
        found_mails = mails | {(w, str(e).lower()) for w, _, e in pairs if e}
        if found_ids == ids and found_mails == mails:
            break
        ids, mails = found_ids, found_mails
    return links


async def people_in(
    session: AsyncSession, names: Iterable[tuple[str, str | None, str | None]]
) -> dict[tuple[str, str], frozenset[str]]:
    """Several customers at once, of one or several workspaces, each given as (workspace,
    Slack id, email); the session must not be limited to one workspace. Every name given
    maps, as (workspace, name), to all the keys its person is known by in that workspace.
    A pair given together is taken as one person."""
    given = [(w, i or None, e.lower() if e else None) for w, i, e in names]
    links = await _links_across(
        session, {(w, i) for w, i, _ in given if i}, {(w, e) for w, _, e in given if e}
    )
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(name: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for workspace, slack_id, email in [
        *given,
        *((w, i, e.lower() if e else None) for w, i, e in links),
    ]:
        named = [(workspace, n) for n in (slack_id, email) if n]
        for name in named:
            root(name)
        if len(named) == 2:
            parent[root(named[0])] = root(named[1])
    groups: dict[tuple[str, str], set[str]] = {}
    for name in parent:
        groups.setdefault(root(name), set()).add(name[1])
    return {name: frozenset(groups[root(name)]) for name in parent}


async def identities(db: Database, slack_id: str | None, email: str | None) -> Identities:
    async with db.session() as session:
        return await identities_in(session, [slack_id or ""], [email or ""])
