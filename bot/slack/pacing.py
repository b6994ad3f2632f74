"""Calls to Slack paced to its rate tiers, per workspace and per method.

The pace is pyrate-limiter's GCRA with its state in the database (storage/pacing.py),
so processes sharing one database share one pace instead of multiplying it. A caller
books the next free slot and sleeps until then: waiters queue in order without
polling the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from pyrate_limiter import Rate
from pyrate_limiter.abstracts.algorithm import GCRA, Decision, State

from storage.pacing import PaceStores

MINUTE_MS = 60_000
# Slots are spaced a little wider than the tier, so calls that reach Slack a few
# milliseconds late still fit its window.
SAFETY = 1.03


@dataclass(frozen=True)
class Tier:
    """Slack's limit for a method: `per_minute` calls, of which `burst` may go at once."""

    per_minute: int
    burst: int = 1


# Per workspace and method (SLACK.md; Slack's rate-limit reference). Methods not
# listed (auth.test, chat.getPermalink, apps.connections.open, oauth.*) are not paced.
# Methods used in bulk (a burst of surveys) take a small burst and keep the most of
# the sustained rate; methods a person waits on (a click's thank-you, a modal) take a
# larger burst, since they rarely run at the limit for long.
BULK_3 = Tier(50, 2)
BULK_4 = Tier(100, 2)
INTERACTIVE_3 = Tier(50, 10)
INTERACTIVE_4 = Tier(100, 10)
SLACK_TIERS: dict[str, Tier] = {
    "users.info": BULK_4,
    "users.lookupByEmail": BULK_3,
    "conversations.open": BULK_3,
    # The channel check at start: a team's few channels at once, a long list at the tier.
    "conversations.info": INTERACTIVE_3,
    "conversations.history": BULK_3,
    "conversations.replies": BULK_3,
    # "Several hundred a minute" per workspace: the low end.
    "chat.postMessage": Tier(300, 10),
    "chat.update": INTERACTIVE_3,
    "chat.postEphemeral": INTERACTIVE_4,
    "views.open": INTERACTIVE_4,
    "views.push": INTERACTIVE_4,
    "views.update": INTERACTIVE_4,
    "views.publish": INTERACTIVE_4,
    "files.getUploadURLExternal": BULK_4,
    "files.completeUploadExternal": BULK_4,
    "reactions.get": BULK_3,
    "team.info": BULK_3,
}
# A person's clicks on Home's buttons, each opening a modal (views.open, whose pace
# customers' follow-up forms share): a few at once, then one every few seconds.
HOME_CLICKS = Tier(12, 3)
LOCAL_KEYS = 10_000
# ~1 message a second into one channel (a DM or a thread's channel).
PER_CHANNEL: dict[str, Tier] = {"chat.postMessage": Tier(60, 1)}
HISTORY_METHODS = ("conversations.history", "conversations.replies")


def tier_rate(tier: Tier, compression: float = 1.0) -> Rate:
    """The GCRA rate that keeps any window of a minute within the tier.

    GCRA lets `burst` go at once and then one per interval, so at most
    burst + window/interval calls fall in a window: the interval is a minute over
    (per_minute - burst + 1), widened by SAFETY. `compression` shrinks the minute
    (benchmarks and tests run Slack's minute in a few seconds).
    """
    sustained = max(1, tier.per_minute - tier.burst + 1)
    window = max(1, round(MINUTE_MS * SAFETY / compression))
    return Rate(sustained, window, burst=min(tier.burst, sustained))


class ReservingGCRA(GCRA):
    """GCRA that books the next free slot instead of refusing.

    The answer is "admitted", with `retry_after_ms` saying how long to wait for the
    booked slot: one database round trip per call, first come first served. With
    `max_wait_ms`, a slot further away than that is not booked: the answer is a
    refusal and the state stays as it was.
    """

    def __init__(self, max_wait_ms: int | None = None) -> None:
        self.max_wait_ms = max_wait_ms

    def step(
        self, rates: list[Rate], state: State, now: int, weight: int
    ) -> tuple[State, Decision]:
        new_state, decision = super().step(rates, state, now, weight)
        if decision.allowed or decision.retry_after_ms is None:
            return new_state, decision
        if self.max_wait_ms is not None and decision.retry_after_ms > self.max_wait_ms:
            return state, decision
        booked, _ = super().step(rates, state, now + decision.retry_after_ms, weight)
        return booked, Decision(retry_after_ms=decision.retry_after_ms)


