"""Text that people wrote, made safe to echo into Slack."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What neither store can keep: NUL (PostgreSQL refuses it in text) and lone surrogates
# (not encodable as UTF-8: the driver raises).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# In an identifier: control, format, surrogate, private-use and unassigned characters,
# and line or paragraph separators; any of them can forge a log line or hide a difference.
_NOT_IN_IDENTIFIERS = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def storable(text: str) -> str:
    """`text` without the characters a database cannot store (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("", text)


def identifier_problem(value: str) -> str | None:
    """Why `value` is no acceptable identifier (of a conversation, a team), or None."""
    if any(unicodedata.category(ch) in _NOT_IN_IDENTIFIERS for ch in value):
        return "must not contain control or invisible characters"
    return None


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
