"""Block Kit rendering: pure functions from plain values to Slack's dicts."""
