"""What a person does in the browser sandbox, turned into what Slack would send the bot.

A message, a reaction, a shortcut, a click, a choice, a form: each becomes the event
or the signed interaction payload Slack posts, sent to the unchanged bot; what the
bot answers (modal errors, a pushed view) is applied as Slack applies it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox import payloads
from sandbox.fake_slack import FakeSlack, Workspace
from sandbox.fake_slack import views as view_store
from sandbox.signed import SlackSender

Form = Mapping[str, Sequence[str]]  # field name -> every value sent under it


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: str  # "customer", "agent", "team lead"
    email: str
    tz: str = "Europe/Berlin"


@dataclass
class Session:
    """The sandbox's state beside the fake Slack: open modals, form errors, a version."""

    slack: FakeSlack
    sender: SlackSender
    cast: tuple[Person, ...]
    channel_names: dict[str, str]
    close_reaction: str = "white_check_mark"
    version: int = 0
    modals: dict[str, list[str]] = field(default_factory=dict)  # user -> view ids, top last
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # view id -> block errors
    notes: list[str] = field(default_factory=list)  # what the sandbox itself did, for the log
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.ws.listeners.append(self._on_change)

    @property
    def ws(self) -> Workspace:
        return self.slack.default

    def person(self, user_id: str) -> Person:
        return next((p for p in self.cast if p.user_id == user_id), self.cast[0])

    def names(self) -> dict[str, str]:
        return {uid: user.name or uid for uid, user in self.ws.users.items()}

    def _on_change(self, channel: str, item: dict[str, Any]) -> None:
        if item.get("type") == "modal":
            user = self.ws.view_store.user_by_id.get(str(item["id"]))
            stack = self.modals.setdefault(user or "", [])
            if user and item["id"] not in stack:
                stack.append(str(item["id"]))
        self.bump()

    def bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, version: int, timeout: float) -> None:  # noqa: ASYNC109
        """Return once the version moved past `version`, or after `timeout` seconds."""
        if self.version != version:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._changed.wait()
        except TimeoutError:
            pass

    def note(self, line: str) -> None:
        self.notes.append(line)
        del self.notes[:-50]
        self.bump()

    def top_modal(self, user: str) -> dict[str, Any] | None:
        stack = self.modals.get(user, [])
        return self.ws.view_store.by_id.get(stack[-1]) if stack else None

    def _trigger(self, user: str) -> str:
        """A fresh trigger_id; views.open with it opens the modal for `user`."""
        trigger = payloads.fresh_trigger()
        self.ws.shared.trigger_users[trigger] = user
        return trigger

    # ------------------------------------------------------------------- messages

    async def post(self, user: str, channel: str, text: str, thread_ts: str | None) -> None:
        """Someone writes in a channel or a thread; the bot hears the message event."""
        ts = self.ws.shared.clock.next()
        self.ws.add_message(channel, ts, user, text, thread_ts or None)
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im" if channel.startswith("D") else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        await self.sender.event(event)

    async def react(self, user: str, channel: str, ts: str, name: str) -> None:
        """A reaction on a message (the close emoji closes a support conversation)."""
        message = self.ws.history.get(channel, {}).get(ts)
        if message is None:
            return
        reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
        same = next((r for r in reactions if r["name"] == name), None)
        if same is None:
            same = {"name": name, "users": [], "count": 0}
            reactions.append(same)
        if user in same["users"]:
            return
        same["users"].append(user)
        same["count"] = len(same["users"])
        self.bump()
        await self.sender.event(
            payloads.reaction_added(
                user=user, reaction=name, channel=channel, ts=ts, item_user=message.get("user")
            )
        )

    async def shortcut(self, user: str, channel: str, ts: str, callback_id: str) -> None:
        """A message shortcut, such as "Close & send survey"."""
        message = self.ws.history.get(channel, {}).get(ts)
        if message is None:
            return
        payload = payloads.message_shortcut(
            callback_id=callback_id, user=user, channel=channel, message=message
        )
        payload["trigger_id"] = self._trigger(user)
        await self.sender.interaction(payload)

    async def open_home(self, user: str) -> None:
        await self.sender.event(payloads.app_home_opened(user=user))

    # ---------------------------------------------------------------- interactions

    def _message(self, channel: str, ts: str, user: str) -> tuple[dict[str, Any], bool]:
        """The message a click came from, and whether it is an ephemeral one."""
        found = self.ws.history.get(channel, {}).get(ts)
        if found is not None:
            return found, False
        for ephemeral in self.ws.ephemerals:
            if ephemeral["message_ts"] == ts and ephemeral["user"] == user:
                return {**ephemeral, "ts": ts, "type": "message"}, True
        raise LookupError(f"no message {ts} in {channel}")

    async def act(self, user: str, vals: Mapping[str, str], form: Form) -> None:
        """A click on a button or a choice in a select: a block_actions payload."""
        block_id, action_id = vals.get("block_id", ""), vals.get("action_id", "")
        chosen = list(form.get(f"{block_id}|{action_id}", []))
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": self.ws.team_id,
            },
            "api_app_id": payloads.APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": self._trigger(user),
            "team": {"id": self.ws.team_id, "domain": "sandbox"},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if vals.get("view_id"):
            view = self.ws.view_store.by_id[vals["view_id"]]
            element = _element(view.get("blocks", []), block_id, action_id)
            payload.update(
                container={"type": "view", "view_id": view["id"]},
                view={**view, "state": {"values": state_values(view, form)}},
            )
        else:
            channel, ts = vals["channel"], vals["ts"]
            message, ephemeral = self._message(channel, ts, user)
            element = _element(message.get("blocks", []), block_id, action_id)
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            if message.get("thread_ts"):
                container["thread_ts"] = message["thread_ts"]
            payload.update(
                container=container,
                channel={"id": channel, "name": self.channel_names.get(channel, "directmessage")},
                state={"values": {}},
                response_url=f"https://hooks.slack.com/actions/{self.ws.team_id}/1/sandbox",
            )
            if not ephemeral:
                payload["message"] = message
        payload["actions"] = [_action(element, block_id, chosen, vals.get("value"))]
        await self.sender.interaction(payload)

    async def submit(self, user: str, view_id: str, form: Form) -> None:
        """The modal's submit button: a view_submission, then what the bot answered."""
        view = self.ws.view_store.by_id[view_id]
        payload = payloads.submission(view, user=user)
        payload["view"]["state"] = {"values": state_values(view, form)}
        payload["trigger_id"] = self._trigger(user)
        payload["team"] = {"id": self.ws.team_id, "domain": "sandbox"}
        reply = await self.sender.interaction(payload)
        answer = reply.body if isinstance(reply.body, dict) else {}
        stack = self.modals.setdefault(user, [])
        self.errors.pop(view_id, None)
        action = answer.get("response_action")
        if reply.status >= 400:
            self.note(f"the bot answered {reply.status} to the form")
        elif action == "errors":
            self.errors[view_id] = {str(k): str(v) for k, v in answer.get("errors", {}).items()}
        elif action == "update":
            view_store.store(self.ws, answer["view"], view_id=view_id, previous=view, user=user)
        elif action == "push":
            view_store.store(self.ws, answer["view"], view_id=None, user=user)
        elif action == "clear":
            stack.clear()
        elif view_id in stack:
            stack.remove(view_id)
        self.bump()

    async def close(self, user: str, view_id: str) -> None:
        """Cancel (or ×): the modal goes; the bot hears it if it asked to."""
        view = self.ws.view_store.by_id.get(view_id)
        stack = self.modals.setdefault(user, [])
        if view_id in stack:
            stack.remove(view_id)
        self.bump()
        if view is not None and view.get("notify_on_close"):
            await self.sender.interaction(payloads.view_closed(view, user=user))


