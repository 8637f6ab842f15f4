"""The timeline chart of a country pair, laid out in Python and drawn as inline SVG by the
template: bars for the events of each period in each direction, a line for the mean
Goldstein score. No script and nothing from outside the app is needed to see it."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 40
GOLDSTEIN_RANGE = 10.0
# At most this many period labels under the axis; the others are left to the bars' tooltips.
MAX_LABELS = 12


@dataclass(frozen=True)
class Period:
    """One period of a timeline: its label, events each way, mean Goldstein (None: no event)."""

    label: str
    forward: int
    backward: int
    goldstein: float | None


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    direction: str  # "forward" or "backward": a CSS class
    tip: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    line: str = ""  # SVG polyline points of the Goldstein line
    x_labels: list[Tick] = field(default_factory=list)
    y_labels: list[Tick] = field(default_factory=list)
    goldstein_labels: list[Tick] = field(default_factory=list)
    zero_y: float = 0.0
    plot: tuple[float, float, float, float] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)
    periods: int = 0
    peak: int = 0


def layout(periods: list[Period], *, forward: str, backward: str) -> Chart:
    """Bars and line for ``periods`` (oldest first); ``forward``/``backward`` name the
    directions in the tooltips ("USA→CHN")."""
    chart = Chart(periods=len(periods))
    if not periods:
        return chart
    left, top, right, bottom = chart.plot
    slot = (right - left) / len(periods)
    peak = max(max(period.forward, period.backward) for period in periods) or 1
    chart.peak = peak
    bar_width = max(1.0, slot * 0.4)
    points = []
    for index, period in enumerate(periods):
        x = left + index * slot
        for offset, count, direction, name in (
            (0.1, period.forward, "forward", forward),
            (0.5, period.backward, "backward", backward),
        ):
            height = (bottom - top) * count / peak
            tip = f"{period.label}: {count} {name}"
            chart.bars.append(
                Bar(round(x + slot * offset, 1), round(bottom - height, 1),
                    round(bar_width, 1), round(height, 1), direction, tip)
            )
        if period.goldstein is not None:
            points.append(f"{x + slot / 2:.1f},{_goldstein_y(period.goldstein, top, bottom):.1f}")
    chart.line = " ".join(points)
    chart.zero_y = round(_goldstein_y(0.0, top, bottom), 1)
    chart.x_labels = _x_labels(periods, left, slot, bottom)
    # Whole numbers only: a middle tick when the peak is even.
    counts = (0, peak // 2, peak) if peak % 2 == 0 and peak > 2 else (0, peak)
    chart.y_labels = [
        Tick(left - 6, round(bottom - (bottom - top) * count / peak, 1), str(count))
        for count in counts
    ]
    chart.goldstein_labels = [
        Tick(right + 6, round(_goldstein_y(value, top, bottom), 1), f"{value:+.0f}")
        for value in (-GOLDSTEIN_RANGE, 0.0, GOLDSTEIN_RANGE)
    ]
    return chart


def _goldstein_y(value: float, top: float, bottom: float) -> float:
    share = (value + GOLDSTEIN_RANGE) / (2 * GOLDSTEIN_RANGE)
    return bottom - (bottom - top) * min(1.0, max(0.0, share))


def _x_labels(periods: list[Period], left: float, slot: float, bottom: float) -> list[Tick]:
    step = max(1, -(-len(periods) // MAX_LABELS))
    return [
        Tick(round(left + index * slot + slot / 2, 1), bottom + 16, period.label)
        for index, period in enumerate(periods)
        if index % step == 0
    ]
