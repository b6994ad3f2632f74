"""App Home views: a lead's dashboard, an agent's own figures, and what surveybot is.

Pure rendering of bot.home's values, in words from the catalogues: a team's section in
that team's `language`, the rest of the page in the viewer's (bot.home.Viewer.language).
People are shown as <@U…> mentions: in a view a mention shows the name and notifies
nobody. Customers' words go through bot.text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import ids
from bot.blocks.answers import slack_date
from bot.blocks.chart import native_charts
from bot.blocks.digest import Words, format_score, format_target, score_name
from bot.home import AgentFigures, AgentKindFigures, HomeContent, TeamFigures
from bot.i18n import N_, format_number, format_percent
from bot.scales import REASONS, SurveyKind, scale_for
from bot.scoring import DRIVER_FORMULA, RESPONSE_RATE_FORMULA
from bot.setting_fields import Channel, Channels, Choice, People
from bot.slack_values import is_slack_id
from bot.team_settings import ChangedSetting
from bot.teams import TEAM_SETTINGS
from bot.text import escape_mrkdwn, quote, truncate
from storage.home import Comment, OpenAlert

Block = dict[str, Any]
MAX_HOME_BLOCKS = 100
QUOTE_CHARS = 280

TREND_FORMULA = N_("trend = the last 30 days − the 30 days before")
TARGET_FORMULA = N_("against target = the last 30 days − the team's target")


def _section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _context(*lines: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(line, 3000)} for line in lines[:10]],
    }


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, 150)}}


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


def drill_value(team: str, scope: str, reason: str | None = None) -> str:
    return json.dumps({"team": team, "scope": scope, "reason": reason}, separators=(",", ":"))


def low_scores(kind: SurveyKind) -> str:
    scale = scale_for(kind)
    return f"{min(scale.scores)}–{scale.low_max}"


def _when(moment: datetime) -> str:
    return slack_date(moment, moment.strftime("%Y-%m-%d %H:%M UTC"))


def _whole(value: float, w: Words) -> str:
    """A percentage without decimals: '67%', '67 %'."""
    return format_percent(value / 100, w.language)


def _points(kind: SurveyKind, size: float, w: Words) -> str:
    """A distance on the score's scale: '13.3 pts', '13,3 pkt.', or '0.4' for CES."""
    shown = w.number(abs(size))
    return shown if kind is SurveyKind.CES else w._("{change} pts").format(change=shown)


def _answers(n: int, w: Words) -> str:
    """'1,237 answers', '1.237 Antworten' (Words.answers leaves the count ungrouped)."""
    ngettext = w.ngettext
    return ngettext("{count} answer", "{count} answers", n).format(count=w.number(n, 0))


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
    return _("{person} changed {fields}, {when}").format(
        person=f"<@{last.changed_by}>", fields=fields, when=_when(last.changed_at)
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
            rate=_whole(rate, w),
            answered=w.number(delivery.answered, 0),
            delivered=w.number(delivery.delivered, 0),
        )
    )


def _low_line(figures: TeamFigures, w: Words) -> str:
    share = figures.low_share
    if share is None:
        return w._("no answers")
    return w._("{share} ({low} of {total})").format(
        share=_whole(share, w),
        low=w.number(figures.last_30.low, 0),
        total=w.number(figures.last_30.total, 0),
    )


