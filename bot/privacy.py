"""Forgetting a person everywhere: the database, and what this process remembers."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.context import WorkspaceContext
from bot.slack.customers import CustomerDirectory
from storage import answers, privacy
from storage.db import Database
from storage.installations import forget_installations
from storage.privacy import Forgotten

log = logging.getLogger("surveybot.privacy")


async def forget_person(
    db: Database, customer: str, directory: CustomerDirectory | None = None
) -> Forgotten:
    """Erase a person by any of their ids; a running bot's directory forgets them too.

    `surveybot forget` runs in its own process: a running bot's cached profile
    (name, time zone, language) of that person expires on its own within hours.
    """
    gone = await privacy.forget_customer(db, customer)
    if directory is not None:
        directory.forget(gone.slack_ids, gone.emails)
    # Counts only: the ids asked for are the operator's, not a log's.
    log.info(
        "customer forgotten found=%s names=%d conversations=%d surveys=%d answers=%d alerts=%d",
        gone.found,
        len(gone.slack_ids) + len(gone.emails),
        gone.conversations,
        gone.surveys,
        gone.answers,
        gone.alerts,
    )
    return gone


async def forget_workspace(db: Database, workspace: str) -> privacy.WorkspaceForgotten:
    """Erase a whole Slack workspace: every row of it, and its installation's tokens."""
    gone = await privacy.forget_workspace_rows(db, workspace)
    installs = await forget_installations(db, workspace)
    log.info(
        "workspace forgotten conversations=%d surveys=%d answers=%d installs=%d",
        gone.conversations,
        gone.surveys,
        gone.answers,
        installs,
    )
    return gone


def forget_workspace_report(workspace: str, gone: privacy.WorkspaceForgotten) -> str:
    if not gone.found:
        return f"Nothing stored for workspace {workspace}; nothing was erased."
    counts = ", ".join(
        (
            _count(gone.conversations, "conversation"),
            _count(gone.surveys, "survey"),
            _count(gone.answers, "answer"),
            f"the settings of {_count(gone.team_settings, 'team')}",
        )
    )
    return f"Forgot workspace {workspace}: {counts}, and its installation's tokens."


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def forget_report(customer: str, gone: Forgotten) -> str:
    """'Forgot ann@example.com (also known as U0ANN): 2 conversations, …' for the operator."""
    if not gone.found:
        return f"No customer found for {customer}; nothing was erased."
    given = customer.strip()
    others = sorted((gone.slack_ids | gone.emails) - {given, given.lower()})
    aka = f" (also known as {', '.join(others)})" if others else ""
    counts = ", ".join(
        (
            _count(gone.conversations, "conversation"),
            _count(gone.surveys, "survey"),
            _count(gone.answers, "answer"),
            _count(gone.alerts, "alert"),
        )
    )
    return f"Forgot {given}{aka}: {counts}."


async def purge_old_comments(ctx: WorkspaceContext) -> int:
    """Each team's `retention_days`: customers' words older than that are dropped, the
    scores stay (digests and Home keep counting them). Answers how many lost their words."""
    purged = 0
    now = ctx.now()
    for team in ctx.teams.teams:
        if team.retention_days is None:
            continue
        cutoff = now - timedelta(days=team.retention_days)
        count = await answers.purge_comments_before(ctx.db, team.name, cutoff)
        if count:
            log.info(
                "comments purged team=%s count=%d days=%d", team.name, count, team.retention_days
            )
        purged += count
    return purged
