"""The one polling loop the tests share."""

from __future__ import annotations

import pytest

from tests.waiting import wait_until


async def test_waits_for_a_sync_or_an_async_condition() -> None:
    checks: list[int] = []

    def third_time() -> bool:
        checks.append(1)
        return len(checks) >= 3

    async def later() -> bool:
        return len(checks) >= 3

    await wait_until(third_time, interval=0)
    await wait_until(later)
    assert len(checks) == 3


async def test_says_what_it_waited_for_when_it_never_came() -> None:
    with pytest.raises(AssertionError, match=r"waited 0\.05 s for the alert posted"):
        await wait_until(lambda: False, timeout=0.05, what="the alert posted")

    async def survey_delivered() -> bool:
        return False

    with pytest.raises(AssertionError, match="for survey_delivered"):
        await wait_until(survey_delivered, timeout=0.05)
