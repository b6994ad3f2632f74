"""One Web API request as the fake received it, and the argument rules Slack applies."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import BodyPartReader, web

if TYPE_CHECKING:
    from sandbox.fake_slack.workspace import Workspace

# Form-encoded clients send these as JSON strings; decode them so handlers and tests
# always see lists and objects.
JSON_ARGS: Final = frozenset({"blocks", "attachments", "view", "files", "metadata"})


@dataclass
class Call:
    """One request to the fake, as received (args merged from query, form and JSON)."""

    method: str
    args: dict[str, Any]
    http_method: str
    headers: dict[str, str]
    error: str | None = None  # what Slack answered when it refused the call
    detail: Any = None  # the refusal's extra fields (errors, needed, …)


class SlackError(Exception):
    """Raised by a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# A Web API method: the workspace the token belongs to, the call -> the body after "ok".
Method = Callable[["Workspace", Call], dict[str, Any]]


async def read_args(request: web.Request) -> dict[str, Any]:
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


async def read_upload(request: web.Request) -> bytes:
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


def header(call: Call, name: str) -> str | None:
    for key, value in call.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def token_of(call: Call) -> str | None:
    authorization = header(call, "authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None
    arg_token = call.args.get("token")  # Slack also accepts the token as a POST argument
    return str(arg_token) if arg_token else None


def required(call: Call, name: str, *, error: str) -> str:
    value = call.args.get(name)
    if value is None or value == "":
        raise SlackError(error)
    return str(value)


def flag(value: Any) -> bool:
    """Slack's boolean arguments: true/1 (slack_sdk sends "1"/"0" in forms)."""
    return value is True or str(value).lower() in ("true", "1")


def paginate(items: list[dict[str, Any]], call: Call) -> tuple[list[dict[str, Any]], str]:
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


def invalid_blocks(errors: list[str]) -> SlackError:
    return SlackError("invalid_blocks", errors=errors, response_metadata={"messages": errors})


def error_response(error: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error": error, **extra})
