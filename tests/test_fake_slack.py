"""The fake Slack server, exercised through slack_sdk's real AsyncWebClient."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    FixedValueRetryIntervalCalculator,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox import FakeSlack, validate_blocks, validate_view
from sandbox.blockkit import MSG_BLOCKS_TOO_LONG
from sandbox.fake_slack.views import trigger_issued_at
from sandbox.payloads import fresh_trigger

# slack_sdk warns (rightly) when blocks go out without `text`; some tests do that on purpose.
no_text_warning = pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user(
            "U1",
            name="ada",
            email="Ada@Example.com",
            tz="Europe/Berlin",
            tz_offset=3600,
            locale="de-DE",
        )
        fake.add_channel("C1", "support")
        yield fake


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, value: str = "v", action_id: str = "a") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "value": value,
        "action_id": action_id,
    }


# ------------------------------------------------------------------ server & auth


async def test_api_url_has_ephemeral_port_and_trailing_slash(slack: FakeSlack) -> None:
    assert slack.api_url.startswith("http://127.0.0.1:")
    assert slack.api_url.endswith("/api/")
    assert not slack.api_url.endswith(":0/api/")


async def test_api_url_before_start_raises() -> None:
    with pytest.raises(RuntimeError):
        _ = FakeSlack().api_url


async def test_auth_test_shape(client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == "UBOT"
    assert response["team_id"] == "T0001"
    assert response["bot_id"].startswith("B")
    assert response["is_enterprise_install"] is False
    assert response["url"].startswith("https://")


async def test_missing_token_is_not_authed(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(base_url=slack.api_url).auth_test()
    assert raised.value.response["error"] == "not_authed"


async def test_unknown_token_is_invalid_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token="nope", base_url=slack.api_url).auth_test()
    assert raised.value.response["error"] == "invalid_auth"


async def test_revoked_token(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.revoked_tokens.add("xoxb-test")
    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()
    assert raised.value.response["error"] == "token_revoked"


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("reactions.dance")
    assert raised.value.response["error"] == "unknown_method"


async def test_apps_connections_open_needs_app_token(slack: FakeSlack) -> None:
    app_client = AsyncWebClient(token="xapp-1-test", base_url=slack.api_url)
    response = await app_client.apps_connections_open(app_token="xapp-1-test")
    assert response["url"].startswith("ws://127.0.0.1:")
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token="xoxb-test", base_url=slack.api_url).api_call(
            "apps.connections.open"
        )
    assert raised.value.response["error"] == "not_allowed_token_type"


async def test_context_manager_stops_server() -> None:
    async with FakeSlack() as fake:
        url = fake.api_url
        await AsyncWebClient(token="xoxb-test", base_url=url).auth_test()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(url + "auth.test")


# ----------------------------------------------------------------------- recording


async def test_calls_record_method_args_verb_and_headers(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C1", text="hi")
    await client.users_info(user="U1")
    assert [c.method for c in slack.calls] == ["chat.postMessage", "users.info"]
    post, info = slack.calls
    assert post.http_method == "POST"
    assert post.args == {"channel": "C1", "text": "hi"}
    assert post.headers["Authorization"] == "Bearer xoxb-test"
    assert info.http_method == "GET"
    assert info.args == {"user": "U1"}
    assert slack.called("users.info") == [info]


async def test_wait_for_returns_calls(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="one")
    await client.chat_postMessage(channel="C1", text="two")
    calls = await slack.wait_for("chat.postMessage", count=2, timeout=1)
    assert [c.args["text"] for c in calls] == ["one", "two"]


async def test_wait_for_times_out_naming_what_was_seen(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        await slack.wait_for("chat.postMessage", timeout=0.05)


async def test_reset_keeps_users_and_channels(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_message("C1", "1700000000.000100", "U1", "seeded")
    await client.chat_postMessage(channel="C1", text="bot")
    slack.fail_next("auth.test")
    slack.reset()
    assert slack.calls == []
    assert slack.messages == {}
    await client.auth_test()  # the failure was forgotten too
    assert (await client.users_info(user="U1"))["user"]["name"] == "ada"
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["seeded"]


# ---------------------------------------------------------------------------- chat


async def test_post_message_shape_and_record(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [section("*How did we do?*")]
    response = await client.chat_postMessage(channel="C1", text="How did we do?", blocks=blocks)
    assert response["channel"] == "C1"
    ts = response["ts"]
    seconds, fraction = ts.split(".")
    assert seconds.isdigit() and len(fraction) == 6
    assert response["message"]["text"] == "How did we do?"
    assert response["message"]["blocks"] == blocks
    assert response["message"]["user"] == "UBOT"
    assert slack.messages["C1"] == [slack.message("C1", ts)]
    assert slack.message("C1", ts)["blocks"] == blocks
    assert slack.missing_text_fallback == []


async def test_post_message_ts_is_unique_and_increasing(client: AsyncWebClient) -> None:
    stamps = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 5


async def test_post_message_form_encoded_blocks_are_decoded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [section("hello")]
    await client.api_call(
        "chat.postMessage",
        data={"channel": "C1", "text": "hello", "blocks": json.dumps(blocks)},
    )
    assert slack.calls[-1].args["blocks"] == blocks
    assert slack.messages["C1"][0]["blocks"] == blocks


async def test_post_message_in_thread(slack: FakeSlack, client: AsyncWebClient) -> None:
    root = await client.chat_postMessage(channel="C1", text="root")
    reply = await client.chat_postMessage(channel="C1", text="reply", thread_ts=root["ts"])
    assert slack.message("C1", reply["ts"])["thread_ts"] == root["ts"]


@no_text_warning
async def test_post_message_needs_text_or_blocks(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1")
    assert raised.value.response["error"] == "no_text"


async def test_post_message_text_limit(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert raised.value.response["error"] == "msg_too_long"


@no_text_warning
async def test_blocks_without_text_fallback_warn_but_succeed(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.chat_postMessage(channel="C1", blocks=[section("no fallback")])
    assert response["ok"] is True
    assert slack.missing_text_fallback == [slack.calls[-1]]


async def test_post_to_user_id_lands_in_their_dm(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U1")
    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    again = await client.conversations_open(users="U1")
    assert again["channel"]["id"] == dm
    assert again["already_open"] is True
    other = await client.conversations_open(users="U2")
    assert other["channel"]["id"] != dm

    posted = await client.chat_postMessage(channel="U1", text="survey")
    assert posted["channel"] == dm
    assert slack.messages[dm][0]["text"] == "survey"


async def test_update_replaces_text_and_blocks(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="old", blocks=[section("old")])
    before = slack.message("C1", posted["ts"])
    response = await client.chat_update(
        channel="C1", ts=posted["ts"], text="new", blocks=[section("new")]
    )
    assert response["ts"] == posted["ts"]
    assert response["channel"] == "C1"
    assert response["message"]["text"] == "new"
    current = slack.message("C1", posted["ts"])
    assert current["text"] == "new"
    assert current["blocks"] == [section("new")]
    assert before["text"] == "old"  # earlier snapshots are not mutated
    assert len(slack.messages["C1"]) == 1


@no_text_warning
async def test_update_with_empty_blocks_removes_them(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="keep", blocks=[section("x")])
    await client.chat_update(channel="C1", ts=posted["ts"], blocks=[])
    current = slack.message("C1", posted["ts"])
    assert "blocks" not in current
    assert current["text"] == "keep"


async def test_update_unknown_message(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_message("C1", "1700000000.000100", "U1", "not the bot's")
    for ts in ("1700000000.000100", "1.000000"):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_update(channel="C1", ts=ts, text="edit")
        assert raised.value.response["error"] == "message_not_found"


async def test_message_helper_names_what_exists(slack: FakeSlack) -> None:
    with pytest.raises(AssertionError, match="no message"):
        slack.message("C1", "1.000000")


async def test_post_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.chat_postEphemeral(
        channel="C1", user="U1", text="only you", blocks=[section("only you")]
    )
    assert response["message_ts"]
    assert slack.ephemerals == [
        {
            "channel": "C1",
            "user": "U1",
            "text": "only you",
            "blocks": [section("only you")],
            "message_ts": response["message_ts"],
        }
    ]
    assert "C1" not in slack.messages
    # Ephemeral messages cannot be edited.
    with pytest.raises(SlackApiError):
        await client.chat_update(channel="C1", ts=response["message_ts"], text="x")


async def test_get_permalink(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    assert response["permalink"] == "https://fake.slack.com/archives/C1/p1700000000000100"
    slack.add_message("C1", "1700000000.000200", "U1", "reply", thread_ts="1700000000.000100")
    reply = await client.chat_getPermalink(channel="C1", message_ts="1700000000.000200")
    assert reply["permalink"].endswith("?thread_ts=1700000000.000100&cid=C1")


# --------------------------------------------------------------------------- users


async def test_users_info_without_locale(client: AsyncWebClient) -> None:
    user = (await client.users_info(user="U1"))["user"]
    assert user["id"] == "U1"
    assert user["name"] == "ada"
    assert user["real_name"] == "ada"
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] == 3600
    assert user["tz_label"]
    assert user["is_bot"] is False
    assert user["profile"]["email"] == "Ada@Example.com"
    assert user["profile"]["display_name"] == "ada"
    assert "locale" not in user


async def test_users_info_with_locale(client: AsyncWebClient) -> None:
    user = (await client.users_info(user="U1", include_locale=True))["user"]
    assert user["locale"] == "de-DE"


async def test_users_info_tz_offset_defaults_from_zone(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("U9", tz="Asia/Kolkata")
    user = (await client.users_info(user="U9"))["user"]
    assert user["tz_offset"] == 19800
    assert "email" not in user["profile"]


async def test_users_info_bot_and_unknown(client: AsyncWebClient) -> None:
    assert (await client.users_info(user="UBOT"))["user"]["is_bot"] is True
    with pytest.raises(SlackApiError) as raised:
        await client.users_info(user="UNOPE")
    assert raised.value.response["error"] == "user_not_found"


async def test_lookup_by_email(client: AsyncWebClient) -> None:
    found = await client.users_lookupByEmail(email="ada@example.com")
    assert found["user"]["id"] == "U1"
    with pytest.raises(SlackApiError) as raised:
        await client.users_lookupByEmail(email="bob@example.com")
    assert raised.value.response["error"] == "users_not_found"


# --------------------------------------------------------------- failure injection


async def test_rate_limit_then_success_with_retry_handler(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    response = await client.chat_postMessage(channel="C1", text="after the wait")
    assert response.status_code == 200
    assert response["ok"] is True
    assert len(slack.called("chat.postMessage")) == 2
    assert [m["text"] for m in slack.messages["C1"]] == ["after the wait"]


async def test_rate_limit_without_retry_handler(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("users.info", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.users_info(user="U1")
    response = raised.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] in ("7", ["7"])


async def test_rate_limit_default_retry_after(slack: FakeSlack) -> None:
    slack.fail_next("auth.test", status=429)
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack.api_url + "auth.test") as response,
    ):
        assert response.status == 429
        assert response.headers["Retry-After"] == "1"
        assert await response.json() == {"ok": False, "error": "ratelimited"}


async def test_server_error_retried(slack: FakeSlack, client: AsyncWebClient) -> None:
    client.retry_handlers.append(
        AsyncServerErrorRetryHandler(
            max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
        )
    )
    slack.fail_next("chat.postMessage", status=503, error="service_unavailable", count=2)
    response = await client.chat_postMessage(channel="C1", text="third time")
    assert response["ok"] is True
    assert len(slack.called("chat.postMessage")) == 3


async def test_server_error_body(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("auth.test", status=500, error="fatal_error")
    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()
    assert raised.value.response.status_code == 500
    assert raised.value.response["error"] == "fatal_error"


async def test_ok_false_surfaces_as_slack_api_error(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="lost")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "channel_not_found"
    assert len(slack.called("chat.postMessage")) == 1  # failed calls are recorded too
    assert "C1" not in slack.messages
    # Only the next call failed; other methods were never affected.
    await client.chat_postMessage(channel="C1", text="found")


async def test_failures_queue_per_method(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("users.info", count=2, error="first")
    slack.fail_next("users.info", error="second")
    errors = []
    for _ in range(3):
        with pytest.raises(SlackApiError) as raised:
            await client.users_info(user="U1")
        errors.append(raised.value.response["error"])
    assert errors == ["first", "first", "second"]
    assert (await client.users_info(user="U1"))["ok"] is True


# --------------------------------------------------------------------- block kit


async def test_51_blocks_rejected(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [section(f"row {i}") for i in range(51)]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="too many", blocks=blocks)
    assert raised.value.response["error"] == "invalid_blocks"
    assert any("51 blocks > 50" in e for e in raised.value.response["errors"])
    assert "C1" not in slack.messages
    assert len(slack.called("chat.postMessage")) == 1


async def test_long_button_text_rejected(client: AsyncWebClient) -> None:
    blocks = [{"type": "actions", "elements": [button("b" * 76)]}]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="buttons", blocks=blocks)
    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["errors"] == [
        "blocks[0].elements[0].text.text: 76 chars > 75 (button text)"
    ]


async def test_update_and_ephemeral_are_validated_too(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="ok")
    bad = [{"type": "nonsense"}]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="C1", ts=posted["ts"], text="x", blocks=bad)
    assert raised.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postEphemeral(channel="C1", user="U1", text="x", blocks=bad)
    assert raised.value.response["error"] == "invalid_blocks"


async def test_too_much_block_text_is_msg_blocks_too_long(client: AsyncWebClient) -> None:
    blocks = [section("x" * 2900) for _ in range(5)]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="digest", blocks=blocks)
    assert raised.value.response["error"] == "msg_blocks_too_long"


async def test_malformed_blocks_json(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call(
            "chat.postMessage", data={"channel": "C1", "text": "x", "blocks": "[{oops"}
        )
    assert raised.value.response["error"] == "invalid_blocks_format"


def test_validate_blocks_accepts_a_typical_survey() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "How did we do?"}},
        section("Rate your support conversation", block_id="intro"),
        {
            "type": "actions",
            "block_id": "csat",
            "elements": [button(str(i), value=str(i), action_id=f"csat_{i}") for i in range(5)],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Anonymous"}]},
        {"type": "divider"},
    ]
    assert validate_blocks(blocks, surface="message") == []


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([section("x", block_id="b"), section("y", block_id="b")], "duplicate block_id"),
        ([{"text": "no type"}], "unknown block type None"),
        ([section("x" * 3001)], "3001 chars > 3000 (section text)"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "> 150 (header text)",
        ),
        ([{"type": "actions", "elements": [button("b", value="v" * 2001)]}], "button value"),
        (
            [
                {
                    "type": "actions",
                    "elements": [button(str(i), action_id=f"a{i}") for i in range(26)],
                }
            ],
            "26 elements > 25",
        ),
        (
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
            "11 elements > 10",
        ),
        ([section("x", block_id="b" * 256)], "block_id: 256 chars > 255"),
        ([{"type": "actions", "elements": [button("b", action_id="a" * 256)]}], "action_id"),
        (
            [
                section(
                    "pick",
                    accessory={
                        "type": "static_select",
                        "action_id": "pick",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o" * 76}, "value": "1"}
                        ],
                    },
                )
            ],
            "(option text)",
        ),
        (
            [
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "Why?"},
                    "element": {
                        "type": "checkboxes",
                        "action_id": "why",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}
                        ],
                    },
                }
            ],
            "(option value)",
        ),
        ([{"type": "section"}], "section needs text or fields"),
    ],
)
def test_validate_blocks_finds(blocks: list[dict[str, Any]], fragment: str) -> None:
    errors = validate_blocks(blocks, surface="message")
    assert any(fragment in e for e in errors), errors


def test_validate_blocks_surface_limits() -> None:
    blocks = [{"type": "divider"} for _ in range(100)]
    assert validate_blocks(blocks, surface="modal") == []
    assert validate_blocks(blocks, surface="home") == []
    assert validate_blocks([*blocks, {"type": "divider"}], surface="home") == [
        "blocks: 101 blocks > 100 (home)"
    ]
    assert validate_blocks(blocks, surface="message") == ["blocks: 100 blocks > 50 (message)"]
    with pytest.raises(ValueError):
        validate_blocks([], surface="email")


def test_validate_blocks_text_total_only_for_messages() -> None:
    blocks = [section("x" * 3000) for _ in range(5)]
    errors = validate_blocks(blocks, surface="message")
    assert len(errors) == 1 and errors[0].startswith(MSG_BLOCKS_TOO_LONG)
    assert validate_blocks(blocks, surface="modal") == []


def test_validate_view_limits() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * 25},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Comment"},
                "element": {"type": "plain_text_input", "action_id": "comment"},
            }
        ],
    }
    errors = validate_view(view)
    assert any("view.title.text: 25 chars > 24" in e for e in errors)
    assert any("view.submit: required" in e for e in errors)


# --------------------------------------------------------------------------- views


def modal(title: str = "Feedback", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "feedback",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [section("Tell us more")],
        **extra,
    }


async def test_views_open_and_update(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="trig-1", view=modal(private_metadata="42"))
    view = opened["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "feedback"
    assert view["private_metadata"] == "42"
    assert view["state"] == {"values": {}}

    updated = await client.views_update(view_id=view["id"], view=modal("Thanks"))
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["title"]["text"] == "Thanks"
    assert updated["view"]["hash"] != view["hash"]
    assert [v["title"]["text"] for v in slack.views] == ["Feedback", "Thanks"]


async def test_views_update_by_external_id_and_hash(client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="trig-1", view=modal(external_id="survey-7"))
    await client.views_update(
        external_id="survey-7", view=modal("Again"), hash=opened["view"]["hash"]
    )
    with pytest.raises(SlackApiError) as raised:
        await client.views_update(external_id="survey-7", view=modal(), hash="stale")
    assert raised.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as raised:
        await client.views_update(view_id="VNOPE", view=modal())
    assert raised.value.response["error"] == "not_found"


async def test_trigger_id_is_single_use(client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="trig-1", view=modal())
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id="trig-1", view=modal())
    assert raised.value.response["error"] == "exchanged_trigger_id"


async def test_views_open_validates(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id="trig-2", view=modal("a title that is too long!"))
    assert raised.value.response["error"] == "invalid_blocks"
    assert any("view.title" in e for e in raised.value.response["errors"])


async def test_views_publish_home(slack: FakeSlack, client: AsyncWebClient) -> None:
    home = {"type": "home", "blocks": [section("Your surveys")]}
    first = await client.views_publish(user_id="U1", view=home)
    second = await client.views_publish(user_id="U1", view=home)
    assert first["view"]["id"] == second["view"]["id"]
    assert first["view"]["type"] == "home"
    assert slack.home_tabs["U1"] == second["view"]
    assert len(slack.views) == 2


# ---------------------------------------------------------------------- history


def seed_thread(slack: FakeSlack) -> None:
    slack.add_message("C1", "1700000000.000100", "U1", "first")
    slack.add_message("C1", "1700000100.000100", "U2", "help please")
    slack.add_message("C1", "1700000200.000100", "U3", "on it", thread_ts="1700000100.000100")
    slack.add_message("C1", "1700000300.000100", "U1", "thanks", thread_ts="1700000100.000100")
    slack.add_message("C1", "1700000400.000100", "U2", "latest")


async def test_history_returns_seeded_messages_newest_first(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    seed_thread(slack)
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["latest", "help please", "first"]
    assert history["has_more"] is False
    root = history["messages"][1]
    assert root["type"] == "message"
    assert root["user"] == "U2"
    assert root["ts"] == root["thread_ts"] == "1700000100.000100"
    assert root["reply_count"] == 2
    assert root["latest_reply"] == "1700000300.000100"
    assert "reply_count" not in history["messages"][0]


async def test_history_range_and_paging(slack: FakeSlack, client: AsyncWebClient) -> None:
    seed_thread(slack)
    exact = await client.conversations_history(
        channel="C1", latest="1700000100.000100", oldest="1700000100.000100", inclusive=True
    )
    assert [m["text"] for m in exact["messages"]] == ["help please"]
    exclusive = await client.conversations_history(channel="C1", latest="1700000100.000100")
    assert [m["text"] for m in exclusive["messages"]] == ["first"]

    page = await client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in page["messages"]] == ["latest", "help please"]
    assert page["has_more"] is True
    rest = await client.conversations_history(
        channel="C1", limit=2, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["first"]


async def test_history_includes_bot_messages(slack: FakeSlack, client: AsyncWebClient) -> None:
    seed_thread(slack)
    await client.chat_postMessage(channel="C1", text="bot says")
    history = await client.conversations_history(channel="C1", limit=1)
    assert history["messages"][0]["text"] == "bot says"
    assert history["messages"][0]["bot_id"]


async def test_history_unknown_channel(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.conversations_history(channel="CNOPE")
    assert raised.value.response["error"] == "channel_not_found"


async def test_replies_root_then_replies(slack: FakeSlack, client: AsyncWebClient) -> None:
    seed_thread(slack)
    for ts in ("1700000100.000100", "1700000300.000100"):  # root or any reply
        replies = await client.conversations_replies(channel="C1", ts=ts)
        assert [m["text"] for m in replies["messages"]] == ["help please", "on it", "thanks"]
        assert replies["messages"][0]["reply_count"] == 2
    with pytest.raises(SlackApiError) as raised:
        await client.conversations_replies(channel="C1", ts="1.000000")
    assert raised.value.response["error"] == "thread_not_found"


# ------------------------------------------------------------------------ files


async def test_files_upload_v2_end_to_end(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channel="C1",
        content=b"\x89PNG fake bytes",
        filename="digest.png",
        title="Weekly digest",
        initial_comment="This week's scores",
    )
    assert response["ok"] is True
    assert response["file"]["title"] == "Weekly digest"
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    get_url = slack.calls[0]
    assert get_url.args["filename"] == "digest.png"
    assert int(get_url.args["length"]) == len(b"\x89PNG fake bytes")
    (upload,) = slack.uploads
    assert upload["content"] == b"\x89PNG fake bytes"
    assert upload["filename"] == "digest.png"
    assert upload["title"] == "Weekly digest"
    assert upload["channel_id"] == "C1"
    assert upload["initial_comment"] == "This week's scores"
    assert upload["file_id"] == response["file"]["id"]
    (share,) = slack.messages["C1"]
    assert share["text"] == "This week's scores"
    assert share["files"][0]["name"] == "digest.png"


async def test_upload_url_points_at_the_fake(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_getUploadURLExternal(filename="a.csv", length=3)
    assert response["file_id"].startswith("F")
    assert response["upload_url"].startswith(slack.api_url.removesuffix("api/") + "upload/")

    form = aiohttp.FormData()
    form.add_field("file", b"a,b", filename="a.csv")
    async with (
        aiohttp.ClientSession() as session,
        session.post(response["upload_url"], data=form) as upload,
    ):
        assert upload.status == 200
    done = await client.files_completeUploadExternal(
        files=[{"id": response["file_id"], "title": "CSV"}], channel_id="C1"
    )
    assert done["files"] == [{"id": response["file_id"], "title": "CSV"}]
    assert slack.uploads[0]["content"] == b"a,b"


async def test_complete_without_upload_is_file_not_found(client: AsyncWebClient) -> None:
    response = await client.files_getUploadURLExternal(filename="a.csv", length=3)
    with pytest.raises(SlackApiError) as raised:
        await client.files_completeUploadExternal(files=[{"id": response["file_id"]}])
    assert raised.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as raised:
        await client.files_completeUploadExternal(files=[{"id": "FNOPE"}])
    assert raised.value.response["error"] == "file_not_found"


async def test_upload_to_unknown_file_id_is_404(slack: FakeSlack) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack.api_url.removesuffix("api/") + "upload/FNOPE", data=b"x") as response,
    ):
        assert response.status == 404


async def test_a_trigger_id_expires_three_seconds_after_the_click(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    now_ms = int(time.time() * 1000)
    await client.views_open(trigger_id=f"7.{now_ms}.ab12", view=modal())
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=f"8.{now_ms - 3_100}.ab12", view=modal())
    assert raised.value.response["error"] == "expired_trigger_id"
    assert [c.args["trigger_id"] for c in slack.expired_triggers] == [f"8.{now_ms - 3_100}.ab12"]
    assert trigger_issued_at(fresh_trigger()) == pytest.approx(time.time(), abs=1)


# ---------------------------------------------------------------------- response_url


async def test_a_response_url_replaces_posts_beside_or_deletes_five_times_at_most(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="How did we do?")
    url = slack.response_url(channel="C1", message_ts=posted["ts"], user="U1", thread_ts="1.5")
    webhook = AsyncWebhookClient(url)
    replaced = await webhook.send(text="Thanks!", replace_original=True)
    assert (replaced.status_code, json.loads(replaced.body)) == (200, {"ok": True})
    assert slack.message("C1", posted["ts"])["text"] == "Thanks!"
    await webhook.send(text="Only you see this", response_type="ephemeral")
    assert slack.ephemerals[-1] | {"message_ts": "-"} == {
        "channel": "C1",
        "user": "U1",
        "text": "Only you see this",
        "thread_ts": "1.5",
        "message_ts": "-",
    }
    await webhook.send(text="Everyone sees this", response_type="in_channel")
    assert slack.messages["C1"][-1]["text"] == "Everyone sees this"
    await webhook.send_dict({"delete_original": True})
    assert [m["text"] for m in slack.messages["C1"]] == ["Everyone sees this"]
    fifth = await webhook.send(text="again", response_type="ephemeral")
    assert fifth.status_code == 200
    sixth = await webhook.send(text="once too often", response_type="ephemeral")
    assert (sixth.status_code, json.loads(sixth.body)["error"]) == (404, "expired_url")
    unknown = await AsyncWebhookClient(url + "0").send(text="?")
    assert unknown.status_code == 404
    assert len(slack.called("response_url")) == 7


# ------------------------------------------------------------------ workspaces & OAuth


async def test_a_token_names_its_workspace_with_its_own_people(slack: FakeSlack) -> None:
    other = slack.add_workspace("T0002", name="Other Co", bot_token="xoxb-other")
    other.add_user("U2", name="bea")
    mine = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    theirs = AsyncWebClient(token="xoxb-other", base_url=slack.api_url)
    assert (await theirs.auth_test())["team_id"] == "T0002"
    assert (await theirs.auth_test())["team"] == "Other Co"
    assert (await theirs.users_info(user="U2"))["user"]["team_id"] == "T0002"
    with pytest.raises(SlackApiError) as refused:
        await mine.users_info(user="U2")  # bea is in the other workspace only
    assert refused.value.response["error"] == "user_not_found"
    await theirs.chat_postMessage(channel="C9", text="hello over there")
    assert other.messages["C9"][0]["team"] == "T0002"
    assert slack.messages == {}  # the default workspace saw nothing


async def test_oauth_v2_access_exchanges_a_code_for_the_workspace_bot_token(
    slack: FakeSlack,
) -> None:
    other = slack.add_workspace("T0002", name="Other Co", bot_token="xoxb-other")
    code = slack.install("T0002", "U0INSTALLER", redirect_uri="https://bot.example/redirect")
    client = AsyncWebClient(base_url=slack.api_url)
    answer = await client.oauth_v2_access(
        client_id=slack.installs.client_id,
        client_secret=slack.installs.client_secret,
        code=code,
        redirect_uri="https://bot.example/redirect",
    )
    assert answer["access_token"] == "xoxb-other" and answer["token_type"] == "bot"
    assert answer["team"] == {"id": "T0002", "name": "Other Co"}
    assert answer["bot_user_id"] == other.bot_user_id and answer["app_id"] == slack.app_id
    assert answer["authed_user"] == {"id": "U0INSTALLER"}
    assert answer["enterprise"] is None and answer["is_enterprise_install"] is False
    assert "chat:write" in answer["scope"].split(",")
    # A code works once.
    with pytest.raises(SlackApiError) as again:
        await client.oauth_v2_access(
            client_id=slack.installs.client_id,
            client_secret=slack.installs.client_secret,
            code=code,
            redirect_uri="https://bot.example/redirect",
        )
    assert again.value.response["error"] == "invalid_code"


@pytest.mark.parametrize(
    ("client_id", "client_secret", "redirect_uri", "error"),
    [
        ("1.2", "fake-client-secret", "https://bot.example/r", "invalid_client_id"),
        (None, "wrong", "https://bot.example/r", "bad_client_secret"),
        (None, "fake-client-secret", "https://elsewhere.example/r", "bad_redirect_uri"),
    ],
)
async def test_oauth_v2_access_refuses_as_slack_does(
    slack: FakeSlack, client_id: str | None, client_secret: str, redirect_uri: str, error: str
) -> None:
    code = slack.install(slack.team_id, "U1", redirect_uri="https://bot.example/r")
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(base_url=slack.api_url).oauth_v2_access(
            client_id=client_id or slack.installs.client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
        )
    assert refused.value.response["error"] == error


async def test_oauth_v2_access_also_takes_client_credentials_as_arguments(
    slack: FakeSlack,
) -> None:
    # slack_sdk sends them by HTTP Basic (what Slack recommends); the form works too.
    code = slack.install(slack.team_id, "U1")
    form = {
        "code": code,
        "client_id": slack.installs.client_id,
        "client_secret": slack.installs.client_secret,
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{slack.api_url}oauth.v2.access", data=form) as response,
    ):
        answer = await response.json()
    assert answer["ok"] is True and answer["access_token"] == slack.bot_token
