"""App Home views: a lead's dashboard, an agent's own figures, and what surveybot is.

Pure rendering of bot.home's values. People are shown as <@U…> mentions: in a view a
mention shows the name and notifies nobody. Customers' words go through bot.text.
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
from bot.home import AgentFigures, HomeContent, TeamFigures
from bot.scales import REASONS, SurveyKind, scale_for
from bot.scoring import DRIVER_FORMULA, RESPONSE_RATE_FORMULA
from bot.text import escape_mrkdwn, quote, truncate
from storage.home import Comment, OpenAlert
from storage.team_settings import SettingChange

Block = dict[str, Any]
MAX_HOME_BLOCKS = 100
QUOTE_CHARS = 280

TREND_FORMULA = "trend = the last 30 days − the 30 days before"
TARGET_FORMULA = "against target = the last 30 days − the team's target"


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


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _low_scores(kind: SurveyKind) -> str:
    scale = scale_for(kind)
    return f"{min(scale.scores)}–{scale.low_max}"


def _when(moment: datetime) -> str:
    return slack_date(moment, moment.strftime("%Y-%m-%d %H:%M UTC"))


def customer_text(customer_id: str | None, email: str | None) -> str:
    if customer_id:
        return f"<@{customer_id}>"
    return escape_mrkdwn(truncate(email or "a customer", 80))


def person(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "not recorded"


def _setting_value(value: str | None) -> str:
    if value is None:
        return "nothing"
    shown = json.loads(value)
    if isinstance(shown, float):
        shown = f"{shown:g}"
    if isinstance(shown, list):
        shown = ", ".join(str(v) for v in shown) or "nobody"
    safe = escape_mrkdwn(truncate(str(shown), 60)).replace("`", "'")
    return f"`{safe}`"


def describe_change(changes: Sequence[SettingChange]) -> str:
    """One save: who, each field from what to what, and when."""
    fields = "; ".join(
        f"{c.field} from {_setting_value(c.old_value)} to {_setting_value(c.new_value)}"
        for c in changes
    )
    last = changes[-1]
    return f"<@{last.changed_by}> changed {fields}, {_when(last.changed_at)}"


# ------------------------------------------------------------------ figures


def _month_line(figures: TeamFigures) -> str:
    kind = figures.kind
    change = figures.trend
    line = format_score(kind, figures.score)
    if change.previous is None:
        return line + "\nno answers in the 30 days before to compare with"
    if change.delta is None:
        return line + f"\nthe 30 days before: {format_score(kind, change.previous)}"
    unit = f" {change.unit}" if change.unit else ""
    moved = "no change" if change.arrow == "→" else f"{abs(change.delta):.1f}{unit}"
    return line + f"\n{change.arrow} {moved} vs {format_score(kind, change.previous)} before"


def _target_line(figures: TeamFigures) -> str:
    target = figures.team.target
    if target is None:
        return "no target set (Team settings)"
    gap = figures.target_gap
    shown = format_target(figures.kind, target, Words.of(None))
    if gap is None:
        return f"{shown}; no answers yet"
    unit = "" if figures.kind is SurveyKind.CES else " pts"
    if gap >= 0:
        return f"{shown}: met, {gap:.1f}{unit} above"
    return f"{shown}: {abs(gap):.1f}{unit} to go"


def _answers_line(figures: TeamFigures) -> str:
    delivery = figures.delivery
    line = _plural(figures.last_30.total, "answer") + " in 30 days"
    rate = figures.response_rate
    if rate is None:
        return line + "\nno surveys delivered"
    return line + f"\n{rate:.0f} % response rate ({delivery.answered:,} of {delivery.delivered:,})"


def _low_line(figures: TeamFigures) -> str:
    share = figures.low_share
    if share is None:
        return "no answers"
    return f"{share:.0f} % ({figures.last_30.low:,} of {figures.last_30.total:,})"


def _figures(figures: TeamFigures) -> list[Block]:
    kind = figures.kind
    name = score_name(kind)
    week = figures.this_week
    fields = [
        f"*This week's {name}*\n{format_score(kind, figures.this_week_score)}"
        f" ({_plural(week.total, 'answer')})",
        f"*Last 30 days*\n{_month_line(figures)}",
        f"*Target*\n{_target_line(figures)}",
        f"*Answers*\n{_answers_line(figures)}",
        f"*Low scores ({_low_scores(kind)})*\n{_low_line(figures)}",
    ]
    return [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        _context(
            scale_for(kind).formula,
            TREND_FORMULA + "; " + TARGET_FORMULA,
            RESPONSE_RATE_FORMULA,
            f"low share = answers of {_low_scores(kind)} ÷ all answers × 100",
        ),
    ]


def _alert_blocks(team: str, alert: OpenAlert) -> list[Block]:
    following = (
        f":eyes: <@{alert.claimed_by}> is following up"
        if alert.status == "claimed" and alert.claimed_by
        else "nobody is following up yet"
    )
    kind = SurveyKind(alert.kind)
    customer = customer_text(alert.customer_id, alert.customer_email)
    text = (
        f"*{score_name(kind)} {alert.score}* from {customer}"
        f" · agent {person(alert.agent_id)} · since {_when(alert.created_at)}\n{following}"
    )
    buttons = []
    if alert.status == "open":
        buttons.append(_button("I'll follow up", ids.ALERT_CLAIM, str(alert.alert_id), "primary"))
    buttons.append(_button("Resolved", ids.ALERT_RESOLVE, str(alert.alert_id)))
    return [
        _section(text),
        {"type": "actions", "block_id": f"home_alert:{alert.alert_id}", "elements": buttons},
    ]


def _alerts(figures: TeamFigures) -> list[Block]:
    alerts = figures.alerts
    if alerts.total == 0:
        return [_section("*Open alerts*\nNone waiting. :tada:")]
    more = alerts.total - len(alerts.oldest)
    blocks = [_section(f"*Open alerts* ({alerts.total:,}, oldest first)")]
    for alert in alerts.oldest:
        blocks += _alert_blocks(figures.team.name, alert)
    if more > 0:
        blocks.append(_context(f"{more:,} more in the alert channel."))
    return blocks


def _reasons(figures: TeamFigures) -> list[Block]:
    if not figures.drivers:
        return [_section("*Top reasons (30 days)*\nNo reason is pulling the score down.")]
    unit = "" if figures.kind is SurveyKind.CES else " pts"
    blocks = [_section("*Top reasons (30 days)*")]
    for rank, driver in enumerate(figures.drivers, start=1):
        text = (
            f"{rank}. *{REASONS.get(driver.reason, driver.reason)}*: "
            f"{_plural(driver.mentions, 'mention')}, costs {driver.impact:.1f}{unit}"
        )
        button = _button(
            "Show answers",
            f"{ids.HOME_DRILL}_reason_{rank}",
            drill_value(figures.team.name, "reason", driver.reason),
        )
        blocks.append(_section(text, accessory=button))
    blocks.append(_context(DRIVER_FORMULA))
    return blocks


def _quoted(comment: Comment, kind: SurveyKind) -> str:
    mark = ":star2:" if scale_for(kind).is_high(comment.score) else ":speech_balloon:"
    return f"{mark} *{comment.score}* · {person(comment.agent_id)}\n" + quote(
        comment.comment, QUOTE_CHARS
    )


def _comments(figures: TeamFigures) -> list[Block]:
    if not figures.comments:
        return [_section("*Latest comments*\nNo comments in the last 30 days.")]
    text = "*Latest comments* (praise first)\n" + "\n".join(
        _quoted(c, figures.kind) for c in figures.comments
    )
    return [_section(text)]


def _team_actions(figures: TeamFigures) -> Block:
    team = figures.team.name
    return {
        "type": "actions",
        "block_id": f"home_team:{team}"[:255],
        "elements": [
            _button("Low scores this week", f"{ids.HOME_DRILL}_low", drill_value(team, "low_week")),
            _button("All answers", f"{ids.HOME_DRILL}_all", drill_value(team, "all")),
            _button("Team settings", ids.HOME_SETTINGS, team),
            _button("Send me a test survey", ids.HOME_TEST_SURVEY, team),
        ],
    }


def team_blocks(figures: TeamFigures) -> list[Block]:
    team = figures.team
    blocks: list[Block] = [_header(f"{team.name}: {score_name(figures.kind)}")]
    blocks += _figures(figures)
    if team.chart != "none":
        blocks += native_charts(team.name, figures.kind, figures.weeks, team.target)
    blocks.append(_team_actions(figures))
    blocks += _alerts(figures)
    blocks += _reasons(figures)
    blocks += _comments(figures)
    if figures.last_change:
        blocks.append(_context("Last settings change: " + describe_change(figures.last_change)))
    blocks.append({"type": "divider"})
    return blocks


# ------------------------------------------------------------------ the views


def render_lead_home(content: HomeContent) -> Block:
    blocks: list[Block] = [
        _section(
            "Your teams' customer satisfaction, from the answers to surveybot's surveys. "
            "Every figure says how it is computed."
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
                "More teams than one Home can show: " + ", ".join(escape_mrkdwn(t) for t in left)
            )
        )
    return {"type": "home", "callback_id": "home", "blocks": blocks}


def _agent_kind(kind_figures: Any, min_sample: int) -> str:
    kind = kind_figures.kind
    name = score_name(kind)
    figure = kind_figures.figure
    if figure is None:
        return (
            f"*{name}*: {_plural(kind_figures.answers, 'answer')}. Your score shows once you "
            f"have {min_sample} answers: fewer say more about luck than about you."
        )
    share = (
        "satisfied"
        if kind is SurveyKind.CSAT
        else "easy"
        if kind is SurveyKind.CES
        else "promoters"
    )
    answers = _plural(figure.answers, "answer")
    return (
        f"*{name}*: {format_score(kind, figure.headline)} from {answers}; "
        f"{figure.satisfied_percent:.0f} % {share}, likely between "
        f"{figure.interval_low:.0f} % and {figure.interval_high:.0f} %"
    )


def render_agent_home(agent: AgentFigures) -> Block:
    blocks: list[Block] = [
        _header("Your figures, last 30 days"),
        _context("Only you see this page. Scores are here to help you, never to rank anyone."),
    ]
    if not agent.kinds:
        blocks.append(_section("No answers credited to you in the last 30 days."))
    for kind_figures in agent.kinds:
        blocks.append(_section(_agent_kind(kind_figures, agent.min_sample)))
    blocks.append(
        _context(
            "likely between = the 95 % Wilson interval of the satisfied share: with few "
            "answers it is wide, and it narrows as answers come in"
        )
    )
    if agent.praise:
        text = "*What your customers said* :star2:\n" + "\n".join(
            quote(c.comment, QUOTE_CHARS) for c in agent.praise
        )
        blocks.append(_section(text))
    return {"type": "home", "callback_id": "home", "blocks": blocks}


ABOUT = (
    "*surveybot* asks customers one quick question after a support conversation closes, "
    "tells the support team within seconds when someone is unhappy, and shares the good "
    "news every week.\nIf you asked for help, your answer goes to the team that helped "
    "you. Nothing else to do here."
)


def render_about_home() -> Block:
    return {
        "type": "home",
        "callback_id": "home",
        "blocks": [_header("surveybot"), _section(ABOUT)],
    }


def render_home(content: HomeContent) -> Block:
    if content.viewer.is_lead:
        return render_lead_home(content)
    if content.agent is not None:
        return render_agent_home(content.agent)
    return render_about_home()
