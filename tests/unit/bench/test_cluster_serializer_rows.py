"""The cluster benchmark's serializer rows: CPU time per tuple and their own doc section."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture
def cluster() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("cluster")
    finally:
        sys.path.remove(str(BENCH))
        for name in ("cluster", "common"):  # generic names: do not leak them to other tests
            sys.modules.pop(name, None)


def _run(cluster: ModuleType, impl: str, python_cpu: float, worker_cpu: float) -> dict[str, Any]:
    m = cluster.Measurement(impl=impl, topology=cluster.TOPOLOGY_NAMES[impl])
    m.samples = [
        cluster.Sample(0.0, 0, 0, 0, 0, None, 0.0, 0.0),
        cluster.Sample(1.0, 1000, 0, 1000, 1000, 2.0, 0.0, 0.0),
        cluster.Sample(11.0, 11000, 0, 11000, 11000, 2.0, python_cpu, worker_cpu),
    ]
    return dict(m.summary())


def test_cpu_per_tuple_and_the_section(cluster: ModuleType) -> None:
    rows = [
        _run(cluster, "stormbridge", 1.0, 1.0),  # 10000 tuples: 100 + 100 µs
        _run(cluster, "pystorm", 3.0, 1.0),
        _run(cluster, "stormbridge-own", 1.0, 0.5),
        _run(cluster, "java", 0.0, 0.2),
    ]
    assert rows[0]["worker_cpu_us_per_tuple"] == pytest.approx(100.0)
    assert rows[0]["total_cpu_us_per_tuple"] == pytest.approx(200.0)
    assert rows[3]["total_cpu_us_per_tuple"] == pytest.approx(20.0)
    results = {
        "meta": {
            "date": "2026-12-06 03:00 UTC",
            "command": "bench/cluster.py --serializer-rows",
            "elapsed_s": 600.0,
            "machine": {"cpu": "cpu", "cores": 2},
            "storm_version": "2.8.3",
            "load_before": "3.1 2.0 1.0",
            "load_after": "2.9 2.5 1.5",
            "warmup": 30.0,
            "window": 60.0,
        },
        "runs": rows,
    }
    text = cluster.render_serializer_rows(results)
    assert text.startswith(cluster.SERIALIZER_MARK_START)
    assert text.rstrip().endswith(cluster.SERIALIZER_MARK_END)
    assert cluster.MARK_START not in text  # never the quiet-machine section
    assert "load average before / after 3.1 2.0 1.0 / 2.9 2.5 1.5" in text
    lines = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ")}
    assert "| 200.0 | 1.00" + cluster.TIMES in lines["| stormbridge (Storm's JsonSerializer)"]
    assert "| 150.0 | 0.75" + cluster.TIMES in lines["| stormbridge + own serializer"]
    assert (
        "| — | 20.0 | 20.0 | 0.10" + cluster.TIMES
        in lines["| the same word count as Java spout and bolts"]
    )
