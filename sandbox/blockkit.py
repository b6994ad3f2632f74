"""Block Kit limit checks, as pure functions so tests can call them directly.

The limits are the ones listed in /work/shared/SLACK.md ("Block Kit limits"). Each
error is a short human-readable string naming the limit and where it was broken,
e.g. ``"blocks[3].elements[0].text: 76 chars > 75 (button text)"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

MSG_BLOCKS_TOO_LONG: Final = "msg_blocks_too_long"
"""Prefix of the error validate_blocks reports when a message's block text is too long.

Slack refuses such messages with its own error code rather than ``invalid_blocks``.
"""

MAX_BLOCKS: Final[Mapping[str, int]] = {"message": 50, "modal": 100, "home": 100}
MAX_ACTIONS_ELEMENTS: Final = 25
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_SECTION_TEXT: Final = 3000
MAX_SECTION_FIELDS: Final = 10
MAX_SECTION_FIELD_TEXT: Final = 2000
MAX_HEADER_TEXT: Final = 150
MAX_BUTTON_TEXT: Final = 75
MAX_BUTTON_VALUE: Final = 2000
MAX_ID: Final = 255
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150
MAX_VIEW_BUTTON_TEXT: Final = 24  # modal title / submit / close
MAX_PRIVATE_METADATA: Final = 3000
MAX_VIEW_BYTES: Final = 250_000
MAX_MESSAGE_TEXT: Final = 40_000
MAX_MESSAGE_BLOCK_TEXT: Final = 13_000

# The data_visualization block (docs.slack.dev/reference/block-kit/blocks/data-visualization-block).
MAX_CHART_TITLE: Final = 50
MAX_CHART_SERIES: Final = 6
MAX_CHART_POINTS: Final = 20
MAX_CHART_LABEL: Final = 20  # series names, category and segment labels
MAX_AXIS_LABEL: Final = 50
# Per message, as slack-morphism's model of the block reports it; unverified against
# Slack itself, and not said for modals or Home.
MAX_CHARTS_PER_MESSAGE: Final = 2
SERIES_CHARTS: Final = frozenset({"line", "bar", "area"})

KNOWN_BLOCK_TYPES: Final = frozenset(
    {
        "actions",
        "context",
        "data_visualization",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
TEXT_OBJECT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
SURFACES: Final = frozenset(MAX_BLOCKS)


def validate_blocks(blocks: Any, *, surface: str) -> list[str]:
    """Return every Block Kit limit ``blocks`` breaks on ``surface`` (empty list: valid).

    ``surface`` is ``"message"``, ``"modal"`` or ``"home"``. For messages, an error
    starting with :data:`MSG_BLOCKS_TOO_LONG` means the total block text is too long.
    """
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; expected one of {sorted(SURFACES)}")
    if not isinstance(blocks, list):
        return [f"blocks: expected a list, got {type(blocks).__name__}"]

    errors: list[str] = []
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        errors.append(f"blocks: {len(blocks)} blocks > {limit} ({surface})")

    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict):
            errors.append(f"{where}: expected an object")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            errors += _check_id(block_id, f"{where}.block_id")
            if block_id in seen_block_ids:
                errors.append(f"{where}.block_id: duplicate block_id {block_id!r}")
            seen_block_ids.add(str(block_id))
        errors += _check_block(block, where)

    charts = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "data_visualization")
    if surface == "message" and charts > MAX_CHARTS_PER_MESSAGE:
        errors.append(f"blocks: {charts} data_visualization blocks > {MAX_CHARTS_PER_MESSAGE}")

    if surface == "message":
        total = block_text_length(blocks)
        if total > MAX_MESSAGE_BLOCK_TEXT:
            errors.append(
                f"{MSG_BLOCKS_TOO_LONG}: {total} chars of block text > {MAX_MESSAGE_BLOCK_TEXT}"
            )
    return errors


def validate_view(view: Any) -> list[str]:
    """Return every limit a modal or Home tab view object breaks (empty list: valid)."""
    if not isinstance(view, dict):
        return ["view: expected an object"]
    view_type = view.get("type")
    if view_type not in ("modal", "home"):
        return [f"view.type: expected 'modal' or 'home', got {view_type!r}"]

    errors: list[str] = []
    size = len(json.dumps(view).encode())
    if size > MAX_VIEW_BYTES:
        errors.append(f"view: {size} bytes > {MAX_VIEW_BYTES}")
    if view_type == "modal":
        if "title" not in view:
            errors.append("view.title: required for modals")
        for key in ("title", "submit", "close"):
            if key in view:
                errors += _check_text(
                    view[key], f"view.{key}", MAX_VIEW_BUTTON_TEXT, f"modal {key}", plain=True
                )
        blocks = view.get("blocks", [])
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            errors.append("view.submit: required when the modal has input blocks")
    for key in ("callback_id", "external_id"):
        if key in view:
            errors += _check_id(view[key], f"view.{key}")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > MAX_PRIVATE_METADATA:
        errors.append(f"view.private_metadata: {len(metadata)} chars > {MAX_PRIVATE_METADATA}")
    if "blocks" not in view:
        errors.append("view.blocks: required")
    else:
        errors += [f"view.{e}" for e in validate_blocks(view["blocks"], surface=view_type)]
    return errors


def block_text_length(blocks: Any) -> int:
    """Total characters in every ``text`` string nested anywhere in ``blocks``."""
    return sum(len(text) for text in _text_strings(blocks))


def _text_strings(node: Any) -> Iterator[str]:
    # Text objects ({"type": ..., "text": "..."}) and rich_text leaves both keep their
    # characters under a "text" key, so one walk covers every block type.
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _text_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _text_strings(item)


def _check_block(block: dict[str, Any], where: str) -> list[str]:
    block_type = block.get("type")
    if block_type not in KNOWN_BLOCK_TYPES:
        return [f"{where}.type: unknown block type {block_type!r}"]

    errors: list[str] = []
    if block_type == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"{where}: section needs text or fields")
        if "text" in block:
            errors += _check_text(block["text"], f"{where}.text", MAX_SECTION_TEXT, "section text")
        fields = block.get("fields", [])
        if isinstance(fields, list):
            if len(fields) > MAX_SECTION_FIELDS:
                errors.append(f"{where}.fields: {len(fields)} fields > {MAX_SECTION_FIELDS}")
            for i, field in enumerate(fields):
                errors += _check_text(
                    field, f"{where}.fields[{i}]", MAX_SECTION_FIELD_TEXT, "section field"
                )
        if "accessory" in block:
            errors += _check_element(block["accessory"], f"{where}.accessory")
    elif block_type == "header":
        errors += _check_text(
            block.get("text"), f"{where}.text", MAX_HEADER_TEXT, "header text", plain=True
        )
    elif block_type == "actions":
        errors += _check_elements(block, where, MAX_ACTIONS_ELEMENTS, "actions")
    elif block_type == "context":
        errors += _check_elements(block, where, MAX_CONTEXT_ELEMENTS, "context")
    elif block_type == "data_visualization":
        errors += check_chart(block, where)
    elif block_type == "input":
        if "label" not in block or "element" not in block:
            errors.append(f"{where}: input needs label and element")
        if "element" in block:
            errors += _check_element(block["element"], f"{where}.element")
    return errors


def check_chart(block: dict[str, Any], where: str) -> list[str]:
    """A data_visualization block: its title, and a pie's segments or a series chart."""
    errors: list[str] = []
    title = block.get("title")
    if not isinstance(title, str) or not title:
        errors.append(f"{where}.title: required")
    elif len(title) > MAX_CHART_TITLE:
        errors.append(f"{where}.title: {len(title)} chars > {MAX_CHART_TITLE} (chart title)")
    chart = block.get("chart")
    if not isinstance(chart, dict):
        return [*errors, f"{where}.chart: required"]
    kind = chart.get("type")
    if kind == "pie":
        segments = chart.get("segments")
        if not isinstance(segments, list) or not 1 <= len(segments) <= MAX_CHART_SERIES:
            return [*errors, f"{where}.chart.segments: 1 to {MAX_CHART_SERIES} required"]
        for i, segment in enumerate(segments):
            seg = f"{where}.chart.segments[{i}]"
            errors += _label(segment.get("label") if isinstance(segment, dict) else None, seg)
            value = segment.get("value") if isinstance(segment, dict) else None
            if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
                errors.append(f"{seg}.value: must be a number greater than 0")
        return errors
    if kind not in SERIES_CHARTS:
        return [*errors, f"{where}.chart.type: expected pie, bar, area or line, got {kind!r}"]
    axis = chart.get("axis_config")
    if not isinstance(axis, dict):
        return [*errors, f"{where}.chart.axis_config: required"]
    categories = axis.get("categories")
    if not isinstance(categories, list) or not categories:
        return [*errors, f"{where}.chart.axis_config.categories: required"]
    for i, category in enumerate(categories):
        errors += _label(category, f"{where}.chart.axis_config.categories[{i}]")
    if len(set(map(str, categories))) != len(categories):
        errors.append(f"{where}.chart.axis_config.categories: duplicate category")
    for key in ("x_label", "y_label"):
        label = axis.get(key)
        if label is not None and (not isinstance(label, str) or len(label) > MAX_AXIS_LABEL):
            errors.append(f"{where}.chart.axis_config.{key}: at most {MAX_AXIS_LABEL} chars")
    series = chart.get("series")
    if not isinstance(series, list) or not 1 <= len(series) <= MAX_CHART_SERIES:
        return [*errors, f"{where}.chart.series: 1 to {MAX_CHART_SERIES} required"]
    names: set[str] = set()
    for i, one in enumerate(series):
        at = f"{where}.chart.series[{i}]"
        if not isinstance(one, dict):
            errors.append(f"{at}: expected an object")
            continue
        name = one.get("name")
        errors += _label(name, f"{at}.name")
        if name in names:
            errors.append(f"{at}.name: duplicate series name {name!r}")
        names.add(str(name))
        data = one.get("data")
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_CHART_POINTS:
            errors.append(f"{at}.data: 1 to {MAX_CHART_POINTS} points required")
            continue
        labels = [p.get("label") if isinstance(p, dict) else None for p in data]
        if labels != categories:
            errors.append(f"{at}.data: one point per category, in the categories' order")
        for j, point in enumerate(data):
            value = point.get("value") if isinstance(point, dict) else None
            if not _is_number(value):
                errors.append(f"{at}.data[{j}].value: must be a number")
    return errors


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _label(value: Any, where: str) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{where}: must be a non-empty string"]
    if len(value) > MAX_CHART_LABEL:
        return [f"{where}: {len(value)} chars > {MAX_CHART_LABEL} (chart label)"]
    return []


