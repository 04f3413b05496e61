"""`sparse stats --watch` against our real UI server in front of the in-process FakeNimbus,
whose counts grow by 1000 a second: rates per second, capacity, plain tables when piped and a
table redrawn in place in a real pty. Also the rates arithmetic (RateTracker)."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stormbridge.cli.main import main
from stormbridge.testing.nimbus import FakeNimbus
from stormbridge.thrift import storm_thrift
from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.rates import ComponentRow, RateTracker
from stormbridge.ui.server import make_server

from .test_nimbus_commands import make_wordcount
from .test_progress import run_in_pty

PER_SECOND = 1000


def _windows(value: dict[Any, Any]) -> dict[str, dict[Any, Any]]:
    return {w: dict(value) for w in ("600", "10800", "86400", ":all-time")}


def executor_stats(count: int) -> dict[str, Any]:
    """Spout and bolt stats with ``count`` tuples (1 % failed), bolt capacity 0.5."""
    t = storm_thrift()
    spout = t.ExecutorStats(
        emitted=_windows({"default": count}),
        transferred=_windows({"default": count}),
        specific=t.ExecutorSpecificStats(
            spout=t.SpoutStats(
                acked=_windows({"default": count - count // 100}),
                failed=_windows({"default": count // 100}),
                complete_ms_avg=_windows({"default": 2.5}),
            )
        ),
        rate=1.0,
    )
    g = t.GlobalStreamId(componentId="word_spout", streamId="default")
    bolt = t.ExecutorStats(
        emitted=_windows({"default": count}),
        transferred=_windows({"default": count}),
        specific=t.ExecutorSpecificStats(
            bolt=t.BoltStats(
                acked=_windows({g: count}),
                failed=_windows({g: 0}),
                process_ms_avg=_windows({g: 0.25}),
                executed={**_windows({g: count}), "600": {g: 100}},
                execute_ms_avg=_windows({g: 5.0}),  # 100 x 5 ms in 1 s of uptime: 0.5
            )
        ),
        rate=1.0,
    )
    return {"word_spout": spout, "count_bolt": bolt}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Path]:
    """FakeNimbus running the word count (counts growing), our UI in front; the config."""
    with FakeNimbus() as nimbus:
        host, port = nimbus.address
        ui = make_server(NimbusBackend([(host, port)], timeout=10.0), "127.0.0.1", 0)
        serving = threading.Thread(target=ui.serve_forever, kwargs={"poll_interval": 0.05})
        serving.start()
        stop = threading.Event()
        try:
            config = make_wordcount(
                tmp_path / "wc", f"{host}:{port}", **{"ui.port": ui.server_address[1]}
            )
            assert main(["submit", "--config", str(config), "--wait", "0"]) == 0
            topo = nimbus.topologies["wordcount"]
            start = time.monotonic()

            def grow() -> None:
                while not stop.is_set():
                    topo.stats = executor_stats(int((time.monotonic() - start) * PER_SECOND))
                    stop.wait(0.05)

            grower = threading.Thread(target=grow, daemon=True)
            grower.start()
            yield config
        finally:
            stop.set()
            ui.shutdown()
            ui.server_close()
            serving.join(timeout=10)


def test_watch_piped_prints_plain_tables_with_rates(
    cluster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["stats", "--config", str(cluster), "--watch", "0.5", "--iterations", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    blocks = [b for b in out.strip().split("\n\n") if b]
    assert len(blocks) == 4
    header, _rule, *rows = blocks[-1].splitlines()[1:]
    assert header.split() == [
        "component", "type", "executors", "emitted", "emitted/s", "acked/s", "failed/s",
        "capacity", "latency", "ms",
    ]  # fmt: skip
    lines = {r.split()[0]: r for r in rows}
    spout, bolt = lines["word_spout"].split(), lines["count_bolt"].split()
    emitted_rate, acked_rate, failed_rate = (float(x) for x in spout[4:7])
    assert 600 < emitted_rate < 1400, out  # 1000 a second
    assert 0.9 * emitted_rate < acked_rate < emitted_rate
    assert 0 < failed_rate < 0.02 * emitted_rate
    assert spout[7] == "-"  # spouts have no capacity
    assert bolt[7] == "0.5"  # capacity
    first = blocks[0].splitlines()
    assert re.match(r"\[\d\d:\d\d:\d\d\] wordcount \(wordcount-\d+-\d+\): ACTIVE", first[0])
    assert first[3].split()[4:7] == ["-", "-", "-"]  # one sample: no rate yet
    # aligned: every right-aligned column ends where its header ends
    end = header.index("emitted/s") + len("emitted/s")
    assert all(r[:end].endswith(r.split()[4]) for r in rows)


def test_watch_in_a_terminal_redraws_in_place(cluster: Path) -> None:
    argv = [
        sys.executable, "-m", "stormbridge.cli.main", "stats", "--config", str(cluster),
        "--watch", "0.5", "--iterations", "3",
    ]  # fmt: skip
    code, out = run_in_pty(argv)
    assert code == 0, out
    assert "┃" in out and "component" in out  # a rich table
    assert "rates over the last minute; Ctrl-C stops" in out
    assert "\x1b[" in out  # colours and cursor movement
    assert re.search(r"\x1b\[\d*A", out), "the table is not redrawn in place"
    assert "count_bolt" in out and "0.500" in out


def test_watch_refuses_component_and_iterations_alone(
    cluster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--config", str(cluster), "--watch", "-c", "count_bolt"]) == 1
    assert "--watch shows one topology's components" in capsys.readouterr().err
    assert main(["stats", "--config", str(cluster), "--iterations", "2"]) == 1
    assert "--iterations goes with --watch" in capsys.readouterr().err
    assert main(["stats", "--config", str(cluster), "--watch", "0"]) == 2


def row(count: int, name: str = "s") -> list[ComponentRow]:
    counts = {"emitted": count, "acked": count // 2, "failed": 0}
    return [ComponentRow(name, "spout", 1, counts, None, None)]


def test_rate_tracker_spans_steps_and_restarts() -> None:
    tracker = RateTracker(span=10)
    assert tracker.rates("s") is None
    tracker.add(0.0, row(0))
    assert tracker.rates("s") is None
    tracker.add(1.0, row(0))  # Storm has not refreshed yet
    tracker.add(2.0, row(200))  # a step of 200 after 2 s
    assert tracker.rates("s") == {"emitted": 100.0, "acked": 50.0, "failed": 0.0}
    for t in range(3, 30):
        tracker.add(float(t), row(100 * t))
    assert tracker.rates("s") == {"emitted": 100.0, "acked": 50.0, "failed": 0.0}
    tracker.add(30.0, row(5))  # restarted: counts went down
    assert tracker.rates("s") is None
    with pytest.raises(ValueError):
        RateTracker(span=0)
