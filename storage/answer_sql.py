"""The SQL building blocks shared by the digest's and App Home's queries.

Table columns as Core columns, the filter that picks a period's counted answers, the
reason and comment filters, and the fold of GROUP BY rows into score histograms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import Column, ColumnElement, and_, exists, false

from storage.models import Alert, Response, ResponseReason, Survey
from storage.vocabulary import AlertStatus

Histogram = dict[int, int]  # score -> answers


class _Columns:
    """A table's mapped attributes, typed as columns: they type-check cleanly where
    SQLModel's class attributes read as values, and unlike Core columns they keep a
    statement ORM-enabled, so a workspace's session limits it (storage.workspaces)."""

    def __init__(self, model: type[Any]) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Column[Any]:
        return typing_cast("Column[Any]", getattr(self._model, name))


def columns(model: type[Any]) -> _Columns:
    return _Columns(model)


R = columns(Response)
RR = columns(ResponseReason)
S = columns(Survey)
A = columns(Alert)

UNRESOLVED_ALERTS = (AlertStatus.OPEN, AlertStatus.CLAIMED)


def counted() -> ColumnElement[bool]:
    """A lead's test survey is never counted (the indexes carry the flag)."""
    return R.is_test == false()


def answers_of(team: str, kind: str, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The team's counted answers of one survey kind in [start, end)."""
    return [
        R.team == team,
        R.kind == kind,
        R.answered_at >= start,
        R.answered_at < end,
        counted(),
    ]


def answers_matching(
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    score_max: int | None = None,
    reason: str | None = None,
) -> list[ColumnElement[bool]]:
    """The period's counted answers, at most `score_max`, citing `reason` if given."""
    conditions = answers_of(team, kind, start, end)
    if score_max is not None:
        conditions.append(R.score <= score_max)
    if reason is not None:
        conditions.append(cites(reason))
    return conditions


def cites(reason: str) -> ColumnElement[bool]:
    """True when the answer gave this reason (one primary-key lookup per answer)."""
    return exists().where(RR.response_id == R.id, RR.reason == reason)


def has_comment() -> ColumnElement[bool]:
    return and_(R.comment.is_not(None), R.comment != "")


def histograms_by(rows: Iterable[Any]) -> dict[str, Histogram]:
    """(key, score, count) rows, GROUP BY key and score, as one histogram per key."""
    histograms: dict[str, Histogram] = {}
    for key, score, count in rows:
        histograms.setdefault(str(key), {})[int(score)] = int(count)
    return histograms