def _element(blocks: list[dict[str, Any]], block_id: str, action_id: str) -> dict[str, Any]:
    for block in blocks:
        if str(block.get("block_id", "")) != block_id:
            continue
        candidates = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise LookupError(f"no element {action_id} in block {block_id}")


def _option(element: Mapping[str, Any], value: str) -> dict[str, Any] | None:
    options = [
        *element.get("options", []),
        *(o for g in element.get("option_groups", []) for o in g.get("options", [])),
    ]
    return next((dict(o) for o in options if o.get("value") == value), None)


def _action(
    element: Mapping[str, Any], block_id: str, chosen: list[str], value: str | None
) -> dict[str, Any]:
    """One entry of `actions`, shaped by the element's type as Slack shapes it."""
    kind = str(element.get("type"))
    action: dict[str, Any] = {
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "type": kind,
        "action_ts": payloads.fresh_action_ts(),
    }
    if kind == "button":
        action.update(text=element.get("text"), value=element.get("value", value or ""))
    else:
        action.update(_selection(element, chosen))
    return action


def _selection(element: Mapping[str, Any], chosen: list[str]) -> dict[str, Any]:
    """What a person picked in one element, in the key Slack names for its type."""
    kind = str(element.get("type"))
    picked = [c for c in chosen if c]
    first = picked[0] if picked else None
    if kind in ("static_select", "radio_buttons"):
        return {"selected_option": _option(element, first) if first else None}
    if kind == "checkboxes":
        return {"selected_options": [o for v in picked if (o := _option(element, v))]}
    if kind == "users_select":
        return {"selected_user": first}
    if kind == "multi_users_select":
        return {"selected_users": picked}
    if kind == "conversations_select":
        return {"selected_conversation": first}
    if kind == "multi_conversations_select":
        return {"selected_conversations": picked}
    return {"value": chosen[0] if chosen and chosen[0] != "" else None}


def state_values(view: Mapping[str, Any], form: Form) -> dict[str, Any]:
    """view.state.values as Slack sends it on submit, from the form the browser posted."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        block_id = str(block.get("block_id", ""))
        chosen = list(form.get(f"{block_id}|{element.get('action_id', '')}", []))
        state = {"type": element.get("type"), **_selection(element, chosen)}
        values[block_id] = {str(element.get("action_id")): state}
    return values
