"""Latency samples, their percentiles, and the markdown figure table the benchmarks print."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Samples:
    """Durations in seconds, one per timed call."""

    values: list[float] = field(default_factory=list)

    @contextmanager
    def timed(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.values.append(time.perf_counter() - start)

    def p(self, fraction: float) -> float:
        return percentile(sorted(self.values), fraction) * 1000


@dataclass(frozen=True)
class Figure:
    """One row of the figure table; `limit_ms` is compared with `key_ms` (p95, or the wall time)."""

    name: str
    n: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    wall_s: float | None = None
    target: str = ""
    key_ms: float | None = None
    limit_ms: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.limit_ms is None or self.key_ms is None:
            return "-"
        return "PASS" if self.key_ms < self.limit_ms else "FAIL"


def latency_figure(name: str, samples: Samples, *, target_ms: float | None = None, note: str = "") -> Figure:
    ordered = sorted(samples.values)
    p50, p95, p99 = (percentile(ordered, f) * 1000 for f in (0.50, 0.95, 0.99))
    return Figure(
        name=name,
        n=len(ordered),
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=ordered[-1] * 1000 if ordered else None,
        wall_s=sum(ordered),
        target=f"p95 < {target_ms:g} ms" if target_ms is not None else "",
        key_ms=p95,
        limit_ms=target_ms,
        note=note,
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def markdown_table(figures: list[Figure]) -> str:
    lines = [
        "| benchmark | n | p50 ms | p95 ms | p99 ms | max ms | wall s | target | result | note |",
        "|---|--:|--:|--:|--:|--:|--:|---|---|---|",
    ]
    for f in figures:
        cells = [f.name, f"{f.n:,}", *(_ms(v) for v in (f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms))]
        cells += ["-" if f.wall_s is None else f"{f.wall_s:,.2f}", f.target or "-", f.verdict, f.note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
