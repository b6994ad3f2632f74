"""A fake Slack Web API server for tests and the local demo.

It listens on an ephemeral 127.0.0.1 port, answers the methods surveybot uses with
Slack's response shapes, records every call, checks Block Kit limits, and can be told
to fail the next N calls of a method (429 / 5xx / ``ok: false``). Point a real
``AsyncWebClient(base_url=slack.api_url)`` at it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import itertools
import json
import logging
import math
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import BodyPartReader, web

from bot.delivery.dispatcher import SURVEY_EVENT_TYPE
from sandbox.blockkit import (
    MAX_MESSAGE_TEXT,
    MSG_BLOCKS_TOO_LONG,
    validate_blocks,
    validate_view,
)
from sandbox.world import FakeUser, TsClock, ts_key

log = logging.getLogger(__name__)

VALID_TOKEN_PREFIXES: Final = ("xoxb-", "xapp-")
# Form-encoded clients send these as JSON strings; decode them so handlers and tests
# always see lists and objects.
JSON_ARGS: Final = frozenset({"blocks", "attachments", "view", "files", "metadata"})
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024


@dataclass
class Call:
    """One request to the fake, as received (args merged from query, form and JSON)."""

    method: str
    args: dict[str, Any]
    http_method: str
    headers: dict[str, str]


# Slack's published limits per workspace and method, calls a minute (the rate-limit
# reference); chat.postMessage also takes about one message a second per channel.
SLACK_TIERS: Final[dict[str, int]] = {
    "users.info": 100,
    "users.lookupByEmail": 50,
    "conversations.open": 50,
    "conversations.info": 50,
    "conversations.history": 50,
    "conversations.replies": 50,
    "chat.postMessage": 300,
    "chat.update": 50,
    "chat.postEphemeral": 100,
    "views.open": 100,
    "views.push": 100,
    "views.update": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
}
PER_CHANNEL_PER_SECOND: Final[dict[str, int]] = {"chat.postMessage": 1}
# A trigger_id works for 3 s after the click; a response_url 5 times in 30 minutes.
TRIGGER_LIFETIME: Final = 3.0
RESPONSE_URL_USES: Final = 5
RESPONSE_URL_LIFETIME: Final = 30 * 60.0


def trigger_issued_at(trigger_id: str) -> float | None:
    """When a trigger_id made by sandbox.payloads was issued (`<n>.<epoch ms>.<hex>`);
    None for one made by hand ("trig-1"), which never expires."""
    parts = trigger_id.split(".")
    if len(parts) == 3 and parts[1].isascii() and parts[1].isdigit() and len(parts[1]) == 13:
        return int(parts[1]) / 1000
    return None


@dataclass
class _ResponseUrl:
    """Where a click's response_url posts: the clicked message, for the clicker."""

    channel: str
    message_ts: str
    user: str
    thread_ts: str | None
    created: float
    uses: int = 0


