"""Reading the hourly tallies: a period's whole hours from them, its ragged ends from rows.

The triggers of storage.tally_triggers keep the tallies exact. A period rarely starts
and ends on the hour ("the last 30 days" ends now), so its whole hours are summed from
the tallies and the minutes at either end are counted from the answers themselves,
each at most an hour of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, false, func, literal, select, union_all

from storage.answer_sql import RR, R, S, answers_matching, answers_of, columns
from storage.models import AnswerTally, DeliveryTally, Response, ResponseReason
from storage.vocabulary import Purpose, SurveyStatus

T = columns(AnswerTally)
D = columns(DeliveryTally)

HOUR = timedelta(hours=1)

Span = tuple[datetime, datetime]


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def split_hours(start: datetime, end: datetime) -> tuple[Span | None, list[Span]]:
    """[start, end) as its whole hours and the pieces at either end outside them (an
    empty period is one empty piece: counting it finds nothing)."""
    if end <= start:
        return None, [(start, end)]
    first = _floor_hour(start)
    if first < start:
        first += HOUR
    last = _floor_hour(end)
    if last <= first:
        return None, [(start, end)]
    ends = [(a, b) for a, b in ((start, first), (last, end)) if a < b]
    return (first, last), ends


def _answer_hours(team: str, kind: str, hours: Span) -> list[Any]:
    return [T.team == team, T.kind == kind, T.hour >= hours[0], T.hour < hours[1]]


def score_segments(team: str, kind: str, segments: Sequence[Span]) -> Select[Any]:
    """(segment, score, answers) rows for each [start, end), to be summed per segment
    and score (a segment may give a row from the tallies and one from each end; a
    segment of -1 is an hour no segment holds whole, counted by the ends instead)."""
    whole: list[tuple[int, Span]] = []
    parts = []
    for index, (start, end) in enumerate(segments):
        hours, ends = split_hours(start, end)
        if hours is not None:
            whole.append((index, hours))
        parts += [
            select(literal(index).label("segment"), R.score, func.count())
            .where(*answers_of(team, kind, a, b))
            .group_by(R.score)
            for a, b in ends
        ]
    if whole:
        # One range scan of the tallies for every segment, each hour told its segment.
        segment = case(
            *[((T.hour >= a) & (T.hour < b), literal(i)) for i, (a, b) in whole],
            else_=literal(-1),
        ).label("segment")
        first, last = whole[0][1][0], whole[-1][1][1]
        parts.append(
            select(segment, T.score, func.sum(T.answers))
            .where(*_answer_hours(team, kind, (first, last)), T.reason == "")
            .group_by(segment, T.score)
        )
    return union_all(*parts)  # type: ignore[return-value]


def reason_scores(
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    reasons: Sequence[str],
    score_max: int | None,
) -> Select[Any]:
    """(reason, score, answers) rows of the answers citing each reason in [start, end)."""
    hours, ends = split_hours(start, end)
    parts = []
    if hours is not None:
        low = [T.score <= score_max] if score_max is not None else []
        parts.append(
            select(T.reason, T.score, func.sum(T.answers))
            .where(*_answer_hours(team, kind, hours), T.reason.in_(reasons), *low)
            .group_by(T.reason, T.score)
        )
    parts += [
        select(RR.reason, R.score, func.count())
        .select_from(Response)
        .join(ResponseReason, RR.response_id == R.id)
        .where(*answers_matching(team, kind, a, b, score_max=score_max), RR.reason.in_(reasons))
        .group_by(RR.reason, R.score)
        for a, b in ends
    ]
    return union_all(*parts)  # type: ignore[return-value]


def answer_count(
    team: str,
    kind: str,
    start: datetime,
    end: datetime,
    *,
    score_max: int | None = None,
    reason: str | None = None,
) -> Select[Any]:
    """Rows to sum: the answers of [start, end), at most `score_max`, citing `reason`."""
    hours, ends = split_hours(start, end)
    parts = []
    if hours is not None:
        low = [T.score <= score_max] if score_max is not None else []
        parts.append(
            select(func.sum(T.answers)).where(
                *_answer_hours(team, kind, hours), T.reason == (reason or ""), *low
            )
        )
    parts += [
        select(func.count()).where(
            *answers_matching(team, kind, a, b, score_max=score_max, reason=reason)
        )
        for a, b in ends
    ]
    return union_all(*parts)  # type: ignore[return-value]


def deliveries(team: str, start: datetime, end: datetime) -> Select[Any]:
    """(delivered, answered) rows for [start, end), to be summed."""
    hours, ends = split_hours(start, end)
    parts = []
    if hours is not None:
        parts.append(
            select(func.sum(D.delivered), func.sum(D.answered)).where(
                D.team == team, D.hour >= hours[0], D.hour < hours[1]
            )
        )
    answered = func.sum(case((S.status == SurveyStatus.ANSWERED, 1), else_=0))
    parts += [
        select(func.count(), answered).where(
            S.team == team,
            S.delivered_at >= a,
            S.delivered_at < b,
            S.is_test == false(),
            S.purpose != Purpose.REMINDER,  # a reminder is no second survey
        )
        for a, b in ends
    ]
    return union_all(*parts)  # type: ignore[return-value]
