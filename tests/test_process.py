"""`surveybot` as an operator runs it: missing credentials, migrate, serve and SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest

from sandbox import FakeSlack
from sandbox.local_bot import free_port
from tests.waiting import wait_until


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SURVEYBOT_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


async def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode()


def project_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    root = str(Path(__file__).resolve().parent.parent)
    # Never Slack itself: a test that forgets the fake reaches a closed local port.
    return clean_env(**{"PYTHONPATH": root, "SLACK_API_URL": "http://127.0.0.1:9/api/", **extra})


async def stop_with_sigterm(process: asyncio.subprocess.Process) -> str:
    """Stop the bot as an orchestrator does; it must exit 0. Answers what it printed."""
    process.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, out.decode()
    return out.decode()


async def test_serve_without_credentials_says_what_is_missing_and_how_to_get_them(
    tmp_path: Path,
) -> None:
    code, out = await run_cli("serve", cwd=tmp_path, env=project_env(tmp_path))
    assert code == 2
    assert "Missing: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in out
    assert "manifest.yml" in out and ".env" in out
    assert "Traceback" not in out


async def test_migrate_creates_the_embedded_database_in_the_working_folder(tmp_path: Path) -> None:
    code, out = await run_cli("migrate", cwd=tmp_path, env=project_env(tmp_path))
    assert code == 0, out
    assert "Database is up to date" in out
    assert (tmp_path / "surveybot.db").exists()


async def test_migrate_down_to_a_revision_rolls_the_schema_back_and_up_again(
    tmp_path: Path,
) -> None:
    env = project_env(tmp_path)
    assert (await run_cli("migrate", cwd=tmp_path, env=env))[0] == 0
    code, out = await run_cli("migrate", "--down-to", "0002", cwd=tmp_path, env=env)
    assert code == 0, out
    assert "back at 0002" in out
    with sqlite3.connect(tmp_path / "surveybot.db") as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == "0002"
    code, out = await run_cli("migrate", cwd=tmp_path, env=env)
    assert code == 0 and "up to date" in out


async def test_a_bad_teams_file_is_reported_by_team_and_field(tmp_path: Path) -> None:
    teams = tmp_path / "teams.toml"
    teams.write_text('[[teams]]\nname = "billing"\ndelivery = "pigeon"\n')
    env = project_env(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SURVEYBOT_CONFIG=str(teams)
    )
    code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2
    assert "team 'billing': delivery:" in out and "Traceback" not in out


async def test_a_channel_name_in_the_teams_file_is_refused_with_how_to_find_its_id(
    tmp_path: Path,
) -> None:
    teams = tmp_path / "teams.toml"
    teams.write_text('[[teams]]\nname = "billing"\nsupport_channels = ["#billing-help"]\n')
    env = project_env(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SURVEYBOT_CONFIG=str(teams)
    )
    code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2
    assert "team 'billing': support_channels: '#billing-help' is a channel name" in out
    assert "About tab" in out and "Traceback" not in out


async def test_serve_answers_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as slack:
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
            PORT=str(port),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as http:

                async def healthy() -> bool:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            assert response.status == 200
                            return True
                    except aiohttp.ClientConnectionError:
                        return False

                await wait_until(
                    healthy, timeout=10, interval=0.1, what="the bot to start listening"
                )
            out = await stop_with_sigterm(process)
        finally:
            if process.returncode is None:
                process.kill()
        assert "surveybot stopped" in out


async def test_socket_mode_receives_a_close_and_sends_the_survey(tmp_path: Path) -> None:
    from sandbox.payloads import event_callback, reaction_added

    teams = tmp_path / "teams.toml"
    teams.write_text(
        '[[teams]]\nname = "support"\nsupport_channels = ["C0SUPPORT"]\n'
        'delay_minutes = 0\nquiet_hours = ""\n'
    )
    async with FakeSlack() as slack:
        slack.add_user("U0ANN", tz="Europe/Berlin")
        slack.add_message("C0SUPPORT", "1763900000.000100", "U0ANN", "help")
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_APP_TOKEN="xapp-test",
            SLACK_API_URL=slack.api_url,
            SURVEYBOT_CONFIG=str(teams),
            SURVEYBOT_DISPATCH_INTERVAL="0.1",
            PORT=str(free_port()),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--socket-mode",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            event = reaction_added(
                user="U0BO",
                reaction="white_check_mark",
                channel="C0SUPPORT",
                ts="1763900000.000100",
                item_user="U0ANN",
            )
            await slack.push_socket_envelope("events_api", event_callback(event), timeout=20)
            (post,) = await slack.wait_for("chat.postMessage", timeout=10)
            assert post.args["thread_ts"] == "1763900000.000100"
            out = await stop_with_sigterm(process)
        finally:
            if process.returncode is None:
                process.kill()
        assert "connected to Slack over Socket Mode" in out


PG = "postgres@127.0.0.1:5432"


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:1/surveybot", "cannot reach the PostgreSQL server at "
         "127.0.0.1:1 (database 'surveybot')"),
        (f"postgres://{PG}/surveybot_no_such_db", "the PostgreSQL server at 127.0.0.1:5432 has "
         "no database 'surveybot_no_such_db'"),
        ("sqlite:////no/such/folder/surveybot.db", "cannot open the SQLite database "
         "/no/such/folder/surveybot.db: its folder does not exist"),
        ("not a url", "DATABASE_URL 'not a url' is not a database URL"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["migrate", "serve", "digest", "export", "forget"])
async def test_a_database_that_cannot_be_used_gets_one_sentence_from_every_command(
    tmp_path: Path, command: str, database_url: str, expected: str
) -> None:
    args = {
        "migrate": ["migrate"],
        "serve": ["serve"],
        "digest": ["digest", "--team", "support", "--dry-run"],
        "export": ["export"],
        "forget": ["forget", "--customer", "U0ANN"],
    }[command]
    if command == "export" and database_url.startswith("sqlite"):
        expected = "there is no surveybot database here (/no/such/folder/surveybot.db)"
    if command == "forget" and database_url.startswith("sqlite"):
        expected = "there is no surveybot database here (/no/such/folder/surveybot.db)"
    env = project_env(
        tmp_path,
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        PORT=str(free_port()),
    )
    code, out = await run_cli(*args, cwd=tmp_path, env=env)
    assert code == 2, out
    assert expected in out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1, out


@pytest.mark.parametrize("command", [["export"], ["forget", "--customer", "ann@example.com"]])
async def test_export_and_forget_in_a_fresh_folder_say_there_is_no_database(
    tmp_path: Path, command: list[str]
) -> None:
    code, out = await run_cli(*command, cwd=tmp_path, env=project_env(tmp_path))
    assert code == 2
    assert "there is no surveybot database here (./surveybot.db)" in out
    assert "Traceback" not in out
    assert not (tmp_path / "surveybot.db").exists()


async def test_a_busy_port_names_the_port_and_how_to_change_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = project_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s",
                          PORT=str(port))  # fmt: skip
        code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2, out
    assert f"port {port} is already in use" in out and f"PORT={port + 1}" in out
    assert "Traceback" not in out


async def test_socket_mode_with_a_bot_token_as_app_token_stops_with_one_sentence(
    tmp_path: Path,
) -> None:
    env = project_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xoxb-2")
    code, out = await run_cli("serve", "--socket-mode", cwd=tmp_path, env=env)
    assert code == 2
    assert "SLACK_APP_TOKEN is a bot token (xoxb-…)" in out and "xapp-" in out
    assert "Traceback" not in out


async def test_provider_style_database_urls_are_used_with_the_async_drivers(
    tmp_path: Path, postgres_url: str
) -> None:
    plain = postgres_url.replace("postgresql+asyncpg://", "postgres://")
    code, out = await run_cli(
        "migrate", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=plain)
    )
    assert code == 0, out
    sqlite_url = f"sqlite:///{tmp_path / 'plain.db'}"
    code, out = await run_cli(
        "migrate", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=sqlite_url)
    )
    assert code == 0, out
    assert (tmp_path / "plain.db").exists()


async def test_a_token_slack_refuses_stops_the_start_with_one_sentence(tmp_path: Path) -> None:
    async with FakeSlack() as slack:
        slack.revoked_tokens.add("xoxb-old")
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-old",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=slack.api_url,
            PORT=str(free_port()),
        )
        code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2, out
    assert "Traceback" not in out
    assert out.strip().splitlines()[-1] == (
        "surveybot: Slack refused SLACK_BOT_TOKEN (token_revoked): copy the Bot User OAuth "
        "Token (xoxb-…) again from your app's OAuth & Permissions page, or reinstall the app"
    )