@dataclass
class _Tiers:
    """Sliding windows of accepted calls; a call over a limit is answered 429."""

    compression: float
    windows: dict[tuple[str, ...], collections.deque[float]] = field(default_factory=dict)

    def admit(self, key: tuple[str, ...], limit: int, window: float, now: float) -> float:
        """0 when the call fits (and is counted), else the seconds until it would."""
        calls = self.windows.setdefault(key, collections.deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return calls[0] + window - now
        calls.append(now)
        return 0.0


@dataclass
class _Failure:
    remaining: int
    status: int
    error: str
    retry_after: int | None


@dataclass
class _PendingFile:
    filename: str
    length: int
    alt_txt: str | None
    content: bytes | None = None


class SlackError(Exception):
    """Raised by a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


Handler = Callable[[Call], dict[str, Any]]


@dataclass
class _Views:
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    id_by_external: dict[str, str] = field(default_factory=dict)
    home_id_by_user: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """In-process fake of the Slack Web API; see the module docstring."""

    def __init__(
        self, *, bot_user_id: str = "UBOT", team_id: str = "T0001", bot_token: str = "xoxb-test"
    ) -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_token = bot_token
        self.bot_id = "B0001"
        self.app_id = "A0001"
        # Tokens answered with token_revoked (e.g. to test an uninstall).
        self.revoked_tokens: set[str] = set()
        # Seconds a method takes to answer (a slow Slack: work still running at shutdown).
        self.latency: dict[str, float] = {}

        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.home_tabs: dict[str, dict[str, Any]] = {}  # user id -> last published view
        self.uploads: list[dict[str, Any]] = []
        self.missing_text_fallback: list[Call] = []  # calls that sent blocks without text

        self._users: dict[str, FakeUser] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._dms: dict[str, str] = {}  # sorted comma-joined user ids -> D/G channel id
        self._history: dict[str, dict[str, dict[str, Any]]] = {}  # channel -> ts -> message
        self._failures: dict[str, list[_Failure]] = {}
        self._tiers: _Tiers | None = None
        self._delays: dict[str, tuple[float, asyncio.Event]] = {}
        # Calls answered 429 because they went over a tier (not injected failures).
        self.rate_limited: list[Call] = []
        # views.open / views.push calls refused because their trigger_id had expired.
        self.expired_triggers: list[Call] = []
        self._files: dict[str, _PendingFile] = {}
        self._views = _Views()
        self._used_triggers: set[str] = set()
        self.trigger_lifetime = TRIGGER_LIFETIME
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._clock = TsClock()
        self._ids = itertools.count(1)

        # Socket Mode: connected app websockets, and the acks they sent back.
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_acks: dict[str, Any] = {}

        self._runner: web.AppRunner | None = None
        self._host = ""
        self._port = 0
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.add_user(bot_user_id, name="surveybot", is_bot=True)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSlack is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/actions/{team}/{n}/{secret}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])  # the real port when port=0

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ---------------------------------------------------------------- world state

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        email: str | None = None,
        tz: str = "UTC",
        tz_offset: int | None = None,
        locale: str = "en-US",
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        self._users[user_id] = FakeUser(
            user_id=user_id,
            team_id=self.team_id,
            name=name,
            email=email,
            tz=tz,
            tz_offset=tz_offset,
            locale=locale,
            is_bot=is_bot,
            is_admin=is_admin,
            is_owner=is_owner,
        )

    def add_channel(
        self,
        channel_id: str,
        name: str = "",
        *,
        is_private: bool = False,
        bot_is_member: bool = True,
        is_archived: bool = False,
    ) -> None:
        self._channels[channel_id] = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "is_private": is_private,
            "is_member": bot_is_member,
            "is_archived": is_archived,
        }

    def add_message(
        self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None
    ) -> None:
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        self._channels.setdefault(channel, {"id": channel, "name": channel.lower()})
        self._history.setdefault(channel, {})[ts] = message

    # ------------------------------------------------------------------ recording

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # The team's tests call wait_for(..., timeout=...), so keep the parameter name.
    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` were recorded; return all of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.called(method)
            if len(found) >= count:
                return found
            if loop.time() >= deadline:
                seen = [call.method for call in self.calls]
                raise AssertionError(
                    f"expected {count} call(s) of {method} within {timeout}s, "
                    f"got {len(found)}; calls seen: {seen}"
                )
            await asyncio.sleep(0.01)

    def surveys_posted(self) -> collections.Counter[str]:
        """How many messages carry each survey's token in their metadata (0 lost, 1 each)."""
        return collections.Counter(
            message["metadata"]["event_payload"]["survey"]
            for messages in self.messages.values()
            for message in messages
            if message.get("metadata", {}).get("event_type") == SURVEY_EVENT_TYPE
        )

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """The current version of a message the bot posted (after any chat.update)."""
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        known = [m["ts"] for m in self.messages.get(channel, [])]
        raise AssertionError(f"the bot posted no message {ts} in {channel}; it posted {known}")

    # ---------------------------------------------------------- failure injection

    def fail_next(
        self,
        method: str,
        *,
        count: int = 1,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (queued after earlier ones)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        failure = _Failure(count, status, error, retry_after)
        self._failures.setdefault(method, []).append(failure)

    def heal(self) -> None:
        """An outage ends: failures still queued by fail_next are dropped."""
        self._failures.clear()

    def enforce_tiers(self, compression: float = 1.0) -> None:
        """Answer calls over Slack's rate tiers with 429 and Retry-After, as Slack does.

        `compression` runs Slack's minute faster (a minute lasts 60/compression s);
        Retry-After is then in compressed seconds too, rounded up to a whole one.
        """
        self._tiers = _Tiers(compression)

    def delay_responses(self, method: str, seconds: float) -> None:
        """Handle `method` at once (a message is posted) but answer only after `seconds`:
        the window in which a caller may die between Slack's yes and hearing it."""
        held = self._delays.pop(method, None)
        if held is not None:
            held[1].set()  # answers held so far go out now
        if seconds > 0:
            self._delays[method] = (seconds, asyncio.Event())

    def _over_tier(self, call: Call, token: str) -> float:
        tiers = self._tiers
        if tiers is None:
            return 0.0
        now = time.monotonic()
        minute = 60.0 / tiers.compression
        limit = SLACK_TIERS.get(call.method)
        if limit is not None:
            wait = tiers.admit((token, call.method), limit, minute, now)
            if wait:
                return wait
        per_second = PER_CHANNEL_PER_SECOND.get(call.method)
        channel = call.args.get("channel")
        if per_second is not None and channel:
            key = (token, call.method, str(channel))
            return tiers.admit(key, per_second, 1.0 / tiers.compression, now)
        return 0.0

    def reset(self) -> None:
        """Forget calls, what the bot posted, and pending failures; keep users/channels."""
        self.calls.clear()
        self.ephemerals.clear()
        self.views.clear()
        self.home_tabs.clear()
        self.uploads.clear()
        self.missing_text_fallback.clear()
        self._failures.clear()
        self._files.clear()
        self._views = _Views()
        self._used_triggers.clear()
        self.expired_triggers.clear()
        self._response_urls.clear()
        for channel, posted in self.messages.items():
            history = self._history.get(channel, {})
            for message in posted:
                history.pop(message["ts"], None)
        self.messages.clear()

    # ---------------------------------------------------------------- response_url

    def response_url(
        self, *, channel: str, message_ts: str, user: str, thread_ts: str | None = None
    ) -> str:
        """A click's response_url, as Slack puts in block_actions: it answers that click
        (replace or delete the clicked message, or post beside it) 5 times in 30 minutes."""
        n = next(self._ids)
        url = f"{self.base_url}/actions/{self.team_id}/{n}/{n:04x}a1b2c3d4"
        self._response_urls[url] = _ResponseUrl(
            channel, message_ts, user, thread_ts, time.monotonic()
        )
        return url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        """Slack's response_url: JSON with `text`/`blocks` and `replace_original`,
        `delete_original` or `response_type` ("ephemeral", the default, or "in_channel")."""
        url = f"{self.base_url}{request.path}"
        try:
            args = await _read_args(request)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        call = Call("response_url", {**args, "url": url}, request.method, dict(request.headers))
        self.calls.append(call)
        target = self._response_urls.get(url)
        if target is None:
            return web.json_response({"ok": False, "error": "no_service"}, status=404)
        if (
            target.uses >= RESPONSE_URL_USES
            or time.monotonic() - target.created > RESPONSE_URL_LIFETIME
        ):
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        target.uses += 1
        try:
            self._respond(call, target)
        except SlackError as exc:
            return web.json_response({"ok": False, "error": exc.error, **exc.extra}, status=400)
        return web.json_response({"ok": True})

    def _respond(self, call: Call, target: _ResponseUrl) -> None:
        posted = self.messages.get(target.channel, [])
        index = next((i for i, m in enumerate(posted) if m["ts"] == target.message_ts), None)
        if _flag(call.args.get("delete_original")):
            if index is None:
                raise SlackError("message_not_found")
            posted.pop(index)
            self._history.get(target.channel, {}).pop(target.message_ts, None)
            return
        text, blocks = self._checked_content(call, surface="message")
        if _flag(call.args.get("replace_original")):
            if index is None:
                raise SlackError("message_not_found")
            updated = {**posted[index], "text": text}
            if blocks is not None:
                updated["blocks"] = blocks
            else:
                updated.pop("blocks", None)
            posted[index] = updated
            self._history.setdefault(target.channel, {})[target.message_ts] = updated
            return
        where: dict[str, Any] = {"channel": target.channel, "user": target.user, "text": text}
        if blocks is not None:
            where["blocks"] = blocks
        if target.thread_ts:
            where["thread_ts"] = target.thread_ts
        if call.args.get("response_type") == "in_channel":
            message = {"type": "message", "user": self.bot_user_id, "ts": self._clock.next()}
            message.update({k: v for k, v in where.items() if k != "user" and k != "channel"})
            self.messages.setdefault(target.channel, []).append(message)
            self._history.setdefault(target.channel, {})[message["ts"]] = message
            return
        self.ephemerals.append({**where, "message_ts": self._clock.next()})

    # ------------------------------------------------------------------ Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=None)
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "connection_info": {"app_id": self.app_id},
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
            }
        )
        self._sockets.append(socket)
        try:
            async for message in socket:
                if message.type != web.WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    data = json.loads(message.data)
                    if isinstance(data, dict) and "envelope_id" in data:
                        self.socket_acks[str(data["envelope_id"])] = data.get("payload")
        finally:
            self._sockets.remove(socket)
        return socket

    async def push_socket_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        """Deliver an events_api / interactive envelope over Socket Mode; wait for its ack.

        Answers the ack's payload (None for a plain ack); raises if none came in time.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._sockets:
            if loop.time() >= deadline:
                raise AssertionError("no app is connected over Socket Mode")
            await asyncio.sleep(0.02)
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "accepts_response_payload": envelope_type == "interactive",
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": payload,
            }
        )
        while envelope_id not in self.socket_acks:
            if loop.time() >= deadline:
                raise AssertionError(f"envelope {envelope_id} was not acknowledged")
            await asyncio.sleep(0.02)
        return self.socket_acks[envelope_id]

    # ------------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
        except ValueError as exc:
            self.calls.append(Call(method, {}, request.method, dict(request.headers)))
            return _error_response("invalid_form_data", detail=str(exc))
        call = Call(method, args, request.method, dict(request.headers))
        self.calls.append(call)
        log.debug("fake slack: %s %s", method, args)
        if self.latency.get(method):
            await asyncio.sleep(self.latency[method])

        failure = self._take_failure(method)
        if failure is not None:
            return _failure_response(failure)
        token = _token_of(call)
        if not token:
            return _error_response("not_authed")
        if token in self.revoked_tokens:
            return _error_response("token_revoked")
        if token != self.bot_token and not token.startswith(VALID_TOKEN_PREFIXES):
            return _error_response("invalid_auth")
        handler = self._handlers.get(method)
        if handler is None:
            return _error_response("unknown_method")
        over = self._over_tier(call, token)
        if over:
            self.rate_limited.append(call)
            return _failure_response(_Failure(1, 429, "ratelimited", max(1, math.ceil(over))))
        try:
            body = handler(call)
        except SlackError as exc:
            return _error_response(exc.error, **exc.extra)
        held = self._delays.get(method)
        if held is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(held[0]):
                    await held[1].wait()
        return web.json_response({"ok": True, **body})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        content = await _read_upload(request)
        self.calls.append(
            Call(
                "upload",
                {"file_id": file_id, "length": len(content)},
                request.method,
                dict(request.headers),
            )
        )
        pending = self._files.get(file_id)
        if pending is None:
            return web.Response(status=404, text="file not found")
        pending.content = content
        return web.Response(text=f"OK - {len(content)}")

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining == 0:
            queue.pop(0)
        return failure

    # ---------------------------------------------------------------- auth & apps

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake Workspace",
            "user": self._users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, call: Call) -> dict[str, Any]:
        # Socket Mode needs an app-level token; a bot token is refused like on Slack.
        if not (_token_of(call) or "").startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        host = self.base_url.removeprefix("http://")
        return {"url": f"ws://{host}/socket"}

    # -------------------------------------------------------------- conversations

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        users = [u for u in str(call.args.get("users", "")).split(",") if u.strip()]
        if not users:
            channel = call.args.get("channel")
            if channel:
                return {"channel": {"id": str(channel)}, "no_op": True, "already_open": True}
            raise SlackError("users_list_not_supplied")
        key = ",".join(sorted(u.strip() for u in users))
        already_open = key in self._dms
        channel_id = self._dm_channel(key)
        body: dict[str, Any] = {"channel": {"id": channel_id}}
        if already_open:
            body.update(no_op=True, already_open=True)
        return body

    def _dm_channel(self, users_key: str) -> str:
        """The stable D… (one user) or G… (several) conversation id for a set of users."""
        if users_key not in self._dms:
            prefix = "G" if "," in users_key else "D"
            channel_id = f"{prefix}{next(self._ids):08d}"
            self._dms[users_key] = channel_id
            self._channels[channel_id] = {"id": channel_id, "name": "", "is_im": prefix == "D"}
        return self._dms[users_key]

    def _resolve_channel(self, channel: str) -> str:
        # Like Slack, posting to a user id posts into the bot's DM with that user.
        if channel[:1] in ("U", "W"):
            return self._dm_channel(channel)
        return channel

    def _known_channel(self, call: Call) -> str:
        channel = _required(call, "channel", error="channel_not_found")
        if channel not in self._channels and channel not in self._history:
            raise SlackError("channel_not_found")
        return channel

    def _conversations_info(self, call: Call) -> dict[str, Any]:
        """Slack's conversation object; a private channel the bot is not in does not exist
        for it (channel_not_found), a public one says is_member: false."""
        channel_id = _required(call, "channel", error="channel_not_found")
        known = self._channels.get(channel_id)
        if known is None and channel_id in self._history:
            known = {"id": channel_id, "name": channel_id.lower()}
        if known is None:
            raise SlackError("channel_not_found")
        is_im = bool(known.get("is_im"))
        is_private = bool(known.get("is_private")) or is_im
        is_member = bool(known.get("is_member", True))
        if is_private and not is_member:
            raise SlackError("channel_not_found")
        return {
            "channel": {
                "id": channel_id,
                "name": known.get("name", ""),
                "is_channel": not is_private and not is_im,
                "is_group": is_private and not is_im,
                "is_im": is_im,
                "is_private": is_private,
                "is_archived": bool(known.get("is_archived")),
                "is_member": is_member,
                "created": 1700000000,
            }
        }

    def _conversations_history(self, call: Call) -> dict[str, Any]:
        channel = self._known_channel(call)
        args = call.args
        inclusive = _flag(args.get("inclusive"))
        latest = ts_key(str(args["latest"])) if args.get("latest") else None
        oldest = ts_key(str(args["oldest"])) if args.get("oldest") else None

        def in_range(ts: str) -> bool:
            key = ts_key(ts)
            if latest is not None and (key > latest or (key == latest and not inclusive)):
                return False
            return oldest is None or key > oldest or (key == oldest and inclusive)

        # History lists top-level messages only; replies are read with conversations.replies.
        roots = [
            m
            for m in self._history.get(channel, {}).values()
            if m.get("thread_ts", m["ts"]) == m["ts"] and in_range(m["ts"])
        ]
        roots.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
        page, next_cursor = _paginate(roots, call)
        with_metadata = _flag(args.get("include_all_metadata"))
        return {
            "messages": [
                _metadata_shown(self._with_thread_info(channel, m), with_metadata) for m in page
            ],
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_replies(self, call: Call) -> dict[str, Any]:
        channel = self._known_channel(call)
        ts = _required(call, "ts", error="thread_not_found")
        history = self._history.get(channel, {})
        if ts not in history:
            raise SlackError("thread_not_found")
        root_ts = history[ts].get("thread_ts", ts)
        replies = [
            m for m in history.values() if m.get("thread_ts") == root_ts and m["ts"] != root_ts
        ]
        replies.sort(key=lambda m: ts_key(m["ts"]))
        thread = [self._with_thread_info(channel, history[root_ts])] if root_ts in history else []
        with_metadata = _flag(call.args.get("include_all_metadata"))
        page, next_cursor = _paginate(thread + [dict(m) for m in replies], call)
        return {
            "messages": [_metadata_shown(m, with_metadata) for m in page],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _with_thread_info(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``message``; thread roots gain Slack's reply_count & co."""
        ts = message["ts"]
        replies = [
            m
            for m in self._history.get(channel, {}).values()
            if m.get("thread_ts") == ts and m["ts"] != ts
        ]
        result = dict(message)
        if replies:
            users = sorted({str(m.get("user", "")) for m in replies})
            result.update(
                thread_ts=ts,
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=max((m["ts"] for m in replies), key=ts_key),
            )
        return result

    # ----------------------------------------------------------------------- chat

    def _chat_post_message(self, call: Call) -> dict[str, Any]:
        channel = self._resolve_channel(_required(call, "channel", error="channel_not_found"))
        text, blocks = self._checked_content(call, surface="message")
        ts = self._clock.next()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": text,
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if "attachments" in call.args:
            message["attachments"] = call.args["attachments"]
        if "metadata" in call.args:
            message["metadata"] = _checked_metadata(call.args["metadata"])
        thread_ts = call.args.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        self.messages.setdefault(channel, []).append(message)
        self._history.setdefault(channel, {})[ts] = message
        return {"channel": channel, "ts": ts, "message": dict(message)}

    def _chat_update(self, call: Call) -> dict[str, Any]:
        channel = _required(call, "channel", error="channel_not_found")
        ts = _required(call, "ts", error="message_not_found")
        posted = self.messages.get(channel, [])
        index = next((i for i, m in enumerate(posted) if m["ts"] == ts), None)
        if index is None:
            # Only the bot's own messages can be edited (and never ephemerals).
            raise SlackError("message_not_found")
        text, blocks = self._checked_content(call, surface="message")
        # Fields left out keep their old value; an empty blocks list removes the blocks.
        updated = dict(posted[index])
        if "text" in call.args:
            updated["text"] = text
        if blocks is not None:
            if blocks:
                updated["blocks"] = blocks
            else:
                updated.pop("blocks", None)
        if "attachments" in call.args:
            updated["attachments"] = call.args["attachments"]
        updated["edited"] = {"user": self.bot_user_id, "ts": self._clock.next()}
        # A new dict, so earlier references keep showing the old version.
        posted[index] = updated
        self._history.setdefault(channel, {})[ts] = updated
        return {"channel": channel, "ts": ts, "text": updated["text"], "message": dict(updated)}

    def _chat_post_ephemeral(self, call: Call) -> dict[str, Any]:
        channel = self._resolve_channel(_required(call, "channel", error="channel_not_found"))
        user = _required(call, "user", error="user_not_found")
        text, blocks = self._checked_content(call, surface="message")
        message_ts = self._clock.next()
        ephemeral: dict[str, Any] = {
            "channel": channel,
            "user": user,
            "text": text,
            "message_ts": message_ts,
        }
        if blocks is not None:
            ephemeral["blocks"] = blocks
        if call.args.get("thread_ts"):
            ephemeral["thread_ts"] = str(call.args["thread_ts"])
        self.ephemerals.append(ephemeral)
        return {"message_ts": message_ts}

    def _chat_get_permalink(self, call: Call) -> dict[str, Any]:
        channel = _required(call, "channel", error="channel_not_found")
        ts = _required(call, "message_ts", error="message_not_found")
        permalink = f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        thread_ts = self._history.get(channel, {}).get(ts, {}).get("thread_ts")
        if thread_ts and thread_ts != ts:
            permalink += f"?thread_ts={thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}

    def _checked_content(
        self, call: Call, *, surface: str
    ) -> tuple[str, list[dict[str, Any]] | None]:
        """The call's text and blocks, after Slack's presence and Block Kit checks."""
        text = str(call.args.get("text") or "")
        raw_blocks = call.args.get("blocks")
        if isinstance(raw_blocks, str) and raw_blocks.strip() == "":
            raw_blocks = None
        if raw_blocks is not None and not isinstance(raw_blocks, list):
            raise SlackError("invalid_blocks_format")
        # chat.update may send only `blocks: []` (drop the blocks, keep the old text).
        clears_blocks = call.method == "chat.update" and "blocks" in call.args
        if not (text or raw_blocks or call.args.get("attachments") or clears_blocks):
            raise SlackError("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        if raw_blocks:
            errors = validate_blocks(raw_blocks, surface=surface)
            if any(e.startswith(MSG_BLOCKS_TOO_LONG) for e in errors):
                raise SlackError(MSG_BLOCKS_TOO_LONG, errors=errors)
            if errors:
                raise _invalid_blocks(errors)
            if not text:
                # Slack accepts this, but notifications then show no text: warn only.
                log.warning("fake slack: %s sent blocks without a text fallback", call.method)
                self.missing_text_fallback.append(call)
        return text, raw_blocks

    # ---------------------------------------------------------------------- views

    def _views_open(self, call: Call) -> dict[str, Any]:
        self._use_trigger(call)
        return {"view": self._store_view(self._checked_view(call, "modal"), view_id=None)}

    def _views_push(self, call: Call) -> dict[str, Any]:
        self._use_trigger(call)
        return {"view": self._store_view(self._checked_view(call, "modal"), view_id=None)}

    def _views_update(self, call: Call) -> dict[str, Any]:
        view_id = call.args.get("view_id")
        external_id = call.args.get("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        if not view_id:
            view_id = self._views.id_by_external.get(str(external_id))
        current = self._views.by_id.get(str(view_id)) if view_id else None
        if current is None:
            raise SlackError("not_found")
        self._check_hash(call, current)
        new_view = self._checked_view(call, str(current["type"]))
        return {"view": self._store_view(new_view, view_id=current["id"], previous=current)}

    def _views_publish(self, call: Call) -> dict[str, Any]:
        user_id = _required(call, "user_id", error="invalid_arguments")
        new_view = self._checked_view(call, "home")
        view_id = self._views.home_id_by_user.get(user_id)
        current = self._views.by_id.get(view_id) if view_id else None
        if current is not None:
            self._check_hash(call, current)
        stored = self._store_view(new_view, view_id=view_id, previous=current)
        self._views.home_id_by_user[user_id] = stored["id"]
        self.home_tabs[user_id] = stored
        return {"view": stored}

    def _use_trigger(self, call: Call) -> None:
        trigger_id = _required(call, "trigger_id", error="invalid_arguments")
        # trigger_ids are single-use on Slack; reusing one is a bug worth catching.
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        issued = trigger_issued_at(trigger_id)
        if issued is not None and time.time() - issued > self.trigger_lifetime:
            self.expired_triggers.append(call)
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(trigger_id)

    def _checked_view(self, call: Call, expected_type: str) -> dict[str, Any]:
        view = call.args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["view"]})
        if view.get("type") != expected_type:
            raise _invalid_blocks([f"view.type: expected {expected_type!r}"])
        errors = validate_view(view)
        if errors:
            raise _invalid_blocks(errors)
        return view

    def _check_hash(self, call: Call, current: dict[str, Any]) -> None:
        expected = call.args.get("hash")
        if expected and expected != current["hash"]:
            raise SlackError("hash_conflict")

    def _store_view(
        self,
        view: dict[str, Any],
        *,
        view_id: str | None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        external_id = view.get("external_id")
        if external_id:
            owner = self._views.id_by_external.get(str(external_id))
            if owner is not None and owner != view_id:
                raise SlackError("duplicate_external_id")
        new_id = view_id or f"V{next(self._ids):010d}"
        stored: dict[str, Any] = {
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
            "id": new_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{self._clock.next()}.{next(self._ids)}",
            "root_view_id": previous["root_view_id"] if previous else new_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        self._views.by_id[new_id] = stored
        if external_id:
            self._views.id_by_external[str(external_id)] = new_id
        self.views.append(stored)
        return stored

    # ---------------------------------------------------------------------- users

    def _users_info(self, call: Call) -> dict[str, Any]:
        user = self._users.get(str(call.args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api(include_locale=_flag(call.args.get("include_locale")))}

    def _users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        email = str(call.args.get("email", "")).lower()
        for user in self._users.values():
            if email and user.email is not None and user.email.lower() == email:
                return {"user": user.to_api()}
        raise SlackError("users_not_found")

    # ---------------------------------------------------------------------- files

    def _files_get_upload_url(self, call: Call) -> dict[str, Any]:
        filename = _required(call, "filename", error="invalid_arguments")
        try:
            length = int(call.args["length"])
        except (KeyError, TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        alt_txt = call.args.get("alt_txt")
        file_id = f"F{next(self._ids):010d}"
        self._files[file_id] = _PendingFile(filename, length, str(alt_txt) if alt_txt else None)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, call: Call) -> dict[str, Any]:
        files = call.args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        channels = [str(call.args["channel_id"])] if call.args.get("channel_id") else []
        channels += [c for c in str(call.args.get("channels") or "").split(",") if c]
        channels = [self._resolve_channel(c) for c in channels]
        initial_comment = str(call.args.get("initial_comment") or "")
        thread_ts = call.args.get("thread_ts")

        completed: list[tuple[str, str, _PendingFile, bytes]] = []
        for item in files:
            file_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            pending = self._files.get(file_id)
            if pending is None or pending.content is None:
                raise SlackError("file_not_found")
            title = str(item.get("title") or pending.filename)
            completed.append((file_id, title, pending, pending.content))

        shared_files: list[dict[str, Any]] = []
        for file_id, title, pending, content in completed:
            del self._files[file_id]  # a file can be completed once
            self.uploads.append(
                {
                    "file_id": file_id,
                    "filename": pending.filename,
                    "title": title,
                    "content": content,
                    "alt_txt": pending.alt_txt,
                    "channel_id": channels[0] if channels else None,
                    "channels": channels,
                    "initial_comment": initial_comment or None,
                    "thread_ts": str(thread_ts) if thread_ts else None,
                }
            )
            mimetype = mimetypes.guess_type(pending.filename)[0] or "application/octet-stream"
            shared_files.append(
                {
                    "id": file_id,
                    "name": pending.filename,
                    "title": title,
                    "mimetype": mimetype,
                    "size": len(content),
                    "user": self.bot_user_id,
                }
            )
        # Sharing into a channel shows a message from the bot carrying the files.
        for channel in channels:
            ts = self._clock.next()
            share: dict[str, Any] = {
                "type": "message",
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "text": initial_comment,
                "files": shared_files,
                "upload": True,
                "ts": ts,
            }
            if thread_ts:
                share["thread_ts"] = str(thread_ts)
            self.messages.setdefault(channel, []).append(share)
            self._history.setdefault(channel, {})[ts] = share
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared_files]}


# --------------------------------------------------------------------- helpers


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Merge query-string, form and JSON-body arguments, decoding JSON-string fields."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid JSON body: {exc}") from exc
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            args.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    args[key] = value.file.read()
                else:
                    args[key] = value if isinstance(value, str) else bytes(value)
    for key in JSON_ARGS & args.keys():
        value = args[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            # Left as a string when malformed; the handler answers with Slack's error.
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(value)
    return args


async def _read_upload(request: web.Request) -> bytes:
    """The uploaded bytes: the raw body, or the file part of a multipart form."""
    if request.content_type != "multipart/form-data":
        return await request.read()
    reader = await request.multipart()
    fallback = b""
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = bytes(await part.read())
        if part.filename is not None or part.name in ("file", "filename"):
            return data
        fallback = fallback or data
    return fallback


def _token_of(call: Call) -> str | None:
    for name, value in call.headers.items():
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    arg_token = call.args.get("token")  # Slack also accepts the token as a POST argument
    return str(arg_token) if arg_token else None


def _required(call: Call, name: str, *, error: str) -> str:
    value = call.args.get(name)
    if value is None or value == "":
        raise SlackError(error)
    return str(value)


def _flag(value: Any) -> bool:
    """Slack's boolean arguments: true/1 (slack_sdk sends "1"/"0" in forms)."""
    return value is True or str(value).lower() in ("true", "1")


def _paginate(items: list[dict[str, Any]], call: Call) -> tuple[list[dict[str, Any]], str]:
    """One page of ``items`` per Slack's limit/cursor arguments, and the next cursor."""
    try:
        limit = max(1, min(int(call.args.get("limit") or 100), 999))
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    offset = 0
    cursor = call.args.get("cursor")
    if cursor:
        try:
            offset = int(base64.b64decode(str(cursor)).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error):
            raise SlackError("invalid_cursor") from None
    end = offset + limit
    next_cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return items[offset:end], next_cursor


def _checked_metadata(metadata: Any) -> dict[str, Any]:
    """Slack's message metadata: an event_type and an event_payload object."""
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _metadata_shown(message: dict[str, Any], include_all_metadata: bool) -> dict[str, Any]:
    """History shows a message's metadata only when asked with include_all_metadata."""
    if include_all_metadata or "metadata" not in message:
        return message
    return {k: v for k, v in message.items() if k != "metadata"}


def _invalid_blocks(errors: list[str]) -> SlackError:
    return SlackError("invalid_blocks", errors=errors, response_metadata={"messages": errors})


def _error_response(error: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error": error, **extra})


def _failure_response(failure: _Failure) -> web.Response:
    if failure.status == 429:
        retry_after = 1 if failure.retry_after is None else failure.retry_after
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )
    return web.json_response({"ok": False, "error": failure.error}, status=failure.status)
