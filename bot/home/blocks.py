"""App Home views: a lead's dashboard, an agent's own figures, and what surveybot is.

Pure rendering of bot.home.figures' values, in words from the catalogues: a team's section in
that team's `language`, the rest of the page in the viewer's (bot.home.figures.Viewer.language).
People are shown as <@U…> mentions: in a view a mention shows the name and notifies
nobody. Customers' words go through bot.text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.accounts.blocks import account_drill_value, accounts_blocks
from bot.accounts.health import AccountHealth
from bot.answering.answer_blocks import slack_date
from bot.block_kit import context, header, section
from bot.digest.chart_blocks import native_charts
from bot.home.agent_blocks import render_about_home, render_agent_home
from bot.home.figures import HomeContent, TeamFigures
from bot.home.team_settings import ChangedSetting
from bot.i18n import N_, format_number
from bot.scales import REASONS, scale_for
from bot.scoring import DRIVER_FORMULA, RESPONSE_RATE_FORMULA
from bot.setting_fields import Channel, Channels, Choice, People
from bot.slack import ids
from bot.slack.values import is_slack_id
from bot.teams import TEAM_SETTINGS
from bot.text import escape_mrkdwn, quote, truncate
from bot.wording import Words, answer_count, format_score, format_target, score_name, whole_percent
from storage.home import Comment, OpenAlert
from storage.vocabulary import ChartKind, DrillScope, SurveyKind

Block = dict[str, Any]
MAX_HOME_BLOCKS = 100
QUOTE_CHARS = 280

TREND_FORMULA = N_("trend = the last 30 days − the 30 days before")
TARGET_FORMULA = N_("against target = the last 30 days − the team's target")


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, 75)},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def drill_value(team: str, scope: DrillScope, reason: str | None = None) -> str:
    return json.dumps({"team": team, "scope": scope, "reason": reason}, separators=(",", ":"))


def low_scores(kind: SurveyKind) -> str:
    scale = scale_for(kind)
    return f"{min(scale.scores)}–{scale.low_max}"


def _when(moment: datetime) -> str:
    return slack_date(moment, moment.strftime("%Y-%m-%d %H:%M UTC"))


def _points(kind: SurveyKind, size: float, w: Words) -> str:
    """A distance on the score's scale: '13.3 pts', '13,3 pkt.', or '0.4' for CES."""
    shown = w.number(abs(size))
    return shown if kind is SurveyKind.CES else w._("{change} pts").format(change=shown)


def customer_text(customer_id: str | None, email: str | None, w: Words) -> str:
    if customer_id:
        return f"<@{customer_id}>"
    return escape_mrkdwn(truncate(email or w._("a customer"), 80))


def person(user_id: str | None, w: Words) -> str:
    return f"<@{user_id}>" if user_id else w._("not recorded")


EMPTY = "—"  # an empty setting, the same in every language


def _setting_value(field: str, value: Any, w: Words) -> str:
    """A saved value as the lead chose it: the choice's words, a channel, a person
    (Slack ids as mentions: in a view a mention notifies nobody)."""
    if value in (None, "", []):
        return EMPTY
    setting = TEAM_SETTINGS.get(field)
    widget = setting.widget if setting else None
    if isinstance(widget, Channels | Channel | People):
        sigil = "@" if isinstance(widget, People) else "#"
        named = [v for v in (value if isinstance(value, list) else [value]) if is_slack_id(v)]
        return ", ".join(f"<{sigil}{v}>" for v in named) or EMPTY
    if isinstance(widget, Choice) and isinstance(value, str):
        words = widget.words(value, w.language)
        if words is not None:
            return words
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = format_number(value, w.language)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    safe = escape_mrkdwn(truncate(str(value), 60)).replace("`", "'")
    return f"`{safe}`"


def describe_change(changes: Sequence[ChangedSetting], w: Words) -> str:
    """One save: who, each field (by its label in the modal) from what to what, and when.

    "old → new" with an arrow, not words: "from nothing to…" cannot be said in one
    template in every language (Polish wants "z niczego" but "na nic").
    """
    _ = w._

    def one(change: ChangedSetting) -> str:
        field = change.field
        setting = TEAM_SETTINGS.get(field)
        label = _(setting.label) if setting else field
        old, new = (_setting_value(field, v, w) for v in (change.old, change.new))
        return f"*{label}*: {old} → {new}"

    fields = "; ".join(one(c) for c in changes)
    last = changes[-1]
    # A lead is mentioned; `surveybot settings apply --from-file` is the teams file.
    person = (
        f"<@{last.changed_by}>"
        if is_slack_id(last.changed_by)
        # Translators: who made a change, as in "{person} changed …": the TOML file in
        # which the operator configures the teams.
        else _("The teams file")
    )
    return _("{person} changed {fields}, {when}").format(
        person=person, fields=fields, when=_when(last.changed_at)
    )


# ------------------------------------------------------------------ figures


