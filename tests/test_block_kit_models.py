"""Every message and modal the bot renders, in every language, also passes Slack's own
Block Kit models (slack_sdk.models): a second, published check beside the fake Slack's
limit checks (sandbox/blockkit.py), so a mistake in one is caught by the other."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.i18n import LANGUAGES
from tests.test_i18n import messages_in, team_messages_in

# Blocks newer than slack_sdk's models (Slack's native chart, June 2026): the fake
# Slack's own checks cover them.
NOT_MODELLED = frozenset({"data_visualization"})


def model_problems(blocks: list[dict[str, Any]]) -> list[str]:
    problems = []
    for raw in blocks:
        if raw.get("type") in NOT_MODELLED:
            continue
        block = Block.parse(raw)
        if block is None:
            problems.append(f"{raw.get('type')}: not a block slack_sdk knows")
            continue
        try:
            block.validate_json()
        except SlackObjectFormationError as exc:
            problems.append(f"{raw.get('type')}: {exc}")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rendered_surface_passes_slacks_own_block_kit_models(language: str) -> None:
    problems: list[str] = []
    for what, message in [*messages_in(language), *team_messages_in(language)]:
        blocks = message["blocks"]
        if message.get("type") == "modal":
            modelled = [b for b in blocks if b.get("type") not in NOT_MODELLED]
            try:
                View(**{**message, "blocks": modelled}).validate_json()
            except SlackObjectFormationError as exc:
                problems.append(f"{what}: view: {exc}")
        problems += [f"{what}: {problem}" for problem in model_problems(blocks)]
    assert not problems, "\n".join(problems)


def test_the_models_catch_what_slack_would_refuse() -> None:
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert model_problems([too_long]) == ["section: text attribute cannot exceed 3000 characters"]
