"""Test doubles for Slack: a fake Web API server and Block Kit limit checks."""

from sandbox.blockkit import validate_blocks, validate_view
from sandbox.fake_slack import Call, FakeSlack, SlackError

__all__ = ["Call", "FakeSlack", "SlackError", "validate_blocks", "validate_view"]
