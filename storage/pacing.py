"""The Slack pacer's state: a pyrate-limiter StateStore kept in the database.

Every process that shares the database shares the pace: the state of a key is one
row. A booking (`reserve`, `hold_until`) is one upsert that changes the row atomically
and returns it; the generic StateStore `check` is a compare-and-set (a conditional
UPDATE, or an INSERT that only the first writer wins). Either way two processes never
spend the same slot.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any

from pyrate_limiter import Rate
from pyrate_limiter.abstracts.algorithm import Decision, State, StateAlgorithm
from pyrate_limiter.abstracts.store import StateStore
from sqlalchemy import BigInteger, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database, is_sqlite
from storage.models import SlackPace

# Compare-and-set rounds before giving up; only other processes can make one fail.
MAX_ROUNDS = 50


# A change of a key's stored value: the new value (None: keep) and the decision.
Transition = Callable[[int | None], tuple[int | None, Decision]]


class PaceContended(RuntimeError):
    """The key's row kept changing under us: far more processes than the pace allows."""


class DatabaseStateStore(StateStore):
    """One key's GCRA state (a single rate) in the `slack_pace` table."""

    is_async = True

    def __init__(self, db: Database, key: str, lock: asyncio.Lock) -> None:
        self.db = db
        self.key = key
        # In-process callers of one key queue here, so compare-and-set only races
        # against other processes.
        self._lock = lock

    async def _read(self) -> int | None:
        async with self.db.session() as session:
            return await self._stored(session)

    async def _stored(self, session: AsyncSession, *, lock: bool = False) -> int | None:
        query = select(col(SlackPace.tat_us)).where(col(SlackPace.key) == self.key)
        if lock:
            query = query.with_for_update()  # PostgreSQL: other replicas wait for our turn
        value = (await session.execute(query)).scalar_one_or_none()
        return None if value is None else int(value)

    async def _transition(self, change: Transition) -> Decision:
        """Read, decide and write in one transaction: the row is locked while we decide
        (PostgreSQL), and SQLite's writers take turns, so one round of statements does."""
        async with self._lock:
            for _ in range(MAX_ROUNDS):
                async with self.db.writing() as session:
                    stored = await self._stored(session, lock=True)
                    new, decision = change(stored)
                    if new is None or new == stored:
                        return decision
                    if await self._swap(session, stored, new):
                        await session.commit()
                        return decision
        raise PaceContended(self.key)

    async def _swap(self, session: AsyncSession, expected: int | None, new: int) -> bool:
        """Compare-and-set: only a row that still holds `expected` takes `new`. The first
        writer of a new key wins its insert; a loser reads again."""
        if expected is None:
            insert = sqlite_insert if is_sqlite(self.db.url) else pg_insert
            result = await session.execute(
                insert(SlackPace)
                .values(key=self.key, tat_us=new)
                .on_conflict_do_nothing(index_elements=["key"])
            )
        else:
            result = await session.execute(
                update(SlackPace)
                .where(col(SlackPace.key) == self.key, col(SlackPace.tat_us) == expected)
                .values(tat_us=new)
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    async def reserve(self, rate: Rate, now_ms: int, max_wait_ms: int | None = None) -> int | None:
        """Book the next free slot of one call under `rate` (GCRA) in one statement.

        Answers the milliseconds from `now_ms` until the booked slot, or None when that
        slot lies more than `max_wait_ms` away (then nothing is booked). GCRA's step, and
        the booking of a later slot (bot.slack.pacing.ReservingGCRA) to the microsecond,
        done by the database in one upsert: the row is changed atomically, so two processes
        never spend the same slot, and a call costs one round trip, not a transaction of
        a locked read and a compare-and-set.
        """
        emission = max(1, -(-rate.interval * 1000 // rate.limit))  # GCRA's, rounded up
        burst = rate.burst
        now_us = now_ms * 1000
        values = {"key": self.key, "now": now_us, "emission": emission, "first": now_us + emission}
        if max_wait_ms is not None:  # a slot further than that is not booked
            values["latest"] = now_us + (burst - 1) * emission + max_wait_ms * 1000
        statement = _booking(is_sqlite(self.db.url), limited=max_wait_ms is not None)
        async with self._lock:
            tat = await self._write_returning(statement, values)
        if tat is None:
            return None
        return max(0, -(-(int(tat) - burst * emission - now_us) // 1000))

    async def _write_returning(self, statement: Any, values: dict[str, Any]) -> int | None:
        """One statement on a connection of its own, committed at once. PostgreSQL: no
        ping before it (the pool's pre-ping is a round trip per call); a connection that
        turns out dead is thrown away and the statement sent once more on a new one."""
        if is_sqlite(self.db.url):
            async with self.db.writing() as session:
                value = (await session.execute(statement, values)).scalar_one_or_none()
                await session.commit()
                return value
        for attempt in range(2):
            try:
                async with self.db.pace_engine.connect() as conn:
                    return (await conn.execute(statement, values)).scalar_one_or_none()
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt:
                    raise
        raise AssertionError("unreachable")

    async def check(
        self, algorithm: StateAlgorithm, rates: list[Rate], now: int, weight: int
    ) -> Decision:
        def step(stored: int | None) -> tuple[int | None, Decision]:
            state: State = (stored,) if stored is not None else algorithm.initial(rates)
            new_state, decision = algorithm.step(rates, state, now, weight)
            if not decision.allowed:
                return None, decision  # refused: nothing booked
            return int(new_state[0]), decision

        return await self._transition(step)

    async def hold_until(self, tat_us: int) -> None:
        """Push the key's state to at least `tat_us` (Slack said: wait)."""

        async with self._lock:
            await self._write_returning(
                _holding(is_sqlite(self.db.url)), {"key": self.key, "tat": tat_us}
            )

    async def read(self, algorithm: StateAlgorithm, rates: list[Rate]) -> State:
        stored = await self._read()
        return (stored,) if stored is not None else algorithm.initial(rates)

    async def reset(self) -> None:
        await self.db.write(delete(SlackPace).where(col(SlackPace.key) == self.key))


def _greatest(sqlite: bool, *values: Any) -> Any:
    return (func.max if sqlite else func.greatest)(*values, type_=BigInteger)


@functools.cache
def _booking(sqlite: bool, *, limited: bool) -> Any:
    """The upsert of DatabaseStateStore.reserve, built once: GCRA moves the state to
    max(tat, now) + E, and the call's slot is the moment the state less its burst (B x E)
    reaches (now, if that is past). `limited`: not booked if max(tat, now) > :latest."""
    stored = SlackPace.__table__.c.tat_us  # type: ignore[attr-defined]
    later = _greatest(sqlite, stored, bindparam("now", type_=BigInteger))
    upsert = (sqlite_insert if sqlite else pg_insert)(SlackPace).values(
        key=bindparam("key"), tat_us=bindparam("first", type_=BigInteger)
    )
    return upsert.on_conflict_do_update(
        index_elements=["key"],
        set_={"tat_us": later + bindparam("emission", type_=BigInteger)},
        where=later <= bindparam("latest", type_=BigInteger) if limited else None,
    ).returning(stored)


@functools.cache
def _holding(sqlite: bool) -> Any:
    """The upsert of DatabaseStateStore.hold_until: the state becomes at least :tat."""
    stored = SlackPace.__table__.c.tat_us  # type: ignore[attr-defined]
    tat = bindparam("tat", type_=BigInteger)
    upsert = (sqlite_insert if sqlite else pg_insert)(SlackPace).values(
        key=bindparam("key"), tat_us=tat
    )
    return upsert.on_conflict_do_update(
        index_elements=["key"], set_={"tat_us": _greatest(sqlite, stored, tat)}
    ).returning(stored)


class PaceStores:
    """The stores of one database, one lock per key while the key is in use."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def store(self, key: str) -> DatabaseStateStore:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return DatabaseStateStore(self.db, key, lock)


async def forget_idle_keys(db: Database, before_us: int) -> int:
    """Drop keys whose pace is long spent (per-channel keys pile up otherwise)."""
    return await db.write(delete(SlackPace).where(col(SlackPace.tat_us) < before_us))
