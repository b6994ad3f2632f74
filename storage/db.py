"""The async engine and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Delete, Update, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.batching import GroupCommit
from storage.workspaces import WORKSPACE_KEY, WorkspaceSession

# What providers hand out, and the async driver each store is used with here.
_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def with_async_driver(url: str) -> str:
    """`postgres://…` and `postgresql://…` use asyncpg, `sqlite:///…` aiosqlite."""
    scheme, separator, rest = url.partition("://")
    driver = _ASYNC_DRIVERS.get(scheme.lower())
    return f"{driver}{separator}{rest}" if driver and separator else url


# Drivers a provider's URL may name that this async code cannot use; the scheme's
# store is then still named by its plain URL.
_UNSUPPORTED = {
    "psycopg2": "postgresql://",
    "psycopg": "postgresql://",
    "pg8000": "postgresql://",
    "pysqlite": "sqlite:///",
}
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def check_supported(url: str) -> None:
    """DatabaseUnavailable, in one sentence, for a store or driver surveybot cannot use."""
    scheme = url.partition("://")[0].lower()
    backend, _, driver = scheme.partition("+")
    if backend in ("mysql", "mariadb", "mssql", "oracle"):
        raise DatabaseUnavailable(
            f"DATABASE_URL names {backend}, which surveybot cannot use: it keeps its data in "
            "PostgreSQL (postgresql://user:password@host:5432/surveybot) or SQLite"
        )
    if driver in _UNSUPPORTED:
        raise DatabaseUnavailable(
            f"DATABASE_URL asks for the {driver} driver, which surveybot does not use: write "
            f"it as {_UNSUPPORTED[driver]}… (surveybot picks asyncpg or aiosqlite itself)"
        )


def postgres_tls(url: str) -> tuple[str, dict[str, Any]]:
    """libpq's TLS parameters, as managed providers hand them out (`?sslmode=require`,
    `sslrootcert=…`), turned into asyncpg's `ssl` argument; the URL without them."""
    parsed = make_url(url)
    query = dict(parsed.query)
    names = ("sslmode", "sslrootcert", "sslcert", "sslkey")
    found = {name: query.pop(name) for name in names if name in query}
    if not found:
        return url, {}
    values = {k: v if isinstance(v, str) else v[-1] for k, v in found.items()}
    mode = values.get("sslmode", "verify-ca" if "sslrootcert" in values else "prefer")
    if mode not in _SSL_MODES:
        raise DatabaseUnavailable(
            f"DATABASE_URL has sslmode={mode}, which PostgreSQL does not know: use one of "
            f"{', '.join(_SSL_MODES)}"
        )
    bare = parsed.set(query=query).render_as_string(hide_password=False)
    verifies = mode in ("verify-ca", "verify-full")
    if not verifies and "sslcert" not in values:
        return bare, {"ssl": mode}
    try:
        context = ssl.create_default_context(cafile=values.get("sslrootcert"))
        if "sslcert" in values:
            context.load_cert_chain(values["sslcert"], values.get("sslkey"))
    except OSError as exc:
        files = ", ".join(
            f"{k}={values[k]}" for k in ("sslrootcert", "sslcert", "sslkey") if k in values
        )
        raise DatabaseUnavailable(
            f"cannot read the TLS files DATABASE_URL names ({files}): {exc.strerror or exc}"
        ) from None
    # verify-ca checks the chain only; verify-full also the host name (libpq's meaning).
    context.check_hostname = mode == "verify-full"
    if not verifies:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return bare, {"ssl": context}


@functools.lru_cache(maxsize=64)  # asked at every paced Slack call
def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