def _check_elements(block: dict[str, Any], where: str, limit: int, kind: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"{where}.elements: {kind} block needs a non-empty list"]
    errors: list[str] = []
    if len(elements) > limit:
        errors.append(f"{where}.elements: {len(elements)} elements > {limit} ({kind})")
    action_ids: set[str] = set()
    for i, element in enumerate(elements):
        element_where = f"{where}.elements[{i}]"
        if kind == "context":
            continue  # context elements are text and images: no interactive limits
        errors += _check_element(element, element_where)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None:
            if action_id in action_ids:
                errors.append(f"{element_where}.action_id: duplicate action_id {action_id!r}")
            action_ids.add(str(action_id))
    return errors


def _check_element(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"{where}: expected an object"]
    errors: list[str] = []
    if "action_id" in element:
        errors += _check_id(element["action_id"], f"{where}.action_id")
    if element.get("type") == "button":
        errors += _check_text(
            element.get("text"), f"{where}.text", MAX_BUTTON_TEXT, "button text", plain=True
        )
        value = element.get("value")
        if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
            errors.append(f"{where}.value: {len(value)} chars > {MAX_BUTTON_VALUE} (button value)")
    for key in ("options", "initial_options"):
        options = element.get(key)
        if isinstance(options, list):
            for i, option in enumerate(options):
                errors += _check_option(option, f"{where}.{key}[{i}]")
    if "initial_option" in element:
        errors += _check_option(element["initial_option"], f"{where}.initial_option")
    groups = element.get("option_groups")
    if isinstance(groups, list):
        for g, group in enumerate(groups):
            options = group.get("options") if isinstance(group, dict) else None
            for i, option in enumerate(options if isinstance(options, list) else []):
                errors += _check_option(option, f"{where}.option_groups[{g}].options[{i}]")
    return errors


