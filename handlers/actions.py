"""Button clicks (block_actions)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Survey answers and alert buttons arrive with the answers issue."""
