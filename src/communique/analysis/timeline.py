"""The timeline of a pair of countries: per period and direction, events by quad class, mean
Goldstein score and the cooperation–conflict index (defined in ``docs/analysis.md``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from communique.analysis.common import AnalysisError, AnalysisErrors, country_pair
from communique.store import Store
from communique.store.aggregate import Period, Scope

QUAD_CLASSES = (1, 2, 3, 4)
QUAD_NAMES = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}
COOPERATION = (1, 2)
CONFLICT = (3, 4)


@dataclass
class Point:
    """One period of one direction."""

    period: str
    source: str
    target: str
    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(QUAD_CLASSES, 0))
    events: int = 0
    goldstein_sum: float = 0.0
    goldstein_n: int = 0
    weights: dict[int, float] = field(default_factory=lambda: dict.fromkeys(QUAD_CLASSES, 0.0))

    @property
    def mean_goldstein(self) -> float | None:
        return self.goldstein_sum / self.goldstein_n if self.goldstein_n else None

    @property
    def index(self) -> float | None:
        """(cooperation − conflict) / (cooperation + conflict), each the sum of the absolute
        Goldstein scores of its events; from −1 (all conflict) to +1; None without any."""
        cooperation = sum(self.weights[quad] for quad in COOPERATION)
        conflict = sum(self.weights[quad] for quad in CONFLICT)
        total = cooperation + conflict
        return (cooperation - conflict) / total if total else None

    def to_dict(self) -> dict[str, Any]:
        mean, index = self.mean_goldstein, self.index
        return {
            "period": self.period,
            "source": self.source,
            "target": self.target,
            "events": self.events,
            "quad_classes": {str(quad): self.counts[quad] for quad in QUAD_CLASSES},
            "mean_goldstein": round(mean, 3) if mean is not None else None,
            "index": round(index, 3) if index is not None else None,
        }


@dataclass(frozen=True)
class DyadTimeline:
    """Both directions of a country pair, period by period (no gaps between the first and
    the last period with an event)."""

    a: str
    b: str
    by: Period
    since: date | None
    until: date | None
    periods: list[str]
    points: dict[tuple[str, str], list[Point]]

    def direction(self, source: str, target: str) -> list[Point]:
        return self.points[(source, target)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "by": self.by,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "periods": self.periods,
            "directions": [
                {"source": source, "target": target, "points": [p.to_dict() for p in points]}
                for (source, target), points in self.points.items()
            ],
        }


def dyad_timeline(
    store: Store,
    a: str,
    b: str,
    *,
    by: Period = "month",
    since: date | None = None,
    until: date | None = None,
) -> DyadTimeline:
    """Events between countries ``a`` and ``b`` per ``by`` (month or week), in each direction.

    Counts merged events reported as happening (asserted, not negated) whose date places them
    in a period: a month needs a day or a month, a week a day. Actor codes are matched by
    country prefix: ``USA`` takes USAGOV, USAMIL…
    """
    if by not in ("month", "week"):
        raise AnalysisError(AnalysisErrors.E072.format(by=by))
    a, b = country_pair(a, b)
    scope = Scope(since=since, until=until)
    found: dict[tuple[str, str], dict[str, Point]] = {}
    for source, target in ((a, b), (b, a)):
        points: dict[str, Point] = {}
        for row in store.period_counts((source, target), by=by, scope=scope):
            point = points.setdefault(row["period"], Point(row["period"], source, target))
            _add(point, row)
        found[(source, target)] = points
    periods = _periods(by, [key for points in found.values() for key in points])
    filled = {
        pair: [points.get(period) or Point(period, *pair) for period in periods]
        for pair, points in found.items()
    }
    return DyadTimeline(a, b, by, since, until, periods, filled)


def _add(point: Point, row: dict[str, Any]) -> None:
    count = int(row["count"])
    point.events += count
    quad = row["quad_class"]
    if quad in point.counts:
        point.counts[quad] += count
        point.weights[quad] += float(row["weight"] or 0.0)
    point.goldstein_sum += float(row["goldstein_sum"] or 0.0)
    point.goldstein_n += int(row["goldstein_n"] or 0)


def _periods(by: Period, seen: list[str]) -> list[str]:
    """Every period from the first seen to the last, none skipped."""
    if not seen:
        return []
    first, last = min(seen), max(seen)
    if by == "week":
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        weeks = (end - start).days // 7 + 1
        return [(start + timedelta(weeks=n)).isoformat() for n in range(weeks)]
    year, month = (int(part) for part in first.split("-"))
    periods: list[str] = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        periods.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods
