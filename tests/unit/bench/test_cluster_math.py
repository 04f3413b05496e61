"""The cluster benchmark's arithmetic and its doc section handling (no cluster needed).

The rate must come from the first to the last statistics *update* inside the window, not
from the window's ends: the UI's counts move in steps every ``metrics_secs``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture
def bench() -> Iterator[tuple[ModuleType, ModuleType]]:
    sys.path.insert(0, str(BENCH))
    try:
        common = importlib.import_module("common")
        cluster = importlib.import_module("cluster")
        yield cluster, common
    finally:
        sys.path.remove(str(BENCH))
        for name in ("cluster", "common"):  # generic names: do not leak them to other tests
            sys.modules.pop(name, None)


def _samples(cluster: ModuleType, points: list[tuple[float, int, float]]) -> list[object]:
    return [
        cluster.Sample(
            t=t,
            spout_acked=acked,
            spout_failed=0,
            bolt_acked=acked,
            bolt_executed=acked,
            complete_latency_ms=1.5,
            python_cpu=cpu,
            worker_cpu=2 * cpu,
        )
        for t, acked, cpu in points
    ]


def test_rate_uses_the_span_between_statistics_updates(
    bench: tuple[ModuleType, ModuleType],
) -> None:
    cluster, _ = bench
    # counts step every 5 s (at t=3, 8, 13); polls every second from t=0 to t=15
    steps = {3: 1000, 8: 6000, 13: 11000}
    points = []
    acked = 500
    for t in range(16):
        acked = steps.get(t, acked)
        points.append((float(t), acked, 0.1 * t))
    m = cluster.Measurement(impl="stormbridge", topology="bench-stormbridge")
    m.samples = _samples(cluster, points)
    m.processes = {"python": [1, 2, 3], "worker": [4]}
    s = m.summary()
    assert s["span_seconds"] == 10.0
    assert s["acked"] == 10000
    assert s["acked_per_second"] == 1000.0
    assert s["python_cpu_seconds"] == pytest.approx(1.0)
    assert s["python_cpu_share"] == pytest.approx(0.1)
    assert s["worker_cpu_share"] == pytest.approx(0.2)
    assert s["python_cpu_us_per_tuple"] == pytest.approx(100.0)
    assert s["python_processes"] == 3


def test_too_few_updates_is_an_error(bench: tuple[ModuleType, ModuleType]) -> None:
    cluster, common = bench
    m = cluster.Measurement(impl="pystorm", topology="bench-pystorm")
    m.samples = _samples(cluster, [(0.0, 5, 0.0), (1.0, 5, 0.1), (2.0, 9, 0.2)])
    with pytest.raises(common.BenchError, match="changed fewer than twice"):
        m.summary()


def test_doc_sections_replace_only_their_own_text(
    bench: tuple[ModuleType, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cluster, common = bench
    doc = tmp_path / "benchmarks.md"
    monkeypatch.setattr(common, "DOC", doc)
    common.write_doc("<!-- a:start -->\nA1\n<!-- a:end -->\n", "<!-- a:start -->", "<!-- a:end -->")
    common.write_doc("<!-- b:start -->\nB1\n<!-- b:end -->\n", "<!-- b:start -->", "<!-- b:end -->")
    common.write_doc("<!-- a:start -->\nA2\n<!-- a:end -->\n", "<!-- a:start -->", "<!-- a:end -->")
    text = doc.read_text()
    assert text.startswith("# Benchmarks")
    assert "A2" in text and "A1" not in text and "B1" in text
    assert text.index("A2") < text.index("B1")
    assert text.count("<!-- a:start -->") == 1
