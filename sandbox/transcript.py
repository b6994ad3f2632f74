"""Slack messages and modals as a person would read them, in a terminal."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^>]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]+)>")


def _display(text: str, names: Mapping[str, str]) -> str:
    """Slack's markup as the client shows it: @names, link labels, unescaped text."""
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(element: Any) -> str:
    if isinstance(element, dict):
        return str(element.get("text", ""))
    return ""


def _block_lines(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    kind = block.get("type")
    lines: list[str] = []
    if kind == "header":
        lines.append(f"== {_display(_text_of(block.get('text')), names)} ==")
    elif kind == "section":
        if block.get("text"):
            lines.extend(_display(_text_of(block["text"]), names).splitlines())
        for field in block.get("fields", []):
            lines.extend(_display(_text_of(field), names).splitlines())
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            lines.append(f"[ {_text_of(accessory.get('text'))} ]")
    elif kind == "context":
        parts = [_display(_text_of(e), names) for e in block.get("elements", []) if "text" in e]
        lines.append("  " + " · ".join(parts))
    elif kind == "actions":
        labels = [_text_of(e.get("text")) for e in block.get("elements", [])]
        lines.append("  ".join(f"[ {label} ]" for label in labels))
    elif kind == "divider":
        lines.append("─" * 40)
    elif kind == "input":
        lines.append(f"{_text_of(block.get('label'))}:")
        element = block.get("element", {})
        for option in element.get("options", []):
            lines.append(f"  ☐ {_text_of(option.get('text'))}")
        if element.get("type") == "plain_text_input":
            lines.append("  ┌" + "─" * 30 + "┐")
    elif kind == "image":
        lines.append(f"[image: {block.get('alt_text', '')}]")
    return lines


def message_as_text(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The blocks of a message (or the fallback text when it has none), as plain lines."""
    names = names or {}
    blocks = message.get("blocks") or []
    if not blocks:
        return _display(str(message.get("text", "")), names)
    return "\n".join(line for block in blocks for line in _block_lines(block, names))


def view_as_text(view: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    title = _text_of(view.get("title"))
    submit = _text_of(view.get("submit"))
    body = "\n".join(line for b in view.get("blocks", []) for line in _block_lines(b, names))
    footer = f"[ {submit} ]" if submit else ""
    heading = f"┤ {title} ├\n" if title else ""  # a Home tab has no title
    return f"{heading}{body}\n{footer}".rstrip()
