"""At start: can the bot see, and post in, every channel the teams name?

A typo in a channel id, a private channel nobody invited the bot to, or an archived
channel would otherwise show only as a survey, alert or digest that fails days later.
Each channel is asked once (`conversations.info`, paced like every call), and each
problem is one WARNING naming the team, the field and the fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.context import WorkspaceContext
from bot.logs import fields, log_failure
from bot.teams import TeamLookup

log = logging.getLogger("surveybot.channels")

INVITE = "in Slack, open the channel and type /invite @surveybot"
FIX_THE_ID = (
    "check the id (in Slack: the channel's name at the top, then the bottom of the About "
    "tab) and set it with `surveybot settings apply --from-file` or in App Home"
)


@dataclass(frozen=True)
class ChannelUse:
    """One channel as one team uses it (a channel may serve several)."""

    channel: str
    team: str
    field: str


@dataclass(frozen=True)
class ChannelProblem:
    channel: str
    uses: tuple[ChannelUse, ...]
    problem: str  # what is wrong and how to fix it, one sentence


def channel_uses(teams: TeamLookup) -> dict[str, tuple[ChannelUse, ...]]:
    """Every configured channel, with where it is configured; in the teams' order."""
    uses: dict[str, list[ChannelUse]] = {}
    for team in teams.teams:
        named: list[tuple[str, str | None]] = [
            ("support_channels", c) for c in team.support_channels
        ]
        named += [("alert_channel", team.alert_channel), ("digest_channel", team.digest_channel)]
        for field, channel in named:
            if channel:
                uses.setdefault(channel, []).append(ChannelUse(channel, team.name, field))
    return {channel: tuple(found) for channel, found in uses.items()}


def problem_with(info: dict[str, object], uses: tuple[ChannelUse, ...]) -> str | None:
    """What keeps the bot from working in a channel Slack describes as `info`, or None."""
    name = f"#{info.get('name')}" if info.get("name") else "the channel"
    if info.get("is_archived"):
        return f"{name} is archived: nothing can be posted there; unarchive it or name another"
    # Closes come from message and reaction events, which Slack sends only for channels
    # the bot is in; alerts and digests may post to a public channel without joining.
    if any(u.field == "support_channels" for u in uses) and not info.get("is_member", True):
        return f"the bot is not in {name}, so it sees no closes there: {INVITE}"
    return None


def refusal_problem(error: str) -> str:
    if error == "channel_not_found":
        return (
            "Slack knows no channel with this id that the bot can see: "
            f"if it is private, {INVITE}; otherwise {FIX_THE_ID}"
        )
    if error == "is_archived":
        return "the channel is archived: unarchive it or name another"
    return f"Slack refused to describe it ({error})"


async def check_channels(ctx: WorkspaceContext) -> list[ChannelProblem] | None:
    """The configured channels the bot cannot use, each logged as a WARNING.

    None when the check itself cannot run (the app lacks the scope, Slack unreachable,
    the pace's database failing): that is said once, and the bot runs on regardless.
    """
    try:
        return await _check_channels(ctx)
    except Exception as exc:
        log_failure(log, "channels not checked", exc)
        return None


async def _check_channels(ctx: WorkspaceContext) -> list[ChannelProblem] | None:
    problems: list[ChannelProblem] = []
    uses_by_channel = channel_uses(ctx.teams)
    for channel, uses in uses_by_channel.items():
        try:
            response = await ctx.client.conversations_info(channel=channel)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            if error == "missing_scope":
                log.warning(
                    "channels not checked: the app lacks the channels:read and groups:read "
                    "scopes; add them (manifest.yml) and reinstall the app"
                )
                return None
            problem: str | None = refusal_problem(error)
        except OSError as exc:
            log.warning("channels not checked: Slack unreachable error=%s", type(exc).__name__)
            return None
        else:
            info = response.get("channel") or {}
            problem = problem_with(info if isinstance(info, dict) else {}, uses)
        if problem is not None:
            problems.append(ChannelProblem(channel, uses, problem))
            where = ", ".join(f"team {u.team!r} {u.field}" for u in uses)
            log.warning(
                "channel unusable: %s",
                problem,
                extra=fields(channel=channel, used_as=where),
            )
    log.info("channels checked", extra=fields(count=len(uses_by_channel), problems=len(problems)))
    return problems
