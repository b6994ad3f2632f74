"""views.*: modals (single-use trigger ids), updates with hash checks, and Home tabs."""

from __future__ import annotations

import time
from typing import Any, Final

from sandbox.blockkit import validate_view
from sandbox.fake_slack.calls import Call, Method, SlackError, invalid_blocks, required
from sandbox.fake_slack.workspace import Workspace


def open_modal(ws: Workspace, call: Call) -> dict[str, Any]:
    user = use_trigger(ws, call)
    return {"view": store(ws, checked_view(call, "modal"), view_id=None, user=user)}


def push(ws: Workspace, call: Call) -> dict[str, Any]:
    user = use_trigger(ws, call)
    return {"view": store(ws, checked_view(call, "modal"), view_id=None, user=user)}


def update(ws: Workspace, call: Call) -> dict[str, Any]:
    view_id = call.args.get("view_id")
    external_id = call.args.get("external_id")
    if not view_id and not external_id:
        raise SlackError("invalid_arguments")
    if not view_id:
        view_id = ws.view_store.id_by_external.get(str(external_id))
    current = ws.view_store.by_id.get(str(view_id)) if view_id else None
    if current is None:
        raise SlackError("not_found")
    check_hash(call, current)
    new_view = checked_view(call, str(current["type"]))
    return {"view": store(ws, new_view, view_id=current["id"], previous=current)}


def publish(ws: Workspace, call: Call) -> dict[str, Any]:
    user_id = required(call, "user_id", error="invalid_arguments")
    new_view = checked_view(call, "home")
    view_id = ws.view_store.home_id_by_user.get(user_id)
    current = ws.view_store.by_id.get(view_id) if view_id else None
    if current is not None:
        check_hash(call, current)
    stored = store(ws, new_view, view_id=view_id, previous=current, user=user_id)
    ws.view_store.home_id_by_user[user_id] = stored["id"]
    ws.home_tabs[user_id] = stored
    return {"view": stored}


def trigger_issued_at(trigger_id: str) -> float | None:
    """When a trigger_id made by sandbox.payloads was issued (`<n>.<epoch ms>.<hex>`);
    None for one made by hand ("trig-1"), which never expires."""
    parts = trigger_id.split(".")
    if len(parts) == 3 and parts[1].isascii() and parts[1].isdigit() and len(parts[1]) == 13:
        return int(parts[1]) / 1000
    return None


def use_trigger(ws: Workspace, call: Call) -> str | None:
    """Spend the call's trigger_id; the user it was issued to, when the fake issued it."""
    trigger_id = required(call, "trigger_id", error="invalid_arguments")
    # trigger_ids are single-use on Slack; reusing one is a bug worth catching.
    if trigger_id in ws.shared.used_triggers:
        raise SlackError("exchanged_trigger_id")
    issued = trigger_issued_at(trigger_id)
    if issued is not None and time.time() - issued > ws.shared.trigger_lifetime:
        ws.shared.expired_triggers.append(call)
        raise SlackError("expired_trigger_id")
    ws.shared.used_triggers.add(trigger_id)
    return ws.shared.trigger_users.pop(trigger_id, None)


def checked_view(call: Call, expected_type: str) -> dict[str, Any]:
    view = call.args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["view"]})
    if view.get("type") != expected_type:
        raise invalid_blocks([f"view.type: expected {expected_type!r}"])
    errors = validate_view(view)
    if errors:
        raise invalid_blocks(errors)
    return view


def check_hash(call: Call, current: dict[str, Any]) -> None:
    expected = call.args.get("hash")
    if expected and expected != current["hash"]:
        raise SlackError("hash_conflict")


def store(
    ws: Workspace,
    view: dict[str, Any],
    *,
    view_id: str | None,
    previous: dict[str, Any] | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    external_id = view.get("external_id")
    if external_id:
        owner = ws.view_store.id_by_external.get(str(external_id))
        if owner is not None and owner != view_id:
            raise SlackError("duplicate_external_id")
    new_id = view_id or ws.shared.next_id("V")
    stored: dict[str, Any] = {
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "clear_on_close": False,
        "notify_on_close": False,
        **view,
        "id": new_id,
        "team_id": ws.team_id,
        "state": {"values": {}},
        "hash": f"{ws.shared.clock.next()}.{next(ws.shared.ids)}",
        "root_view_id": previous["root_view_id"] if previous else new_id,
        "previous_view_id": None,
        "app_id": ws.shared.app_id,
        "bot_id": ws.bot_id,
    }
    ws.view_store.by_id[new_id] = stored
    if user is not None:
        ws.view_store.user_by_id[new_id] = user
    if external_id:
        ws.view_store.id_by_external[str(external_id)] = new_id
    ws.views.append(stored)
    ws.changed("", stored)
    return stored


METHODS: Final[dict[str, Method]] = {
    "views.open": open_modal,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}
