"""The weekly trend chart of the digests: data in, PNG bytes out.

Uses matplotlib's object API (``Figure`` + ``FigureCanvasAgg``) rather than pyplot:
no global figure registry to leak memory, no GUI backend, safe in worker threads.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.i18n import N_, format_number, format_percent, resolve_language, translator
from bot.scales import CES
from storage.vocabulary import SurveyKind

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported where a chart is drawn: ~45 MB that a process which never
# draws one (most of the time, every process but the weekly digest) does not carry.

log = logging.getLogger("surveybot.chart")

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


@lru_cache(maxsize=1)
def _halo() -> tuple[Any, ...]:
    """A white halo keeps value labels readable where they cross the target line."""
    from matplotlib import patheffects

    return (patheffects.withStroke(linewidth=4, foreground="white"),)


LATIN_FONT = "DejaVu Sans"  # matplotlib's own: always there
# Chinese and Japanese need a CJK font (Debian: fonts-noto-cjk). matplotlib's font cache
# may predate its install, so the usual files are also added by path.
CJK_FONTS = {"zh_Hans": "Noto Sans CJK SC", "ja": "Noto Sans CJK JP"}
CJK_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)


@lru_cache(maxsize=1)
def _installed_fonts() -> frozenset[str]:
    from matplotlib import font_manager

    for path in CJK_FILES:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
    return frozenset(f.name for f in font_manager.fontManager.ttflist)


def chart_language(language: str | None) -> str:
    """The language the chart can be drawn in: a CJK language without a CJK font would
    show empty boxes, so that chart is drawn in English (and the log says why)."""
    shipped = resolve_language(language)
    if shipped in CJK_FONTS and CJK_FONTS[shipped] not in _installed_fonts():
        log.warning("chart drawn in English language=%s reason=no_cjk_font", shipped)
        return "en"
    return shipped


def _font_families(language: str) -> list[str]:
    """The Latin font first, then a CJK fallback for names and labels in CJK scripts."""
    fonts = _installed_fonts()
    preferred = CJK_FONTS.get(language, CJK_FONTS["ja"])
    fallbacks = [preferred, *CJK_FONTS.values()]
    return [LATIN_FONT, *dict.fromkeys(f for f in fallbacks if f in fonts)]


@dataclass(frozen=True)
class WeekPoint:
    label: str  # the week's Monday, as the team's language writes it: "Nov 16", "16 lis"
    score: float | None  # None when the week had no answers: drawn as a gap
    answers: int


@dataclass(frozen=True)
class _Axis:
    label: str  # msgid
    low: float
    high: float
    ticks: tuple[float, ...]


# CSAT and NPS are shares (percent, points); the mean CES lives on the CES scale itself.
_AXES: dict[SurveyKind, _Axis] = {
    SurveyKind.CSAT: _Axis(N_("CSAT (% satisfied)"), 0, 100, (0, 20, 40, 60, 80, 100)),
    SurveyKind.CES: _Axis(N_("CES (mean, 1–7)"), CES.lowest, CES.highest, CES.scores),
    SurveyKind.NPS: _Axis(N_("NPS (−100 to 100)"), -100, 100, (-100, -50, 0, 50, 100)),
}


def _value_format(kind: SurveyKind, language: str) -> Callable[[float], str]:
    if kind is SurveyKind.CSAT:
        return lambda v: format_percent(v / 100, language)
    if kind is SurveyKind.CES:
        return lambda v: format_number(v, language, decimals=1)
    return lambda v: ("+" if v > 0 else "") + format_number(round(v), language)


def render_trend_chart(
    points: Sequence[WeekPoint],
    *,
    kind: SurveyKind,
    title: str,
    target: float | None = None,
    language: str | None = None,
) -> bytes:
    """PNG bytes of :func:`draw_trend_chart`."""
    fig = draw_trend_chart(points, kind=kind, title=title, target=target, language=language)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def draw_trend_chart(
    points: Sequence[WeekPoint],
    *,
    kind: SurveyKind,
    title: str,
    target: float | None = None,
    language: str | None = None,
) -> Figure:
    """The chart of the last 8 weeks: score line (gaps for empty weeks), answer bars on their
    own axis, target; every word and number in the team's language."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    language = chart_language(language)
    _ = translator(language)
    families = _font_families(language)
    value_format = _value_format(SurveyKind(kind), language)
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
    volume.bar_label(
        bars, padding=2, fontsize=FONT_SIZE - 1, color=MUTED_COLOUR, fontfamily=families
    )
    most = max((p.answers for p in weeks), default=0)
    # Bars use the lower third of the height so they never compete with the line, and
    # they have their own axis, in answers, on the right: a bar is never read as a %.
    volume.set_ylim(0, max(most, 1) * 3)
    volume.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    volume.set_yticks([t for t in volume.get_yticks() if 0 <= t <= max(most, 1)])
    volume.tick_params(labelsize=FONT_SIZE - 2, colors=MUTED_COLOUR, length=0)
    volume.yaxis.set_label_coords(1.04, 1 / 6)
    volume.set_ylabel(_("answers"), fontsize=FONT_SIZE, color=MUTED_COLOUR, fontfamily=families)

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
                value_format(score),
                (x, score),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                fontsize=FONT_SIZE - 1,
                color=TEXT_COLOUR,
                fontweight="bold",
                fontfamily=families,
                path_effects=_halo(),
            )

    if target is not None:
        ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=2, zorder=2)
        # Named in the title, not on the plot, where a label collides with early points.
        dashed = _("dashed line: target {target}").format(target=value_format(target))
        title = f"{title}  ·  {dashed}"

    if all(math.isnan(s) for s in scores):
        ax.text(
            0.5,
            0.6,
            _("No answers in these weeks"),
            transform=ax.transAxes,
            ha="center",
            fontsize=FONT_SIZE + 1,
            color=MUTED_COLOUR,
            fontfamily=families,
        )

    # Headroom above the top so value labels at the maximum are not clipped.
    span = axis.high - axis.low
    ax.set_ylim(axis.low, axis.high + span * 0.1)
    ax.set_yticks(axis.ticks, [value_format(t) for t in axis.ticks])
    ax.set_ylabel(_(axis.label), fontsize=FONT_SIZE, color=TEXT_COLOUR, fontfamily=families)
    ax.set_xticks(xs, [p.label for p in weeks])
    ax.set_xlim(-0.6, max(len(weeks), 1) - 0.4)
    ax.tick_params(labelsize=FONT_SIZE, colors=TEXT_COLOUR, length=0)
    if any(len(p.label) > 5 for p in weeks):  # "10月12日" side by side: a size smaller
        ax.tick_params(axis="x", labelsize=FONT_SIZE - 2)
    # No grid: every point carries its value, and grid lines would strike the bar counts.
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels(), *volume.get_yticklabels()):
        label.set_fontfamily(families)
    ax.set_title(
        title, fontsize=TITLE_SIZE, color=TEXT_COLOUR, loc="left", pad=12, fontfamily=families
    )
    for spine in (*ax.spines.values(), *volume.spines.values()):
        spine.set_visible(False)
    return fig
