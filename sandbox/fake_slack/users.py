"""users.*: profiles (with time zone, and locale only when asked) and lookup by email."""

from __future__ import annotations

from typing import Any, Final

from sandbox.fake_slack.calls import Call, Method, SlackError, flag
from sandbox.fake_slack.workspace import Workspace


def info(ws: Workspace, call: Call) -> dict[str, Any]:
    user = ws.users.get(str(call.args.get("user", "")))
    if user is None or not user.visible:
        raise SlackError("user_not_found")
    if user.is_stranger:
        return {"user": user.stranger_api()}
    return {"user": user.to_api(include_locale=flag(call.args.get("include_locale")))}


def lookup_by_email(ws: Workspace, call: Call) -> dict[str, Any]:
    email = str(call.args.get("email", "")).lower()
    for user in ws.users.values():
        if email and user.email is not None and user.email.lower() == email:
            return {"user": user.to_api()}
    raise SlackError("users_not_found")


METHODS: Final[dict[str, Method]] = {
    "users.info": info,
    "users.lookupByEmail": lookup_by_email,
}
