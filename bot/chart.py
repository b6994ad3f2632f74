"""The weekly trend chart of the digests: data in, PNG bytes out.

Uses matplotlib's object API (``Figure`` + ``FigureCanvasAgg``) rather than pyplot:
no global figure registry to leak memory, no GUI backend, safe in worker threads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.scales import CES, CSAT, NPS, SurveyKind

WEEKS_SHOWN = 8
FIGSIZE_INCHES = (8.0, 4.5)
DPI = 150  # 1200 × 675 px: sharp on a phone, small enough for Slack's preview
FONT_SIZE = 13
TITLE_SIZE = 16

SCORE_COLOUR = "#1f6feb"
VOLUME_COLOUR = "#d0d7de"
TARGET_COLOUR = "#2da44e"
TEXT_COLOUR = "#24292f"
MUTED_COLOUR = "#57606a"
# A white halo keeps value labels readable where they cross the target line.
HALO = (patheffects.withStroke(linewidth=4, foreground="white"),)


@dataclass(frozen=True)
class WeekPoint:
    label: str  # e.g. "W47" or "17 Nov"
    score: float | None  # None when the week had no answers: drawn as a gap
    answers: int


@dataclass(frozen=True)
class _Axis:
    label: str
    low: float
    high: float
    value_format: str
    ticks: tuple[float, ...]


# CSAT and NPS are shares (percent, points); the mean CES lives on the CES scale itself.
_AXES: dict[SurveyKind, _Axis] = {
    SurveyKind.CSAT: _Axis(
        f"{CSAT.name} (% satisfied)", 0, 100, "{:.0f}%", (0, 20, 40, 60, 80, 100)
    ),
    SurveyKind.CES: _Axis(
        f"{CES.name} (mean, {CES.lowest}–{CES.highest})",
        CES.lowest,
        CES.highest,
        "{:.1f}",
        CES.scores,
    ),
    SurveyKind.NPS: _Axis(
        f"{NPS.name} (−100 to 100)", -100, 100, "{:+.0f}", (-100, -50, 0, 50, 100)
    ),
}


def render_trend_chart(
    points: Sequence[WeekPoint],
    *,
    kind: SurveyKind,
    title: str,
    target: float | None = None,
) -> bytes:
    """PNG of the last 8 weeks: score line (gaps for empty weeks), answer bars, target."""
    axis = _AXES[SurveyKind(kind)]
    weeks = list(points)[-WEEKS_SHOWN:]
    xs = list(range(len(weeks)))
    # NaN breaks the line, so a week without answers shows as a gap, not as a zero.
    scores = [math.nan if p.score is None else p.score for p in weeks]

    fig = Figure(figsize=FIGSIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # attaches the Agg canvas: savefig never looks for a GUI backend
    ax = fig.add_subplot()
    volume = ax.twinx()
    # Score axis in front of the bars, with a transparent background so bars show.
    ax.set_zorder(volume.get_zorder() + 1)
    ax.patch.set_visible(False)

    bars = volume.bar(xs, [p.answers for p in weeks], width=0.6, color=VOLUME_COLOUR, zorder=1)
    # Counts written on the bars read better on a phone than a second scale of ticks.
    volume.bar_label(bars, padding=2, fontsize=FONT_SIZE - 1, color=MUTED_COLOUR)
    most = max((p.answers for p in weeks), default=0)
    # Bars use the lower third of the height so they never compete with the line.
    volume.set_ylim(0, max(most, 1) * 3)
    volume.set_yticks([])
    volume.set_ylabel("Answers per week (bars)", fontsize=FONT_SIZE, color=MUTED_COLOUR)

    ax.plot(
        xs,
        scores,
        color=SCORE_COLOUR,
        linewidth=3,
        marker="o",
        markersize=8,
        zorder=3,
    )
    for x, score in zip(xs, scores, strict=True):
        if not math.isnan(score):
            ax.annotate(
                axis.value_format.format(score),
                (x, score),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                fontsize=FONT_SIZE - 1,
                color=TEXT_COLOUR,
                fontweight="bold",
                path_effects=HALO,
            )

    if target is not None:
        ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=2, zorder=2)
        # Named in the title, not on the plot, where a label collides with early points.
        title = f"{title}  ·  dashed line: target {axis.value_format.format(target)}"

    if all(math.isnan(s) for s in scores):
        ax.text(
            0.5,
            0.6,
            "No answers in these weeks",
            transform=ax.transAxes,
            ha="center",
            fontsize=FONT_SIZE + 1,
            color=MUTED_COLOUR,
        )

    # Headroom above the top so value labels at the maximum are not clipped.
    span = axis.high - axis.low
    ax.set_ylim(axis.low, axis.high + span * 0.1)
    ax.set_yticks(axis.ticks)
    ax.set_ylabel(axis.label, fontsize=FONT_SIZE, color=TEXT_COLOUR)
    ax.set_xticks(xs, [p.label for p in weeks])
    ax.set_xlim(-0.6, max(len(weeks), 1) - 0.4)
    ax.tick_params(labelsize=FONT_SIZE, colors=TEXT_COLOUR, length=0)
    # No grid: every point carries its value, and grid lines would strike the bar counts.
    ax.set_title(title, fontsize=TITLE_SIZE, color=TEXT_COLOUR, loc="left", pad=12)
    for spine in (*ax.spines.values(), *volume.spines.values()):
        spine.set_visible(False)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