def _month_line(figures: TeamFigures, w: Words) -> str:
    _ = w._
    kind = figures.kind
    change = figures.trend
    line = format_score(kind, figures.score, w)
    if change.previous is None:
        return line + "\n" + _("no answers in the 30 days before to compare with")
    previous = format_score(kind, change.previous, w)
    if change.delta is None:
        return line + "\n" + _("the 30 days before: {previous}").format(previous=previous)
    moved = _("no change") if change.arrow == "→" else _points(kind, change.delta, w)
    return (
        line
        + "\n"
        + _("{arrow} {change} vs {previous} before").format(
            arrow=change.arrow, change=moved, previous=previous
        )
    )


def _target_line(figures: TeamFigures, w: Words) -> str:
    _ = w._
    target = figures.team.target
    if target is None:
        return _("no target set (Team settings)")
    gap = figures.target_gap
    shown = format_target(figures.kind, target, w)
    if gap is None:
        return _("{target}; no answers yet").format(target=shown)
    if gap >= 0:
        return _("{target}: met, {gap} above").format(
            target=shown, gap=_points(figures.kind, gap, w)
        )
    return _("{target}: {gap} to go").format(target=shown, gap=_points(figures.kind, gap, w))


def _answers_line(figures: TeamFigures, w: Words) -> str:
    _, ngettext = w._, w.ngettext
    delivery = figures.delivery
    total = figures.last_30.total
    line = ngettext("{count} answer in 30 days", "{count} answers in 30 days", total).format(
        count=w.number(total, 0)
    )
    rate = figures.response_rate
    if rate is None:
        return line + "\n" + _("no surveys delivered")
    return (
        line
        + "\n"
        + _("{rate} response rate ({answered} of {delivered})").format(
            rate=whole_percent(rate, w),
            answered=w.number(delivery.answered, 0),
            delivered=w.number(delivery.delivered, 0),
        )
    )


def _low_line(figures: TeamFigures, w: Words) -> str:
    share = figures.low_share
    if share is None:
        return w._("no answers")
    return w._("{share} ({low} of {total})").format(
        share=whole_percent(share, w),
        low=w.number(figures.last_30.low, 0),
        total=w.number(figures.last_30.total, 0),
    )


def _figures(figures: TeamFigures, w: Words) -> list[Block]:
    _ = w._
    kind = figures.kind
    name = score_name(kind)
    low = low_scores(kind)
    counted = answer_count(figures.this_week.total, w)
    week = f"{format_score(kind, figures.this_week_score, w)} ({counted})"
    fields = [
        _("*This week's {score_name}*").format(score_name=name) + "\n" + week,
        _("*Last 30 days*") + "\n" + _month_line(figures, w),
        _("*Target*") + "\n" + _target_line(figures, w),
        _("*Answers*") + "\n" + _answers_line(figures, w),
        _("*Low scores ({scores})*").format(scores=low) + "\n" + _low_line(figures, w),
    ]
    return [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        context(
            _(scale_for(kind).formula),
            _(TREND_FORMULA) + "; " + _(TARGET_FORMULA),
            _(RESPONSE_RATE_FORMULA),
            _("low share = answers of {scores} ÷ all answers × 100").format(scores=low),
        ),
    ]


def _alert_blocks(alert: OpenAlert, w: Words) -> list[Block]:
    _ = w._
    following = (
        _(":eyes: {person} is following up").format(person=f"<@{alert.claimed_by}>")
        if alert.status == "claimed" and alert.claimed_by
        else _("nobody is following up yet")
    )
    kind = SurveyKind(alert.kind)
    text = _("*{score_name} {score}* from {customer} · agent {agent} · since {when}").format(
        score_name=score_name(kind),
        score=alert.score,
        customer=customer_text(alert.customer_id, alert.customer_email, w),
        agent=person(alert.agent_id, w),
        when=_when(alert.created_at),
    )
    buttons = []
    if alert.status == "open":
        buttons.append(
            _button(_("I'll follow up"), ids.ALERT_CLAIM, str(alert.alert_id), "primary")
        )
    buttons.append(_button(_("Resolved"), ids.ALERT_RESOLVE, str(alert.alert_id)))
    return [
        section(text + "\n" + following),
        {"type": "actions", "block_id": f"home_alert:{alert.alert_id}", "elements": buttons},
    ]


def _alerts(figures: TeamFigures, w: Words) -> list[Block]:
    _ = w._
    alerts = figures.alerts
    if alerts.total == 0:
        return [section(_("*Open alerts*") + "\n" + _("None waiting.") + " :tada:")]
    more = alerts.total - len(alerts.oldest)
    blocks = [
        section(_("*Open alerts* ({count}, oldest first)").format(count=w.number(alerts.total, 0)))
    ]
    for alert in alerts.oldest:
        blocks += _alert_blocks(alert, w)
    if more > 0:
        ngettext = w.ngettext
        blocks.append(
            context(
                ngettext(
                    "{count} more in the alert channel.", "{count} more in the alert channel.", more
                ).format(count=w.number(more, 0))
            )
        )
    return blocks


