"""The console command `surveybot`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import errno
import logging
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.app import SurveyBot, build_app, serving, until_stopped
from bot.cli_database import existing_database
from bot.cli_forget import cmd_forget
from bot.cli_help import DESCRIPTIONS, epilog
from bot.cli_nps import cmd_nps
from bot.cli_teams import UnknownTeam, applied_lines, known_team, teams_to_apply
from bot.home.team_settings import Applied, apply_file
from bot.i18n import LANGUAGES
from bot.logs import configure_logging, log_level_problem
from bot.settings import Settings, setting_problem
from bot.slack.workspace import TokenRefused, check_app_token
from bot.team_directory import ENVIRONMENT_WORKSPACE
from bot.teams import TeamsFileError
from storage.db import Database, connection_problem
from storage.migrations import migrate, revision_problem
from storage.outbox import RetryOutcome, retry_failed
from storage.privacy import export_answers

HOW_TO_GET_CREDENTIALS = """\
surveybot needs Slack credentials to start. Missing: {missing}

How to get them (about five minutes):
  1. Open https://api.slack.com/apps -> "Create New App" -> "From an app manifest",
     pick your workspace and paste manifest.yml from this folder.
  2. "Install to Workspace". Then copy:
       SLACK_BOT_TOKEN       OAuth & Permissions -> Bot User OAuth Token (xoxb-...)
       SLACK_SIGNING_SECRET  Basic Information -> App Credentials -> Signing Secret
     For Socket Mode (no public URL needed) also:
       SLACK_APP_TOKEN       Basic Information -> App-Level Tokens (connections:write)
  3. Put them in a file named .env in this folder, for example:
       SLACK_BOT_TOKEN=xoxb-...
       SLACK_SIGNING_SECRET=...
  4. Run `make run` again (or `surveybot serve --socket-mode` for Socket Mode).
