"""Follow-up forms offered in the last seconds: one form per double click."""

from __future__ import annotations

import time
from collections import OrderedDict


class RecentForms:
    """Follow-up forms offered in the last few seconds, by survey and score: a double
    click, or Slack's retry, racing the first click opens one form, not two. Bounded
    and expiring; per process (the database learns of the click only after the form)."""

    def __init__(self, seconds: float = 5.0, limit: int = 10_000) -> None:
        self.seconds = seconds
        self.limit = limit
        self._offered: OrderedDict[tuple[str, int], float] = OrderedDict()

    def claim(self, token: str, score: int) -> bool:
        """True the first time in `seconds` this survey's form is wanted for `score`."""
        now = time.monotonic()
        while self._offered and (
            len(self._offered) >= self.limit or next(iter(self._offered.values())) < now
        ):
            self._offered.popitem(last=False)
        if (token, score) in self._offered:
            return False
        self._offered[(token, score)] = now + self.seconds
        return True