WAL_CHECKPOINT_TRIES = 50


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be used; the message says why in one sentence."""


def missing_sqlite_file(url: str) -> str | None:
    """The path of an SQLite file that does not exist yet, else None."""
    parsed = make_url(with_async_driver(url))
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    return None if Path(path).exists() else path


def _check_sqlite_folder(url: str) -> None:
    path = make_url(url).database
    if path and path != ":memory:" and not Path(path).resolve().parent.is_dir():
        raise DatabaseUnavailable(
            f"cannot open the SQLite database {path}: its folder does not exist (DATABASE_URL)"
        )


def create_engine(url: str) -> AsyncEngine:
    # hide_parameters: a failed statement's error (and so its logged traceback) names
    # the SQL, never the values, which may be a customer's comment.
    if is_sqlite(url):
        _check_sqlite_folder(url)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return _postgres_engine(
        url,
        # Sixteen deliveries in flight, the closes' batches and the web handlers share it:
        # a connection opened beyond the pool (an overflow) is closed again when returned,
        # and opening one (TLS attempt included) costs more than most statements here.
        pool_size=10,
        max_overflow=10,
    )


def _postgres_engine(url: str, **pool: Any) -> AsyncEngine:
    """An asyncpg engine: TLS as the URL asks, no JIT, values kept out of errors, and a
    connection pinged only when it sat idle."""
    url, connect_args = postgres_tls(url)
    # No JIT: Home's and the digest's aggregates are short, and compiling them cost more
    # (130–200 ms each at 10,000,000 answers: EXPLAIN ANALYZE) than it ever saved.
    connect_args["server_settings"] = {"jit": "off"}
    engine = create_async_engine(url, hide_parameters=True, connect_args=connect_args, **pool)
    _ping_when_idle(engine)
    return engine


# A pooled connection idle this long is pinged before use (the server may have restarted
# or dropped it); one returned more recently is used at once.
IDLE_BEFORE_PING = 5.0
_RETURNED_AT = "surveybot_returned_at"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """The pool's pre-ping, for connections that have sat idle only.

    SQLAlchemy's `pool_pre_ping` pings at every checkout, and asyncpg's ping is three
    round trips (BEGIN, an empty query, ROLLBACK): at a few statements per transaction,
    most of the traffic. A connection back in the pool for less than IDLE_BEFORE_PING
    was just working; one that fails anyway is invalidated with its pool by SQLAlchemy
    on that error, as between a ping and the statement after it.
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "connect")
    def _made(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < IDLE_BEFORE_PING:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool throws this connection away and checks out another.
            raise DisconnectionError(str(exc)) from exc


def create_pace_engine(url: str) -> AsyncEngine | None:
    """PostgreSQL: the engine of the Slack pace's one-statement bookings (storage.pacing),
    a round trip each: autocommit, pinged only when idle. SQLite: None."""
    if is_sqlite(url):
        return None
    # Kept open: a connection made per call (an overflow's) costs more than the call.
    return _postgres_engine(url, pool_size=8, max_overflow=0, isolation_level="AUTOCOMMIT")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web handlers read while the dispatcher writes; foreign keys are
    # off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted rows are overwritten with zeros, not left in free pages: an erasure erases.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class Database:
    """One engine and its session factory, shared by the whole process.

    `in_workspace` gives a view of it for one Slack workspace: the same engine, whose
    queries read and write only that workspace's rows ("" is the one of SLACK_BOT_TOKEN;
    storage.workspaces says how). The plain database (workspace None) sees them all.
    """

    workspace: str | None = None

    def __init__(self, url: str) -> None:
        check_supported(url)
        url = with_async_driver(url)
        self.url = url
        self.engine = create_engine(url)
        self._pace_engine = create_pace_engine(url)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=WorkspaceSession
        )
        # SQLite has one writer at a time; a writer that finds it busy sleeps in steps of
        # up to 100 ms. The process's writers take turns here instead, woken at once.
        self._sqlite_writer: asyncio.Lock | None = asyncio.Lock() if is_sqlite(url) else None
        self._group_commits: dict[str, GroupCommit[Any, Any]] = {}

    def in_workspace(self, workspace: str) -> Database:
        """This database as one workspace sees it (engine, pool and writer turn shared)."""
        if workspace == self.workspace:
            return self
        view = copy.copy(self)
        view.workspace = workspace
        view.sessions = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=WorkspaceSession,
            info={WORKSPACE_KEY: workspace},
        )
        return view

    @property
    def pace_engine(self) -> AsyncEngine:
        """PostgreSQL's engine for the pace (create_pace_engine); SQLite has none."""
        if self._pace_engine is None:
            raise RuntimeError("SQLite paces through Database.writing")
        return self._pace_engine

    @property
    def owner(self) -> str:
        """The workspace a row written here belongs to ("" from the plain database)."""
        return self.workspace or ""

    def group_commit(
        self, name: str, write_batch: Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]
    ) -> GroupCommit[Any, Any]:
        """The one group commit of this name for this workspace (made on first use): a
        batch holds one workspace's writes, which its `write_batch` stamps."""
        key = f"{name}\x00{self.owner}"
        if key not in self._group_commits:
            self._group_commits[key] = GroupCommit(write_batch)
        return self._group_commits[key]

    def shared_group_commit(
        self, name: str, write_batch: Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]
    ) -> GroupCommit[Any, Any]:
        """The one group commit of this name for every workspace (made on first use, with
        the `write_batch` of whichever view asked first): a batch mixes workspaces, so
        each item names its own and `write_batch` must not rely on the view it came with."""
        key = f"{name}\x00*"
        if key not in self._group_commits:
            self._group_commits[key] = GroupCommit(write_batch)
        return self._group_commits[key]

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for one write transaction (on SQLite, this process's turn to write)."""
        turn = self._sqlite_writer or contextlib.nullcontext()
        async with turn, self.sessions() as session:
            yield session

    async def write(self, statement: Update | Delete) -> int:
        """Run one UPDATE or DELETE in its own transaction; answer how many rows it changed.

        A conditional UPDATE is the atomic compare-and-set every claim here is built on:
        of two processes racing, exactly one sees 1.
        """
        async with self.writing() as session:
            result = await session.execute(statement.execution_options(synchronize_session=False))
            await session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def flush_write_ahead_log(self) -> bool:
        """SQLite: move the write-ahead log into the database file and empty it.

        After an erasure the `-wal` file still holds the erased rows until the next
        checkpoint; TRUNCATE waits for readers and leaves the file empty. Answers
        whether it got there (False: other connections kept it busy). PostgreSQL: True.
        """
        if not is_sqlite(self.url):
            return True
        for _ in range(WAL_CHECKPOINT_TRIES):
            async with self.engine.connect() as conn:
                row = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
            if row[0] == 0:  # not busy
                return True
            await asyncio.sleep(0.1)
        return False

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        for group in self._group_commits.values():
            await group.wait_idle()
        await self.engine.dispose()
        if self._pace_engine is not None:
            await self._pace_engine.dispose()


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (SQLAlchemy's .orig, __cause__, __context__)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def connection_problem(exc: BaseException, url: str) -> str | None:
    """One sentence for an operator when `exc` means the database cannot be used, else None."""
    import asyncpg  # type: ignore[import-untyped]  # only PostgreSQL URLs reach it

    for cause in _causes(exc):
        if isinstance(cause, DatabaseUnavailable):
            return str(cause)
    try:
        parsed = make_url(with_async_driver(url))
    except ArgumentError:
        return None
    if parsed.get_backend_name() == "sqlite":
        for cause in _causes(exc):
            if "unable to open database file" in str(cause):
                return (
                    f"cannot open the SQLite database {parsed.database}: does its folder exist "
                    "and may this user write there? (DATABASE_URL)"
                )
        return None
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    database = parsed.database or "(none)"
    for cause in _causes(exc):
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return (
                f"the PostgreSQL server at {where} has no database {database!r}: "
                f"create it (createdb {database}) or fix DATABASE_URL"
            )
        if isinstance(
            cause, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
        ):
            return (
                f"the PostgreSQL server at {where} refused user {parsed.username!r} for "
                f"database {database!r}: check the user and password in DATABASE_URL"
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"the PostgreSQL server at {where} presented a certificate that could not be "
                f"verified ({cause.verify_message}): check sslrootcert and the host name in "
                "DATABASE_URL, or use sslmode=require"
            )
        if "rejected SSL upgrade" in str(cause):
            return (
                f"the PostgreSQL server at {where} does not offer TLS, but DATABASE_URL asks "
                "for it (sslmode): turn on ssl in the server, or use sslmode=prefer"
            )
        if isinstance(cause, OSError | TimeoutError):
            return (
                f"cannot reach the PostgreSQL server at {where} (database {database!r}): "
                f"is it running, and are host and port in DATABASE_URL right? "
                f"({getattr(cause, 'strerror', None) or type(cause).__name__})"
            )
    return None
