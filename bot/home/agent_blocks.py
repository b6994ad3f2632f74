"""What an agent's Home shows (their own figures, privately) and what anyone else's does."""

from __future__ import annotations

from typing import Any

from bot.block_kit import context, header, section
from bot.home.figures import AgentFigures, AgentKindFigures
from bot.i18n import N_
from bot.text import quote
from bot.wording import Words, answer_count, format_score, score_name, whole_percent
from storage.vocabulary import SurveyKind

Block = dict[str, Any]
QUOTE_CHARS = 280


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
                score_name=name, answers=answer_count(kind_figures.answers, w)
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
        answers=answer_count(figure.answers, w),
        share=_(SHARE_OF[kind]).format(percent=whole_percent(figure.satisfied_percent, w)),
        low=whole_percent(figure.interval_low, w),
        high=whole_percent(figure.interval_high, w),
    )


def render_agent_home(agent: AgentFigures, language: str) -> Block:
    w = Words.of(language)
    _ = w._
    blocks: list[Block] = [
        header(_("Your figures, last 30 days")),
        context(_("Only you see this page. Scores are here to help you, never to rank anyone.")),
    ]
    if not agent.kinds:
        blocks.append(section(_("No answers credited to you in the last 30 days.")))
    for kind_figures in agent.kinds:
        blocks.append(section(_agent_kind(kind_figures, agent.min_sample, w)))
    blocks.append(
        context(
            _(
                "likely between = the 95 % Wilson interval of the satisfied share: with few "
                "answers it is wide, and it narrows as answers come in"
            )
        )
    )
    if agent.praise:
        text = _("*What your customers said*") + " :star2:\n"
        blocks.append(
            section(text + "\n".join(quote(c.comment, QUOTE_CHARS) for c in agent.praise))
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
        "blocks": [header("surveybot"), section(_(ABOUT))],
    }
