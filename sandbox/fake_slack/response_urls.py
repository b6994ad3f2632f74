"""A click's response_url: it answers that click (replace or delete the clicked message,
or post beside it) 5 times in 30 minutes, as Slack documents."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from sandbox.fake_slack.calls import Call, SlackError, flag, read_args
from sandbox.fake_slack.chat import checked_content
from sandbox.fake_slack.workspace import Workspace

RESPONSE_URL_USES: Final = 5
RESPONSE_URL_LIFETIME: Final = 30 * 60.0


@dataclass
class ResponseUrl:
    """Where a click's response_url posts: the clicked message, for the clicker."""

    workspace: Workspace
    channel: str
    message_ts: str
    user: str
    thread_ts: str | None
    created: float
    uses: int = 0


class ResponseUrls:
    def __init__(self) -> None:
        self.by_url: dict[str, ResponseUrl] = {}

    def issue(
        self,
        ws: Workspace,
        base_url: str,
        *,
        channel: str,
        message_ts: str,
        user: str,
        thread_ts: str | None = None,
    ) -> str:
        n = next(ws.shared.ids)
        url = f"{base_url}/actions/{ws.team_id}/{n}/{n:04x}a1b2c3d4"
        self.by_url[url] = ResponseUrl(ws, channel, message_ts, user, thread_ts, time.monotonic())
        return url

    async def handle(self, request: web.Request, base_url: str, calls: list[Call]) -> web.Response:
        """Slack's response_url: JSON with `text`/`blocks` and `replace_original`,
        `delete_original` or `response_type` ("ephemeral", the default, or "in_channel")."""
        url = f"{base_url}{request.path}"
        try:
            args = await read_args(request)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        call = Call("response_url", {**args, "url": url}, request.method, dict(request.headers))
        calls.append(call)
        target = self.by_url.get(url)
        if target is None:
            return web.json_response({"ok": False, "error": "no_service"}, status=404)
        if (
            target.uses >= RESPONSE_URL_USES
            or time.monotonic() - target.created > RESPONSE_URL_LIFETIME
        ):
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        target.uses += 1
        try:
            _respond(call, target)
        except SlackError as exc:
            return web.json_response({"ok": False, "error": exc.error, **exc.extra}, status=400)
        return web.json_response({"ok": True})


def _respond(call: Call, target: ResponseUrl) -> None:
    ws = target.workspace
    posted = ws.messages.get(target.channel, [])
    index = next((i for i, m in enumerate(posted) if m["ts"] == target.message_ts), None)
    if flag(call.args.get("delete_original")):
        if index is None:
            raise SlackError("message_not_found")
        posted.pop(index)
        ws.history.get(target.channel, {}).pop(target.message_ts, None)
        return
    text, blocks = checked_content(ws, call)
    if flag(call.args.get("replace_original")):
        if index is None:
            raise SlackError("message_not_found")
        updated = {**posted[index], "text": text}
        if blocks is not None:
            updated["blocks"] = blocks
        else:
            updated.pop("blocks", None)
        posted[index] = updated
        ws.history.setdefault(target.channel, {})[target.message_ts] = updated
        ws.changed(target.channel, updated)
        return
    where: dict[str, Any] = {"channel": target.channel, "user": target.user, "text": text}
    if blocks is not None:
        where["blocks"] = blocks
    if target.thread_ts:
        where["thread_ts"] = target.thread_ts
    if call.args.get("response_type") == "in_channel":
        message: dict[str, Any] = {
            "type": "message",
            "user": ws.bot_user_id,
            "ts": ws.shared.clock.next(),
        }
        message.update({k: v for k, v in where.items() if k not in ("user", "channel")})
        ws.posted_by_bot(target.channel, message)
        return
    ws.ephemerals.append({**where, "message_ts": ws.shared.clock.next()})
