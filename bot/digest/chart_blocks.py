"""The weekly trend as Slack's native chart (the data_visualization block), for Home and
the digest; bot.digest.chart draws the same trend as a PNG for teams that chose "image"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.digest.chart import WeekPoint
from bot.text import truncate
from bot.wording import Words, score_name
from storage.vocabulary import SurveyKind

Block = dict[str, Any]
CHART_TITLE = 50  # Slack's limit for a data_visualization title


def native_charts(
    team: str, kind: SurveyKind, weeks: Sequence[WeekPoint], target: float | None, words: Words
) -> list[Block]:
    """The trend as Slack's data_visualization blocks: the score as a line, answers as bars.

    A week without answers has no score: the line's categories skip it, since each
    series has one point per category.
    """
    _, ngettext = words._, words.ngettext
    name = score_name(kind)
    blocks: list[Block] = []
    scored = [w for w in weeks if w.score is not None]
    if scored:
        series: list[Block] = [
            {
                "name": name,
                "data": [{"label": w.label, "value": round(w.score or 0.0, 1)} for w in scored],
            }
        ]
        if target is not None:
            series.append(
                {"name": _("Target"), "data": [{"label": w.label, "value": target} for w in scored]}
            )
        blocks.append(
            {
                "type": "data_visualization",
                "block_id": f"chart_score:{team}"[:255],
                "title": truncate(
                    ngettext(
                        "{score_name} by week, last {count} week",
                        "{score_name} by week, last {count} weeks",
                        len(weeks),
                    ).format(score_name=name, count=len(weeks)),
                    CHART_TITLE,
                ),
                "chart": {
                    "type": "line",
                    "series": series,
                    "axis_config": {
                        "categories": [w.label for w in scored],
                        "x_label": _("Week starting"),
                        "y_label": _("mean (1–7)") if kind is SurveyKind.CES else _("% satisfied"),
                    },
                },
            }
        )
    if any(w.answers for w in weeks):
        blocks.append(
            {
                "type": "data_visualization",
                "block_id": f"chart_answers:{team}"[:255],
                "title": truncate(
                    ngettext(
                        "Answers by week, last {count} week",
                        "Answers by week, last {count} weeks",
                        len(weeks),
                    ).format(count=len(weeks)),
                    CHART_TITLE,
                ),
                "chart": {
                    "type": "bar",
                    "series": [
                        {
                            "name": _("Answers"),
                            "data": [{"label": w.label, "value": w.answers} for w in weeks],
                        }
                    ],
                    "axis_config": {
                        "categories": [w.label for w in weeks],
                        "x_label": _("Week starting"),
                        "y_label": _("answers"),
                    },
                },
            }
        )
    return blocks
