"""Closes that come from Slack itself: the close reaction and the message shortcut."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.context import WorkspaceContext
from bot.delivery.closes import ClosedConversation, CloseResult, close_conversation
from bot.i18n import N_, format_percent, plural_translator, translator
from bot.slack.customers import SeenAuthor
from bot.slack.values import is_slack_id, is_slack_ts
from bot.teams import Team, TeamLookup
from storage import support_messages
from storage.support_messages import SeenMessage
from storage.vocabulary import CloseStatus, Delivery, Source

log = logging.getLogger("surveybot.sources")


@dataclass(frozen=True)
class NotClosed:
    """Why a close request did nothing, in words the agent can act on (a msgid: the
    notice translates it into the team's language)."""

    reason: str


async def message_seen(
    ctx: WorkspaceContext,
    *,
    channel_id: str,
    ts: str,
    thread_ts: str | None,
    author: str | None,
    author_team: str | None,
    author_name: str | None = None,
) -> None:
    """A message in a support channel, as its event arrived: remembered, so that closing
    its conversation later asks Slack for nothing. Its author's name and company are kept
    a while too: for a stranger from another company (Slack Connect) they are all the
    bot will learn, users.info cannot see them."""
    if ctx.teams.by_support_channel(channel_id) is None or not is_slack_ts(ts):
        return
    if is_slack_id(author) and author is not None:
        team = author_team if is_slack_id(author_team) else None
        ctx.customers.author_seen(author, SeenAuthor(author_name, team))
    message = SeenMessage(
        channel_id,
        ts,
        thread_ts if is_slack_ts(thread_ts) else None,
        author if is_slack_id(author) else None,
        author_team if is_slack_id(author_team) else None,
    )
    await support_messages.remember(ctx.db, ctx.workspace, message, ctx.now())


async def _message_at(ctx: WorkspaceContext, channel: str, ts: str) -> SeenMessage | None:
    """The message at `ts`: as seen arriving, or else read once from the channel's
    history (paced: Slack allows apps outside its Marketplace one read a minute) and
    remembered. None when the history has no such message (a reply)."""
    known = await support_messages.seen(ctx.db, ctx.workspace, channel, ts)
    if known is not None:
        return known
    response = await ctx.client.conversations_history(
        channel=channel, latest=ts, inclusive=True, limit=1
    )
    messages = response.get("messages") or []
    if not messages or messages[0].get("ts") != ts:
        return None  # replies are not in the channel history
    found = messages[0]
    by_person = not (found.get("bot_id") or found.get("subtype") == "bot_message")
    message = SeenMessage(
        channel_id=channel,
        ts=ts,
        thread_ts=found.get("thread_ts"),
        author=found.get("user") if by_person else None,
        author_team=found.get("user_team") if by_person else None,
    )
    await support_messages.remember(ctx.db, ctx.workspace, message, ctx.now())
    return message


async def close_from_slack(
    ctx: WorkspaceContext,
    *,
    channel_id: str,
    message_ts: str,
    closer_id: str,
    skip_survey: bool = False,
    message_author: str | None = None,
    thread_ts: str | None = None,
) -> CloseResult | NotClosed:
    """Close the support conversation that `message_ts` belongs to.

    The conversation is the thread's root message; its author is the customer and
    whoever closed it is the agent, recorded now so the credit stays with them.
    """
    team = ctx.teams.by_support_channel(channel_id)
    if team is None:
        return NotClosed(N_("This channel is not a support channel of any surveybot team."))
    root_ts = thread_ts or message_ts
    customer = message_author if root_ts == message_ts else None
    if customer is None:
        try:
            root = await _message_at(ctx, channel_id, root_ts)
        except SlackApiError as exc:
            log.warning(
                "root message lookup failed channel=%s error=%s",
                channel_id,
                exc.response.get("error"),
            )
            return NotClosed(
                N_("I could not read this conversation's first message, so nothing was closed.")
            )
        if root is None or not root.starts_a_conversation:
            return NotClosed(N_("Only the first message of a conversation can close it."))
        customer = root.author
    if not customer:
        return NotClosed(
            N_("This conversation was not started by a person, so there is nobody to survey.")
        )
    if customer == closer_id and not skip_survey:
        return NotClosed(
            N_("Only someone from the support team can close a conversation with a survey.")
        )
    return await close_conversation(
        ctx,
        ClosedConversation(
            source=Source.SLACK,
            external_id=f"{channel_id}:{root_ts}",
            team=team,
            closed_at=ctx.now(),
            customer_id=customer,
            agent_id=closer_id,
            channel_id=channel_id,
            thread_ts=root_ts,
            skip_survey=skip_survey,
        ),
    )


def reaction_meaning(teams: TeamLookup, channel_id: str, reaction: str) -> tuple[Team, bool] | None:
    """(team, skip_survey) when the reaction closes a conversation in this channel."""
    team = teams.by_support_channel(channel_id)
    if team is None:
        return None
    if reaction == team.close_reaction:
        return team, False
    if reaction == team.skip_reaction:
        return team, True
    return None


def close_notice(
    result: CloseResult | NotClosed, team: Team | None, customer_id: str | None
) -> str:
    """What the agent who closed the conversation is told, privately, in the team's language."""
    language = team.language if team else None
    _, ngettext = translator(language), plural_translator(language)
    if isinstance(result, NotClosed):
        return _(result.reason)
    who = f"<@{customer_id}>" if customer_id else _("The customer")
    in_thread = bool(team and team.delivery is Delivery.THREAD)
    match result.status:
        case CloseStatus.SCHEDULED:
            delay = team.delay_minutes if team else 0
            if not delay:
                notice = (
                    _("Closed. {customer} gets a short survey in the thread now.")
                    if in_thread
                    else _("Closed. {customer} gets a short survey by direct message now.")
                )
            elif in_thread:
                notice = ngettext(
                    "Closed. {customer} gets a short survey in the thread in {count} minute.",
                    "Closed. {customer} gets a short survey in the thread in {count} minutes.",
                    delay,
                )
            else:
                notice = ngettext(
                    "Closed. {customer} gets a short survey by direct message in {count} minute.",
                    "Closed. {customer} gets a short survey by direct message in {count} minutes.",
                    delay,
                )
            quiet = _("Quiet hours are respected.")
            return f"{notice.format(customer=who, count=delay)} {quiet}"
        case CloseStatus.DUPLICATE:
            return _("This conversation was already closed; its survey is not sent twice.")
        case CloseStatus.THROTTLED:
            days = team.throttle_days if team else 0
            return ngettext(
                "Closed. No survey this time: {customer} was already asked in the last {count} "
                "day.",
                "Closed. No survey this time: {customer} was already asked in the last {count} "
                "days.",
                days,
            ).format(customer=who, count=days)
        case CloseStatus.TOO_LATE:
            return _("Closed. No survey: it is too long since this conversation ended.")
        case CloseStatus.SKIPPED:
            return _("Closed without a survey.")
        case CloseStatus.NOT_SAMPLED:
            share = format_percent(team.sample_rate if team else 1, language)
            return _(
                "Closed. This one was not picked for a survey (the team surveys {share} of "
                "conversations)."
            ).format(share=share)
        case CloseStatus.OWN_CONVERSATION:
            return _("Closed without a survey: agents never rate their own conversations.")
    return _("Closed.")
