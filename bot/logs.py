"""One line per event, key=value, never tokens or customers' words."""

from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    level = os.environ.get("SURVEYBOT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
    )
    # Bolt and the SDK log request bodies at DEBUG; keep them at WARNING unless asked.
    for noisy in ("slack_bolt", "slack_sdk", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
