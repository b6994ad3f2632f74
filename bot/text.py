"""Text that people wrote, made safe to echo into Slack."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's formatting reads as control characters.

    With `<`, `>` and `&` escaped, `<!channel>`, `<@U123>` and `<https://x|y>`
    show as typed and can neither ping anyone nor disguise a link.
    """
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut at `limit` characters, ending with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def quote(text: str, limit: int = 500) -> str:
    """A customer's words as a Slack block quote, escaped and kept short."""
    safe = escape_mrkdwn(truncate(text.strip(), limit))
    return "\n".join("> " + line for line in safe.splitlines() or [""])
