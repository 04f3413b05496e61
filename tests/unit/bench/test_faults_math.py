"""The fault matrix's bookkeeping (no cluster needed): the sink read incrementally, and the ack
pause a fault caused, from samples of the spout's durable ack count."""

from __future__ import annotations

import importlib
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture
def faults() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("faults")
    finally:
        sys.path.remove(str(BENCH))


def _insert(path: Path, ids: list[int]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS seen (id INTEGER, label TEXT, pid INTEGER)")
        db.executemany("INSERT INTO seen VALUES (?, '', 1)", [(i,) for i in ids])


def test_sink_counts_distinct_duplicates_and_foreign_ids_incrementally(
    faults: ModuleType, tmp_path: Path
) -> None:
    sink = faults.Sink(tmp_path, 10)
    assert sink.poll() == 0  # no database yet
    _insert(tmp_path / "sink-3.db", [0, 1, 2])
    _insert(tmp_path / "sink-4.db", [2, 5])
    assert sink.poll() == 4
    assert (sink.rows, sink.duplicates, sink.foreign) == (5, 1, 0)
    _insert(tmp_path / "sink-3.db", [5, 9, 12])  # only the new rows are read again
    assert sink.poll() == 5
    assert (sink.rows, sink.duplicates, sink.foreign) == (8, 3, 1)
    assert [i for i, flag in enumerate(sink.seen) if flag] == [0, 1, 2, 5, 9]


def test_pause_around_finds_the_stretch_without_acks_a_fault_caused(
    faults: ModuleType, tmp_path: Path
) -> None:
    sampler = faults.AckSampler(tmp_path, interval=0.5)
    counts = [10, 20, 30, 30, 30, 30, 30, 30, 30, 30, 40, 50, 50, 60]
    sampler.samples = [(100 + 0.5 * i, c) for i, c in enumerate(counts)]
    # acks grew at t=101.0 and next at t=105.0: a 4 s pause, over 4.5 s after a fault at 100.5
    assert sampler.pause_around(100.5, 101.0) == (4.0, 4.5)
    # a fault long after it: no pause overlaps, and the 1 s gap at the end is noise
    assert sampler.pause_around(105.6, 106.0) == (0.0, 0.0)
