"""Migrations that move rows, up and back, on both stores: 0004 (the follow-up's reasons
into rows), 0008 (every survey becomes a send with a purpose) and 0013 (slack_sdk's
installation and OAuth state tables, as its stores define them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.exc import IntegrityError

from sandbox.history import Answer, add_alert, add_answer
from storage import answers, customers, outbox, served, surveys
from storage.db import Database
from storage.migrations import migrate
from storage.surveys import NewSurvey
from storage.types import UTCDateTime
from storage.vocabulary import Delivery, Purpose, SurveyStatus
from tests.databases import PG_ADMIN_DSN, require_postgres

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

# The tables as they were at 0003, only the columns these rows fill.
CONVERSATIONS = sa.table(
    "conversations",
    *(sa.column(name) for name in ("id", "source", "external_id", "team", "outcome")),
    sa.column("closed_at", UTCDateTime()),
)
SURVEYS = sa.table(
    "surveys",
    *(
        sa.column(name)
        for name in (
            "id",
            "token",
            "conversation_id",
            "team",
            "kind",
            "customer_key",
            "delivery",
            "status",
            "attempts",
        )
    ),
    *(sa.column(name, UTCDateTime()) for name in ("created_at", "send_after", "expires_at")),
)
RESPONSES_0003 = sa.table(
    "responses",
    *(sa.column(name) for name in ("id", "survey_id", "team", "kind", "score", "reasons")),
    sa.column("answered_at", UTCDateTime()),
)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no schema yet, on each store."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'migrating.db'}")
        yield database
        await database.dispose()
        return
    require_postgres()
    name = f"surveybot_migration_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    database = Database(f"{base}/{name}")
    try:
        yield database
    finally:
        await database.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def downgrade(database: Database, revision: str) -> None:
    # Through migrate, which turns SQLite's foreign keys off around a table rebuild.
    await migrate(database, revision, down=True)


async def answer_at_0003(database: Database, n: int, score: int, reasons: str | None) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(
            sa.insert(CONVERSATIONS).values(
                id=n,
                source="webhook",
                external_id=f"ZD-{n}",
                team="support",
                outcome="survey",
                closed_at=NOW,
            )
        )
        await conn.execute(
            sa.insert(SURVEYS).values(
                id=n,
                token=f"tok{n}",
                conversation_id=n,
                team="support",
                kind="csat",
                customer_key=f"U{n}",
                delivery="dm",
                status="answered",
                attempts=0,
                created_at=NOW,
                send_after=NOW,
                expires_at=NOW,
            )
        )
        await conn.execute(
            sa.insert(RESPONSES_0003).values(
                id=n,
                survey_id=n,
                team="support",
                kind="csat",
                score=score,
                reasons=reasons,
                answered_at=NOW,
            )
        )


async def reason_rows(database: Database) -> set[tuple[int, str]]:
    async with database.engine.connect() as conn:
        result = await conn.execute(sa.text("SELECT response_id, reason FROM response_reasons"))
        return {(int(rid), str(reason)) for rid, reason in result.all()}


async def response_columns(database: Database) -> set[str]:
    async with database.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("responses")}
        )


async def test_0004_moves_comma_separated_reasons_into_rows_and_back(
    empty_db: Database,
) -> None:
    await migrate(empty_db, "0003")
    await answer_at_0003(empty_db, 1, 1, "slow_response,not_resolved")
    await answer_at_0003(empty_db, 2, 2, "other")
    await answer_at_0003(empty_db, 3, 5, None)

    await migrate(empty_db)

    assert await reason_rows(empty_db) == {
        (1, "slow_response"),
        (1, "not_resolved"),
        (2, "other"),
    }
    assert "reasons" not in await response_columns(empty_db)
    first = await answers.response_for(empty_db, 1)
    assert first is not None and set(first.reasons) == {"slow_response", "not_resolved"}
    praise = await answers.response_for(empty_db, 3)
    assert praise is not None and praise.reasons == ()

    await downgrade(empty_db, "0003")

    async with empty_db.engine.connect() as conn:
        result = await conn.execute(sa.text("SELECT id, reasons FROM responses ORDER BY id"))
        rows: dict[int, str | None] = {int(rid): reasons for rid, reasons in result.all()}
        tables = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    assert set((rows[1] or "").split(",")) == {"slow_response", "not_resolved"}
    assert (rows[2], rows[3]) == ("other", None)
    assert "response_reasons" not in tables


# The surveys table as it was at 0007 (no purpose, a conversation required).
SURVEYS_0007 = sa.table(
    "surveys",
    *(sa.column(c.name) for c in SURVEYS.columns if not isinstance(c.type, UTCDateTime)),
    *(sa.column(name) for name in ("channel_id", "message_ts")),
    *(
        sa.column(name, UTCDateTime())
        for name in ("created_at", "send_after", "expires_at", "delivered_at")
    ),
)


async def survey_at_0007(database: Database, n: int, status: str) -> None:
    """A survey as 0007 stored it; ids from the database, so its sequences stay right."""
    async with database.engine.begin() as conn:
        conversation_id = (
            await conn.execute(
                sa.insert(CONVERSATIONS)
                .values(
                    source="webhook",
                    external_id=f"ZD-{n}",
                    team="support",
                    outcome="survey",
                    closed_at=NOW,
                )
                .returning(CONVERSATIONS.c.id)
            )
        ).scalar_one()
        assert conversation_id == n
        await conn.execute(
            sa.insert(SURVEYS_0007).values(
                token=f"tok{n}",
                conversation_id=conversation_id,
                team="support",
                kind="csat",
                customer_key=f"U{n}",
                delivery="dm",
                status=status,
                attempts=0,
                created_at=NOW,
                send_after=NOW,
                expires_at=NOW + timedelta(days=7),
                channel_id=f"D{n}",
                message_ts=f"1763900000.00010{n}",
                delivered_at=NOW,
            )
        )


async def conversation_id_nullable(database: Database) -> bool:
    async with database.engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: sa.inspect(sync).get_columns("surveys"))
    return next(c for c in columns if c["name"] == "conversation_id")["nullable"]


def a_send(purpose: Purpose, **values: Any) -> NewSurvey:
    return NewSurvey(
        token=f"send-{purpose}-{values.get('reminds_id')}",
        team="support",
        kind="csat",
        customer_key="U1",
        customer_id="U1",
        delivery=Delivery.DM,
        status=SurveyStatus.SCHEDULED,
        created_at=NOW,
        send_after=NOW,
        expires_at=NOW + timedelta(days=7),
        purpose=purpose,
        **values,
    )


async def test_0010_keeps_every_survey_as_a_conversations_and_back(empty_db: Database) -> None:
    await migrate(empty_db, "0007")
    await survey_at_0007(empty_db, 1, "delivered")
    await survey_at_0007(empty_db, 2, "answered")
    await survey_at_0007(empty_db, 3, "scheduled")

    await migrate(empty_db)

    kept = await surveys.all_surveys(empty_db)
    assert [(s.id, s.token, s.conversation_id, s.status) for s in kept] == [
        (1, "tok1", 1, "delivered"),
        (2, "tok2", 2, "answered"),
        (3, "tok3", 3, "scheduled"),
    ]
    assert {s.purpose for s in kept} == {Purpose.CONVERSATION}
    assert await conversation_id_nullable(empty_db)
    # The new sends fit, and the database holds each purpose to what it points at.
    invitation = await outbox.add(empty_db, a_send(Purpose.INVITATION))
    reminder = await outbox.add(empty_db, a_send(Purpose.REMINDER, reminds_id=1))
    assert invitation is not None and reminder is not None
    assert (
        await outbox.add(empty_db, replace(a_send(Purpose.REMINDER, reminds_id=1), token="x"))
        is None
    )
    with pytest.raises(IntegrityError):  # a reminder of nothing
        await outbox.add(empty_db, a_send(Purpose.REMINDER))
    with pytest.raises(IntegrityError):  # an invitation posing as a reminder
        await outbox.add(empty_db, a_send(Purpose.INVITATION, reminds_id=2))
    # Scheduled ones are claimable; the claim is the same for every purpose.
    claimed = await outbox.claim_due(empty_db, NOW, NOW + timedelta(minutes=5), limit=10)
    assert {s.token for s in claimed} == {"tok3", invitation.token}  # U1's reminder waits its turn
    # An invitation answered (issue 18's NPS): its answer goes down with it.
    await outbox.mark_delivered(
        empty_db, invitation.id, channel_id="D1", message_ts="1.2", at=NOW, customer_id="U1"
    )
    delivered = await surveys.get_survey(empty_db, invitation.id)
    assert delivered is not None
    answer = await answers.record_click(
        empty_db, delivered, 2, action_ts="1.3", at=NOW, keeps_follow_up=lambda _o, _n: True
    )
    assert answer is not None

    await downgrade(empty_db, "0007")

    async with empty_db.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT id, conversation_id FROM surveys"))).all()
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("surveys")}
        )
    assert sorted((int(i), int(c)) for i, c in rows) == [(1, 1), (2, 2), (3, 3)]
    assert not {"purpose", "reminds_id"} & columns
    assert not await conversation_id_nullable(empty_db)


async def test_0013_keeps_the_token_s_workspace_on_the_way_down_and_back(
    empty_db: Database,
) -> None:
    await migrate(empty_db)
    for workspace in ("", "T1OTHER"):
        scoped = empty_db.in_workspace(workspace)
        survey_id = await add_answer(scoped, Answer(1, "U1AGENT", "U1C", comment="slow"), NOW)
        await add_alert(scoped, survey_id, "open", NOW)
        await customers.link_email(scoped, "ann@example.com", "U1C", NOW)
    await downgrade(empty_db, "0012")
    async with empty_db.engine.connect() as conn:
        for table in ("conversations", "surveys", "responses", "alerts", "customer_emails"):
            count = (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar()
            assert count == 1, table  # the other workspace's rows had no place there
    await migrate(empty_db)
    assert len(await surveys.all_surveys(empty_db.in_workspace(""))) == 1
    assert await surveys.all_surveys(empty_db.in_workspace("T1OTHER")) == []


SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
Schema = dict[str, tuple[set[tuple[str, object, object, bool]], set[tuple[str | None, ...]]]]


def _column(name: str, kind: sa.types.TypeEngine[Any], nullable: bool) -> tuple[Any, ...]:
    return (name, kind._type_affinity, getattr(kind, "length", None), nullable)


def _migrated(sync: sa.Connection) -> Schema:
    inspector = sa.inspect(sync)
    return {
        table: (
            {_column(c["name"], c["type"], c["nullable"]) for c in inspector.get_columns(table)},
            {(i["name"], *i["column_names"]) for i in inspector.get_indexes(table)},
        )
        for table in SLACK_TABLES
    }


def _declared(*metadatas: sa.MetaData) -> Schema:
    return {
        table.name: (
            {_column(c.name, c.type, bool(c.nullable)) for c in table.columns},
            {(i.name, *(c.name for c in i.columns)) for i in table.indexes},
        )
        for metadata in metadatas
        for table in metadata.tables.values()
    }


async def test_0014_creates_exactly_the_tables_slack_sdks_stores_use_and_drops_them(
    empty_db: Database,
) -> None:
    await migrate(empty_db, "0013")
    await migrate(empty_db)
    installations = AsyncSQLAlchemyInstallationStore("111.222", empty_db.engine)
    states = AsyncSQLAlchemyOAuthStateStore(600, empty_db.engine)

    # Every column (its kind, length, nullability) and index the stores declare.
    async with empty_db.engine.connect() as conn:
        migrated = await conn.run_sync(_migrated)
    assert migrated == _declared(installations.metadata, states.metadata)

    # Both stores work on these tables as they are.
    await installations.async_save(
        Installation(
            app_id="A1",
            enterprise_id=None,
            team_id="T1",
            team_name="Acme",
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="U1",
            bot_scopes="chat:write",
            user_id="U9",
            installed_at=NOW,
        )
    )
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-1"
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.team_name == "Acme" and found.user_id == "U9"
    state = await states.async_issue()
    assert await states.async_consume(state)
    assert not await states.async_consume(state)  # a state works once
    await installations.async_delete_bot(enterprise_id=None, team_id="T1")
    await installations.async_delete_installation(enterprise_id=None, team_id="T1")
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None

    await downgrade(empty_db, "0013")

    async with empty_db.engine.connect() as conn:
        left = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    assert not SLACK_TABLES & left


async def index_names(database: Database, table: str) -> set[str]:
    async with database.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {str(i["name"]) for i in sa.inspect(sync).get_indexes(table)}
        )


async def test_0017_adds_the_accounts_and_their_indexes_and_takes_them_back(
    empty_db: Database,
) -> None:
    await migrate(empty_db)
    survey_id = await add_answer(empty_db, Answer(2, "U1AGENT", "U1C"), NOW)
    assert {"account", "account_name"} <= await response_columns(empty_db)
    assert {"ix_responses_accounts", "ix_responses_account_answered"} <= await index_names(
        empty_db, "responses"
    )
    await downgrade(empty_db, "0016")
    assert not {"account", "account_name"} & await response_columns(empty_db)
    assert not {"ix_responses_accounts"} & await index_names(empty_db, "responses")
    await migrate(empty_db)
    # The answer stored before is still there, with no account: none was asked for then.
    stored = await answers.response_for(empty_db, survey_id)
    assert stored is not None and stored.score == 2


async def test_0016_keeps_the_served_workspaces_and_takes_them_back(empty_db: Database) -> None:
    await migrate(empty_db)
    await served.remember(empty_db, "T1", "E1", NOW)
    await served.mark_uninstalled(empty_db, "T1", "app_uninstalled", NOW)
    state = await served.state_of(empty_db, "T1")
    assert state is not None and state.enterprise_id == "E1"
    assert state.uninstall_reason == "app_uninstalled"
    await downgrade(empty_db, "0015")
    async with empty_db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    assert "workspaces" not in tables
    await migrate(empty_db)
    assert await served.state_of(empty_db, "T1") is None


async def test_0018_adds_the_nps_round_tables_whose_rounds_are_planned_once_and_drops_them(
    empty_db: Database,
) -> None:
    await migrate(empty_db)
    round_row = {
        "workspace": "T1",
        "team": "support",
        "starts_on": "2027-01-04",
        "spread_days": 5,
        "planned_at": NOW,
        "asked": 0,
        "skipped": 0,
    }
    rounds = sa.table(
        "nps_rounds",
        *(sa.column(n) for n in round_row if n != "planned_at"),
        sa.column("planned_at", UTCDateTime()),
    )
    async with empty_db.engine.begin() as conn:
        await conn.execute(sa.insert(rounds).values(**round_row))
    with pytest.raises(IntegrityError):  # a second process planning the same round
        async with empty_db.engine.begin() as conn:
            await conn.execute(sa.insert(rounds).values(**round_row))
    await downgrade(empty_db, "0017")
    async with empty_db.engine.connect() as conn:
        left = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
    assert not {"nps_rounds", "nps_invites"} & left
    await migrate(empty_db)
