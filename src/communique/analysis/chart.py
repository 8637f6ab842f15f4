"""Charts of a dyad timeline: a PNG drawn by matplotlib, or a self-contained HTML page with an
SVG chart drawn here (no script, no stylesheet or font from elsewhere: it opens offline).

Both show the same two panels: events per period in each direction, and the
cooperation–conflict index of each direction (−1 to +1).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from communique.analysis.common import AnalysisError, AnalysisErrors
from communique.analysis.timeline import DyadTimeline, Point

COLOURS = ("#1f77b4", "#d62728")  # one per direction
WIDTH, PANEL, MARGIN = 900, 220, 50


def write_plot(timeline: DyadTimeline, path: Path) -> None:
    """Draw ``timeline`` to ``path``: ``.png`` or ``.html``."""
    suffix = path.suffix.lower()
    if suffix == ".png":
        _write_png(timeline, path)
    elif suffix in (".html", ".htm"):
        path.write_text(html_page(timeline), encoding="utf-8")
    else:
        raise AnalysisError(AnalysisErrors.E075.format(path=path))


def _title(timeline: DyadTimeline) -> str:
    return f"{timeline.a} and {timeline.b}: events per {timeline.by}"


def _directions(timeline: DyadTimeline) -> list[tuple[str, list[Point]]]:
    pairs = timeline.points.items()
    return [(f"{source} → {target}", points) for (source, target), points in pairs]


# --------------------------------------------------------------------------------------------
# PNG


def _write_png(timeline: DyadTimeline, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: draw to a file
    import matplotlib.pyplot as plt

    figure, (counts, index) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    positions = list(range(len(timeline.periods)))
    width = 0.4
    for number, (label, points) in enumerate(_directions(timeline)):
        shifted = [x + (number - 0.5) * width for x in positions]
        counts.bar(shifted, [p.events for p in points], width, label=label, color=COLOURS[number])
        values = [p.index if p.index is not None else float("nan") for p in points]
        index.plot(positions, values, marker="o", label=label, color=COLOURS[number])
    counts.set_title(_title(timeline))
    counts.set_ylabel("events")
    counts.legend()
    index.set_ylabel("cooperation–conflict index")
    index.set_ylim(-1.05, 1.05)
    index.axhline(0, color="grey", linewidth=0.5)
    every = _label_step(timeline.periods)
    shown = positions[::every]
    index.set_xticks(shown, timeline.periods[::every], rotation=45, ha="right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


# --------------------------------------------------------------------------------------------
# HTML with an inline SVG


def html_page(timeline: DyadTimeline) -> str:
    """A complete HTML page with the chart as inline SVG and a table of the figures."""
    title = escape(_title(timeline))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>"
        f"<h1>{title}</h1>\n{svg_chart(timeline)}\n{_table(timeline)}\n</body></html>\n"
    )


def svg_chart(timeline: DyadTimeline) -> str:
    periods = timeline.periods
    height = 2 * PANEL + 3 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(_title(timeline))}">'
    ]
    if not periods:
        parts.append(f'<text x="{MARGIN}" y="{MARGIN}">no events</text></svg>')
        return "".join(parts)
    step = (WIDTH - 2 * MARGIN) / len(periods)
    most = max([p.events for _, points in _directions(timeline) for p in points] + [1])
    parts += _count_panel(timeline, step, most)
    parts += _index_panel(timeline, step)
    parts += _period_labels(periods, step)
    parts += _legend(timeline)
    parts.append("</svg>")
    return "".join(parts)


def _count_panel(timeline: DyadTimeline, step: float, most: int) -> list[str]:
    top, bottom = MARGIN, MARGIN + PANEL
    parts = [
        f'<text x="{MARGIN}" y="{top - 8}" font-size="12">events (most: {most})</text>',
        f'<line x1="{MARGIN}" y1="{bottom}" x2="{WIDTH - MARGIN}" y2="{bottom}" stroke="#888"/>',
    ]
    bar = step * 0.4
    for number, (label, points) in enumerate(_directions(timeline)):
        for slot, point in enumerate(points):
            high = PANEL * point.events / most
            x = MARGIN + slot * step + step * 0.1 + number * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - high:.1f}" width="{bar:.1f}" '
                f'height="{high:.1f}" fill="{COLOURS[number]}">'
                f"<title>{escape(label)} {escape(point.period)}: {point.events}</title></rect>"
            )
    return parts


def _index_panel(timeline: DyadTimeline, step: float) -> list[str]:
    top = 2 * MARGIN + PANEL
    middle = top + PANEL / 2
    parts = [
        f'<text x="{MARGIN}" y="{top - 8}" font-size="12">cooperation–conflict index '
        "(+1 cooperation, −1 conflict)</text>",
        f'<rect x="{MARGIN}" y="{top}" width="{WIDTH - 2 * MARGIN}" height="{PANEL}" '
        'fill="none" stroke="#ccc"/>',
        f'<line x1="{MARGIN}" y1="{middle}" x2="{WIDTH - MARGIN}" y2="{middle}" stroke="#888"/>',
        *(
            f'<text x="{MARGIN - 6}" y="{y + 4}" font-size="10" text-anchor="end">{text}</text>'
            for y, text in ((top, "+1"), (middle, "0"), (top + PANEL, "−1"))
        ),
    ]
    for number, (label, points) in enumerate(_directions(timeline)):
        for slot, point in enumerate(points):
            if point.index is None:
                continue
            x = MARGIN + (slot + 0.5) * step
            y = middle - point.index * PANEL / 2
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS[number]}">'
                f"<title>{escape(label)} {escape(point.period)}: {point.index:+.2f}</title>"
                "</circle>"
            )
        parts.append(_index_line(points, step, middle, COLOURS[number]))
    return parts


def _index_line(points: list[Point], step: float, middle: float, colour: str) -> str:
    coordinates = [
        f"{MARGIN + (slot + 0.5) * step:.1f},{middle - point.index * PANEL / 2:.1f}"
        for slot, point in enumerate(points)
        if point.index is not None
    ]
    return (
        f'<polyline points="{" ".join(coordinates)}" fill="none" stroke="{colour}"/>'
        if len(coordinates) > 1
        else ""
    )


def _period_labels(periods: list[str], step: float) -> list[str]:
    y = 3 * MARGIN + 2 * PANEL - 20
    every = _label_step(periods)
    return [
        f'<text x="{MARGIN + (slot + 0.5) * step:.1f}" y="{y}" font-size="10" '
        f'text-anchor="middle">{escape(period)}</text>'
        for slot, period in enumerate(periods)
        if slot % every == 0
    ]


def _label_step(periods: list[str]) -> int:
    """Label every n-th period, so that about twelve labels at most fit under the chart."""
    return max(1, -(-len(periods) // 12))


def _legend(timeline: DyadTimeline) -> list[str]:
    parts = []
    for number, (label, _) in enumerate(_directions(timeline)):
        x = WIDTH - MARGIN - 200 + number * 100
        parts.append(
            f'<rect x="{x}" y="10" width="10" height="10" fill="{COLOURS[number]}"/>'
            f'<text x="{x + 14}" y="20" font-size="12">{escape(label)}</text>'
        )
    return parts


def _table(timeline: DyadTimeline) -> str:
    header = (
        "<tr><th>period</th><th>direction</th><th>events</th><th>mean Goldstein</th>"
        "<th>index</th></tr>"
    )
    rows = [
        f"<tr><td>{escape(p.period)}</td><td>{escape(label)}</td><td>{p.events}</td>"
        f"<td>{_number(p.mean_goldstein)}</td><td>{_number(p.index)}</td></tr>"
        for label, points in _directions(timeline)
        for p in points
        if p.events
    ]
    return f"<table>{header}{''.join(rows)}</table>"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"
