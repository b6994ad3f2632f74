"""What `surveybot <command> --help` says: what the command does, and what it reads."""

from __future__ import annotations

# Read by every command that opens the database.
_DATABASE = "DATABASE_URL (default: surveybot.db in this folder)"
_TEAMS = "SURVEYBOT_CONFIG (the teams file)"
_LOG = "SURVEYBOT_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR)"

DESCRIPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "serve": (
        "Run the bot: answer Slack (HTTP on PORT, or Socket Mode when SLACK_APP_TOKEN is "
        "set and SLACK_SIGNING_SECRET is not), take helpdesk webhooks, send surveys, "
        "alerts and digests. Migrates the database first. Stops cleanly on SIGTERM.",
        (
            "SLACK_BOT_TOKEN",
            "SLACK_SIGNING_SECRET (HTTP mode)",
            "SLACK_APP_TOKEN (Socket Mode)",
            "SLACK_API_URL",
            _DATABASE,
            _TEAMS,
            "SURVEYBOT_WEBHOOK_SECRET",
            "PORT (default 3000), SURVEYBOT_HOST (default 0.0.0.0)",
            "SURVEYBOT_METRICS_PORT, SURVEYBOT_METRICS_HOST (default 127.0.0.1)",
            "SURVEYBOT_DISPATCH_* and the other tuning settings in README.md",
            _LOG,
        ),
    ),
    "migrate": (
        "Create the database schema or bring it up to date (serve does this at start), "
        "or with --down-to roll it back to the revision an older release expects. "
        "--down-to base removes every table and asks first (or give --yes).",
        (_DATABASE, _LOG),
    ),
    "demo": (
        "Play one support week against a pretend Slack on this machine: the real bot, "
        "no credentials needed. Needs the development sandbox (make run).",
        (_LOG,),
    ),
    "digest": (
        "Post a team's weekly digest to its digest_channel now, or print it with "
        "--dry-run. The running bot also posts it by itself at the team's digest_schedule.",
        ("SLACK_BOT_TOKEN (not for --dry-run)", "SLACK_API_URL", _DATABASE, _TEAMS, _LOG),
    ),
    "nps": (
        "Relational NPS rounds. --dry-run lists whom the team's next round would ask and "
        "when (a weekday morning in each customer's own time zone), and who it skips and "
        "why, as of now. Without --dry-run, plans the round that is due now, as the "
        "running bot does by itself every 15 minutes.",
        (_DATABASE, _TEAMS, _LOG),
    ),
    "export": (
        "Write every answer as CSV to standard output (one row per answer, with its survey "
        "kind and the customer's account); the count goes to standard error.",
        (_DATABASE, _TEAMS, _LOG),
    ),
    "retry": (
        "Put failed surveys that have not expired back in the outbox, once what failed "
        "them (a revoked token, a missing scope) is fixed; the running bot sends them.",
        (_DATABASE, _LOG),
    ),
    "forget": (
        "Erase everything stored about one customer, named by their Slack id or any "
        "email linked to it (--customer), or about one whole Slack workspace and its "
        "installation's tokens (--workspace T…); says what was erased. Exits 1 when "
        "nothing matched.",
        (_DATABASE, _LOG),
    ),
    "settings": (
        "Team settings kept in the database. `settings apply --from-file` saves the teams "
        "file's values over them, recorded in the settings history like an App Home save.",
        (_DATABASE, _TEAMS, _LOG),
    ),
}


def epilog(command: str) -> str:
    return "environment:\n" + "\n".join(f"  {name}" for name in DESCRIPTIONS[command][1])