def _figures(figures: TeamFigures, w: Words) -> list[Block]:
    _ = w._
    kind = figures.kind
    name = score_name(kind)
    low = low_scores(kind)
    week = (
        f"{format_score(kind, figures.this_week_score, w)} ({_answers(figures.this_week.total, w)})"
    )
    fields = [
        _("*This week's {score_name}*").format(score_name=name) + "\n" + week,
        _("*Last 30 days*") + "\n" + _month_line(figures, w),
        _("*Target*") + "\n" + _target_line(figures, w),
        _("*Answers*") + "\n" + _answers_line(figures, w),
        _("*Low scores ({scores})*").format(scores=low) + "\n" + _low_line(figures, w),
    ]
    return [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        _context(
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
        _section(text + "\n" + following),
        {"type": "actions", "block_id": f"home_alert:{alert.alert_id}", "elements": buttons},
    ]


def _alerts(figures: TeamFigures, w: Words) -> list[Block]:
    _ = w._
    alerts = figures.alerts
    if alerts.total == 0:
        return [_section(_("*Open alerts*") + "\n" + _("None waiting.") + " :tada:")]
    more = alerts.total - len(alerts.oldest)
    blocks = [
        _section(_("*Open alerts* ({count}, oldest first)").format(count=w.number(alerts.total, 0)))
    ]
    for alert in alerts.oldest:
        blocks += _alert_blocks(alert, w)
    if more > 0:
        ngettext = w.ngettext
        blocks.append(
            _context(
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
        return [_section(title + "\n" + _("No reason is pulling the score down."))]
    blocks = [_section(title)]
    for rank, driver in enumerate(figures.drivers, start=1):
        mentions = ngettext("{count} mention", "{count} mentions", driver.mentions).format(
            count=w.number(driver.mentions, 0)
        )
        text = _("{rank}. *{reason}*: {mentions}, costs {cost}").format(
            rank=rank,
            reason=_(REASONS.get(driver.reason, driver.reason)),
            mentions=mentions,
            cost=_points(figures.kind, driver.impact, w),
        )
        button = _button(
            _("Show answers"),
            f"{ids.HOME_DRILL}_reason_{rank}",
            drill_value(figures.team.name, "reason", driver.reason),
        )
        blocks.append(_section(text, accessory=button))
    blocks.append(_context(_(DRIVER_FORMULA)))
    return blocks


def _quoted(comment: Comment, kind: SurveyKind, w: Words) -> str:
    mark = ":star2:" if scale_for(kind).is_high(comment.score) else ":speech_balloon:"
    return f"{mark} *{comment.score}* · {person(comment.agent_id, w)}\n" + quote(
        comment.comment, QUOTE_CHARS
    )


def _comments(figures: TeamFigures, w: Words) -> list[Block]:
    _ = w._
    if not figures.comments:
        return [_section(_("*Latest comments*") + "\n" + _("No comments in the last 30 days."))]
    text = _("*Latest comments* (praise first)") + "\n"
    return [_section(text + "\n".join(_quoted(c, figures.kind, w) for c in figures.comments))]


def _team_actions(figures: TeamFigures, w: Words) -> Block:
    _ = w._
    team = figures.team.name
    return {
        "type": "actions",
        "block_id": f"home_team:{team}"[:255],
        "elements": [
            _button(
                _("Low scores this week"), f"{ids.HOME_DRILL}_low", drill_value(team, "low_week")
            ),
            _button(_("All answers"), f"{ids.HOME_DRILL}_all", drill_value(team, "all")),
            _button(_("Team settings"), ids.HOME_SETTINGS, team),
            _button(_("Send me a test survey"), ids.HOME_TEST_SURVEY, team),
        ],
    }


def team_blocks(figures: TeamFigures) -> list[Block]:
    """One team's dashboard, in that team's language."""
    team = figures.team
    w = Words.of(team.language)
    blocks: list[Block] = [_header(f"{team.name}: {score_name(figures.kind)}")]
    blocks += _figures(figures, w)
    if team.chart != "none":
        blocks += native_charts(team.name, figures.kind, figures.weeks, team.target, w)
    blocks.append(_team_actions(figures, w))
    blocks += _alerts(figures, w)
    blocks += _reasons(figures, w)
    blocks += _comments(figures, w)
    if figures.last_change:
        blocks.append(
            _context(
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
        _section(
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
            _context(
                _("More teams than one Home can show: {teams}").format(
                    teams=", ".join(escape_mrkdwn(t) for t in left)
                )
            )
        )
    return {"type": "home", "callback_id": "home", "blocks": blocks}


# The share an agent's interval is about, by survey kind.
SHARE_OF: dict[SurveyKind, str] = {
    SurveyKind.CSAT: N_("{percent} satisfied"),
    SurveyKind.CES: N_("{percent} easy"),
    SurveyKind.NPS: N_("{percent} promoters"),
}


def _agent_kind(kind_figures: AgentKindFigures, min_sample: int, w: Words) -> str:
    _, ngettext = w._, w.ngettext
    kind = kind_figures.kind
    name = score_name(kind)
    figure = kind_figures.figure
    if figure is None:
        return (
            _("*{score_name}*: {answers}.").format(
                score_name=name, answers=_answers(kind_figures.answers, w)
            )
            + " "
            + ngettext(
                "Your score shows once you have {count} answer: fewer say more about luck "
                "than about you.",
                "Your score shows once you have {count} answers: fewer say more about luck "
                "than about you.",
                min_sample,
            ).format(count=min_sample)
        )
    return _(
        "*{score_name}*: {score} from {answers}; {share}, likely between {low} and {high}"
    ).format(
        score_name=name,
        score=format_score(kind, figure.headline, w),
        answers=_answers(figure.answers, w),
        share=_(SHARE_OF[kind]).format(percent=_whole(figure.satisfied_percent, w)),
        low=_whole(figure.interval_low, w),
        high=_whole(figure.interval_high, w),
    )


def render_agent_home(agent: AgentFigures, language: str) -> Block:
    w = Words.of(language)
    _ = w._
    blocks: list[Block] = [
        _header(_("Your figures, last 30 days")),
        _context(_("Only you see this page. Scores are here to help you, never to rank anyone.")),
    ]
    if not agent.kinds:
        blocks.append(_section(_("No answers credited to you in the last 30 days.")))
    for kind_figures in agent.kinds:
        blocks.append(_section(_agent_kind(kind_figures, agent.min_sample, w)))
    blocks.append(
        _context(
            _(
                "likely between = the 95 % Wilson interval of the satisfied share: with few "
                "answers it is wide, and it narrows as answers come in"
            )
        )
    )
    if agent.praise:
        text = _("*What your customers said*") + " :star2:\n"
        blocks.append(
            _section(text + "\n".join(quote(c.comment, QUOTE_CHARS) for c in agent.praise))
        )
    return {"type": "home", "callback_id": "home", "blocks": blocks}


ABOUT = N_(
    "*surveybot* asks customers one quick question after a support conversation closes, "
    "tells the support team within seconds when someone is unhappy, and shares the good "
    "news every week.\nIf you asked for help, your answer goes to the team that helped "
    "you. Nothing else to do here."
)


def render_about_home(language: str) -> Block:
    _ = Words.of(language)._
    return {
        "type": "home",
        "callback_id": "home",
        "blocks": [_header("surveybot"), _section(_(ABOUT))],
    }


def render_home(content: HomeContent) -> Block:
    if content.viewer.is_lead:
        return render_lead_home(content)
    if content.agent is not None:
        return render_agent_home(content.agent, content.viewer.language)
    return render_about_home(content.viewer.language)
