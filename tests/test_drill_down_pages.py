"""Tampered drill-down page numbers, signed as Slack signs them: refused quietly."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from sandbox import payloads
from tests.harness import Bot
from tests.test_home import CUSTOMERS, LEAD, answer, click_in, home_bot, open_home

__all__ = ["home_bot"]  # the fixture, shared with the Home tests

TAMPERED = ["1e999", "10^23", "²", "-1", "10000000", " 1", ""]


def page_click(modal: dict[str, Any], *, value: str, metadata_page: object = 0) -> dict[str, Any]:
    """A Next click on the drill-down, its value or the modal's metadata edited."""
    click = payloads.view_block_actions(modal, user=LEAD, action_id="drill_reason")
    metadata = json.loads(modal["private_metadata"])
    # Written by hand: json.dumps refuses 1e999 and would quote what Slack echoes raw.
    raw_page = metadata_page if isinstance(metadata_page, str) else json.dumps(metadata_page)
    metadata_text = json.dumps({**metadata, "page": 0}).replace('"page": 0', f'"page": {raw_page}')
    click["view"] = {**modal, "private_metadata": metadata_text}
    click["actions"] = [
        {
            "action_id": "drill_page_next",
            "block_id": "drill_pages",
            "type": "button",
            "text": {"type": "plain_text", "text": "Next"},
            "value": value,
            "action_ts": payloads.fresh_action_ts(),
        }
    ]
    return click


async def test_tampered_page_numbers_are_refused_quietly(
    home_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await answer(home_bot, CUSTOMERS[0], 1)
    home = await open_home(home_bot, LEAD)
    opened = len(home_bot.slack.called("views.open"))
    await click_in(home_bot, home, LEAD, "home_drill_all")
    await home_bot.slack.wait_for("views.open", opened + 1)
    modal = home_bot.slack.views[-1]
    assert modal["callback_id"] == "home_drill_down"
    for value in TAMPERED:
        assert (await home_bot.send_interaction(page_click(modal, value=value))).status == 200
    for page in ["1e999", "1e2", "100000000000000000000000", '"²"', "-3", "true"]:
        reply = await home_bot.send_interaction(page_click(modal, value="1", metadata_page=page))
        assert reply.status == 200
    await asyncio.sleep(0.5)
    assert home_bot.slack.called("views.update") == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    # The real Next still works.
    assert (await home_bot.send_interaction(page_click(modal, value="1"))).status == 200
    await home_bot.slack.wait_for("views.update")
