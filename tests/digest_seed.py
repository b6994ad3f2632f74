"""The hand-computed week the digest tests read, seeded with sandbox.history's rows.

The week every test reads: team "support" in Europe/Berlin (UTC+1 in November),
ISO week 2026-W47 = Monday 16 Nov 00:00 local (15 Nov 23:00 UTC) to Monday 23 Nov.
The digest fires Monday 23 Nov 09:00 local = 08:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.teams import Team
from sandbox import FakeSlack
from sandbox.history import Answer, add_alert, add_answer, add_unanswered
from storage.db import Database

__all__ = ["Answer", "add_alert", "add_answer", "add_unanswered", "seed_week"]

TEAM = Team(
    name="support",
    digest_channel="C0DIGEST",
    timezone="Europe/Berlin",
    digest_schedule="mon 09:00",
    chart="image",  # the PNG upload; test_chart_is_native_by_default covers the block
)
WEEK = "2026-W47"
WEEK_START = datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
FIRES_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DIGEST = "C0DIGEST"
AGENTS = ("UAGENTA", "UAGENTB")
HOSTILE = "<!channel> <https://evil.example|bank> nobody answered"
PRAISE = "Ana fixed our SSO in ten minutes, thank you!"

# The seeded week, by hand (CSAT 4–5 = satisfied, 1–2 = low, 5 = high):
#   W47: 10 answers 5,5,5,4,4,4,3,2,1,1 -> 6 satisfied -> CSAT 60 %, 3 low (2,1,1)
#   W46:  8 answers 5,4,4,3,3,2,1,1     -> 3 satisfied -> 37.5 %   => up 22.5 pts
#   Delivered in W47: the 10 answered + 15 unanswered = 25 -> response rate 10/25 = 40 %
#   Reasons in W47 (overall 60 %, 10 answers; the score without the answers citing them):
#     not_resolved  scores 2,1 -> 6 of the other 8 satisfied = 75 % (ties slow_response)
#     slow_response scores 2,1 -> 75 %
#     unclear_answer score 3   -> 6 of 9 = 66.7 %
#   Customer value: C1..C7 at 100, C8 at 200, C9 at 300 (C9 answered twice, counted once)
#     total 1200; unhappy (score 1–2): C8, C9 -> 500 -> at risk 500 × 0.95 = 475
#     per lost point: 1200 / 100 × 0.95 = 11.4
#   Agents: UAGENTA 5,5,4,4,2,1 -> 6 answers, 4 satisfied (66.7 %, Wilson 30–90 %)
#           UAGENTB 5,4,3,1     -> 4 answers: below the minimum sample of 5, no figure
THIS_WEEK: list[tuple[Answer, datetime]] = [
    # Monday 00:30 in Berlin is still Sunday in UTC: it belongs to W47.
    (
        Answer(5, "UAGENTA", "C1", 100, comment=PRAISE),
        datetime(2026, 11, 15, 23, 30, tzinfo=UTC),
    ),
    (Answer(5, "UAGENTB", "C2", 100, comment="Great help."), WEEK_START + timedelta(days=1)),
    (Answer(5, "UAGENTA", "C3", 100), WEEK_START + timedelta(days=1, hours=1)),
    (Answer(4, "UAGENTB", "C4", 100, comment="ok"), WEEK_START + timedelta(days=1, hours=2)),
    (Answer(4, "UAGENTA", "C5", 100), WEEK_START + timedelta(days=2)),
    (Answer(4, "UAGENTA", "C6", 100), WEEK_START + timedelta(days=2, hours=1)),
    (Answer(3, "UAGENTB", "C7", 100, "unclear_answer"), WEEK_START + timedelta(days=3)),
    (
        Answer(2, "UAGENTA", "C8", 200, "slow_response,not_resolved", "Took two days to answer."),
        WEEK_START + timedelta(days=3, hours=1),
    ),
    (Answer(1, "UAGENTA", "C9", 300, "slow_response", HOSTILE), WEEK_START + timedelta(days=4)),
    (
        Answer(1, "UAGENTB", "C9", 300, "not_resolved", "Still broken."),
        WEEK_START + timedelta(days=5),
    ),
]
LAST_WEEK_SCORES = [
    (5, None),
    (4, None),
    (4, None),
    (3, "slow_response"),
    (3, None),
    (2, "slow_response"),
    (1, "slow_response"),
    (1, "slow_response,other"),
]


async def seed_week(db: Database) -> None:
    """The week above, the week before, one answer just after, deliveries and alerts."""
    ids = [await add_answer(db, answer, at) for answer, at in THIS_WEEK]
    for i, (score, reasons) in enumerate(LAST_WEEK_SCORES):
        at = WEEK_START - timedelta(days=6, hours=-i)
        await add_answer(db, Answer(score, "UAGENTA", f"P{i}", reasons=reasons), at)
    # Monday 23 Nov 00:30 in Berlin: already W48, not in the digest.
    await add_answer(db, Answer(1, "UAGENTB"), datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    await add_unanswered(db, WEEK_START + timedelta(days=2), 15)
    # Still waiting when the digest fires: one open for 2 days, one claimed for 5 hours.
    await add_alert(db, ids[8], "open", FIRES_AT - timedelta(days=2))
    await add_alert(db, ids[9], "claimed", FIRES_AT - timedelta(hours=5))
    await add_alert(
        db,
        ids[7],
        "resolved",
        WEEK_START + timedelta(days=3),
        resolved_at=WEEK_START + timedelta(days=3, hours=2),
    )


def seed_digest_slack(slack: FakeSlack) -> None:
    """The digest channel and the agents the digest names."""
    slack.add_channel(DIGEST)
    for agent in AGENTS:
        slack.add_user(agent, name=agent.lower())
