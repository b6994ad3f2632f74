"""Gathering a team's accounts for one period and the one before (one SQL statement)."""

from __future__ import annotations

from datetime import datetime

from bot.accounts.health import Accounts, assess_accounts, named
from bot.scales import scale_for
from bot.teams import Team
from storage import accounts as store
from storage.db import Database
from storage.vocabulary import SurveyKind

Window = tuple[datetime, datetime]


async def gather_accounts(db: Database, team: Team, current: Window, previous: Window) -> Accounts:
    """The team's accounts in `current`, compared with `previous`."""
    kind = team.survey
    now, before = await store.account_periods(
        db,
        team.name,
        kind.value,
        [current, previous],
        satisfied_min=scale_for(kind).satisfied_min,
        low_max={k.value: scale_for(k).low_max for k in SurveyKind},
    )
    assessed = assess_accounts(now, before, churn_probability=team.churn_probability)
    shown = [a.key for a in (*assessed.health, *assessed.at_risk)]
    if not shown:
        return assessed
    return named(assessed, await store.account_names(db, team.name, shown, previous[0]))
