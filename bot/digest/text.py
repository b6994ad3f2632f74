"""The digests as a terminal shows them (`surveybot digest --dry-run`, the demo)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.digest.compose import (
    Digest,
    Quote,
)
from bot.digest.lines import (
    QUOTE_CHARS,
    alerts_words,
    answers_words,
    celebration_words,
    driver_words,
    formula_words,
    headline_words,
    period_words,
    revenue_words,
    unhappy_words,
    unreachable_line,
    week_words,
)
from bot.scoring import (
    DRIVER_FORMULA,
    RESPONSE_RATE_FORMULA,
    REVENUE_AT_RISK_FORMULA,
)
from bot.text import truncate
from bot.wording import (
    Words,
    empty_week_note,
    format_score,
    score_name,
    uncertain_note,
)

Block = dict[str, Any]
Message = dict[str, Any]

_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # incl. ESC: no terminal tricks


def _plain(text: str, limit: int = QUOTE_CHARS) -> str:
    return _TERMINAL_UNSAFE.sub("", truncate(text.strip(), limit)).replace("\n", " ")


def _at(agent_id: str, names: Mapping[str, str]) -> str:
    """An agent as the posted digest shows them: by name (Slack renders the mention)."""
    return "@" + _plain(names.get(agent_id) or agent_id, 40)


def _plain_quote(q: Quote, words: Words, names: Mapping[str, str], *, credit: bool) -> str:
    _ = words._
    line = f'  "{_plain(q.comment)}" ({q.score})'
    if credit and q.agent_id:
        line += " — " + _("helped by {agent}").format(agent=_at(q.agent_id, names))
    return line


def _indented(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def render_digest_text(digest: Digest, names: Mapping[str, str] | None = None) -> str:
    """A readable terminal rendering of both digests and the agents' summaries (dry run).

    `names` are the agents' names by Slack id; an agent without one shows as the id.
    """
    names = names or {}
    words = Words.of(digest.language)
    _ = words._
    good, imp, kind = digest.good_news, digest.improvement, digest.kind
    name = score_name(kind)
    heading = _("Digest for {team}").format(team=digest.team)
    out: list[str] = [f"{heading} — {period_words(digest, words)}", ""]
    out.append(_("Good news — {week}").format(week=week_words(digest, words)))
    if good.empty:
        out += [_indented(empty_week_note(kind, words))]
        out += ["  " + _("Surveys delivered") + f": {good.delivered}"]
    else:
        headline_line = headline_words(kind, good.counts, good.trend, digest.target, words)
        out += [_indented(f"{name}: {headline_line}"), f"  {answers_words(good, words)}"]
        if good.uncertain:
            out.append(f"  ! {uncertain_note(good.answers, words)}")
    if good.praise:
        out.append("  " + _("What customers said") + ":")
        out += [_plain_quote(q, words, names, credit=True) for q in good.praise]
    if good.kudos:
        agents = ", ".join(_at(a, names) for a in good.kudos)
        out.append("  " + _("Kudos to {agents}").format(agents=agents))
    if good.celebrations:
        out.append("  " + _("Worth celebrating") + ":")
        out += [f"  - {celebration_words(c, kind, words)}" for c in good.celebrations]
    response_rate = _(RESPONSE_RATE_FORMULA)
    out += [f"  ({formula_words(kind, words)}; {response_rate})", ""]
    out.append(_("Room to improve — {week}").format(week=week_words(digest, words)))
    if imp.empty:
        out.append("  " + _("No answers this week, so nothing unhappy to learn from."))
    else:
        out.append("  " + _("Unhappy answers") + f": {unhappy_words(imp, words)}")
    out.append("  " + _("Open alerts") + f": {alerts_words(imp, words)}")
    revenue = revenue_words(imp, kind, words)
    if revenue is not None:
        out.append(_indented(_("Revenue at risk") + f": {revenue}"))
    if (unreachable := unreachable_line(imp, words)) is not None:
        out.append(_indented(unreachable))
    for index, driver in enumerate(imp.drivers, start=1):
        heading, effect = driver_words(index, driver, kind, words)
        out += [f"  {heading}", f"     {effect}"]
        if driver.example is not None:
            out.append("  " + _plain_quote(driver.example, words, names, credit=False))
        out.append("     " + _("Next step:") + " " + _(driver.next_step))
    out.append("  (" + _(DRIVER_FORMULA) + ")")
    if revenue is not None:
        out.append("  (" + _(REVENUE_AT_RISK_FORMULA) + ")")
    # Agents' figures are theirs alone: the dry run names who would get one, no figures.
    out += ["", _("Private summaries (each agent gets their own by DM; figures not shown here)")]
    if digest.agents:
        out.append("  " + ", ".join(_at(a.agent_id, names) for a in digest.agents))
    else:
        out.append("  " + _("none: no agent was credited with answers this week"))
    if digest.weeks:
        out += ["", _("Last weeks (the chart)")]
        out += [
            # A week without answers says so once, not "no answers  0 answers".
            f"  {p.label}: {format_score(kind, p.score, words):>10}  {words.answers(p.answers)}"
            if p.answers
            else f"  {p.label}: {format_score(kind, None, words)}"
            for p in digest.weeks
        ]
    return "\n".join(out) + "\n"
