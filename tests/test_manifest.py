"""manifest.yml declares exactly what the code listens to, within Slack's limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH
from handlers.events import EVENT_LISTENERS
from handlers.shortcuts import SHORTCUT_LISTENERS

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_every_declared_event_has_a_listener_and_every_listener_is_declared() -> None:
    declared = manifest()["settings"]["event_subscriptions"]["bot_events"]
    # message.channels and message.groups both arrive as the "message" event type.
    declared_types = {name.split(".")[0] for name in declared}
    assert declared_types == set(EVENT_LISTENERS)


def test_the_oauth_flow_asks_for_the_manifests_bot_scopes_and_comes_back_to_the_bot() -> None:
    oauth = manifest()["oauth_config"]
    assert tuple(oauth["scopes"]["bot"]) == BOT_SCOPES
    assert "user" not in oauth["scopes"]
    assert [
        url.removeprefix("https://surveybot.example.com") for url in oauth["redirect_urls"]
    ] == [REDIRECT_PATH]
    assert manifest()["settings"]["token_rotation_enabled"] is False  # README: why


def test_the_message_shortcut_is_declared_with_the_callback_id_the_code_uses() -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    assert {s["callback_id"] for s in shortcuts} == set(SHORTCUT_LISTENERS)
    assert all(s["type"] == "message" for s in shortcuts)
    assert all(len(s["name"]) <= 24 and len(s["description"]) <= 150 for s in shortcuts)


def test_interactivity_is_on_for_buttons_modals_and_shortcuts() -> None:
    assert manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_the_bot_asks_for_the_minimal_scopes_it_uses() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",  # the message shortcut "Close & send survey"
        "chat:write",  # surveys, alerts, digests, ephemeral notices
        "chat:write.public",  # digests in public channels the bot has not joined
        "im:write",  # conversations.open for DM surveys and kudos
        "users:read",  # users.info: the customer's time zone and locale
        "users:read.email",  # helpdesk customers given by email
        "reactions:read",  # the close reaction
        "channels:read",  # conversations.info at start: is every configured channel usable?
        "groups:read",  # the same for private channels
        "channels:history",  # the root message of a support thread, replies
        "groups:history",  # the same in private support channels
        "im:history",  # after a crash: was the DM survey already posted? (message metadata)
        "files:write",  # the digest's trend chart
        "team:read",  # team.info: the name of a Slack Connect customer's company (accounts)
    }


def test_name_and_description_fit_slacks_limits() -> None:
    info = manifest()["display_information"]
    assert len(info["name"]) <= 35
    assert len(info["description"]) <= 140


def test_the_header_comment_agrees_with_the_socket_mode_setting() -> None:
    header = MANIFEST.read_text(encoding="utf-8").split("display_information:")[0]
    socket_mode = manifest()["settings"]["socket_mode_enabled"]
    assert socket_mode is False  # HTTP mode is what the file describes as written
    assert "HTTP mode (as written)" in header
    assert "set socket_mode_enabled: true" in header
