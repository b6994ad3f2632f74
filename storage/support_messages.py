"""Messages seen in support channels: who started each conversation, without asking Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import Database
from storage.models import SupportMessage


@dataclass(frozen=True)
class SeenMessage:
    channel_id: str
    ts: str
    thread_ts: str | None
    author: str | None
    author_team: str | None

    @property
    def starts_a_conversation(self) -> bool:
        return self.thread_ts in (None, self.ts)


async def remember(db: Database, workspace: str, message: SeenMessage, at: datetime) -> None:
    """Keep a message as first seen; the same message again (an edit, a retry) changes
    nothing."""
    async with db.session() as session:
        session.add(
            SupportMessage(
                workspace=workspace,
                channel_id=message.channel_id,
                ts=message.ts,
                thread_ts=message.thread_ts,
                author=message.author,
                author_team=message.author_team,
                seen_at=at,
            )
        )
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()


async def seen(db: Database, workspace: str, channel_id: str, ts: str) -> SeenMessage | None:
    m = SupportMessage
    query = select(
        col(m.channel_id), col(m.ts), col(m.thread_ts), col(m.author), col(m.author_team)
    ).where(col(m.workspace) == workspace, col(m.channel_id) == channel_id, col(m.ts) == ts)
    async with db.session() as session:
        row = (await session.execute(query)).first()
    return SeenMessage(*row) if row else None


async def forget_seen_before(db: Database, cutoff: datetime) -> int:
    return await db.write(delete(SupportMessage).where(col(SupportMessage.seen_at) < cutoff))


async def wrote_after(
    db: Database, workspace: str, channel_id: str, thread_ts: str, author: str, after_ts: str
) -> bool:
    """Whether `author` replied in this thread after the message at `after_ts`.

    Slack's ts of one kind and width order as text, so the range stays on the key."""
    m = SupportMessage
    query = (
        select(col(m.ts))
        .where(
            col(m.workspace) == workspace,
            col(m.channel_id) == channel_id,
            col(m.ts) > after_ts,
            col(m.thread_ts) == thread_ts,
            col(m.author) == author,
        )
        .limit(1)
    )
    async with db.session() as session:
        return (await session.execute(query)).first() is not None