def _check_option(option: Any, where: str) -> list[str]:
    if not isinstance(option, dict):
        return [f"{where}: expected an object"]
    errors = _check_text(option.get("text"), f"{where}.text", MAX_OPTION_TEXT, "option text")
    value = option.get("value")
    if not isinstance(value, str) or not value:
        errors.append(f"{where}.value: required")
    elif len(value) > MAX_OPTION_VALUE:
        errors.append(f"{where}.value: {len(value)} chars > {MAX_OPTION_VALUE} (option value)")
    return errors


def _check_text(
    text_object: Any, where: str, limit: int, what: str, *, plain: bool = False
) -> list[str]:
    if not isinstance(text_object, dict):
        return [f"{where}: {what} needs a text object"]
    text_type = text_object.get("type")
    allowed = {"plain_text"} if plain else TEXT_OBJECT_TYPES
    if text_type not in allowed:
        return [f"{where}.type: {what} must be {' or '.join(sorted(allowed))}, got {text_type!r}"]
    text = text_object.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}.text: {what} must be a non-empty string"]
    if len(text) > limit:
        return [f"{where}.text: {len(text)} chars > {limit} ({what})"]
    return []


def _check_id(value: Any, where: str) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{where}: must be a non-empty string"]
    if len(value) > MAX_ID:
        return [f"{where}: {len(value)} chars > {MAX_ID}"]
    return []
