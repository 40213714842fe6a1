"""The /progress chart: pain over time on top, sessions per week below, as PNG bytes.

Drawn for a phone held upright (1080 x 1350 px) with big type and the Okabe-Ito
colour-blind-safe palette; each pain kind also has its own marker shape, so colour is
never the only cue. Times are shown in the person's own zone.

matplotlib is imported inside :func:`render_progress_png`, not at module import, so the
bot starts fast. It draws on a bare ``Figure`` with the Agg canvas (off-screen, no pyplot
global state); a lock serialises drawing because matplotlib's shared font cache is not
safe to use from several threads at once.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple

from bot.core import formats
from bot.render.model import PainKind, PainPoint, ProgressData, WeekRow, local_wall_time
from content.schema.texts import t

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 7.2, 9.0, 150  # 1080 x 1350 px
BASE_FONT_PT = 14
TITLE_FONT_PT = 20

_DRAWING = threading.Lock()


class PainStyle(NamedTuple):
    label_key: str
    colour: str
    marker: str
    size: float


# Okabe-Ito palette; shape differs per kind as well. Drawn in this order, so "hurt" is on top.
PAIN_STYLES: dict[PainKind, PainStyle] = {
    "before": PainStyle("progress.chart.before", "#E69F00", "o", 90),
    "after": PainStyle("progress.chart.after", "#0072B2", "s", 80),
    "check": PainStyle("progress.chart.check", "#009E73", "D", 70),
    "hurt": PainStyle("progress.chart.hurt", "#D55E00", "X", 130),
}
AVERAGE_COLOUR = "#000000"
BAR_COLOUR = "#56B4E9"
GRID_COLOUR = "#DDDDDD"

BAR_GAP = timedelta(days=1)  # between one week's bar and the next
MIN_SPAN = timedelta(days=3)  # shorter spans would make the date axis tick in hours
MAX_TICKS = 5
CROWDED = 60  # points; beyond this, smaller markers so they don't merge into a band
# Sideways shift of each kind's markers, in inches (about 6 px at 150 dpi for 0.04).
KIND_SHIFT_IN: dict[PainKind, float] = {"before": -0.05, "after": 0.05, "check": 0.0, "hurt": 0.0}


def render_progress_png(data: ProgressData) -> bytes:
    """The progress chart for ``data`` as PNG bytes; empty data gives a chart that says so."""
    with _DRAWING:
        return _draw(data)


def _draw(data: ProgressData) -> bytes:
    fig = draw_figure(data)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def draw_figure(data: ProgressData) -> Figure:
    """The chart as a matplotlib Figure (tests read its axes); call under ``_DRAWING``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    pain_ax, sessions_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    fig.suptitle(t("progress.chart.title"), fontsize=TITLE_FONT_PT, fontweight="bold")

    weeks = sorted(data.weeks, key=lambda week: week.week_start)
    _draw_pain(pain_ax, data.points, weeks, data.zone)
    _draw_sessions(sessions_ax, weeks, _latest(data.points, weeks, data.zone))
    week_start_day = weeks[0].week_start.weekday() if weeks else 0  # Monday without weeks
    _set_time_axis(sessions_ax, _times_shown(data.points, weeks, data.zone), week_start_day)
    return fig


def _on_axis(moments: Sequence[datetime]) -> list[float]:
    """Wall-clock times as matplotlib's date numbers (days), which every axis call accepts."""
    from matplotlib.dates import date2num

    return [float(date2num(moment)) for moment in moments]


def _week_middle(week: WeekRow, latest: datetime | None = None) -> datetime:
    """Weekly values sit in the middle of their week, or, in a week still going on, midway
    to the latest thing shown: never in the future."""
    start = datetime.combine(week.week_start, time())
    end = start + timedelta(days=7)
    if latest is not None and start <= latest < end:
        end = latest
    return start + (end - start) / 2


def _latest(points: Sequence[PainPoint], weeks: Sequence[WeekRow], zone: str) -> datetime | None:
    """The last moment with data: the last point, else the start of the last week."""
    if points:
        return max(local_wall_time(point.at, zone) for point in points)
    return datetime.combine(weeks[-1].week_start, time()) + timedelta(days=1) if weeks else None


