"""The triggers that keep the figures' tallies, for PostgreSQL and SQLite (migration 0019).

Each change of an answer, of its reasons or of a survey's delivery adds its difference
to the hourly tallies in the same transaction: the old row's share taken out, the new
row's put in, in one statement whose rows go in key order (two answers changed at once
never lock the same two tallies in opposite orders). A change to an earlier day's
answers raises the team's revision, which retires snapshots of past days.

`rebuild()` counts the tallies again from the rows, for the migration and for bulk
loads that write with triggers off (the benchmarks' seeding).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import Connection

# The hour, the day and today (the database's own clock, UTC) of a naive UTC timestamp.
_HOUR: Final = {
    "postgresql": "date_trunc('hour', {})",
    "sqlite": "strftime('%Y-%m-%d %H:00:00.000000', {})",
}
_DAY: Final = {
    "postgresql": "date_trunc('day', {})",
    "sqlite": "strftime('%Y-%m-%d 00:00:00.000000', {})",
}
_TODAY: Final = {
    "postgresql": "date_trunc('day', now() AT TIME ZONE 'UTC')",
    "sqlite": "strftime('%Y-%m-%d 00:00:00.000000', 'now')",
}
_DIFFERS: Final = {"postgresql": "IS DISTINCT FROM", "sqlite": "IS NOT"}

_ANSWER_KEY: Final = "workspace, team, kind, reason, hour, score"
_UPSERT_ANSWERS: Final = f"""
INSERT INTO answer_tallies ({_ANSWER_KEY}, answers)
SELECT {_ANSWER_KEY}, SUM(delta) FROM ({{deltas}}) AS d
GROUP BY {_ANSWER_KEY} HAVING SUM(delta) <> 0 ORDER BY {_ANSWER_KEY}
ON CONFLICT ({_ANSWER_KEY})
DO UPDATE SET answers = answer_tallies.answers + excluded.answers"""

_UPSERT_DELIVERIES: Final = """
INSERT INTO delivery_tallies (workspace, team, hour, delivered, answered)
SELECT workspace, team, hour, SUM(d), SUM(a) FROM ({deltas}) AS x
GROUP BY workspace, team, hour HAVING SUM(d) <> 0 OR SUM(a) <> 0
ORDER BY workspace, team, hour
ON CONFLICT (workspace, team, hour) DO UPDATE SET
    delivered = delivery_tallies.delivered + excluded.delivered,
    answered = delivery_tallies.answered + excluded.answered"""

_RAISE_REVISION: Final = """
INSERT INTO answer_revisions (workspace, team, revision) VALUES ({row}.workspace, {row}.team, 1)
ON CONFLICT (workspace, team) DO UPDATE SET revision = answer_revisions.revision + 1"""


def _answer_deltas(dialect: str, row: str, sign: int) -> str:
    """One answer's share of the tallies: itself, and each reason it cites."""
    hour = _HOUR[dialect].format(f"{row}.answered_at")
    return f"""
    SELECT {row}.workspace AS workspace, {row}.team AS team, {row}.kind AS kind,
        '' AS reason, {hour} AS hour, {row}.score AS score, {sign} AS delta
    WHERE NOT {row}.is_test
    UNION ALL
    SELECT {row}.workspace, {row}.team, {row}.kind, rr.reason, {hour}, {row}.score, {sign}
    FROM response_reasons AS rr WHERE rr.response_id = {row}.id AND NOT {row}.is_test"""


def _reason_deltas(dialect: str, row: str, sign: int) -> str:
    """One reason row's share: the answer it belongs to, under the reason."""
    hour = _HOUR[dialect].format("r.answered_at")
    return f"""
    SELECT r.workspace AS workspace, r.team AS team, r.kind AS kind, {row}.reason AS reason,
        {hour} AS hour, r.score AS score, {sign} AS delta
    FROM responses AS r WHERE r.id = {row}.response_id AND NOT r.is_test"""


def _delivery_deltas(dialect: str, row: str, sign: int) -> str:
    hour = _HOUR[dialect].format(f"{row}.delivered_at")
    return f"""
    SELECT {row}.workspace AS workspace, {row}.team AS team, {hour} AS hour, {sign} AS d,
        CASE WHEN {row}.status = 'answered' THEN {sign} ELSE 0 END AS a
    WHERE {row}.delivered_at IS NOT NULL AND NOT {row}.is_test
        AND {row}.purpose <> 'reminder'"""


