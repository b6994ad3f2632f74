"""The weekly trend chart: valid PNG bytes of a phone-readable size, whatever the weeks."""

from __future__ import annotations

import io
import subprocess
import sys

import matplotlib.image
import pytest

from bot.digest.chart import WeekPoint, render_trend_chart
from storage.vocabulary import SurveyKind

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXPECTED_SHAPE = (675, 1200)  # 8 × 4.5 in at 150 dpi, rows × columns


def pixels_shape(png: bytes) -> tuple[int, int]:
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    return image.shape[0], image.shape[1]


def weeks(scores: list[float | None]) -> list[WeekPoint]:
    return [
        WeekPoint(f"W{40 + i}", score, 0 if score is None else 20 + i)
        for i, score in enumerate(scores)
    ]


@pytest.mark.parametrize(
    ("kind", "scores", "target"),
    [
        (SurveyKind.CSAT, [70.0, 75.0, None, 81.2, 78.0, None, 84.0, 90.0], 85.0),
        (SurveyKind.CES, [5.1, 5.4, 4.8, None, 5.9, 6.2, 6.0, 5.7], 5.5),
        (SurveyKind.NPS, [-20.0, 0.0, 10.0, None, 35.0, 42.0, -5.0, 60.0], None),
    ],
)
def test_chart_is_a_png_of_the_phone_readable_size(
    kind: SurveyKind, scores: list[float | None], target: float | None
) -> None:
    png = render_trend_chart(
        weeks(scores), kind=kind, title="Support — last 8 weeks", target=target
    )
    assert png.startswith(PNG_SIGNATURE)
    assert pixels_shape(png) == EXPECTED_SHAPE


def test_chart_of_weeks_without_any_answers_still_renders() -> None:
    png = render_trend_chart(weeks([None] * 8), kind=SurveyKind.CSAT, title="Quiet weeks")
    assert png.startswith(PNG_SIGNATURE)
    assert pixels_shape(png) == EXPECTED_SHAPE


def test_chart_of_a_single_week_renders() -> None:
    png = render_trend_chart(weeks([82.0]), kind=SurveyKind.CSAT, title="First week", target=80)
    assert pixels_shape(png) == EXPECTED_SHAPE


def test_chart_of_no_weeks_at_all_renders() -> None:
    png = render_trend_chart([], kind=SurveyKind.CES, title="New team")
    assert pixels_shape(png) == EXPECTED_SHAPE


def test_chart_shows_only_the_last_eight_weeks() -> None:
    # Twelve weeks given: the chart of the last eight is the same picture.
    twelve = weeks([50.0, 55.0, 60.0, 65.0, 70.0, 72.0, None, 75.0, 80.0, 82.0, 85.0, 88.0])
    last_eight = render_trend_chart(twelve[-8:], kind=SurveyKind.CSAT, title="T")
    assert render_trend_chart(twelve, kind=SurveyKind.CSAT, title="T") == last_eight


def test_missing_weeks_change_the_picture() -> None:
    # A week without answers is a gap, not a zero and not a line drawn across it.
    with_gap = render_trend_chart(weeks([80.0, None, 82.0]), kind=SurveyKind.CSAT, title="T")
    as_zero = render_trend_chart(weeks([80.0, 0.0, 82.0]), kind=SurveyKind.CSAT, title="T")
    assert with_gap != as_zero


def test_a_process_that_draws_no_chart_does_not_load_matplotlib() -> None:
    """matplotlib is ~45 MB of a serving process's memory; only drawing loads it."""
    probe = "import sys, bot.app, bot.cli; print('matplotlib' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "False"
