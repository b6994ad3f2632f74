"""`surveybot settings apply --from-file` saves the teams file over the database's
settings the way an App Home save does: a new version, the history, Home's last change."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.home.team_settings import apply_file
from bot.team_directory import ENVIRONMENT_WORKSPACE, TeamDirectory
from bot.teams import parse_teams
from sandbox import FakeSlack
from storage import team_settings as store
from storage.db import Database
from storage.migrations import migrate
from tests.harness import running_bot
from tests.test_home import LEAD, TEAMS_TOML, open_home, shown
from tests.waiting import wait_until

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_the_file_applied_again_is_a_save_home_shows_as_the_teams_files(
    slack: FakeSlack, sqlite_url: str
) -> None:
    slack.add_user(LEAD, name="lead")
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML):
        pass  # the first start seeds the team from the file
    fixed = parse_teams(TEAMS_TOML.replace("delay_minutes = 0", "delay_minutes = 15"))
    db = Database(sqlite_url)
    try:
        (applied,) = await apply_file(db, ENVIRONMENT_WORKSPACE, fixed, NOW)
        assert applied.version == 2 and [c.field for c in applied.changes] == ["delay_minutes"]
        (change,) = await store.last_save(db, ENVIRONMENT_WORKSPACE, "support")
        assert (change.old_value, change.new_value, change.changed_by) == ("0", "15", "teams-file")
        # Applying the same file again changes nothing and writes no history.
        (again,) = await apply_file(db, ENVIRONMENT_WORKSPACE, fixed, NOW)
        assert again.changes == () and again.version == 2
        (team,) = (await TeamDirectory(db, ENVIRONMENT_WORKSPACE, fixed).load(NOW)).teams
        assert team.delay_minutes == 15
    finally:
        await db.dispose()
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML) as bot:
        assert bot.workspace.teams.teams[0].delay_minutes == 15
        home = shown(await open_home(bot, LEAD))
    assert "The teams file changed *" in home and "`0` → `15`" in home


async def test_a_team_new_to_the_database_is_seeded_by_apply(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        await migrate(db)
        (applied,) = await apply_file(db, ENVIRONMENT_WORKSPACE, parse_teams(TEAMS_TOML), NOW)
        assert applied.seeded and applied.version == 1
        assert await store.created_at(db, ENVIRONMENT_WORKSPACE, "support") == NOW
    finally:
        await db.dispose()


async def test_a_running_bot_uses_the_applied_file_within_seconds(
    slack: FakeSlack, sqlite_url: str
) -> None:
    async with running_bot(slack, sqlite_url, teams_toml=TEAMS_TOML) as bot:
        fixed = parse_teams(TEAMS_TOML.replace("delay_minutes = 0", "delay_minutes = 15"))
        db = Database(sqlite_url)
        try:
            (applied,) = await apply_file(db, ENVIRONMENT_WORKSPACE, fixed, NOW)
        finally:
            await db.dispose()
        assert [c.field for c in applied.changes] == ["delay_minutes"]

        def uses_it() -> bool:
            team = bot.workspace.teams.by_name("support")
            return team is not None and team.delay_minutes == 15

        await wait_until(uses_it, timeout=5, what="the applied settings in the running bot")
