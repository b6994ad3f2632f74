"""Prometheus metrics: one registry per process's services (tests run many side by side)."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage import outbox, surveys
from storage.db import Database
from storage.vocabulary import SurveyStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Slack must see an ack within 3 s; the buckets resolve well below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)
DIGEST_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.surveys = Gauge("surveybot_surveys", "Surveys by status.", ["status"], registry=r)
        self.outbox_depth = Gauge(
            "surveybot_outbox_depth",
            "Surveys due now and not yet delivered (scheduled or being sent).",
            registry=r,
        )
        self.outbox_oldest_due = Gauge(
            "surveybot_outbox_oldest_due_seconds",
            "How long the longest-waiting due survey has been due (0 when none).",
            registry=r,
        )
        self.slack_calls = Counter(
            "surveybot_slack_api_calls",
            "Slack Web API calls by method and outcome (ok, Slack's error code, 429, 5xx, "
            "connection_error, timeout).",
            ["method", "outcome"],
            registry=r,
        )
        self.pacer_wait = Histogram(
            "surveybot_slack_pacer_wait_seconds",
            "Time a Slack call waited for its slot under the rate tiers.",
            ["method"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.ack_latency = Histogram(
            "surveybot_ack_seconds",
            "From a Slack request's arrival to its acknowledgement.",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.dispatch_lag = Histogram(
            "surveybot_dispatch_lag_seconds",
            "From a survey's due moment to its delivery.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.reminders_dropped = Counter(
            "surveybot_reminders_dropped",
            "Reminders due and not sent, by why: the survey answered, expired or cancelled, "
            "or the customer wrote again in the conversation (wrote_again).",
            ["reason"],
            registry=r,
        )
        self.digest_duration = Histogram(
            "surveybot_digest_duration_seconds",
            "How long one team's weekly digest run took.",
            buckets=DIGEST_BUCKETS,
            registry=r,
        )

    async def render(self, db: Database, now: datetime) -> bytes:
        """The exposition, with the outbox read from the database at this scrape."""
        counts = await surveys.count_by_status(db)
        # Every status is shown, at 0 too, so a dashboard's series never vanishes.
        for status in sorted({str(s) for s in SurveyStatus} | set(counts)):
            self.surveys.labels(status=status).set(counts.get(status, 0))
        waiting = await outbox.outbox(db, now)
        self.outbox_depth.set(waiting.depth)
        oldest = waiting.oldest_due
        self.outbox_oldest_due.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        return generate_latest(self.registry)
