"""What ids, timestamps and button values from Slack look like, checked before storage.

Slack's ids are a letter and upper-case letters or digits (`U0123ABCD`, about 9 to 11
characters; Slack says they may grow, so up to 32 are taken, the columns' size), and a
message or action timestamp is seconds, a dot and microseconds (`1763900000.000100`).
Anything else did not come from Slack's own buttons: it is refused before a lookup
or a write, so it can neither overflow a column nor reach the log as a crash.
"""

from __future__ import annotations

import re

ID_MAX = 32  # the id columns' size (storage.models)
VALUE_MAX = 2000  # Slack's limit for a button's value

_SLACK_ID = re.compile(rf"[A-Z][A-Z0-9]{{1,{ID_MAX - 1}}}", re.ASCII)
_SLACK_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,8}", re.ASCII)
# secrets.token_urlsafe(12) makes 16 of these; the column holds 32.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}", re.ASCII)
# Row ids in a button (alerts): PostgreSQL's integer holds up to 2**31 - 1.
_ROW_ID_MAX = 2**31 - 1


def is_slack_id(value: str | None) -> bool:
    return value is not None and _SLACK_ID.fullmatch(value) is not None


def is_slack_ts(value: str | None) -> bool:
    return value is not None and _SLACK_TS.fullmatch(value) is not None


def is_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None


def row_id(value: str) -> int | None:
    """A database row id carried by a button, or None when it cannot be one."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= _ROW_ID_MAX else None
