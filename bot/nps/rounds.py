"""Planning a relational NPS round: whom it asks, whom it skips and why, and when.

The audience is everyone with a conversation of the team closed in the last
`nps_active_days`. One contact rule covers CSAT, CES and NPS: someone asked anything
within `throttle_days` is skipped for this round ("asked recently") and never queued
for later; someone who answered the previous round is skipped too. Everyone else gets
an invitation in the outbox at their own slot (bot.nps.slots), sent like every survey:
the same pacing, quiet hours, crash check and expiry.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.context import WorkspaceContext
from bot.delivery import timing
from bot.delivery.sends import new_tokens
from bot.nps.schedule import RoundSchedule, due_round
from bot.nps.slots import SLOT_FORMAT, earliest_due, slot_for, weekdays
from bot.teams import Team
from storage import nps as store
from storage.nps import ActiveCustomer, NewInvite, NewRound
from storage.vocabulary import NpsOutcome, SurveyKind

log = logging.getLogger("surveybot.nps")


@dataclass(frozen=True)
class Decision:
    customer: ActiveCustomer
    outcome: NpsOutcome
    last_asked_at: datetime | None
    slot: datetime | None = None  # a wall time in the customer's own zone; None if skipped


def decide(
    customers: Sequence[ActiveCustomer],
    asked: Mapping[str, datetime],
    answered_last_round: Collection[str],
    *,
    starts_on: date,
    spread_days: int,
    throttle_days: int,
    now: datetime,
) -> list[Decision]:
    """Each active customer's outcome for the round. Pure."""
    recent = now - timedelta(days=throttle_days)
    days = weekdays(starts_on, spread_days)
    decisions = []
    for customer in sorted(customers, key=lambda c: c.key):
        last = asked.get(customer.key)
        if customer.key in answered_last_round:
            decisions.append(Decision(customer, NpsOutcome.ANSWERED_LAST_ROUND, last))
        elif throttle_days > 0 and last is not None and last >= recent:
            decisions.append(Decision(customer, NpsOutcome.ASKED_RECENTLY, last))
        else:
            slot = slot_for(customer.key, last, days)
            decisions.append(Decision(customer, NpsOutcome.ASKED, last, slot))
    return decisions


@dataclass(frozen=True)
class RoundPlan:
    team: Team
    starts_on: date
    decisions: list[Decision]

    @property
    def asked(self) -> list[Decision]:
        return [d for d in self.decisions if d.outcome is NpsOutcome.ASKED]

    @property
    def skipped(self) -> list[Decision]:
        return [d for d in self.decisions if d.outcome is not NpsOutcome.ASKED]


async def plan_round(ctx: WorkspaceContext, team: Team, starts_on: date) -> RoundPlan:
    """Who the round starting on `starts_on` would ask, and when; reads only."""
    now = ctx.now()
    since = now - timedelta(days=team.nps_active_days)
    customers = await store.active_customers(ctx.db, team.name, since)
    # Only a recent survey skips anyone; older ones only seed the slot, so the window
    # is the longer of the two and the query stays on recent rows.
    window = max(team.throttle_days, team.nps_active_days)
    asked = await store.last_asked(ctx.db, now - timedelta(days=window))
    earlier = [r for r in await store.rounds_of(ctx.db, team.name) if r.starts_on < str(starts_on)]
    answered = await store.answered_in(ctx.db, earlier[-1].id) if earlier else set()
    decisions = decide(
        customers,
        asked,
        answered,
        starts_on=starts_on,
        spread_days=team.nps_spread_days,
        throttle_days=team.throttle_days,
        now=now,
    )
    return RoundPlan(team, starts_on, decisions)


def _invites(team: Team, decisions: Sequence[Decision], now: datetime) -> list[NewInvite]:
    """The round's rows: an invitation for each person asked (by DM at their slot, never
    in their quiet hours, expiring after the team's `expire_days`, like bot.delivery.
    sends.invite), and the skipped with their reason."""
    tokens = iter(new_tokens(sum(1 for d in decisions if d.slot is not None)))
    rows = []
    for d in decisions:
        customer = d.customer
        if d.slot is None:
            rows.append(
                NewInvite(
                    customer.key,
                    customer.customer_id,
                    customer.customer_email,
                    d.outcome,
                    customer.value,
                )
            )
            continue
        due = max(earliest_due(d.slot), now)
        rows.append(
            NewInvite(
                customer.key,
                customer.customer_id,
                customer.customer_email,
                d.outcome,
                customer.value,
                slot=d.slot.strftime(SLOT_FORMAT),
                token=next(tokens),
                send_after=due,
                expires_at=timing.expires_at(due, team.expire_days),
                locale=customer.locale,
            )
        )
    return rows


async def start_round(ctx: WorkspaceContext, team: Team) -> int | None:
    """Plan and store the team's round due now; its id, or None when none is due or it
    was planned already (by this process or another sharing the database)."""
    if not team.nps_schedule:
        return None
    now = ctx.now()
    starts_on = due_round(RoundSchedule.parse(team.nps_schedule), team.nps_spread_days, now)
    if starts_on is None:
        return None
    if any(r.starts_on == str(starts_on) for r in await store.rounds_of(ctx.db, team.name)):
        return None  # the usual case between the start and the end of a spread
    plan = await plan_round(ctx, team, starts_on)
    round_id = await store.save_round(
        ctx.db,
        NewRound(team.name, SurveyKind.NPS.value, str(starts_on), team.nps_spread_days, now),
        _invites(team, plan.decisions, now),
    )
    if round_id is None:
        return None
    skipped: dict[str, int] = {}
    for d in plan.skipped:
        skipped[d.outcome.value] = skipped.get(d.outcome.value, 0) + 1
    log.info(
        "nps round planned team=%s starts_on=%s asked=%d %s",
        team.name,
        starts_on,
        len(plan.asked),
        " ".join(f"skipped_{k}={n}" for k, n in sorted(skipped.items())) or "skipped=0",
    )
    ctx.changes.survey_scheduled()
    return round_id
