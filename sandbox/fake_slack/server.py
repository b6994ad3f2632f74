"""FakeSlack: the HTTP server, token -> workspace, and the recording tests read."""

from __future__ import annotations

import asyncio
import collections
import logging
import math
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web
from slack_sdk.oauth.installation_store import Installation

from bot.delivery.dispatcher import SURVEY_EVENT_TYPE
from sandbox.fake_slack import auth, chat, conversations, files, users, views
from sandbox.fake_slack.auth import Installs
from sandbox.fake_slack.calls import (
    Call,
    Method,
    SlackError,
    error_response,
    read_args,
    read_upload,
    token_of,
)
from sandbox.fake_slack.faults import Failure, Faults
from sandbox.fake_slack.response_urls import ResponseUrls
from sandbox.fake_slack.socket_mode import SocketMode
from sandbox.fake_slack.workspace import Shared, Workspace

log = logging.getLogger(__name__)

VALID_TOKEN_PREFIXES: Final = ("xoxb-", "xapp-", "xoxe.xoxb-")
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024
METHODS: Final[dict[str, Method]] = {
    **auth.METHODS,
    **conversations.METHODS,
    **chat.METHODS,
    **views.METHODS,
    **users.METHODS,
    **files.METHODS,
}
# Methods called with the app's client credentials, before any workspace token exists.
OAUTH_EXCHANGE: Final = "oauth.v2.access"