class NoSlotInTime(Exception):
    """No slot under the pace within the time the caller had: nothing was booked."""

    def __init__(self, method: str, within: float) -> None:
        super().__init__(f"no slot for {method} within {within:.2f}s")
        self.method = method


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def workspace_key(token: str | None) -> str:
    """A workspace's key: its bot token, hashed (never stored or logged as such)."""
    return _hashed(token or "")


class Pacer:
    def __init__(
        self,
        stores: PaceStores,
        *,
        compression: float = 1.0,
        history_per_minute: int = BULK_3.per_minute,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stores = stores
        self._algorithm = ReservingGCRA()
        self._clock = clock
        self._compression = compression
        # Home clicks counted in this process, by person (most recent last; bounded).
        self._local_clicks: OrderedDict[str, int] = OrderedDict()
        tiers = dict(SLACK_TIERS)
        for method in HISTORY_METHODS:
            tiers[method] = Tier(history_per_minute, min(BULK_3.burst, history_per_minute))
        self._rates = {method: tier_rate(tier, compression) for method, tier in tiers.items()}
        self._channel_rates = {m: tier_rate(t, compression) for m, t in PER_CHANNEL.items()}

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _keys(self, workspace: str, method: str, channel: str | None) -> list[tuple[str, Rate]]:
        keys = []
        rate = self._rates.get(method)
        if rate is not None:
            keys.append((f"{workspace}:{method}", rate))
        channel_rate = self._channel_rates.get(method)
        if channel_rate is not None and channel:
            # Hashed: a DM's channel is the customer's user id, and `forget` finds no
            # person in the pace table.
            keys.append((f"{workspace}:{method}:{_hashed(channel)}", channel_rate))
        return keys

    def paces(self, method: str) -> bool:
        return method in self._rates

    async def wait_turn(
        self,
        workspace: str,
        method: str,
        channel: str | None = None,
        *,
        within: float | None = None,
    ) -> float:
        """Book this call's slot under every limit that applies; sleep until it. Seconds waited.

        `within`: the call is worth making only that many seconds from now (a trigger_id
        dies 3 s after the click); a later slot is not booked and NoSlotInTime is raised.
        """
        waited = 0.0
        for key, rate in self._keys(workspace, method, channel):
            max_wait_ms = None
            if within is not None:
                left = within - waited
                if left < 0:
                    raise NoSlotInTime(method, within)
                max_wait_ms = int(left * 1000)
            # Booked after the previous limit's wait, so the later slot is the real one.
            wait_ms = await self._stores.store(key).reserve(rate, self._now_ms(), max_wait_ms)
            if wait_ms is None:
                raise NoSlotInTime(method, within or 0.0)
            wait = wait_ms / 1000
            if wait > 0:
                await asyncio.sleep(wait)
                waited += wait
        return waited

    async def admit(self, key: str, tier: Tier) -> bool:
        """Whether one more action under `key` fits `tier` now; counted when it does.

        For limits of our own (a person's clicks on Home), shared by every process.
        """
        rate = tier_rate(tier, self._compression)
        wait_ms = await self._stores.store(key).reserve(rate, self._now_ms(), max_wait_ms=0)
        return wait_ms == 0

    async def person_may_click(self, workspace: str, user_id: str) -> bool:
        """Whether this person's Home click fits HOME_CLICKS (a lead clicking *Send me a
        test survey* a hundred times must not hold up customers' forms).

        This process's own count answers first, without a write, so a flood of clicks
        costs the database (and the customers' turns to write) only the few it lets by.
        """
        key = f"{workspace}:home_clicks:{_hashed(user_id)}"
        rate = tier_rate(HOME_CLICKS, self._compression)
        stored = self._local_clicks.pop(key, None)
        state: State = (stored,) if stored is not None else self._algorithm.initial([rate])
        local, decision = ReservingGCRA(max_wait_ms=0).step([rate], state, self._now_ms(), 1)
        self._local_clicks[key] = int(local[0])
        while len(self._local_clicks) > LOCAL_KEYS:
            self._local_clicks.popitem(last=False)
        if not decision.allowed or decision.retry_after_ms:
            return False
        return await self.admit(key, HOME_CLICKS)

    async def hold(self, workspace: str, method: str, seconds: float) -> None:
        """Slack answered 429: nobody sharing this pace calls `method` for `seconds`."""
        rate = self._rates.get(method)
        if rate is None:
            return
        # A TAT of now + wait + (burst - 1) emissions makes the next slot exactly now + wait.
        emission_us = max(1, -(-rate.interval * 1000 // rate.limit))
        tat_us = int((self._clock() + seconds) * 1_000_000) + (rate.burst - 1) * emission_us
        await self._stores.store(f"{workspace}:{method}").hold_until(tat_us)
