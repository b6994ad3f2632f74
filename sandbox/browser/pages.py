"""The sandbox's page: sidebar, channel, thread, App Home, modal and the log pane."""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sandbox.browser import blocks as bk
from sandbox.browser.mrkdwn import emoji, mrkdwn
from sandbox.browser.session import Session
from sandbox.fake_slack.world import ts_key

HOME = "home"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _vals(**values: str) -> str:
    return _e(json.dumps(values))


def _when(ts: str, tz: str) -> str:
    moment = datetime.fromtimestamp(ts_key(ts) / 1_000_000, ZoneInfo(tz))
    return moment.strftime("%a %d %b, %H:%M")


def page(session: Session, user: str, channel: str, thread: str | None) -> str:
    """The whole page for `user` looking at `channel` (and a thread, when open)."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>surveybot sandbox</title><script src=/static/htmx.min.js></script>"
        "<link rel=stylesheet href=/static/sandbox.css></head><body><div class=app>"
        f"{sidebar(session, user, channel)}{live(session, user, channel, thread)}"
        f"{modal(session, user)}{_home_opened(channel)}</div></body></html>"
    )


def _home_opened(channel: str) -> str:
    """Opening the Home tab is an event for the bot: sent once per visit, never per poll."""
    if channel != HOME:
        return ""
    return "<div hx-post=/home-open hx-trigger=load hx-swap=none></div>"


def sidebar(session: Session, user: str, channel: str) -> str:
    me = session.person(user)
    people = "".join(
        f'<option value="{_e(p.user_id)}"{" selected" if p.user_id == user else ""}>'
        f"{_e(p.name)} ({_e(p.role)})</option>"
        for p in session.cast
    )
    channels = "".join(
        f'<a href="/?c={_e(c)}" class="{"on" if c == channel else ""}">#&nbsp;{_e(name)}</a>'
        for c, name in session.channel_names.items()
    )
    dm = session.ws.dms.get(user)
    dm_link = (
        f'<a href="/?c={_e(dm)}" class="{"on" if dm == channel else ""}">surveybot (messages)</a>'
        if dm
        else ""
    )
    home_class = "on" if channel == HOME else ""
    return (
        f"<nav class=sidebar><h1>{_e(session.ws.name)}</h1>"
        f"<form hx-post=/as hx-trigger=change><label class=role for=as>Acting as</label>"
        f"<select id=as name=user>{people}</select></form>"
        f"<div class=role>{_e(me.name)} is {'an' if me.role[:1] in 'aeiou' else 'a'} "
        f"{_e(me.role)}</div>"
        f"<h2>Channels</h2>{channels}<h2>Apps</h2>"
        f'<a href="/?c={HOME}" class="{home_class}">surveybot · Home</a>{dm_link}'
        f"<h2>Sandbox</h2><button hx-post=/digest hx-swap=none>Post this week's digest now</button>"
        "</nav>"
    )


def live(session: Session, user: str, channel: str, thread: str | None) -> str:
    """The part that follows what happens: channel or Home, thread, log. Polled."""
    query = urlencode({"c": channel, **({"t": thread} if thread else {})})
    poll = (
        f'hx-get="/live?{_e(query)}" hx-trigger="every 700ms" '
        f'hx-vals="{_vals(v=str(session.version))}" hx-swap=outerHTML'
    )
    main = home(session, user) if channel == HOME else conversation(session, user, channel)
    side = thread_pane(session, user, channel, thread) if thread else ""
    return (
        f'<div id=live style="display:contents" {poll}>'
        f"<main>{main}</main><aside class=thread>{side}</aside>{log_pane(session)}</div>"
    )


def _where(session: Session, user: str, **container: str) -> bk.Where:
    return bk.Where(session.names(), session.channel_names, session.person(user).tz, container)


def message(
    session: Session, user: str, channel: str, item: dict[str, Any], *, in_thread: bool
) -> str:
    """One message: who, when, its blocks (or text), files, reactions and tools."""
    ws = session.ws
    author = str(item.get("user", ""))
    is_bot = author == ws.bot_user_id
    name = session.names().get(author, author)
    ts = str(item.get("ts") or item.get("message_ts"))
    where = _where(session, user, channel=channel, ts=ts)
    body = (
        bk.blocks(item["blocks"], where)
        if item.get("blocks")
        else mrkdwn(
            str(item.get("text", "")), names=where.names, channels=where.channels, tz=where.tz
        )
    )
    for file in item.get("files", []):
        if str(file.get("mimetype", "")).startswith("image/"):
            source, alt = f"/files/{_e(file['id'])}", _e(file["title"])
            body += f'<img style="max-width:100%" src="{source}" alt="{alt}">'
    reactions = "".join(
        f'<span class=reaction title="{_e(", ".join(where.names.get(u, u) for u in r["users"]))}">'
        f"{_e(emoji(':' + r['name'] + ':'))} {r['count']}</span>"
        for r in item.get("reactions", [])
    )
    ephemeral = "message_ts" in item and "ts" not in item
    tools = "" if ephemeral else _tools(session, channel, item, in_thread=in_thread)
    only = "<div class=only>Only visible to you</div>" if ephemeral else ""
    tag = "<span class=app-tag>APP</span>" if is_bot else ""
    return (
        f'<div class="msg{" ephemeral" if ephemeral else ""}" data-ts="{_e(ts)}">'
        f'<div class="avatar{" bot" if is_bot else ""}">{_e(name[:1].upper())}</div>'
        f"<div class=body>{only}<span class=who>{_e(name)}</span>{tag}"
        f"<span class=when>{_e(_when(ts, where.tz))}</span><div>{body}</div>"
        f"<div>{reactions}</div>{tools}</div></div>"
    )


def _tools(session: Session, channel: str, item: dict[str, Any], *, in_thread: bool) -> str:
    ts = str(item["ts"])
    is_root = item.get("thread_ts", ts) == ts
    parts = []
    if is_root and item.get("user") != session.ws.bot_user_id:
        name = session.close_reaction
        react = _vals(channel=channel, ts=ts, name=name)
        parts.append(
            f'<button hx-post=/react hx-swap=none hx-vals="{react}">'
            f"React {_e(emoji(':' + name + ':'))}</button>"
            f'<button hx-post=/shortcut hx-swap=none hx-vals="{_vals(channel=channel, ts=ts)}">'
            "Close &amp; send survey</button>"
        )
    if is_root and not in_thread and not channel.startswith("D"):
        replies = sum(
            1
            for m in session.ws.history.get(channel, {}).values()
            if m.get("thread_ts") == ts and m["ts"] != ts
        )
        label = f"{replies} repl{'y' if replies == 1 else 'ies'}" if replies else "Reply in thread"
        parts.append(f'<a class=link href="/?{_e(urlencode({"c": channel, "t": ts}))}">{label}</a>')
    return f"<div class=tools>{''.join(parts)}</div>" if parts else ""


def _composer(channel: str, thread: str | None, placeholder: str) -> str:
    hidden = f'<input type=hidden name=thread_ts value="{_e(thread)}">' if thread else ""
    return (
        '<form class=composer hx-post=/post hx-swap=none hx-on::after-request="this.reset()">'
        f'<input type=hidden name=channel value="{_e(channel)}">{hidden}'
        f'<textarea name=text placeholder="{_e(placeholder)}" required></textarea>'
        '<button class="button primary" type=submit>Send</button></form>'
    )


def conversation(session: Session, user: str, channel: str) -> str:
    ws = session.ws
    name = session.channel_names.get(channel)
    title = f"# {name}" if name else "surveybot"
    roots = [
        m for m in ws.history.get(channel, {}).values() if m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    shown: list[tuple[str, dict[str, Any]]] = [(str(m["ts"]), m) for m in roots]
    shown += [
        (str(e["message_ts"]), e)
        for e in ws.ephemerals
        if e["channel"] == channel and e["user"] == user and not e.get("thread_ts")
    ]
    shown.sort(key=lambda pair: ts_key(pair[0]))
    body = "".join(message(session, user, channel, m, in_thread=False) for _, m in shown)
    if not shown:
        body = "<p class=only>No messages yet.</p>"
    return (
        f"<div class=top>{_e(title)}</div><div id=messages>{body}</div>"
        f"{_composer(channel, None, f'Message {title}')}"
    )


def thread_pane(session: Session, user: str, channel: str, thread: str) -> str:
    ws = session.ws
    history = ws.history.get(channel, {})
    items: list[tuple[str, dict[str, Any]]] = [
        (str(m["ts"]), m)
        for m in history.values()
        if m["ts"] == thread or m.get("thread_ts") == thread
    ]
    items += [
        (str(e["message_ts"]), e)
        for e in ws.ephemerals
        if e["channel"] == channel and e["user"] == user and e.get("thread_ts") == thread
    ]
    items.sort(key=lambda pair: ts_key(pair[0]))
    body = "".join(message(session, user, channel, m, in_thread=True) for _, m in items)
    close = f'<a class=link href="/?c={_e(channel)}">Close</a>'
    return (
        f"<div class=top>Thread {close}</div><div id=thread>{body}</div>"
        f"{_composer(channel, thread, 'Reply…')}"
    )


def home(session: Session, user: str) -> str:
    view = session.ws.home_tabs.get(user)
    if view is None:
        return "<div class=top>surveybot · Home</div><p class=only>Opening…</p>"
    where = _where(session, user, view_id=str(view["id"]))
    drawn = bk.blocks(view.get("blocks"), where)
    return f"<div class=top>surveybot · Home</div><div id=home>{drawn}</div>"


def modal_key(session: Session, user: str) -> str:
    view = session.top_modal(user)
    if view is None:
        return ""
    return f"{view['id']}:{view['hash']}:{json.dumps(session.errors.get(view['id'], {}))}"


def modal(session: Session, user: str) -> str:
    """The person's open modal (the top of their stack), polled on its own."""
    key = modal_key(session, user)
    poll = (
        f'id=modal hx-get=/modal hx-trigger="every 700ms" hx-vals="{_vals(k=key)}" '
        "hx-swap=outerHTML"
    )
    view = session.top_modal(user)
    if view is None:
        return f"<div {poll}></div>"
    where = _where(session, user, view_id=str(view["id"]))
    errors = session.errors.get(str(view["id"]), {})
    content = bk.blocks(view.get("blocks"), where)
    for block_id, error in errors.items():
        content = content.replace(
            f'<div class="error" data-block="{_e(block_id)}"></div>',
            f'<div class="error" data-block="{_e(block_id)}">{_e(error)}</div>',
        )
    title = bk.text(view.get("title"), where)
    submit = bk.text(view.get("submit"), where) if view.get("submit") else ""
    close = bk.text(view.get("close"), where) if view.get("close") else "Cancel"
    vals = _vals(view_id=str(view["id"]))
    submit_button = (
        f'<button class="button primary" type=submit>{submit}</button>' if submit else ""
    )
    return (
        f"<div {poll}><div class=overlay><form class=modal hx-post=/submit hx-swap=none "
        f'hx-vals="{vals}"><header>{title}<button type=button class=button hx-post=/close '
        f'hx-vals="{vals}" hx-swap=none>×</button></header><div class=content>{content}</div>'
        f'<footer><button type=button class=button hx-post=/close hx-vals="{vals}" '
        f"hx-swap=none>{close}</button>{submit_button}</footer></form></div></div>"
    )


def log_pane(session: Session) -> str:
    """The Web API calls the bot made, newest first; refusals in red with Slack's error."""
    lines = []
    for call in reversed(session.slack.calls[-60:]):
        if call.error:
            detail = f" {json.dumps(call.detail)[:300]}" if call.detail else ""
            lines.append(f"<div class=bad>✗ {_e(call.method)} → {_e(call.error)}{_e(detail)}</div>")
        else:
            lines.append(f"<div class=ok>✓ {_e(call.method)}</div>")
    notes = "".join(f"<div>{_e(n)}</div>" for n in reversed(session.notes[-5:]))
    heading = "<b>Slack log</b> (what the bot asked Slack, newest first)"
    return f"<section class=log id=log>{heading}{notes}{''.join(lines)}</section>"
