"""Alembic migrations; `surveybot migrate` applies them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent
MIGRATION_LOCK = 7_420_110_001  # any constant that no other tool on the database uses


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def revisions() -> list[str]:
    """Every migration revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def revision_problem(revision: str) -> str | None:
    """One sentence when `revision` names no migration (nor `base`), else None."""
    if revision == "base":
        return None
    try:
        found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        found = None
    if found is not None:
        return None
    return (
        f"there is no migration revision {revision!r}: the revisions are "
        f"{', '.join(revisions())} (storage/migrations/versions), or base"
    )


async def migrate(database: Database, revision: str = "head", *, down: bool = False) -> None:
    """Bring the schema up (or, with `down`, back) to `revision` on the process's engine."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    async with database.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A migration that rebuilds a table other tables point at (batch mode) drops
            # it first: SQLite's procedure turns foreign keys off for that, outside any
            # transaction, and checks them before the commit.
            await conn.execute(text("PRAGMA foreign_keys=OFF"))
            await conn.commit()
        try:
            async with conn.begin():
                if not sqlite:
                    # Replicas starting together would run the same DDL at once; one waits.
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                await conn.run_sync(upgrade)
                if sqlite:
                    broken = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                await conn.execute(text("PRAGMA foreign_keys=ON"))
                await conn.commit()
