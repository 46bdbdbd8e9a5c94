"""Server-rendered SVG charts: geometry in whole pixels, so the template only draws.

Readable when printed and with no script. Bars are one series on the left
axis; the optional line is a second series on its own right axis.
"""

from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 16, 36
TICKS = 5


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: int | None
    label_x: int


@dataclass(frozen=True)
class Tick:
    y: int
    left: str
    right: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    second_bars: tuple[Bar, ...]
    line: str  # polyline points
    points: tuple[tuple[int, int, int], ...]  # (x, y, value) of the line's points
    ticks: tuple[Tick, ...]
    baseline: int
    plot_left: int
    plot_right: int


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def monthly_chart(
    labels: list[str],
    bars: list[int | None],
    line: list[int | None] | None = None,
    second_bars: list[int | None] | None = None,
) -> Chart:
    """Bars (and optional second bars beside them, on the same axis) per month,
    and an optional line on a right-hand axis."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = plot_w // len(labels)
    bar_values = [v or 0 for v in bars] + [v or 0 for v in second_bars or []]
    bar_max = _nice_max(max(bar_values, default=0))
    line_max = _nice_max(max((v or 0 for v in line or []), default=0))
    pair = second_bars is not None
    width = slot // 3 if pair else slot // 2

    def bar_row(values, offset):
        out = []
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            height = (value or 0) * plot_h // bar_max
            x = LEFT + index * slot + offset
            center = LEFT + index * slot + slot // 2
            out.append(Bar(x, baseline - height, width, height, label, value, center))
        return tuple(out)

    first_offset = (slot - (2 * width if pair else width)) // 2
    chart_bars = bar_row(bars, first_offset)
    chart_second = bar_row(second_bars, first_offset + width) if pair else ()
    points = tuple(
        (LEFT + index * slot + slot // 2, baseline - value * plot_h // line_max, value)
        for index, value in enumerate(line or [])
        if value is not None
    )
    # Five intervals: a 1, 2 or 5 × 10^n maximum divides into round numbers.
    ticks = tuple(
        Tick(
            baseline - plot_h * step // TICKS,
            f"{bar_max * step // TICKS:,}",
            f"{line_max * step // TICKS:,}" if line is not None else "",
        )
        for step in range(TICKS + 1)
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=chart_bars,
        second_bars=chart_second,
        line=" ".join(f"{x},{y}" for x, y, _ in points),
        points=points,
        ticks=ticks,
        baseline=baseline,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
    )


# --- stacked bars: one bar a month, one segment per series (a channel) ---------

# Fills as SVG presentation attributes (no inline style: the CSP forbids it),
# taken in turn by the series; the legend draws the same colour beside each
# name, and every figure is also in the table beside the chart.
PALETTE = (
    "#1a73c8",
    "#e8710a",
    "#1e8e3e",
    "#9334e6",
    "#d93025",
    "#12859b",
    "#b06000",
    "#5f6368",
)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


@dataclass(frozen=True)
class Segment:
    x: int
    y: int
    width: int
    height: int
    series: Series
    label: str  # the month
    value: int


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    series: tuple[Series, ...]
    segments: tuple[Segment, ...]
    labels: tuple[tuple[str, int], ...]  # (month, x of its label)
    ticks: tuple[Tick, ...]
    baseline: int
    plot_left: int
    plot_right: int


def stacked_chart(
    labels: list[str], series: list[tuple[str, list[int | None]]]
) -> StackedChart:
    """A bar per month (``labels``) stacked from ``series``, (name, a value per
    month), in the order given from the bottom up. Each segment's edges are
    taken from the running total, so the segments of a month meet exactly
    and its bar is as tall as its total."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = plot_w // len(labels)
    width = slot // 2
    totals = [
        sum(values[index] or 0 for _name, values in series)
        for index in range(len(labels))
    ]
    top_value = _nice_max(max(totals, default=0))
    keys = tuple(
        Series(name, PALETTE[index % len(PALETTE)])
        for index, (name, _values) in enumerate(series)
    )
    segments = []
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - width) // 2
        running = 0
        for key, (_name, values) in zip(keys, series, strict=True):
            value = values[index]
            if not value:
                continue
            bottom = baseline - running * plot_h // top_value
            running += value
            top = baseline - running * plot_h // top_value
            segments.append(Segment(x, top, width, bottom - top, key, label, value))
    ticks = tuple(
        Tick(baseline - plot_h * step // TICKS, f"{top_value * step // TICKS:,}", "")
        for step in range(TICKS + 1)
    )
    return StackedChart(
        width=WIDTH,
        height=HEIGHT,
        series=keys,
        segments=tuple(segments),
        labels=tuple(
            (label, LEFT + index * slot + slot // 2)
            for index, label in enumerate(labels)
        ),
        ticks=ticks,
        baseline=baseline,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
    )