def _draw_pain(ax: Axes, points: Sequence[PainPoint], weeks: Sequence[WeekRow], zone: str) -> None:
    from matplotlib.transforms import ScaledTranslation

    latest = _latest(points, weeks, zone)
    for kind, style in PAIN_STYLES.items():
        mine = [point for point in points if point.kind == kind]
        if not mine:
            continue  # a legend entry for something never recorded is clutter
        # Each kind a little to its side, so a before and an after of the same score at
        # the same time both stay visible (a shift in inches, whatever the time span).
        shift = ScaledTranslation(KIND_SHIFT_IN[kind], 0, ax.figure.dpi_scale_trans)
        ax.scatter(
            _on_axis([local_wall_time(point.at, zone) for point in mine]),
            [point.value for point in mine],
            s=style.size if len(points) <= CROWDED else style.size / 2,
            c=style.colour,
            marker=style.marker,
            edgecolors="white",
            linewidths=0.8,
            label=t(style.label_key),
            zorder=3,
            transform=ax.transData + shift,
        )
    averaged = [week for week in weeks if week.average is not None]
    if averaged:
        # NaN for weeks without scores breaks the line instead of bridging the gap.
        ax.plot(
            _on_axis([_week_middle(week, latest) for week in weeks]),
            [week.average if week.average is not None else float("nan") for week in weeks],
            color=AVERAGE_COLOUR,
            linewidth=3,
            marker="o",
            markersize=6,
            label=t("progress.chart.weekly_average"),
            zorder=4,
        )
    if points or averaged:
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=2,
            frameon=False,
            fontsize=BASE_FONT_PT,
            handletextpad=0.3,
            columnspacing=1.2,
        )
    else:
        _say_empty(ax, t("progress.chart.no_scores"))
    ax.set_ylim(-0.4, 10.4)
    ax.set_yticks(range(0, 11, 2))
    ax.set_ylabel(t("progress.chart.pain_axis"), fontsize=BASE_FONT_PT)
    _tidy(ax)


def _draw_sessions(ax: Axes, weeks: Sequence[WeekRow], latest: datetime | None) -> None:
    from matplotlib.ticker import MaxNLocator

    if any(week.sessions for week in weeks):
        # Each bar spans its week (a day's gap between weeks), the current one only up to
        # the latest data: no bar reaches into the future.
        widths = [_bar_days(week, latest) for week in weeks]
        ax.bar(
            _on_axis([datetime.combine(w.week_start, time()) + BAR_GAP / 2 for w in weeks]),
            [week.sessions for week in weeks],
            width=widths,
            align="edge",
            color=BAR_COLOUR,
            zorder=3,
        )
    else:
        _say_empty(ax, t("progress.chart.no_sessions"))
    ax.set_ylim(bottom=0, top=max([week.sessions for week in weeks] + [3]) + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_ylabel(t("progress.chart.sessions_axis"), fontsize=BASE_FONT_PT)
    _tidy(ax)


def _bar_days(week: WeekRow, latest: datetime | None) -> float:
    """A bar's width in days: its week less a day's gap, a current week's only so far."""
    half = _week_middle(week, latest) - datetime.combine(week.week_start, time())
    days = (2 * half - BAR_GAP).total_seconds() / 86400
    return max(0.8, min(6.0, days))


def _times_shown(
    points: Sequence[PainPoint], weeks: Sequence[WeekRow], zone: str
) -> list[datetime]:
    """Every point, and every week from its start to its end (the current week to the latest
    data only): the axis never runs on into days that have not happened."""
    shown = [local_wall_time(point.at, zone) for point in points]
    latest = _latest(points, weeks, zone)
    for week in weeks:
        start = datetime.combine(week.week_start, time())
        middle = _week_middle(week, latest)
        shown += [start, middle + (middle - start)]
    return shown


def _set_time_axis(ax: Axes, shown: Sequence[datetime], week_start_day: int) -> None:
    from matplotlib.dates import AutoDateLocator, DayLocator, WeekdayLocator, num2date
    from matplotlib.ticker import FuncFormatter

    if not shown:
        ax.set_xticks([])
        return
    first, last = min(shown), max(shown)
    if last - first < MIN_SPAN:  # widened into the past, never into the future
        first = last - MIN_SPAN
    pad = (last - first) * 0.04
    ax.set_xlim(*_on_axis([first - pad, last + pad]))
    # At most ~5 ticks: a 14 pt date label is wide on a phone.
    days = (last - first).days + 1
    if days <= 14:
        ax.xaxis.set_major_locator(DayLocator(interval=math.ceil(days / MAX_TICKS)))
    elif days <= 20 * 7:
        # Ticks on the day weeks start, so each bar begins at a labelled date.
        step = math.ceil(days / 7 / MAX_TICKS)
        ax.xaxis.set_major_locator(WeekdayLocator(byweekday=week_start_day, interval=step))
    else:
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=MAX_TICKS))
    # Plain "3 Mar": no leading zero, no year, no hours.
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: formats.day_and_month(num2date(value).date()))
    )


def _say_empty(ax: Axes, message: str) -> None:
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=BASE_FONT_PT + 2,
        color="#555555",
    )


def _tidy(ax: Axes) -> None:
    ax.tick_params(labelsize=BASE_FONT_PT)
    ax.grid(axis="y", color=GRID_COLOUR, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
