"""The cluster benchmark's rows: one run with every main row, ratios to streamparse and the
Java limit, the extra rows (bolt parallelism, larger tuples), CPU time per tuple."""

from __future__ import annotations

import argparse
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


def _run(
    cluster: ModuleType,
    impl: str,
    acked: int,
    python_cpu: float,
    worker_cpu: float,
    *,
    par: int = 2,
    tuple_bytes: int = 0,
    rate: int = 0,
    pending: int = 0,
) -> dict[str, Any]:
    m = cluster.Measurement(
        impl=impl,
        topology=cluster.TOPOLOGY_NAMES[impl],
        par=par,
        tuple_bytes=tuple_bytes,
        rate=rate,
        pending=pending,
    )
    # The UI's latency is an all-time mean: 10 ms over the first 1000 trees (start-up), 2.5 ms
    # over everything at the end; the window's own mean is what the row shows.
    m.samples = [
        cluster.Sample(0.0, 0, 0, 0, 0, None, 0.0, 0.0),
        cluster.Sample(1.0, 1000, 0, 1000, 1000, 10.0, 0.0, 0.0),
        cluster.Sample(11.0, 1000 + acked, 0, acked, acked, 2.5, python_cpu, worker_cpu),
    ]
    return dict(m.summary())


def test_plan_runs_every_main_row_then_the_extra_rows(cluster: ModuleType) -> None:
    def args(**kw: Any) -> argparse.Namespace:
        base = dict(
            only=None,
            par=2,
            scaling_par=1,
            big_tuple_bytes=1024,
            paced_rate=[4000, 12000],
            pending_row=[100],
            paced_only=False,
        )
        return argparse.Namespace(**{**base, **kw})

    Row = cluster.Row
    plan = cluster.run_plan(args())
    assert plan[:5] == [Row(impl, 2) for impl in cluster.ALL_IMPLS]
    assert Row("stormbridge-batched", 1) in plan and Row("pystorm", 1) in plan
    assert Row("java", 2, 1024) in plan and Row("stormbridge-batched", 2, 1024) in plan
    assert Row("stormbridge-batched", 2, 0, 0, 100) in plan
    paced = [Row(impl, 2, 0, rate) for rate in (4000, 12000) for impl in cluster.PACED_IMPLS]
    assert plan[-len(paced) :] == paced
    only = ["java", "pystorm"]
    assert cluster.run_plan(args(only=only)) == [Row("java", 2), Row("pystorm", 2)]
    paced_only = cluster.run_plan(args(only=only, paced_only=True, paced_rate=[4000]))
    assert paced_only == [Row("java", 2, 0, 4000), Row("pystorm", 2, 0, 4000)]
    plan = cluster.run_plan(args(scaling_par=0, big_tuple_bytes=0, paced_rate=[], pending_row=[]))
    assert len(plan) == len(cluster.ALL_IMPLS)


def test_a_paced_row_runs_only_below_its_flat_out_maximum(cluster: ModuleType) -> None:
    # acked over the 10 s window: 5,000 and 90,000 tuples/s
    runs = [_run(cluster, "pystorm", 50000, 1.0, 1.0), _run(cluster, "java", 900000, 0.0, 1.0)]
    assert cluster.can_offer(cluster.Row("pystorm", 2, 0, 4000), runs)
    assert not cluster.can_offer(cluster.Row("pystorm", 2, 0, 12000), runs)
    assert cluster.can_offer(cluster.Row("java", 2, 0, 12000), runs)
    # no flat-out row of that runtime in the run: nothing to judge by, it runs
    assert cluster.can_offer(cluster.Row("stormbridge", 2, 0, 12000), runs)
    assert cluster.can_offer(cluster.Row("pystorm", 2), runs)


def test_the_section_has_the_main_rows_ratios_and_extra_rows(cluster: ModuleType) -> None:
    rows = [
        _run(cluster, "pystorm", 10000, 3.0, 1.0),  # 300 + 100 µs per tuple
        _run(cluster, "stormbridge", 20000, 1.0, 1.0),
        _run(cluster, "stormbridge-own", 25000, 1.0, 0.5),
        _run(cluster, "stormbridge-batched", 50000, 0.5, 1.0),
        _run(cluster, "java", 90000, 0.0, 1.8),
        _run(cluster, "stormbridge-batched", 30000, 0.3, 0.6, par=1),
        _run(cluster, "java", 60000, 0.0, 1.2, tuple_bytes=1024),
        _run(cluster, "stormbridge-batched", 20000, 0.2, 0.2, pending=100),
        _run(cluster, "stormbridge", 4000, 0.4, 0.4, rate=4000),
        _run(cluster, "stormbridge-batched", 4000, 0.1, 0.2, rate=4000),
    ]
    assert rows[0]["total_cpu_us_per_tuple"] == pytest.approx(400.0)
    assert rows[3]["worker_cpu_us_per_tuple"] == pytest.approx(20.0)
    results = {
        "meta": {
            "date": "2026-12-06 05:00 UTC",
            "command": "bench/cluster.py",
            "elapsed_s": 900.0,
            "machine": {"cpu": "cpu", "cores": 2},
            "storm_version": "2.8.3",
            "load_before": "3.1 2.0 1.0",
            "load_after": "2.9 2.5 1.5",
            "warmup": 15.0,
            "window": 30.0,
            "max_spout_pending": 1000,
            "metrics_secs": 5,
            "par": 2,
        },
        "runs": rows,
    }
    text = cluster.render(results)
    assert text.startswith(cluster.MARK_START) and text.rstrip().endswith(cluster.MARK_END)
    assert "load average before / after: 3.1 2.0 1.0 / 2.9 2.5 1.5" in text
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    main = {line.split(" | ")[0]: line for line in lines[:6]}
    batched = main["| " + cluster.ROW_NAMES["stormbridge-batched"]]
    # (2.5 ms * 51,000 - 10 ms * 1,000) / 50,000 trees in the window
    assert "| **5,000** | 5.00" + cluster.TIMES + " | 2.35 ms | 10.0 | 20.0 | 30.0 |" in batched
    java = main["| " + cluster.ROW_NAMES["java"]]
    assert "| — | 20.0 | 20.0 |" in java
    assert "acks 1.80" + cluster.TIMES + " the batched row's" in text
    extra = lines[-6:-3]
    assert extra[0].endswith("| 1 | word | 1,000 | 3,000 | 2.25 ms | 10.0 | 20.0 |")
    late = f"{(2.5 * 61000 - 10000) / 60000:.2f}"
    assert extra[1].endswith(f"| 2 | 1024 | 1,000 | 6,000 | {late} ms | — | 20.0 |")
    assert "| 2 | word | 100 | 2,000 |" in extra[2]
    assert "(`--paced-rate`;" in text
    paced = lines[-2:]
    assert paced[0].startswith("| " + cluster.ROW_NAMES["stormbridge"] + " | 4,000 | 400 |")
    assert paced[1].endswith(f"| 400 | **{(2.5 * 5000 - 10000) / 4000:.2f} ms** | 25.0 | 50.0 |")