def _earlier_day_changed(dialect: str) -> str:
    """An update that takes an answer out of its day, or changes whom it counts for."""
    day, differs = _DAY[dialect], _DIFFERS[dialect]
    moved = f"{day.format('OLD.answered_at')} <> {day.format('NEW.answered_at')}"
    others = " OR ".join(
        f"OLD.{c} {differs} NEW.{c}"
        for c in ("team", "kind", "score", "is_test", "account", "customer_id", "customer_value")
    )
    # A new score on the same day only ever happens today (a change is stamped now),
    # which no snapshot holds; any other change of the columns counts.
    return f"({moved}) OR (({others}) AND {day.format('OLD.answered_at')} < {_TODAY[dialect]})"


def _union(*parts: str) -> str:
    return "\nUNION ALL\n".join(parts)


OLD, NEW = ("OLD", -1), ("NEW", 1)


def _answers(dialect: str, *sides: tuple[str, int]) -> str:
    deltas = _union(*(_answer_deltas(dialect, row, sign) for row, sign in sides))
    return _UPSERT_ANSWERS.format(deltas=deltas)


def _reasons(dialect: str, side: tuple[str, int]) -> str:
    return _UPSERT_ANSWERS.format(deltas=_reason_deltas(dialect, *side))


def _deliveries(dialect: str, *sides: tuple[str, int]) -> str:
    deltas = _union(*(_delivery_deltas(dialect, row, sign) for row, sign in sides))
    return _UPSERT_DELIVERIES.format(deltas=deltas)


def _sqlite() -> list[str]:
    d = "sqlite"
    answer_cols = "score, answered_at, team, kind, is_test"
    return [
        f"""CREATE TRIGGER tally_response_insert AFTER INSERT ON responses BEGIN
        {_answers(d, NEW)};
        END""",
        f"""CREATE TRIGGER tally_response_update AFTER UPDATE OF {answer_cols} ON responses
        BEGIN
        {_answers(d, OLD, NEW)};
        END""",
        f"""CREATE TRIGGER tally_response_delete AFTER DELETE ON responses BEGIN
        {_answers(d, OLD)};
        {_RAISE_REVISION.format(row="OLD")};
        END""",
        f"""CREATE TRIGGER revise_response_insert AFTER INSERT ON responses
        WHEN NEW.answered_at < {_TODAY[d]} BEGIN {_RAISE_REVISION.format(row="NEW")}; END""",
        f"""CREATE TRIGGER revise_response_update AFTER UPDATE ON responses
        WHEN {_earlier_day_changed(d)} BEGIN {_RAISE_REVISION.format(row="NEW")}; END""",
        f"""CREATE TRIGGER tally_reason_insert AFTER INSERT ON response_reasons BEGIN
        {_reasons(d, NEW)};
        END""",
        f"""CREATE TRIGGER tally_reason_delete AFTER DELETE ON response_reasons BEGIN
        {_reasons(d, OLD)};
        END""",
        f"""CREATE TRIGGER tally_survey_insert AFTER INSERT ON surveys
        WHEN NEW.delivered_at IS NOT NULL BEGIN
        {_deliveries(d, NEW)};
        END""",
        f"""CREATE TRIGGER tally_survey_update
        AFTER UPDATE OF delivered_at, status, is_test, purpose, team ON surveys
        WHEN OLD.delivered_at IS NOT NULL OR NEW.delivered_at IS NOT NULL BEGIN
        {_deliveries(d, OLD, NEW)};
        END""",
        f"""CREATE TRIGGER tally_survey_delete AFTER DELETE ON surveys
        WHEN OLD.delivered_at IS NOT NULL BEGIN
        {_deliveries(d, OLD)};
        END""",
    ]


def _plpgsql(name: str, body: str) -> str:
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
RETURN NULL;
END $$"""


def _postgresql() -> list[str]:
    d = "postgresql"
    answers = _plpgsql(
        "tally_response",
        f"""
IF TG_OP = 'INSERT' THEN
    {_answers(d, NEW)};
    IF NEW.answered_at < {_TODAY[d]} THEN {_RAISE_REVISION.format(row="NEW")}; END IF;
ELSIF TG_OP = 'UPDATE' THEN
    {_answers(d, OLD, NEW)};
    IF {_earlier_day_changed(d)} THEN {_RAISE_REVISION.format(row="NEW")}; END IF;
ELSE
    {_answers(d, OLD)};
    {_RAISE_REVISION.format(row="OLD")};
END IF;""",
    )
    reasons = _plpgsql(
        "tally_reason",
        f"""
IF TG_OP = 'INSERT' THEN
    {_reasons(d, NEW)};
ELSE
    {_reasons(d, OLD)};
