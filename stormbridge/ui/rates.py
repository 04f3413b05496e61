"""Rates per second from successive samples of Storm's cumulative counts (pure, no I/O).

Storm's counts (emitted, acked, failed) only grow, and Nimbus refreshes them in steps, every
``executor.metrics.frequency.secs``. A rate from two polls a second apart would flip between 0
and a burst, so :class:`RateTracker` keeps the samples of the last ``span`` seconds and divides
the growth over that span by its length. Used by ``sparse stats --watch``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["COUNTERS", "ComponentRow", "RateTracker", "component_rows"]

#: The counts a rate is kept for.
COUNTERS: tuple[str, ...] = ("emitted", "acked", "failed")


@dataclass(frozen=True)
class ComponentRow:
    """One component of a topology page (``/api/v1/topology/{id}``), typed."""

    id: str
    kind: str  # "spout" or "bolt"
    executors: int
    counts: dict[str, int]
    capacity: float | None  # bolts only
    latency_ms: float | None  # complete (spouts) or process (bolts) latency


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def component_rows(page: Mapping[str, Any]) -> list[ComponentRow]:
    """The spouts, then the bolts, of a topology page."""
    rows = [
        ComponentRow(
            id=str(s.get("spoutId", "")),
            kind="spout",
            executors=_int(s.get("executors")),
            counts={name: _int(s.get(name)) for name in COUNTERS},
            capacity=None,
            latency_ms=_float(s.get("completeLatency")),
        )
        for s in page.get("spouts") or []
    ]
    rows += [
        ComponentRow(
            id=str(b.get("boltId", "")),
            kind="bolt",
            executors=_int(b.get("executors")),
            counts={name: _int(b.get(name)) for name in COUNTERS},
            capacity=_float(b.get("capacity")),
            latency_ms=_float(b.get("processLatency")),
        )
        for b in page.get("bolts") or []
    ]
    return rows


class RateTracker:
    """Feed it ``(time, rows)`` samples; ask for each component's rates per second.

    ``span``: seconds of history the rates are taken over (default 60, about one Storm stats
    refresh). A rate is ``None`` until two samples at different times exist; a count that went
    down (the topology was restarted) starts the component's history afresh.
    """

    def __init__(self, span: float = 60.0) -> None:
        if not span > 0:
            raise ValueError("span must be a positive number of seconds")
        self.span = span
        self._history: dict[str, deque[tuple[float, dict[str, int]]]] = {}

    def add(self, now: float, rows: Iterable[ComponentRow]) -> None:
        for row in rows:
            history = self._history.setdefault(row.id, deque())
            if history and any(row.counts[k] < history[-1][1][k] for k in COUNTERS):
                history.clear()
            history.append((now, dict(row.counts)))
            while len(history) > 2 and now - history[1][0] >= self.span:
                history.popleft()

    def rates(self, component: str) -> dict[str, float] | None:
        """Per-second growth of each counter over the kept span, or ``None`` (not yet)."""
        history = self._history.get(component)
        if not history or len(history) < 2:
            return None
        (t0, first), (t1, last) = history[0], history[-1]
        if t1 <= t0:
            return None
        return {k: (last[k] - first[k]) / (t1 - t0) for k in COUNTERS}
