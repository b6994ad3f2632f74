"""The bot's database as the operator commands open it."""

from __future__ import annotations

from bot.settings import Settings
from storage.db import Database, DatabaseUnavailable, missing_sqlite_file
from storage.migrations import migrate


async def existing_database(settings: Settings) -> Database:
    """The bot's database, brought up to date as `serve` would; never a new empty file."""
    if path := missing_sqlite_file(settings.database_url):
        raise DatabaseUnavailable(
            f"there is no surveybot database here ({path}): run this command in the folder "
            "where the bot runs, or set DATABASE_URL"
        )
    db = Database(settings.database_url)
    try:
        await migrate(db)
    except BaseException:
        await db.dispose()
        raise
    return db
