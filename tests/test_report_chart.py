"""The weekly report's chart: one panel per series (at most six), band, this week's dot,
readable axes, a PNG of Slack's preview width, the same bytes for the same body."""

from __future__ import annotations

import io

import pytest
from matplotlib.colors import to_hex
from matplotlib.dates import date2num
from matplotlib.image import imread

from canary.weekly.chart import DPI, MAX_PANELS, OUTSIDE, report_figure, report_png
from tests.report_bodies import BODIES, healthy, pipeline_broken, usage_drop


def _size(png: bytes) -> tuple[int, int]:
    """Width and height of a decoded PNG."""
    image = imread(io.BytesIO(png), format="png")
    return image.shape[1], image.shape[0]


def test_no_series_no_chart() -> None:
    body = healthy()
    body.series = []
    assert report_png(body) is None and report_figure(body) is None


@pytest.mark.parametrize(
    ("name", "panels", "height"), [("healthy", 3, 340), ("usage-drop", 4, 680)]
)
def test_one_panel_per_series_at_slack_preview_width(name: str, panels: int, height: int) -> None:
    body = BODIES[name]()
    fig = report_figure(body)
    assert fig is not None
    assert len(fig.axes) == panels
    assert [ax.get_title(loc="left") for ax in fig.axes] == [s.label for s in body.series]
    png = report_png(body)
    assert png is not None and png.startswith(b"\x89PNG")
    assert _size(png) == (1200, height)


def test_a_grid_of_at_most_six_panels_says_how_many_it_shows() -> None:
    body = BODIES["long-labels"]()  # nine series
    fig = report_figure(body)
    assert fig is not None and len(fig.axes) == MAX_PANELS
    assert "6 of 9 series" in fig.get_suptitle()
    assert all(len(ax.get_title(loc="left")) <= 36 for ax in fig.axes)  # long labels cut
    png = report_png(body)
    assert png is not None and _size(png) == (1200, 680)


def test_the_same_body_gives_the_same_bytes() -> None:
    assert report_png(usage_drop()) == report_png(usage_drop())
    assert report_png(usage_drop()) != report_png(healthy())


def test_this_week_is_marked_with_its_value_and_the_band_is_shaded() -> None:
    fig = report_figure(usage_drop())
    assert fig is not None
    views = fig.axes[1]
    assert [t.get_text() for t in views.texts] == ["7,712"]  # this week, out of its band
    assert to_hex(views.texts[0].get_color()) == OUTSIDE
    assert len(views.collections) == 1  # the expected band
    low, high = views.get_ylim()
    assert low == 0 and high > 18000 * 1.3
    assert [t.get_text() for t in fig.axes[0].texts] == ["1,185"]


def test_axes_read_compactly() -> None:
    fig = report_figure(usage_drop())
    assert fig is not None
    fig.canvas.draw()
    views = fig.axes[1]
    ys = [t.get_text() for t in views.get_yticklabels() if t.get_text()]
    assert "16k" in ys and all(len(y) <= 4 for y in ys)
    xs = [t.get_text() for t in views.get_xticklabels() if t.get_text()]
    assert {"Sep", "Oct", "Nov"} <= set(xs)
    sizes = [t.get_fontsize() for t in [*views.get_yticklabels(), *views.get_xticklabels()]]
    assert min(sizes) * DPI / 72 >= 15  # >= 11 pt on the 1200 px image


def test_a_week_without_data_says_so() -> None:
    fig = report_figure(pipeline_broken())
    assert fig is not None
    creators = fig.axes[2]
    assert [t.get_text() for t in creators.texts] == ["no data"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["0"]


def test_a_week_alone_shows_its_band_and_the_caption_tells_only_what_is_drawn() -> None:
    body = healthy()
    body.series = body.series[:1]
    s = body.series[0]
    s.low[:] = [None] * (len(s.low) - 1) + [900.0]  # the one week a check gave a range
    s.high[:] = [None] * (len(s.high) - 1) + [1400.0]
    fig = report_figure(body)
    assert fig is not None
    [band] = fig.axes[0].collections
    xs = band.get_paths()[0].vertices[:, 0]
    assert xs.max() - xs.min() == 7  # one week wide, around this week
    assert "shaded" in fig.get_suptitle()
    s.low[-1] = s.high[-1] = None
    fig = report_figure(body)
    assert fig is not None and not fig.axes[0].collections
    assert "shaded" not in fig.get_suptitle()


def test_a_first_week_keeps_the_axis_to_the_window() -> None:
    body = healthy()
    for s in body.series:
        s.values[:-1] = [None] * (len(s.values) - 1)  # only this week is stored
        s.low[:] = [None] * len(s.low)
        s.high[:] = [None] * len(s.high)
    fig = report_figure(body)
    assert fig is not None
    fig.canvas.draw()
    start, end = (date2num(d) for d in (body.series[0].weeks[0], body.series[0].weeks[-1]))
    for ax in fig.axes:
        low, high = ax.get_xlim()
        assert start - 7 < low <= start and end <= high < end + 7
        years = {t.get_text() for t in ax.get_xticklabels()} & {"2024", "2025", "2027"}
        assert not years