END IF;""",
    )
    deliveries = _plpgsql(
        "tally_survey",
        f"""
IF TG_OP = 'INSERT' THEN
    {_deliveries(d, NEW)};
ELSIF TG_OP = 'UPDATE' THEN
    {_deliveries(d, OLD, NEW)};
ELSE
    {_deliveries(d, OLD)};
END IF;""",
    )
    return [
        answers,
        reasons,
        deliveries,
        """CREATE TRIGGER tally_response_insert_delete AFTER INSERT OR DELETE ON responses
        FOR EACH ROW EXECUTE FUNCTION tally_response()""",
        """CREATE TRIGGER tally_response_update
        AFTER UPDATE OF score, answered_at, team, kind, is_test, account, customer_id,
            customer_value ON responses
        FOR EACH ROW EXECUTE FUNCTION tally_response()""",
        """CREATE TRIGGER tally_reason AFTER INSERT OR DELETE ON response_reasons
        FOR EACH ROW EXECUTE FUNCTION tally_reason()""",
        # A survey counts from its delivery: the outbox's many inserts call nothing.
        """CREATE TRIGGER tally_survey_insert AFTER INSERT ON surveys
        FOR EACH ROW WHEN (NEW.delivered_at IS NOT NULL) EXECUTE FUNCTION tally_survey()""",
        """CREATE TRIGGER tally_survey_delete AFTER DELETE ON surveys
        FOR EACH ROW WHEN (OLD.delivered_at IS NOT NULL) EXECUTE FUNCTION tally_survey()""",
        """CREATE TRIGGER tally_survey_update
        AFTER UPDATE OF delivered_at, status, is_test, purpose, team ON surveys
        FOR EACH ROW
        WHEN (OLD.delivered_at IS NOT NULL OR NEW.delivered_at IS NOT NULL)
        EXECUTE FUNCTION tally_survey()""",
    ]


def create_triggers(dialect: str) -> list[str]:
    return _postgresql() if dialect == "postgresql" else _sqlite()


def drop_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS tally_response_insert_delete ON responses",
            "DROP TRIGGER IF EXISTS tally_response_update ON responses",
            "DROP TRIGGER IF EXISTS tally_reason ON response_reasons",
            "DROP TRIGGER IF EXISTS tally_survey_insert ON surveys",
            "DROP TRIGGER IF EXISTS tally_survey_delete ON surveys",
            "DROP TRIGGER IF EXISTS tally_survey_update ON surveys",
            "DROP FUNCTION IF EXISTS tally_response()",
            "DROP FUNCTION IF EXISTS tally_reason()",
            "DROP FUNCTION IF EXISTS tally_survey()",
        ]
    names = (
        "tally_response_insert",
        "tally_response_update",
        "tally_response_delete",
        "revise_response_insert",
        "revise_response_update",
        "tally_reason_insert",
        "tally_reason_delete",
        "tally_survey_insert",
        "tally_survey_update",
        "tally_survey_delete",
    )
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def rebuild_statements(dialect: str) -> list[str]:
    """The tallies counted again from every answer, reason and survey."""
    hour = _HOUR[dialect]
    return [
        "DELETE FROM answer_tallies",
        "DELETE FROM delivery_tallies",
        f"""INSERT INTO answer_tallies ({_ANSWER_KEY}, answers)
        SELECT workspace, team, kind, '', {hour.format("answered_at")}, score, COUNT(*)
        FROM responses WHERE NOT is_test
        GROUP BY workspace, team, kind, {hour.format("answered_at")}, score""",
        f"""INSERT INTO answer_tallies ({_ANSWER_KEY}, answers)
        SELECT r.workspace, r.team, r.kind, rr.reason, {hour.format("r.answered_at")},
            r.score, COUNT(*)
        FROM responses AS r JOIN response_reasons AS rr ON rr.response_id = r.id
        WHERE NOT r.is_test
        GROUP BY r.workspace, r.team, r.kind, rr.reason, {hour.format("r.answered_at")},
            r.score""",
        f"""INSERT INTO delivery_tallies (workspace, team, hour, delivered, answered)
        SELECT workspace, team, {hour.format("delivered_at")}, COUNT(*),
            SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END)
        FROM surveys
        WHERE delivered_at IS NOT NULL AND NOT is_test AND purpose <> 'reminder'
        GROUP BY workspace, team, {hour.format("delivered_at")}""",
    ]


def rebuild(connection: Connection) -> None:
    """Count every tally again (a synchronous connection, inside its transaction)."""
    for statement in rebuild_statements(connection.dialect.name):
        connection.execute(text(statement))
