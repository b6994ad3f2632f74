"""What an operator types, run as a process: each mistake is one sentence, never a
traceback; each command's --help says what it does and what it reads."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest

from sandbox import FakeSlack
from sandbox.local_bot import free_port
from tests.test_process import project_env, run_cli, stop_with_sigterm
from tests.waiting import wait_until


async def read_until(process: asyncio.subprocess.Process, text: str) -> str:
    """What the process printed up to and including the line with `text`."""
    assert process.stdout is not None
    said = ""
    while text not in said:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        assert line, f"the process ended before saying {text!r}: {said}"
        said += line.decode()
    return said


def one_sentence(out: str) -> str:
    lines = out.strip().splitlines()
    assert "Traceback" not in out and len(lines) == 1, out
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "abc", "surveybot: PORT='abc' is not a port number: give one from 1 to 65535"),
        ("PORT", "70000", "surveybot: PORT='70000' is not a port number"),
        ("SURVEYBOT_METRICS_PORT", "0", "surveybot: SURVEYBOT_METRICS_PORT='0' is not a port"),
        ("SLACK_API_URL", "slack.com/api", "surveybot: SLACK_API_URL='slack.com/api' is not an "
         "http(s) URL: leave it unset for Slack (https://slack.com/api/)"),
        ("SURVEYBOT_LOG_LEVEL", "verbose", "surveybot: SURVEYBOT_LOG_LEVEL='verbose' is not a log "
         "level: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", [["serve"], ["migrate"]])
async def test_a_bad_setting_is_one_sentence_naming_the_variable(
    tmp_path: Path, command: list[str], variable: str, value: str, expected: str
) -> None:
    env = project_env(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", **{variable: value}
    )
    code, out = await run_cli(*command, cwd=tmp_path, env=env)
    assert code == 2
    assert one_sentence(out).startswith(expected), out


async def test_migrate_down_to_base_asks_first_and_goes_with_yes(tmp_path: Path) -> None:
    env = project_env(tmp_path)
    assert (await run_cli("migrate", cwd=tmp_path, env=env))[0] == 0
    # Not a terminal (a script, cron): no question can be asked, so nothing happens.
    code, out = await run_cli("migrate", "--down-to", "base", cwd=tmp_path, env=env)
    assert code == 2
    assert "--down-to base removes every table and all data in" in one_sentence(out)
    assert "add --yes" in out
    with sqlite3.connect(tmp_path / "surveybot.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    code, out = await run_cli("migrate", "--down-to", "base", "--yes", cwd=tmp_path, env=env)
    assert code == 0, out
    assert one_sentence(out).startswith("Database schema is back at base")
    with sqlite3.connect(tmp_path / "surveybot.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "surveys" not in tables


async def test_an_unknown_revision_is_one_sentence_listing_the_real_ones(tmp_path: Path) -> None:
    env = project_env(tmp_path)
    code, out = await run_cli("migrate", "--down-to", "0003x", cwd=tmp_path, env=env)
    assert code == 2
    line = one_sentence(out)
    assert line.startswith("surveybot: there is no migration revision '0003x'")
    assert "0001, 0002, 0003" in line and "or base" in line
    assert not (tmp_path / "surveybot.db").exists()


async def test_migrate_prints_no_alembic_chatter(tmp_path: Path) -> None:
    code, out = await run_cli("migrate", cwd=tmp_path, env=project_env(tmp_path))
    assert code == 0
    assert one_sentence(out).startswith("Database is up to date")
    assert "alembic" not in out and "Context impl" not in out


async def test_export_of_an_unknown_team_exits_1_naming_the_known_ones(tmp_path: Path) -> None:
    env = project_env(tmp_path)
    assert (await run_cli("migrate", cwd=tmp_path, env=env))[0] == 0
    code, out = await run_cli("export", "--team", "nosuch", cwd=tmp_path, env=env)
    assert code == 1
    assert one_sentence(out) == "surveybot: no team named 'nosuch'; known teams: support"
    code, out = await run_cli("export", "--team", "support", cwd=tmp_path, env=env)
    assert code == 0 and out.splitlines()[0].startswith("survey_id,team,")


@pytest.mark.parametrize(
    ("command", "says", "reads"),
    [
        (["serve"], "Run the bot", ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PORT",
                                    "SURVEYBOT_HOST", "SURVEYBOT_METRICS_PORT", "DATABASE_URL"]),
        (["migrate"], "Create the database schema", ["DATABASE_URL"]),
        (["demo"], "Play one support week", ["SURVEYBOT_LOG_LEVEL"]),
        (["digest"], "Post a team's weekly digest", ["SLACK_BOT_TOKEN", "SURVEYBOT_CONFIG"]),
        (["export"], "Write every answer as CSV", ["DATABASE_URL", "SURVEYBOT_CONFIG"]),
        (["retry"], "Put failed surveys", ["DATABASE_URL"]),
        (["forget"], "Erase everything stored about one customer", ["DATABASE_URL"]),
        (["settings", "apply"], "settings apply --from-file", ["DATABASE_URL",
                                                               "SURVEYBOT_CONFIG"]),
    ],
)  # fmt: skip
async def test_every_command_says_what_it_does_and_what_it_reads(
    tmp_path: Path, command: list[str], says: str, reads: list[str]
) -> None:
    code, out = await run_cli(*command, "--help", cwd=tmp_path, env=project_env(tmp_path))
    assert code == 0
    description, environment = out.split("environment:")
    assert says in description
    for variable in reads:
        assert variable in environment, (variable, out)


TEAMS = """
[[teams]]
name = "support"
support_channels = ["C0SUPPORT"]
alert_channel = "{alerts}"
delay_minutes = {delay}
"""


async def serve_once(tmp_path: Path, slack: FakeSlack, teams: Path) -> str:
    """Start the bot, wait until it is healthy and its channel check is done; stop it."""
    port = free_port()
    env = project_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=slack.api_url,
        SURVEYBOT_CONFIG=str(teams),
        PORT=str(port),
    )
    before = len(slack.called("conversations.info"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await wait_until(
            lambda: len(slack.called("conversations.info")) >= before + 2,
            timeout=20,
            what="the channel check",
        )
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
        await asyncio.sleep(0.3)  # the check's last answer is logged
        return await stop_with_sigterm(process)
    finally:
        if process.returncode is None:
            process.kill()


async def test_settings_apply_from_file_mends_a_first_start_typo(tmp_path: Path) -> None:
    teams = tmp_path / "teams.toml"
    # The first start, with two typos: a channel id and 500 minutes instead of 5.
    teams.write_text(TEAMS.format(alerts="C0ALERTZ", delay=500))
    async with FakeSlack() as slack:
        slack.add_channel("C0SUPPORT", "support")
        slack.add_channel("C0ALERTS", "support-alerts")
        first = await serve_once(tmp_path, slack, teams)
        assert "channel=C0ALERTZ" in first and "if it is private" in first
        assert "used_as=\"team 'support' alert_channel\"" in first

        # The operator fixes the file; the database still holds the typos, and says so.
        teams.write_text(TEAMS.format(alerts="C0ALERTS", delay=5))
        second = await serve_once(tmp_path, slack, teams)
        (warning,) = [line for line in second.splitlines() if "differ from the teams file" in line]
        assert "level=WARNING" in warning and "team=support" in warning
        assert 'alert_channel="file \\"C0ALERTS\\", database \\"C0ALERTZ\\""' in warning
        assert 'delay_minutes="file 5, database 500"' in warning

        env = project_env(tmp_path, SURVEYBOT_CONFIG=str(teams))
        code, out = await run_cli("settings", "apply", "--from-file", cwd=tmp_path, env=env)
        assert code == 0, out
        assert 'support: alert_channel "C0ALERTZ" -> "C0ALERTS"; delay_minutes 500 -> 5' in out
        assert "Traceback" not in out and "alembic" not in out
        # Recorded in the settings history, as an App Home save is.
        with sqlite3.connect(tmp_path / "surveybot.db") as conn:
            history = conn.execute(
                "SELECT field, old_value, new_value, changed_by, version "
                "FROM team_setting_changes ORDER BY id"
            ).fetchall()
            (version,) = conn.execute("SELECT version FROM team_settings").fetchone()
        assert history == [
            ("alert_channel", '"C0ALERTZ"', '"C0ALERTS"', "teams-file", 2),
            ("delay_minutes", "500", "5", "teams-file", 2),
        ]
        assert version == 2

        # Applied again: nothing to change. Started again: no difference, no bad channel.
        code, out = await run_cli("settings", "apply", "--from-file", cwd=tmp_path, env=env)
        assert "support: already as in" in out
        third = await serve_once(tmp_path, slack, teams)
        assert "differ from the teams file" not in third
        assert "channel unusable" not in third


async def test_settings_apply_names_an_unknown_team_and_a_missing_file(tmp_path: Path) -> None:
    teams = tmp_path / "teams.toml"
    teams.write_text(TEAMS.format(alerts="C0ALERTS", delay=5))
    env = project_env(tmp_path)
    assert (await run_cli("migrate", cwd=tmp_path, env=env))[0] == 0
    code, out = await run_cli("settings", "apply", "--from-file", cwd=tmp_path, env=env)
    assert code == 2
    assert one_sentence(out) == (
        "surveybot: no teams file: give its path (--from-file teams.toml) or set SURVEYBOT_CONFIG"
    )
    code, out = await run_cli(
        "settings", "apply", "--from-file", str(teams), "--team", "billing", cwd=tmp_path, env=env
    )
    assert code == 1
    assert one_sentence(out) == f"surveybot: no team named 'billing' in {teams}; its teams: support"


async def test_a_refused_app_token_stops_socket_mode_with_one_sentence(tmp_path: Path) -> None:
    async with FakeSlack() as slack:
        slack.revoked_tokens.add("xapp-old")
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_APP_TOKEN="xapp-old",
            SLACK_API_URL=slack.api_url,
            PORT=str(free_port()),
        )
        code, out = await run_cli("serve", "--socket-mode", cwd=tmp_path, env=env)
    assert code == 2, out
    assert one_sentence(out) == (
        "surveybot: Slack refused SLACK_APP_TOKEN (token_revoked): generate an app-level token "
        "(xapp-…) with the connections:write scope under Basic Information -> App-Level Tokens"
    )


async def test_make_runs_socket_mode_when_an_app_token_is_set_without_a_signing_secret(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as slack:
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_APP_TOKEN="xapp-test",
            SLACK_API_URL=slack.api_url,
            PORT=str(free_port()),
        )
        # What `make run` runs.
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--demo-if-unconfigured",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            said = await read_until(process, "connected to Slack over Socket Mode")
            await asyncio.sleep(0.5)  # the bot is past its start, waiting for a stop
            out = said + await stop_with_sigterm(process)
        finally:
            if process.returncode is None:
                process.kill()
    assert "connected to Slack over Socket Mode" in out
    assert "SLACK_SIGNING_SECRET" not in out and "demo" not in out


async def test_metrics_can_listen_apart_on_the_loopback_interface(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    async with FakeSlack() as slack:
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
            PORT=str(port),
            SURVEYBOT_HOST="127.0.0.1",
            SURVEYBOT_METRICS_PORT=str(metrics_port),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as http:

                async def status(url: str) -> int | None:
                    try:
                        async with http.get(url) as response:
                            return response.status
                    except aiohttp.ClientConnectionError:
                        return None

                main, internal = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}"
                await wait_until(
                    lambda: status(f"{main}/healthz"), timeout=20, what="the bot to listen"
                )
                await wait_until(
                    lambda: status(f"{internal}/metrics"), timeout=5, what="the metrics"
                )
                assert await status(f"{main}/metrics") == 404
                assert await status(f"{internal}/metrics") == 200
                assert await status(f"{internal}/healthz") == 200
            out = await stop_with_sigterm(process)
        finally:
            if process.returncode is None:
                process.kill()
    assert f"surveybot metrics on http://127.0.0.1:{metrics_port}/metrics" in out
    assert f"surveybot listening on http://127.0.0.1:{port}/slack/events" in out
    # Tests may run as root (CI containers); a server never should, and is told so.
    assert ("running as root: run surveybot as its own user" in out) == (os.geteuid() == 0)


async def test_a_host_that_is_not_this_machines_is_one_sentence(tmp_path: Path) -> None:
    env = project_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        PORT=str(free_port()),
        SURVEYBOT_HOST="nosuch.invalid",
    )
    code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2
    assert out.strip().splitlines()[-1] == (
        "surveybot: cannot listen on nosuch.invalid (SURVEYBOT_HOST): not an address of this "
        "machine; use 0.0.0.0 for every interface or 127.0.0.1 for this machine only"
    )
    assert "Traceback" not in out


async def test_a_busy_metrics_port_is_named_as_such(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        env = project_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="s",
            PORT=str(free_port()),
            SURVEYBOT_METRICS_PORT=str(busy),
        )
        code, out = await run_cli("serve", cwd=tmp_path, env=env)
    assert code == 2
    assert f"port {busy} is already in use" in out
    assert (
        f"set SURVEYBOT_METRICS_PORT to a free port, for example SURVEYBOT_METRICS_PORT={busy + 1}"
        in out
    )


@pytest.mark.postgres
async def test_a_managed_providers_tls_url_works_or_is_one_sentence(
    tmp_path: Path, postgres_url: str
) -> None:
    plain = postgres_url.replace("postgresql+asyncpg://", "postgres://")
    # `prefer` is libpq's default: it works with or without TLS on the server.
    code, out = await run_cli(
        "migrate", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=f"{plain}?sslmode=prefer")
    )
    assert code == 0, out
    # `require` works against a server with TLS, and is one sentence against one without.
    code, out = await run_cli(
        "migrate", cwd=tmp_path, env=project_env(tmp_path, DATABASE_URL=f"{plain}?sslmode=require")
    )
    assert code == 0 or "does not offer TLS, but DATABASE_URL asks for it" in one_sentence(out)
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("postgresql+psycopg2://u@db/surveybot", "surveybot: DATABASE_URL asks for the psycopg2 "
         "driver, which surveybot does not use: write it as postgresql://…"),
        ("mysql://u@db/surveybot", "surveybot: DATABASE_URL names mysql, which surveybot cannot "
         "use: it keeps its data in PostgreSQL"),
        ("postgresql://u@db/surveybot?sslmode=verify-full&sslrootcert=/no/ca.pem", "surveybot: "
         "cannot read the TLS files DATABASE_URL names (sslrootcert=/no/ca.pem)"),
        ("postgresql://u@db/surveybot?sslmode=always", "surveybot: DATABASE_URL has "
         "sslmode=always, which PostgreSQL does not know"),
    ],
)  # fmt: skip
async def test_a_database_url_surveybot_cannot_use_is_one_sentence(
    tmp_path: Path, database_url: str, expected: str
) -> None:
    env = project_env(tmp_path, DATABASE_URL=database_url)
    code, out = await run_cli("migrate", cwd=tmp_path, env=env)
    assert code == 2
    assert one_sentence(out).startswith(expected), out


async def test_forget_a_workspace_nobody_installed_erases_nothing_and_says_so(
    tmp_path: Path,
) -> None:
    env = project_env(tmp_path)
    assert (await run_cli("migrate", cwd=tmp_path, env=env))[0] == 0
    code, out = await run_cli("forget", "--workspace", "T0NOSUCH", cwd=tmp_path, env=env)
    assert code == 1
    assert "Nothing stored for workspace T0NOSUCH; nothing was erased." in out
    code, out = await run_cli("forget", cwd=tmp_path, env=env)
    assert code != 0 and "--customer" in out and "--workspace" in out