See README.md for the teams file and PostgreSQL.
"""


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings()
    # An app token without a signing secret is a Socket Mode set-up (README): use it.
    socket_mode = args.socket_mode or settings.prefers_socket_mode()
    missing = settings.missing_for_socket_mode() if socket_mode else settings.missing_for_http()
    if missing:
        print(HOW_TO_GET_CREDENTIALS.format(missing=", ".join(missing)), file=sys.stderr)
        if args.demo_if_unconfigured:
            print("Until then, here is the local sandbox (Ctrl-C stops it).\n", file=sys.stderr)
            return _demo(port=settings.port, keep_running=True, in_browser=True)
        return 2
    if socket_mode and (problem := settings.app_token_problem()):
        print(f"surveybot: {problem}", file=sys.stderr)
        return 2
    asyncio.run(_serve(build_app(settings), settings, socket_mode=socket_mode))
    return 0


def _warn_if_root() -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        logging.getLogger("surveybot").warning(
            "running as root: run surveybot as its own user (README: Going to production)"
        )


async def _serve(bot: SurveyBot, settings: Settings, *, socket_mode: bool) -> None:
    if socket_mode:
        await check_app_token(settings.api_url, settings.slack_app_token or "")
    # Health, metrics and the helpdesk webhook listen on PORT in both modes.
    async with contextlib.AsyncExitStack() as listening:
        url = await listening.enter_async_context(
            serving(bot.web_app, settings.host, settings.port)
        )
        if bot.metrics_app is not None and settings.metrics_port is not None:
            metrics_url = await listening.enter_async_context(
                serving(bot.metrics_app, settings.metrics_host, settings.metrics_port)
            )
            print(f"surveybot metrics on {metrics_url}/metrics", file=sys.stderr)
        _warn_if_root()
        if not socket_mode:
            # Said once the port is bound: a start that fails says why instead.
            print(f"surveybot listening on {url}/slack/events", file=sys.stderr)
            await until_stopped()
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(bot.bolt_app, settings.slack_app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        print("surveybot connected to Slack over Socket Mode", file=sys.stderr)
        try:
            await until_stopped()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.down_to and (problem := revision_problem(args.down_to)):
        raise CommandError(problem)
    if args.down_to == "base" and not args.yes and not _confirmed(settings):
        print("Nothing was changed.", file=sys.stderr)
        return 1

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            if args.down_to:
                await migrate(db, args.down_to, down=True)
            else:
                await migrate(db)
        finally:
            await db.dispose()

    asyncio.run(run())
    if args.down_to:
        print(f"Database schema is back at {args.down_to}: {_redacted(settings.database_url)}")
    else:
        print(f"Database is up to date: {_redacted(settings.database_url)}")
    return 0


def _confirmed(settings: Settings) -> bool:
    """`--down-to base` drops every table: only after a yes typed at a terminal."""
    where = _redacted(settings.database_url)
    if not sys.stdin.isatty():
        raise CommandError(
            f"--down-to base removes every table and all data in {where}: "
            "add --yes to do that without a question"
        )
    answer = input(f"This removes every table and all data in {where}. Type yes to go on: ")
    return answer.strip().lower() == "yes"


EXPORT_COLUMNS = (
    "survey_id",
    "team",
    "kind",
    "score",
    "reasons",
    "comment",
    "answered_at",
    "agent_id",
    "customer_id",
    "source",
    "conversation_id",
    "account",
    "account_name",
)


class CommandError(Exception):
    """A command given wrong values; the message is the one sentence to print."""


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since {value!r} is not a date like 2026-01-31") from None
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def cmd_export(args: argparse.Namespace) -> int:
    settings = Settings()
    since = _since(args.since)

    async def run() -> int:
        db = await existing_database(settings)
        if args.team:
            try:
                await known_team(db, settings.config_path, args.team)
            except BaseException:
                await db.dispose()
                raise
        writer = csv.writer(sys.stdout)
        writer.writerow(EXPORT_COLUMNS)
        count = 0
        try:
            async for row in export_answers(db, team=args.team, since=since):
                values = asdict(row)
                values["answered_at"] = row.answered_at.isoformat()
                writer.writerow([values[c] for c in EXPORT_COLUMNS])
                count += 1
        finally:
            await db.dispose()
        return count

    count = asyncio.run(run())
    print(f"exported {count} answer{'' if count == 1 else 's'}", file=sys.stderr)
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    settings = Settings()
    given = Path(args.from_file) if args.from_file else settings.config_path
    path, teams = teams_to_apply(given, args.team)

    async def run() -> list[Applied]:
        db = await existing_database(settings)
        try:
            return await apply_file(db, ENVIRONMENT_WORKSPACE, teams, datetime.now(UTC))
        finally:
            await db.dispose()

    print("\n".join(applied_lines(asyncio.run(run()), path)))
    return 0


GET_THE_SANDBOX = (
    "surveybot: the demo needs the sandbox package, which only a development checkout has: "
    "run `make run` there, or `pip install -e ./sandbox` next to surveybot."
)


def _demo(*, port: int, keep_running: bool, language: str = "en", in_browser: bool = False) -> int:
    # The pretend Slack is a development package, never part of the bot's wheel.
    try:
        from sandbox.browser.server import run_sandbox
        from sandbox.demo import run_demo
    except ModuleNotFoundError as exc:
        if exc.name != "sandbox":
            raise
        print(GET_THE_SANDBOX, file=sys.stderr)
        return 2

    if "SURVEYBOT_LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)  # the walkthrough is the output
    if in_browser:
        asyncio.run(run_sandbox(port=port))
    else:
        asyncio.run(run_demo(port=port, keep_running=keep_running, language=language))
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    settings = Settings()
    since = _since(args.since)

    async def run() -> RetryOutcome:
        db = await existing_database(settings)
        try:
            return await retry_failed(db, now=datetime.now(UTC), since=since)
        finally:
            await db.dispose()

    outcome = asyncio.run(run())
    if outcome.requeued == 0 and outcome.expired == 0:
        print("No failed surveys to send again.")
        return 0
    back = outcome.requeued
    print(
        f"{back} failed survey{'' if back == 1 else 's'} {'is' if back == 1 else 'are'} back in "
        "the outbox: the running bot sends them within seconds (or when it next starts)."
        + (f" {outcome.expired} more had expired and stay failed." if outcome.expired else "")
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return _demo(port=args.port, keep_running=not args.once, language=args.language)


def cmd_digest(args: argparse.Namespace) -> int:
    from bot.digest.job import digest_command

    return asyncio.run(digest_command(Settings(), args.team, args.week, args.dry_run))


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=DESCRIPTIONS[name][0],
        epilog=epilog(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="surveybot",
        description="Surveys after every support conversation, alerts and weekly digests in Slack.",
        epilog="`surveybot COMMAND --help` says what a command does and what it reads.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = _command(sub, "serve", "run the bot (HTTP on PORT, or Socket Mode)")
    serve.add_argument("--socket-mode", action="store_true", help="connect over Socket Mode")
    serve.add_argument(
        "--demo-if-unconfigured",
        action="store_true",
        help="without Slack credentials, open the browser sandbox instead (what `make run` does)",
    )
    serve.set_defaults(func=cmd_serve)
    migrate_parser = _command(sub, "migrate", "create or upgrade the database schema")
    migrate_parser.add_argument(
        "--down-to",
        metavar="REVISION",
        help="roll the schema back to this revision (e.g. 0003) before installing an older "
        "release; base removes every table",
    )
    migrate_parser.add_argument(
        "--yes", action="store_true", help="do not ask before --down-to base removes everything"
    )
    migrate_parser.set_defaults(func=cmd_migrate)
    demo = _command(sub, "demo", "play a support week against a pretend Slack, locally")
    demo.add_argument("--once", action="store_true", help="stop after the walkthrough")
    demo.add_argument("--port", type=int, default=3000, help="where the demo bot listens")
    demo.add_argument(
        "--language",
        default="en",
        choices=LANGUAGES,
        help="the pretend customers' and team's language (what Slack shows)",
    )
    demo.set_defaults(func=cmd_demo)
    digest = _command(sub, "digest", "post or preview a team's weekly digest")
    digest.add_argument("--team", required=True, help="team name from the teams file")
    digest.add_argument("--dry-run", action="store_true", help="print instead of posting")
    digest.add_argument("--week", help="ISO week such as 2026-W47 (default: last week)")
    digest.set_defaults(func=cmd_digest)
    nps = _command(sub, "nps", "preview or plan a team's relational NPS round")
    nps.add_argument("--team", required=True, help="team name from the teams file")
    nps.add_argument("--dry-run", action="store_true", help="list whom it would ask; store nothing")
    nps.set_defaults(func=cmd_nps)
    export = _command(sub, "export", "write every answer as CSV to standard output")
    export.add_argument("--team", help="only this team's answers")
    export.add_argument("--since", help="only answers from this date on (ISO 8601)")
    export.set_defaults(func=cmd_export)
    retry = _command(sub, "retry", "send failed surveys again, once the cause is fixed")
    retry.add_argument("--since", help="only surveys created from this date on (ISO 8601)")
    retry.set_defaults(func=cmd_retry)
    forget = _command(
        sub, "forget", "erase everything stored about one customer, or one whole workspace"
    )
    whom = forget.add_mutually_exclusive_group(required=True)
    whom.add_argument("--customer", help="Slack user id or email address")
    whom.add_argument("--workspace", help="Slack workspace id (T…, or E… for an org-wide install)")
    forget.set_defaults(func=cmd_forget)
    team_settings = _command(sub, "settings", "team settings kept in the database")
    actions = team_settings.add_subparsers(dest="action", required=True)
    apply = actions.add_parser(
        "apply",
        help="save the teams file's values over the database's",
        description=DESCRIPTIONS["settings"][0],
        epilog=epilog("settings"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    apply.add_argument(
        "--from-file",
        nargs="?",
        const="",
        required=True,
        metavar="PATH",
        help="the teams file (default: SURVEYBOT_CONFIG)",
    )
    apply.add_argument("--team", help="only this team (default: every team in the file)")
    apply.set_defaults(func=cmd_settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if problem := log_level_problem():
        print(f"surveybot: {problem}", file=sys.stderr)
        return 2
    configure_logging()
    try:
        code: int = args.func(args)
    except UnknownTeam as exc:
        print(f"surveybot: {exc}", file=sys.stderr)
        return 1
    except (TeamsFileError, CommandError) as exc:
        print(f"surveybot: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        if exc.title == Settings.__name__:
            print(f"surveybot: {setting_problem(exc)}", file=sys.stderr)
        else:
            print(f"surveybot: invalid setting: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `surveybot export | head`: the reader left; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except Exception as exc:
        problem = operator_problem(exc)
        if problem is None:
            raise
        print(f"surveybot: {problem}", file=sys.stderr)
        return 2
    return code


def operator_problem(exc: BaseException) -> str | None:
    """One sentence for a mistake in the set-up (database, port), or None for our bugs."""
    try:
        settings = Settings()
    except ValidationError:
        return None
    if isinstance(exc, ArgumentError):
        return (
            f"DATABASE_URL {_redacted_or_raw(settings.database_url)!r} is not a database URL "
            "(for example postgresql://user:password@host:5432/surveybot or "
            "sqlite:///./surveybot.db)"
        )
    if isinstance(exc, TokenRefused):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        # aiohttp names the address it could not bind: PORT's, or the metrics' own.
        name, port = "PORT", settings.port
        if settings.metrics_port and f", {settings.metrics_port})" in str(exc):
            name, port = "SURVEYBOT_METRICS_PORT", settings.metrics_port
        return (
            f"port {port} is already in use (another surveybot?): stop that process "
            f"or set {name} to a free port, for example {name}={port + 1}"
        )
    if isinstance(exc, socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL
    ):
        where = f"{settings.host} (SURVEYBOT_HOST)"
        if settings.metrics_port:
            where += f" or {settings.metrics_host} (SURVEYBOT_METRICS_HOST)"
        return (
            f"cannot listen on {where}: not an address of this machine; use 0.0.0.0 for "
            "every interface or 127.0.0.1 for this machine only"
        )
    return connection_problem(exc, settings.database_url)


def _redacted_or_raw(url: str) -> str:
    try:
        return _redacted(url)
    except ArgumentError:
        return url


if __name__ == "__main__":
    sys.exit(main())