def _reasons(figures: TeamFigures, w: Words) -> list[Block]:
    _, ngettext = w._, w.ngettext
    title = _("*Top reasons (30 days)*")
    if not figures.drivers:
        return [section(title + "\n" + _("No reason is pulling the score down."))]
    blocks = [section(title)]
    for rank, driver in enumerate(figures.drivers, start=1):
        mentions = ngettext("{count} mention", "{count} mentions", driver.mentions).format(
            count=w.number(driver.mentions, 0)
        )
        # The digest's words for the digest's figure, so the two never disagree.
        if driver.without is None:
            effect = _("Every answer in these 30 days cited it.")
        else:
            effect = _(
                "Without the answers citing it, {score} would have been {without} "
                "instead of {current}."
            ).format(
                score=score_name(figures.kind),
                without=format_score(figures.kind, driver.without, w),
                current=format_score(figures.kind, driver.score, w),
            )
        text = _("{rank}. *{reason}*: {mentions}").format(
            rank=rank, reason=_(REASONS.get(driver.reason, driver.reason)), mentions=mentions
        )
        text += "\n" + effect
        button = _button(
            _("Show answers"),
            f"{ids.HOME_DRILL}_reason_{rank}",
            drill_value(figures.team.name, DrillScope.REASON, driver.reason),
        )
        blocks.append(section(text, accessory=button))
    blocks.append(context(_(DRIVER_FORMULA)))
    return blocks


def _accounts(figures: TeamFigures, w: Words) -> list[Block]:
    team = figures.team

    def drill(account: AccountHealth, index: int) -> Block:
        return _button(
            w._("Show answers"),
            f"{ids.HOME_DRILL}_account_{index}",
            account_drill_value(team.name, account),
        )

    return accounts_blocks(
        figures.accounts, w, period=w._("30 days"), currency=team.currency, drill=drill
    )


def _quoted(comment: Comment, kind: SurveyKind, w: Words) -> str:
    mark = ":star2:" if scale_for(kind).is_high(comment.score) else ":speech_balloon:"
    return f"{mark} *{comment.score}* · {person(comment.agent_id, w)}\n" + quote(
        comment.comment, QUOTE_CHARS
    )


def _comments(figures: TeamFigures, w: Words) -> list[Block]:
    _ = w._
    if not figures.comments:
        return [section(_("*Latest comments*") + "\n" + _("No comments in the last 30 days."))]
    text = _("*Latest comments* (praise first)") + "\n"
    return [section(text + "\n".join(_quoted(c, figures.kind, w) for c in figures.comments))]


def _team_actions(figures: TeamFigures, w: Words) -> Block:
    _ = w._
    team = figures.team.name
    return {
        "type": "actions",
        "block_id": f"home_team:{team}"[:255],
        "elements": [
            _button(
                _("Low scores this week"),
                f"{ids.HOME_DRILL}_low",
                drill_value(team, DrillScope.LOW_WEEK),
            ),
            _button(_("All answers"), f"{ids.HOME_DRILL}_all", drill_value(team, DrillScope.ALL)),
            _button(_("Team settings"), ids.HOME_SETTINGS, team),
            _button(_("Send me a test survey"), ids.HOME_TEST_SURVEY, team),
        ],
    }


def team_blocks(figures: TeamFigures) -> list[Block]:
    """One team's dashboard, in that team's language."""
    team = figures.team
    w = Words.of(team.language)
    blocks: list[Block] = [header(f"{team.name}: {score_name(figures.kind)}")]
    blocks += _figures(figures, w)
    if figures.nps_round:
        blocks.append(context(figures.nps_round))
    if team.chart != ChartKind.NONE:
        blocks += native_charts(team.name, figures.kind, figures.weeks, team.target, w)
    blocks.append(_team_actions(figures, w))
    blocks += _alerts(figures, w)
    blocks += _reasons(figures, w)
    blocks += _accounts(figures, w)
    blocks += _comments(figures, w)
    if figures.last_change:
        blocks.append(
            context(
                w._("Last settings change: {change}").format(
                    change=describe_change(figures.last_change, w)
                )
            )
        )
    blocks.append({"type": "divider"})
    return blocks


# ------------------------------------------------------------------ the views


def render_lead_home(content: HomeContent) -> Block:
    _ = Words.of(content.viewer.language)._
    blocks: list[Block] = [
        section(
            _(
                "Your teams' customer satisfaction, from the answers to surveybot's surveys. "
                "Every figure says how it is computed."
            )
        )
    ]
    left: list[str] = []
    for figures in content.teams:
        rendered = team_blocks(figures)
        if len(blocks) + len(rendered) > MAX_HOME_BLOCKS - 1:
            left.append(figures.team.name)
            continue
        blocks += rendered
    if left:
        blocks.append(
            context(
                _("More teams than one Home can show: {teams}").format(
                    teams=", ".join(escape_mrkdwn(t) for t in left)
                )
            )
        )
    return {"type": "home", "callback_id": "home", "blocks": blocks}


def render_home(content: HomeContent) -> Block:
    if content.viewer.is_lead:
        return render_lead_home(content)
    if content.agent is not None:
        return render_agent_home(content.agent, content.viewer.language)
    return render_about_home(content.viewer.language)
