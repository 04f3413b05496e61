"""Faults on the real single-host cluster: SIGKILL a Python bolt and the Python spout of a
running topology and lose no id (issue 10's fault matrix, CI-sized; bench/faults.py runs more).

The topology is examples/reliable: a reliable spout emitting ids 0..N-1 with message ids
(replay on fail, durable acks in SQLite, bounded pending), a transform bolt and a sink bolt
recording every id in SQLite. Killing a Python component makes Storm halt its worker; the
supervisor starts a new one, and the spout replays every id not acked yet. Duplicates are
allowed (at-least-once) and counted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stormbridge.cli.main import main
from stormbridge.thrift.nimbus import NimbusClient

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "reliable"
IDS = 3000
RATE = 150  # ids per second: about 20 s of emitting, so that the kills land mid-run
NAME = "it-faults"


def seen(directory: Path) -> tuple[int, set[int]]:
    """(rows, distinct ids) over every sink task's database."""
    rows, ids = 0, set()
    for path in sorted(directory.glob("sink-*.db")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            for (value,) in db.execute("SELECT id FROM seen"):
                rows += 1
                ids.add(int(value))
        except sqlite3.OperationalError:  # created, table not there yet
            pass
        finally:
            db.close()
    return rows, ids


def pids(directory: Path, component: str) -> dict[str, int]:
    out = {}
    for path in directory.glob(f"pid-{component}-*"):
        if path.suffix != ".tmp":
            out[path.name] = int(path.read_text())
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def poll(what: str, check: Callable[[], Any], deadline: float, interval: float = 0.5) -> Any:
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what}: not reached within {deadline:g} s (last: {last!r})")


@pytest.fixture
def project(storm_cluster: Any, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    root = tmp_path / "reliable"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", "config.json"))
    data = tmp_path / "data"
    data.mkdir()
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {
            "it": {
                "nimbus": storm_cluster.nimbus,
                "options": {
                    "topology.workers": 1,
                    "topology.acker.executors": 1,
                    "topology.max.spout.pending": 200,
                    "topology.message.timeout.secs": 20,
                    "reliable.ids": IDS,
                    "reliable.rate": RATE,
                    "reliable.max_pending": 200,
                    "reliable.dir": str(data),
                },
            }
        },
    }
    (root / "config.json").write_text(json.dumps(config))
    yield root / "config.json", data
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port, timeout=30) as nimbus:
        if NAME in {t.name for t in nimbus.topologies()}:
            nimbus.kill(NAME, wait_secs=0, wait=True, deadline=120)


def kill_one(data: Path, component: str) -> tuple[int, dict[str, int]]:
    """SIGKILL one live process of ``component``; (its pid, the pid files seen before)."""
    before = poll(
        f"a live {component}",
        lambda: {k: p for k, p in pids(data, component).items() if alive(p)},
        120,
    )
    victim = sorted(before.values())[0]
    os.kill(victim, signal.SIGKILL)
    return victim, before


def restarted(data: Path, component: str, before: dict[str, int]) -> bool:
    now = pids(data, component)
    return any(now.get(k) not in (None, p) and alive(now[k]) for k, p in before.items())


def test_killing_a_bolt_and_the_spout_loses_no_id(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = project
    started = time.monotonic()
    assert main(["submit", "-e", "it", "-n", "reliable", "-N", NAME, "--config", str(config),
                 "--timeout", "60"]) == 0, capsys.readouterr().err  # fmt: skip

    poll("400 ids recorded", lambda: len(seen(data)[1]) >= 400, 240)
    bolt, bolts = kill_one(data, "transform_bolt")
    at_bolt_kill = len(seen(data)[1])
    poll("the transform bolt restarted", lambda: restarted(data, "transform_bolt", bolts), 180)

    poll("1500 ids recorded", lambda: len(seen(data)[1]) >= 1500, 240)
    spout, spouts = kill_one(data, "id_spout")
    at_spout_kill = len(seen(data)[1])
    poll("the spout restarted", lambda: restarted(data, "id_spout", spouts), 180)

    poll(f"all {IDS} ids recorded", lambda: len(seen(data)[1]) >= IDS, 300, interval=1.0)
    rows, ids = seen(data)
    lost = set(range(IDS)) - ids
    assert not lost, f"{len(lost)} ids lost, e.g. {sorted(lost)[:10]}"
    assert ids == set(range(IDS))
    duplicates = rows - len(ids)
    with sqlite3.connect(data / "spout-0.db") as db:
        starts = db.execute("SELECT pid, acked, todo FROM starts").fetchall()
    # started, then again after each kill (the bolt's death halts the spout's worker too),
    # each time replaying exactly what was not acked
    assert len(starts) >= 3, starts
    assert starts[0] == (starts[0][0], 0, IDS)
    assert all(0 < acked < IDS and acked + todo == IDS for _, acked, todo in starts[1:]), starts
    with capsys.disabled():
        print(
            f"\n[faults] {IDS} ids, bolt pid {bolt} killed at {at_bolt_kill} recorded, spout pid "
            f"{spout} killed at {at_spout_kill}: 0 lost, {duplicates} duplicates, "
            f"{time.monotonic() - started:.0f} s, spout starts (pid, acked, to emit): {starts}"
        )
