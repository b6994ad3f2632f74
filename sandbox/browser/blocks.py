"""Block Kit as HTML, one function per block and element type, the way Slack draws it.

Interactive elements post to the sandbox (htmx), which turns the click or the form
into the payload Slack would send. A type the sandbox does not know is shown plainly,
with its JSON, never dropped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.browser.mrkdwn import emoji, mrkdwn, sandbox_link

Block = Mapping[str, Any]


@dataclass(frozen=True)
class Where:
    """Who is looking, where, and how a click there is addressed back to the sandbox."""

    names: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    tz: str = "UTC"
    container: Mapping[str, str] = field(default_factory=dict)  # hx-vals of every action


def text(obj: Any, where: Where) -> str:
    """A text object: plain_text escaped, mrkdwn rendered."""
    if not isinstance(obj, Mapping):
        return ""
    raw = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn(raw, names=where.names, channels=where.channels, tz=where.tz)
    # plain_text shows emoji too (Slack's `emoji: true`, the default).
    return html.escape(emoji(raw) if obj.get("emoji", True) else raw)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _action_vals(where: Where, block: Block, element: Mapping[str, Any], **extra: str) -> str:
    vals = {
        **where.container,
        "block_id": str(block.get("block_id", "")),
        "action_id": str(element.get("action_id", "")),
        **extra,
    }
    return _e(json.dumps(vals))


# ------------------------------------------------------------------------- elements


def button(element: Mapping[str, Any], block: Block, where: Where) -> str:
    style = {"primary": " primary", "danger": " danger"}.get(str(element.get("style")), "")
    if element.get("url"):
        return (
            f'<a class="button{style}" href="{_e(sandbox_link(str(element["url"])))}">'
            f"{text(element.get('text'), where)}</a>"
        )
    vals = _action_vals(where, block, element, value=str(element.get("value", "")))
    return (
        f'<button type="button" class="button{style}" hx-post="/act" hx-vals="{vals}" '
        f'hx-swap="none">{text(element.get("text"), where)}</button>'
    )


def _name(block: Block, element: Mapping[str, Any]) -> str:
    return _e(f"{block.get('block_id', '')}|{element.get('action_id', '')}")


def checkboxes(element: Mapping[str, Any], block: Block, where: Where) -> str:
    initial = {o.get("value") for o in element.get("initial_options", [])}
    items = []
    for option in element.get("options", []):
        checked = " checked" if option.get("value") in initial else ""
        description = option.get("description")
        hint = f'<span class="hint">{text(description, where)}</span>' if description else ""
        items.append(
            f'<label class="option"><input type="checkbox" name="{_name(block, element)}" '
            f'value="{_e(option.get("value", ""))}"{checked}> '
            f"{text(option.get('text'), where)}{hint}</label>"
        )
    return f'<div class="checkboxes">{"".join(items)}</div>'


def radio_buttons(element: Mapping[str, Any], block: Block, where: Where) -> str:
    initial = (element.get("initial_option") or {}).get("value")
    items = [
        f'<label class="option"><input type="radio" name="{_name(block, element)}" '
        f'value="{_e(o.get("value", ""))}"{" checked" if o.get("value") == initial else ""}> '
        f"{text(o.get('text'), where)}</label>"
        for o in element.get("options", [])
    ]
    return f'<div class="radios">{"".join(items)}</div>'


def _selected(yes: bool) -> str:
    return " selected" if yes else ""


def static_select(element: Mapping[str, Any], block: Block, where: Where) -> str:
    initial = (element.get("initial_option") or {}).get("value")
    options = [
        f'<option value="{_e(o.get("value", ""))}"{_selected(o.get("value") == initial)}>'
        f"{html.escape(str((o.get('text') or {}).get('text', '')))}</option>"
        for o in element.get("options", [])
    ]
    placeholder = html.escape(str((element.get("placeholder") or {}).get("text", "")))
    return _select(element, block, where, f'<option value="">{placeholder}</option>', options)


def _select(
    element: Mapping[str, Any], block: Block, where: Where, first: str, options: list[str]
) -> str:
    """A <select>: in a form it is read on submit; elsewhere a choice is an action."""
    multiple = " multiple" if str(element.get("type", "")).startswith("multi_") else ""
    live = ""
    if not where.container.get("in_form"):
        live = (
            f' hx-post="/act" hx-trigger="change" hx-vals="{_action_vals(where, block, element)}"'
        )
        live += ' hx-swap="none"'
    return (
        f'<select class="select" name="{_name(block, element)}"{multiple}{live}>'
        f"{'' if multiple else first}{''.join(options)}</select>"
    )


def users_select(element: Mapping[str, Any], block: Block, where: Where) -> str:
    initial = set(element.get("initial_users", [])) | {element.get("initial_user")}
    options = [
        f'<option value="{_e(u)}"{" selected" if u in initial else ""}>{html.escape(n)}</option>'
        for u, n in where.names.items()
    ]
    return _select(element, block, where, '<option value="">Choose a person</option>', options)


def conversations_select(element: Mapping[str, Any], block: Block, where: Where) -> str:
    initial = set(element.get("initial_conversations", [])) | {element.get("initial_conversation")}
    options = [
        f'<option value="{_e(c)}"{" selected" if c in initial else ""}>#{html.escape(n)}</option>'
        for c, n in where.channels.items()
    ]
    return _select(element, block, where, '<option value="">Choose a channel</option>', options)


def plain_text_input(element: Mapping[str, Any], block: Block, where: Where) -> str:
    initial = _e(element.get("initial_value", ""))
    placeholder = _e((element.get("placeholder") or {}).get("text", ""))
    limit = f' maxlength="{int(element["max_length"])}"' if element.get("max_length") else ""
    if element.get("multiline"):
        return (
            f'<textarea name="{_name(block, element)}" placeholder="{placeholder}"{limit}>'
            f"{initial}</textarea>"
        )
    return (
        f'<input type="text" name="{_name(block, element)}" value="{initial}" '
        f'placeholder="{placeholder}"{limit}>'
    )


def number_input(element: Mapping[str, Any], block: Block, where: Where) -> str:
    step = "any" if element.get("is_decimal_allowed") else "1"
    bounds = "".join(
        f' {attr}="{_e(element[key])}"'
        for key, attr in (("min_value", "min"), ("max_value", "max"))
        if key in element
    )
    return (
        f'<input type="number" step="{step}"{bounds} name="{_name(block, element)}" '
        f'value="{_e(element.get("initial_value", ""))}">'
    )


def image_element(element: Mapping[str, Any], block: Block, where: Where) -> str:
    source, alt = _e(element.get("image_url", "")), _e(element.get("alt_text", ""))
    return f'<img class="thumb" src="{source}" alt="{alt}">'


def unknown_element(element: Mapping[str, Any], block: Block, where: Where) -> str:
    kind = html.escape(str(element.get("type", "?")))
    return f'<span class="unknown">[{kind}]</span>'


ELEMENTS: dict[str, Callable[[Mapping[str, Any], Block, Where], str]] = {
    "button": button,
    "checkboxes": checkboxes,
    "radio_buttons": radio_buttons,
    "static_select": static_select,
    "users_select": users_select,
    "multi_users_select": users_select,
    "conversations_select": conversations_select,
    "multi_conversations_select": conversations_select,
    "plain_text_input": plain_text_input,
    "number_input": number_input,
    "image": image_element,
}


def element(item: Mapping[str, Any], block: Block, where: Where) -> str:
    if item.get("type") in ("mrkdwn", "plain_text"):
        return f"<span>{text(item, where)}</span>"
    draw = ELEMENTS.get(str(item.get("type")), unknown_element)
    return draw(item, block, where)


# --------------------------------------------------------------------------- blocks


def header(block: Block, where: Where) -> str:
    return f'<h3 class="b-header">{text(block.get("text"), where)}</h3>'


def section(block: Block, where: Where) -> str:
    body = f'<div class="b-text">{text(block.get("text"), where)}</div>' if "text" in block else ""
    fields = "".join(
        f'<div class="b-field">{text(f, where)}</div>' for f in block.get("fields", [])
    )
    if fields:
        body += f'<div class="b-fields">{fields}</div>'
    accessory = block.get("accessory")
    side = f'<div class="b-accessory">{element(accessory, block, where)}</div>' if accessory else ""
    return f'<div class="b-section"><div class="b-main">{body}</div>{side}</div>'


def context(block: Block, where: Where) -> str:
    parts = [element(item, block, where) for item in block.get("elements", [])]
    return f'<div class="b-context">{" ".join(parts)}</div>'


def divider(block: Block, where: Where) -> str:
    return '<hr class="b-divider">'


def actions(block: Block, where: Where) -> str:
    parts = [element(item, block, where) for item in block.get("elements", [])]
    return f'<div class="b-actions">{"".join(parts)}</div>'


def input_block(block: Block, where: Where) -> str:
    optional = ' <span class="hint">(optional)</span>' if block.get("optional") else ""
    hint = block.get("hint")
    below = f'<div class="hint">{text(hint, where)}</div>' if hint else ""
    inner = Where(where.names, where.channels, where.tz, {**where.container, "in_form": "1"})
    return (
        f'<div class="b-input"><label class="b-label">{text(block.get("label"), where)}'
        f"{optional}</label>{element(block.get('element') or {}, block, inner)}{below}"
        f'<div class="error" data-block="{_e(block.get("block_id", ""))}"></div></div>'
    )


def image(block: Block, where: Where) -> str:
    title = block.get("title")
    caption = f'<div class="b-caption">{text(title, where)}</div>' if title else ""
    return (
        f'<figure class="b-image">{caption}<img src="{_e(block.get("image_url", ""))}" '
        f'alt="{_e(block.get("alt_text", ""))}"></figure>'
    )


def data_visualization(block: Block, where: Where) -> str:
    """Slack's native chart: a line or bars, as inline SVG (no script, no library)."""
    chart = block.get("chart") or {}
    series = chart.get("series") or []
    categories = [str(c) for c in (chart.get("axis_config") or {}).get("categories", [])]
    values = [float(p.get("value", 0)) for s in series for p in s.get("data", [])]
    width, height, pad = 520, 180, 28
    top = max([*values, 1.0])
    step = (width - 2 * pad) / max(1, len(categories))
    x_of = {c: pad + step * (i + 0.5) for i, c in enumerate(categories)}

    def y(value: float) -> float:
        return height - pad - (height - 2 * pad) * value / top

    shapes: list[str] = []
    colours = ("#1264a3", "#e8912d", "#2bac76")
    for n, one in enumerate(series):
        colour = colours[n % len(colours)]
        points = [
            (x_of.get(str(p.get("label")), pad), y(float(p.get("value", 0))))
            for p in one.get("data", [])
        ]
        if chart.get("type") == "bar":
            shapes += [
                f'<rect x="{px - step * 0.3:.1f}" y="{py:.1f}" width="{step * 0.6:.1f}" '
                f'height="{height - pad - py:.1f}" fill="{colour}"/>'
                for px, py in points
            ]
        else:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            shapes.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            shapes += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
            ]
    axis = (
        f'<text x="2" y="{pad}" font-size="10">{top:g}</text>'
        f'<text x="2" y="{height - pad}" font-size="10">0</text>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#ddd"/>'
    )
    labels = axis + "".join(
        f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
        f"{html.escape(c)}</text>"
        for c, x in x_of.items()
    )
    legend = " · ".join(html.escape(str(s.get("name", ""))) for s in series)
    return (
        f'<figure class="b-chart"><figcaption>{html.escape(str(block.get("title", "")))}'
        f'</figcaption><svg viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(block.get("title", ""))}">{"".join(shapes)}{labels}</svg>'
        f'<div class="hint">{legend}</div></figure>'
    )


def unknown(block: Block, where: Where) -> str:
    kind = html.escape(str(block.get("type", "?")))
    shown = html.escape(json.dumps(block, ensure_ascii=False)[:600])
    return (
        f'<div class="b-unknown"><b>Block type “{kind}” is not drawn by the sandbox.</b>'
        f"<pre>{shown}</pre></div>"
    )


BLOCKS: dict[str, Callable[[Block, Where], str]] = {
    "header": header,
    "section": section,
    "context": context,
    "divider": divider,
    "actions": actions,
    "input": input_block,
    "image": image,
    "data_visualization": data_visualization,
}


def block(one: Block, where: Where) -> str:
    return BLOCKS.get(str(one.get("type")), unknown)(one, where)


def blocks(many: list[Block] | None, where: Where) -> str:
    return "".join(block(one, where) for one in many or [])
