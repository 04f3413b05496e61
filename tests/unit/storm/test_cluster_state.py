"""The cluster state directory: record round trip, corrupt files, locks, process checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stormbridge.errors import ClusterError
from stormbridge.storm.state import (
    ClusterRecord,
    DaemonRecord,
    default_state_dir,
    group_members,
    load_record,
    locked,
    pid_alive,
    processes_mentioning,
    remove_record,
    save_record,
    stop_in_tiers,
)


def _record(state: Path) -> ClusterRecord:
    return ClusterRecord(
        state_dir=str(state), log_dir=str(state / "logs"), storm_home="/h", storm_version="2.8.3",
        host="127.0.0.1", nimbus_port=6627, zookeeper_port=2181, ui_port=8080,
        logviewer_port=None, supervisors=1, slots=2, started_at=1.5,
        daemons=[DaemonRecord(name="nimbus", pid=42, pgid=42, ports={"thrift": 6627},
                              log="/l/nimbus.log", out="/l/nimbus.out", command=["java"])],
        notes=["logviewer: not started"],
    )  # fmt: skip


def test_record_round_trip(tmp_path: Path) -> None:
    record = _record(tmp_path)
    save_record(tmp_path, record)
    loaded = load_record(tmp_path)
    assert loaded == record
    assert loaded is not None
    assert loaded.ui_url == "http://127.0.0.1:8080"
    assert loaded.daemon("nimbus") == record.daemons[0]
    assert loaded.daemon("ui") is None
    remove_record(tmp_path)
    assert load_record(tmp_path) is None
    remove_record(tmp_path)  # twice is fine


def test_corrupt_state_file_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(ClusterError, match="delete it"):
        load_record(tmp_path)


def test_default_state_dir_honours_env(tmp_path: Path) -> None:
    assert default_state_dir({"STORMBRIDGE_STATE": str(tmp_path)}) == tmp_path
    xdg = default_state_dir({"XDG_STATE_HOME": "/x"})
    assert xdg == Path("/x/stormbridge/cluster")


def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from stormbridge.storm.state import locked\n"
        "try:\n    with locked(Path(sys.argv[1])): print('got it')\n"
        "except Exception as e: print(type(e).__name__, e)\n"
    )
    with locked(tmp_path):
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
            timeout=60, check=True,
        ).stdout  # fmt: skip
    assert out.startswith("ClusterError another `sparse cluster` command")
    again = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60,
        check=True,
    ).stdout  # fmt: skip
    assert again.strip() == "got it"


def test_pid_alive_sees_zombies_and_reaps_as_dead(tmp_path: Path) -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(0)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    # Until reaped it is a zombie: pid_alive must still say dead (and it reaps it).
    while pid_alive(proc.pid):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.wait(timeout=30)


def test_group_members_and_processes_mentioning(tmp_path: Path) -> None:
    marker = str(tmp_path / "state-marker")
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time, sys; time.sleep(60)", marker],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while proc.pid not in group_members(proc.pid):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert processes_mentioning(marker) == [proc.pid]
        assert processes_mentioning(str(tmp_path / "other")) == []
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert processes_mentioning(marker) == []


def test_stop_in_tiers_stops_front_ends_first_and_kills_what_ignores_sigterm() -> None:
    # Real process groups: "h1/zookeeper" ignores SIGTERM, so it takes the grace period and
    # a SIGKILL; the others stop on SIGTERM in the order of the tiers.
    ignore = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    plain = "import time; print('ready', flush=True); time.sleep(60)"
    procs = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-c",
                (ignore if name.endswith("zookeeper") else "") + plain,
            ],
            start_new_session=True,
            stdout=subprocess.PIPE,
        )
        for name in ("h1/zookeeper", "nimbus", "h0/supervisor-0", "ui")
    }
    for p in procs.values():
        assert p.stdout is not None and p.stdout.readline() == b"ready\n"  # handler in place
    daemons = [
        DaemonRecord(name=n, pid=p.pid, pgid=p.pid, ports={}, log="", out="", command=[])
        for n, p in procs.items()
    ]
    said: list[str] = []
    try:
        stop_in_tiers(
            daemons, (("ui", "supervisor-"), ("nimbus",), ("zookeeper",)), said.append, 1.0
        )
        end = time.monotonic() + 10  # SIGKILL is sent, not waited for: callers check later
        while (alive := [n for n, p in procs.items() if pid_alive(p.pid)]) and (
            time.monotonic() < end
        ):
            time.sleep(0.05)
    finally:
        for p in procs.values():
            p.kill()
            p.wait()
            if p.stdout is not None:
                p.stdout.close()
    assert said == [
        "stopping h0/supervisor-0, ui",
        "stopping nimbus",
        "stopping h1/zookeeper",
        "  h1/zookeeper did not stop within 1 s: SIGKILL",
    ]
    assert alive == []
