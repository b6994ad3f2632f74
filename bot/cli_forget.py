"""`surveybot forget`: one customer, or one whole Slack workspace."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli_database import existing_database
from bot.privacy import forget_person, forget_report, forget_workspace, forget_workspace_report
from bot.settings import Settings
from storage.privacy import Forgotten, WorkspaceForgotten


def cmd_forget(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.workspace:
        return _forget_workspace(settings, args.workspace.strip())

    async def run() -> Forgotten:
        db = await existing_database(settings)
        try:
            return await forget_person(db, args.customer)
        finally:
            await db.dispose()

    gone = asyncio.run(run())
    print(forget_report(args.customer, gone))
    if not gone.found:
        # Non-zero, so a script notices a mistyped id instead of reporting an erasure.
        return 1
    print(
        "Messages already posted in Slack stay there; delete them in Slack if they must go "
        "too. A running bot forgets its cached copy of the profile within 24 hours."
    )
    return _flushed(gone.flushed)


def _forget_workspace(settings: Settings, workspace: str) -> int:
    async def run() -> WorkspaceForgotten:
        db = await existing_database(settings)
        try:
            return await forget_workspace(db, workspace)
        finally:
            await db.dispose()

    gone = asyncio.run(run())
    print(forget_workspace_report(workspace, gone))
    if not gone.found:
        return 1  # a mistyped id is noticed, not reported as an erasure
    return _flushed(gone.flushed)


def _flushed(flushed: bool) -> int:
    if flushed:
        return 0
    print(
        "The database was busy: its write-ahead log may still hold the erased rows. "
        "Run forget again in a quiet moment.",
        file=sys.stderr,
    )
    return 1
