"""Team settings rows on both stores: seeded once, saved on a version, audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage import team_settings as store
from storage.db import Database
from storage.team_settings import FieldChange

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_the_file_seeds_a_team_once(db: Database) -> None:
    assert await store.seed(db, "", {"support": '{"delay_minutes": 5}'}, NOW) == ["support"]
    assert await store.seed(db, "", {"support": '{"delay_minutes": 99}'}, NOW) == []
    saved = await store.settings_of(db, "", "support")
    assert saved is not None and saved.settings == '{"delay_minutes": 5}' and saved.version == 1


async def test_of_two_saves_from_the_same_version_exactly_one_is_written(db: Database) -> None:
    await store.seed(db, "", {"support": "{}"}, NOW)

    async def save(by: str, field: str) -> int | None:
        return await store.save(
            db,
            "",
            "support",
            edited_version=1,
            settings=f'{{"{field}": 1}}',
            changes=[FieldChange(field, "0", "1")],
            by=by,
            at=NOW,
        )

    results = await asyncio.gather(save("U1", "delay_minutes"), save("U2", "target"))
    assert sorted(results, key=str) == [2, None]
    (change,) = await store.changes_since(db, "", "support", 1)
    winner = "U1" if results[0] == 2 else "U2"
    assert change.changed_by == winner and change.version == 2
    assert [c.field for c in await store.last_save(db, "", "support")] == [change.field]
