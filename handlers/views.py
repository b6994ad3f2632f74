"""Modal submissions (view_submission, view_closed)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """The follow-up form arrives with the answers issue."""