class FakeSlack(Faults):
    """An in-process fake of the Slack Web API on an ephemeral 127.0.0.1 port.

    It answers the methods surveybot uses with Slack's response shapes, records every
    call, checks Block Kit limits, and can be told to fail (see Faults). It holds one
    workspace or several; a token names its workspace, as on Slack. The first workspace
    is the default: `slack.messages`, `slack.add_user(...)` and the like are its own.
    """

    def __init__(
        self, *, bot_user_id: str = "UBOT", team_id: str = "T0001", bot_token: str = "xoxb-test"
    ) -> None:
        super().__init__()
        self.app_id = "A0001"
        self.calls: list[Call] = []
        self.installs = Installs()
        self.shared = Shared(app_id=self.app_id, base_url=lambda: self.base_url)
        self.socket_mode = SocketMode(self.app_id)
        self.response_urls = ResponseUrls()
        self.workspaces: dict[str, Workspace] = {}
        # Token -> workspace, so that a fake holding a thousand answers each call at once.
        self._by_token: dict[str, Workspace] = {}
        self.default = self.add_workspace(
            team_id, name="Fake Workspace", bot_token=bot_token, bot_user_id=bot_user_id
        )
        self._runner: web.AppRunner | None = None
        self._host = ""
        self._port = 0

    # ------------------------------------------------------------------- workspaces

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str = "",
        bot_token: str | None = None,
        bot_user_id: str = "UBOT",
    ) -> Workspace:
        """A workspace with the app installed: its own team, bot token, people, channels."""
        if team_id in self.workspaces:
            raise ValueError(f"workspace {team_id} exists already")
        ws = Workspace(
            shared=self.shared,
            team_id=team_id,
            name=name or f"Workspace {team_id}",
            bot_token=bot_token or f"xoxb-{team_id.lower()}-fake",
            bot_user_id=bot_user_id,
            bot_id=f"B{len(self.workspaces) + 1:04d}",
        )
        ws.add_user(bot_user_id, name="surveybot", is_bot=True)
        self.workspaces[team_id] = ws
        self._by_token[ws.bot_token] = ws
        return ws

    def workspace(self, team_id: str) -> Workspace:
        return self.workspaces[team_id]

    def workspace_of(self, token: str) -> Workspace | None:
        """The workspace a token belongs to. Any other well-formed token is the default
        workspace's (single-workspace tests use tokens they never registered)."""
        known = self._by_token.get(token)
        if known is not None and known.bot_token == token:
            return known
        for ws in self.workspaces.values():  # a token changed after add_workspace
            if ws.bot_token == token:
                return ws
        rotated = self.installs.issued.get(token)
        if rotated is not None:
            return self.workspaces[rotated]
        return self.default if token.startswith(VALID_TOKEN_PREFIXES) else None

    def install(self, team_id: str, user_id: str, *, redirect_uri: str | None = None) -> str:
        """Someone approves the app for `team_id`: the code Slack sends to the redirect."""
        return self.installs.grant(self.workspaces[team_id], user_id, redirect_uri=redirect_uri)

    def installation(self, team_id: str, user_id: str = "U0ADMIN") -> Installation:
        """What bolt's OAuth flow saves once `team_id` installed the app (tests and benches
        that install many workspaces save it straight into the store)."""
        ws = self.workspaces[team_id]
        return Installation(
            app_id=self.app_id,
            team_id=team_id,
            team_name=ws.name,
            bot_token=ws.bot_token,
            bot_id=ws.bot_id,
            bot_user_id=ws.bot_user_id,
            bot_scopes=auth.DEFAULT_BOT_SCOPE.split(","),
            user_id=user_id,
        )

    def add_org(
        self, enterprise_id: str, *, name: str = "", bot_token: str | None = None
    ) -> Workspace:
        """An Enterprise Grid org to install org-wide: its token answers for the enterprise."""
        ws = self.add_workspace(
            enterprise_id, name=name or f"Org {enterprise_id}", bot_token=bot_token
        )
        ws.enterprise_id = enterprise_id
        ws.enterprise_name = ws.name
        ws.org_wide = True
        return ws

    def authorize(self, url: str, team_id: str, user_id: str, *, allow: bool = True) -> str:
        """A person on Slack's authorize page for `url` picks `team_id` (a workspace, or an
        org from add_org) and clicks Allow, or Cancel: where their browser goes next."""
        return self.installs.authorize(url, self.workspaces[team_id], user_id, allow=allow)

    # The default workspace, as single-workspace tests have always used it.
    @property
    def team_id(self) -> str:
        return self.default.team_id

    @property
    def bot_token(self) -> str:
        return self.default.bot_token

    @property
    def bot_user_id(self) -> str:
        return self.default.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.default.bot_id

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        return self.default.messages

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        return self.default.ephemerals

    @property
    def views(self) -> list[dict[str, Any]]:
        return self.default.views

    @property
    def home_tabs(self) -> dict[str, dict[str, Any]]:
        return self.default.home_tabs

    @property
    def uploads(self) -> list[dict[str, Any]]:
        return self.default.uploads

    @property
    def missing_text_fallback(self) -> list[Call]:
        """Calls that sent blocks without a text fallback."""
        return self.shared.missing_text_fallback

    def add_user(self, user_id: str, **profile: Any) -> None:
        self.default.add_user(user_id, **profile)

    def add_channel(self, channel_id: str, name: str = "", **flags: bool) -> None:
        self.default.add_channel(channel_id, name, **flags)

    @property
    def expired_triggers(self) -> list[Call]:
        return self.shared.expired_triggers

    @property
    def trigger_lifetime(self) -> float:
        return self.shared.trigger_lifetime

    @trigger_lifetime.setter
    def trigger_lifetime(self, seconds: float) -> None:
        self.shared.trigger_lifetime = seconds

    def response_url(
        self, *, channel: str, message_ts: str, user: str, thread_ts: str | None = None
    ) -> str:
        """A click's response_url in the default workspace, as Slack puts in block_actions."""
        return self.response_urls.issue(
            self.default,
            self.base_url,
            channel=channel,
            message_ts=message_ts,
            user=user,
            thread_ts=thread_ts,
        )

    def add_message(
        self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None
    ) -> None:
        self.default.add_message(channel, ts, user, text, thread_ts)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSlack is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/actions/{team}/{n}/{secret}", self._handle_response_url)
        app.router.add_get("/socket", self.socket_mode.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])  # the real port when port=0

    async def stop(self) -> None:
        await self.socket_mode.close()
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
            for ws in self.workspaces.values()
            for messages in ws.messages.values()
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

    def reset(self) -> None:
        """Forget calls, what the bot posted, and pending failures; keep users/channels."""
        self.calls.clear()
        self.shared.missing_text_fallback.clear()
        self.shared.files.clear()
        self.shared.used_triggers.clear()
        self.shared.expired_triggers.clear()
        self.response_urls.by_url.clear()
        self.failures.clear()
        for ws in self.workspaces.values():
            ws.forget_posts()

    # ------------------------------------------------------------------ Socket Mode

    @property
    def socket_acks(self) -> dict[str, Any]:
        return self.socket_mode.acks

    async def push_socket_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        """Deliver an events_api / interactive envelope over Socket Mode; wait for its ack."""
        return await self.socket_mode.push(envelope_type, payload, timeout)

    # ------------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await read_args(request)
        except ValueError as exc:
            self.calls.append(Call(method, {}, request.method, dict(request.headers)))
            return error_response("invalid_form_data", detail=str(exc))
        call = Call(method, args, request.method, dict(request.headers))
        self.calls.append(call)
        log.debug("fake slack: %s %s", method, args)
        if self.latency.get(method):
            await asyncio.sleep(self.latency[method])
        failure = self.take_failure(method)
        if failure is not None:
            return failure.response()
        try:
            body = self.answer(call)
        except SlackError as exc:
            self.refused(call, exc)
            return error_response(exc.error, **exc.extra)
        except _RateLimited as limited:
            self.rate_limited.append(call)
            return Failure(1, 429, "ratelimited", limited.retry_after).response()
        await self.hold(method)
        return web.json_response({"ok": True, **body})

    def answer(self, call: Call) -> dict[str, Any]:
        """The body of a successful answer to `call`, or SlackError as Slack would refuse."""
        if call.method == OAUTH_EXCHANGE:
            return self.installs.exchange(call, self.workspaces)
        token = token_of(call)
        if not token:
            raise SlackError("not_authed")
        if token in self.revoked_tokens:
            raise SlackError("token_revoked")
        ws = self.workspace_of(token)
        if ws is None:
            raise SlackError("invalid_auth")
        handler = METHODS.get(call.method)
        if handler is None:
            raise SlackError("unknown_method")
        if self.tiers is not None:
            over = self.tiers.over(call, ws.team_id)
            if over:
                raise _RateLimited(max(1, math.ceil(over)))
        return handler(ws, call)

    def refused(self, call: Call, error: SlackError) -> None:
        """A call Slack would refuse: noted on the call (the sandbox's log pane shows it)."""
        call.error = error.error
        call.detail = error.extra or None
        log.info("fake slack refused %s: %s %s", call.method, error.error, error.extra or "")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        return await self.response_urls.handle(request, self.base_url, self.calls)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        content = await read_upload(request)
        self.calls.append(
            Call(
                "upload",
                {"file_id": file_id, "length": len(content)},
                request.method,
                dict(request.headers),
            )
        )
        pending = self.shared.files.get(file_id)
        if pending is None:
            return web.Response(status=404, text="file not found")
        pending.content = content
        return web.Response(text=f"OK - {len(content)}")


class _RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
