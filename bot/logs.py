"""One line per event, key=value, never tokens or customers' words.

Values are quoted by the formatter, not by each call: a user id, an error code or a
team name that came from outside cannot start a new line or pass for another key.
Call sites either pass values as %-arguments (`"survey failed error=%s", code`) or as
fields (`log.info("slack request", extra=fields(type=..., user=...))`); both are quoted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from slack_sdk.errors import SlackApiError

FIELDS = "surveybot_fields"
# Values made only of these characters are printed bare; anything else is JSON-quoted.
_BARE = re.compile(r"[A-Za-z0-9_.,:/@+\-]+")
# Line breaks a log reader would honour, in a message that is not ours (a library's).
_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def quote(value: object) -> str:
    """`value` as one token of a key=value line."""
    text = value if isinstance(value, str) else str(value)
    if _BARE.fullmatch(text):
        return text
    # ensure_ascii escapes every control character and every non-ASCII separator.
    return json.dumps(text)


def fields(**values: object) -> dict[str, Any]:
    """`extra=` for a log call: these values follow the message as key=value (None left out)."""
    return {FIELDS: values}


def _quoted_args(args: Any) -> Any:
    def one(value: object) -> object:
        # Numbers keep their type so that %d and %.1f still work.
        return value if isinstance(value, int | float) else quote(value)

    if isinstance(args, Mapping):
        return {key: one(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(one(value) for value in args)
    return args


def log_failure(log: logging.Logger, message: str, error: BaseException, **values: object) -> None:
    """One error line for work that raised after nobody could be answered any more.

    Slack refusing a call is Slack's answer, named by its error code; anything else
    is our bug and gets its traceback.
    """
    if isinstance(error, SlackApiError):
        code = error.response.get("error") if error.response is not None else None
        log.error(message, extra=fields(**values, error=code or "unknown"))
    else:
        log.error(message, extra=fields(**values, error=type(error).__name__), exc_info=error)


# Errors raised by the database drivers and SQLAlchemy: their message can quote stored
# values (PostgreSQL's DETAIL "Failing row contains (...)", "Key (email)=(...)"), which
# hide_parameters does not cover. A traceback names them by class and SQLSTATE only.
_DATABASE_MODULES = ("asyncpg", "sqlalchemy", "sqlite3", "aiosqlite")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _withholds_message(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] in _DATABASE_MODULES


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _chain(error: BaseException) -> list[tuple[BaseException, str | None]]:
    """The exceptions a traceback shows, oldest first, each with the line printed before it."""
    newest_first: list[tuple[BaseException, str | None]] = []
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        link: str | None = None
        older: BaseException | None = None
        if current.__cause__ is not None:
            link, older = _CAUSE, current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link, older = _CONTEXT, current.__context__
        newest_first.append((current, link))
        current = older
    return list(reversed(newest_first))


def safe_traceback(error: BaseException) -> str:
    """Python's traceback, except that database errors show no message, only their code."""
    parts: list[str] = []
    for exc, link in _chain(error):
        if link:
            parts.append(f"\n{link}\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(exc.__traceback__))
        if _withholds_message(exc):
            name = f"{type(exc).__module__}.{type(exc).__qualname__}"
            code = getattr(exc, "sqlstate", None) or getattr(exc, "code", None)
            parts.append(f"{name}: (message withheld: it may quote stored values) code={code}\n")
        else:
            parts.extend(traceback.format_exception_only(exc))
    return "".join(parts).rstrip("\n")


class KeyValueFormatter(logging.Formatter):
    """`<time> level=.. logger=.. <message> key=value ...`, one line before any traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers (and pytest's) still see the record as it was logged.
        line = logging.makeLogRecord(record.__dict__)
        line.args = _quoted_args(record.args)
        message = line.getMessage()
        extra: Mapping[str, object] = getattr(record, FIELDS, None) or {}
        pairs = " ".join(f"{key}={quote(v)}" for key, v in extra.items() if v is not None)
        line.msg = _BREAKS.sub(lambda m: json.dumps(m[0])[1:-1], message)
        if pairs:
            line.msg = f"{line.msg} {pairs}" if line.msg else pairs
        line.args = None
        # Another handler may have cached its own rendering of the traceback on the record.
        line.exc_text = None
        return super().format(line)

    def formatException(self, ei: Any) -> str:
        error = ei[1] if isinstance(ei, tuple) else None
        if isinstance(error, BaseException):
            return safe_traceback(error)
        return super().formatException(ei)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level_problem() -> str | None:
    """One sentence when SURVEYBOT_LOG_LEVEL names no level, else None."""
    level = os.environ.get("SURVEYBOT_LOG_LEVEL", "INFO")
    if level.strip().upper() in LOG_LEVELS:
        return None
    return f"SURVEYBOT_LOG_LEVEL={level!r} is not a log level: use one of {', '.join(LOG_LEVELS)}"


def configure_logging() -> None:
    level = os.environ.get("SURVEYBOT_LOG_LEVEL", "INFO").strip().upper()
    if level not in LOG_LEVELS:
        level = "INFO"
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter())
    logging.basicConfig(level=level, handlers=[handler])
    # Bolt and the SDK log request bodies at DEBUG; keep them at WARNING unless asked.
    # Alembic says "Context impl SQLiteImpl" and each step at INFO: not the operator's news.
    for noisy in ("slack_bolt", "slack_sdk", "apscheduler", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # A job that raises is logged once, by the scheduler's listener in bot.scheduler.
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
