"""`sparse cluster up | status | down` on real Storm daemons (not the session fixture: these
tests start and stop clusters of their own, on ports of their own)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import ClusterError, StormHomeError
from stormbridge.storm.config import ClusterSpec
from stormbridge.storm.daemons import start_cluster, stop_cluster
from stormbridge.storm.health import check_port_free
from stormbridge.storm.home import StormHome, provision, resolve_home
from stormbridge.storm.state import group_members, load_record, pid_alive
from stormbridge.ui.client import UIClient

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def home() -> StormHome:
    try:
        return resolve_home()
    except StormHomeError:  # not provisioned yet
        return provision()


def _free_offset(first: int) -> int:
    for offset in range(first, first + 3000, 150):
        spec = ClusterSpec(port_offset=offset, slots=2)
        try:
            for port in spec.ports.all():
                check_port_free(spec.host, port, "test")
        except ClusterError:
            continue
        return offset
    pytest.fail("no free port range for a test cluster")


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    yield state
    # Whatever a test did, leave nothing running.
    with contextlib.suppress(ClusterError):
        stop_cluster(state, grace=10.0)


def _ps_mentions(text: str) -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pid=,args="], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    me = str(os.getpid())
    return [ln for ln in out.splitlines() if text in ln and ln.split()[0] != me]


def _poll(what: str, check: object, deadline: float) -> object:
    assert callable(check)
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(2.0)
    pytest.fail(f"{what}: not reached within {deadline:g} s")


def test_up_status_second_up_down(
    home: StormHome, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offset = _free_offset(21000)
    up = ["cluster", "up", "--state-dir", str(state_dir), "--port-offset", str(offset)]
    assert main([*up, "--metrics-interval", "5", "--timeout", "240"]) == 0
    out = capsys.readouterr().out
    record = load_record(state_dir)
    assert record is not None
    assert f"nimbus     127.0.0.1:{6627 + offset}" in out

    # status: every daemon alive, listening and answering
    assert main(["cluster", "status", "--state-dir", str(state_dir), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["healthy"] is True
    names = {d["name"] for d in status["daemons"]}
    assert {"zookeeper", "nimbus", "supervisor-0", "ui"} <= names
    assert all(d["alive"] and d["ports_open"] for d in status["daemons"])

    # the UI REST API sees the cluster: 1 supervisor, 2 slots
    assert record.ui_url == f"http://127.0.0.1:{8080 + offset}"
    summary = UIClient(record.ui_url).cluster_summary()
    assert summary.supervisors == 1
    assert summary.slots_total == 2
    leaders = [n for n in UIClient(record.ui_url).nimbus_summary() if n.is_leader]
    assert len(leaders) == 1

    # ZooKeeper, Nimbus, the supervisor's Thrift server and the UI listen on loopback only
    for port in (2181, 6627, 6628, 8080):
        assert _listens_on_loopback_only(port + offset), port

    # a second `up` refuses, naming the state dir and `sparse cluster down`
    assert main([*up]) == 1
    err = capsys.readouterr().err
    assert "already running" in err
    assert str(state_dir) in err
    assert f"sparse cluster down --state-dir {state_dir}" in err

    pids = [d.pid for d in record.daemons]
    assert main(["cluster", "down", "--state-dir", str(state_dir)]) == 0
    assert not [p for p in pids if pid_alive(p)]
    assert _ps_mentions(str(state_dir)) == []
    assert load_record(state_dir) is None
    # status after down: nothing recorded, exit 1
    assert main(["cluster", "status", "--state-dir", str(state_dir)]) == 1


def _listens_on_loopback_only(port: int) -> bool:
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    addrs = [ln.split()[3] for ln in out.splitlines() if ln.strip()]
    return bool(addrs) and all(a.startswith("127.0.0.1:") for a in addrs)


def test_down_kills_workers_and_python_components(
    home: StormHome, state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A running topology's worker JVM and Python subprocesses die with `down`."""
    offset = _free_offset(22500)
    spec = ClusterSpec(state_dir=state_dir, port_offset=offset, metrics_secs=5, logviewer=False)
    record = start_cluster(spec, home, timeout=240.0)
    project = tmp_path / "wc"
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", project / "topologies")
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {
            "it": {
                "nimbus": f"127.0.0.1:{record.nimbus_port}",
                "ui.host": "127.0.0.1",
                "ui.port": record.ui_port,
                "options": {"topology.workers": 1, "topology.max.spout.pending": 100},
            }
        },
    }
    (project / "config.json").write_text(json.dumps(config))
    argv = ["submit", "-n", "wordcount", "-N", "it-down", "--config", str(project / "config.json")]
    assert main(argv) == 0, capsys.readouterr().err
    supervisor = record.daemon("supervisor-0")
    assert supervisor is not None

    def python_children() -> list[int]:
        members = group_members(supervisor.pgid)
        return [p for p in members if b"python" in Path(f"/proc/{p}/cmdline").read_bytes()]

    children = _poll("Python components running under the supervisor", python_children, 240)
    assert isinstance(children, list)
    group = group_members(supervisor.pgid)
    assert len(group) > 2  # supervisor + LogWriter/worker JVMs + Python components

    stop_cluster(state_dir, grace=30.0)
    assert not [p for p in group if pid_alive(p)]
    assert _ps_mentions(str(state_dir)) == []


def test_port_taken_is_a_clear_error_and_nothing_starts(
    home: StormHome, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offset = _free_offset(23500)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 6627 + offset))
        squatter.listen()
        argv = ["cluster", "up", "--state-dir", str(state_dir), "--port-offset", str(offset)]
        assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"port {6627 + offset} for nimbus" in err
    assert "--port-offset" in err
    assert load_record(state_dir) is None
    assert _ps_mentions(str(state_dir)) == []


def test_daemon_that_dies_is_reported_and_the_rest_cleaned_up(
    home: StormHome, state_dir: Path
) -> None:
    """Nimbus rejects a malformed setting and exits: `up` says so, with its log, and stops
    ZooKeeper, which had already started."""
    offset = _free_offset(24500)
    spec = ClusterSpec(
        state_dir=state_dir,
        port_offset=offset,
        extra_conf={"nimbus.thrift.threads": "not-a-number"},
    )
    with pytest.raises(ClusterError) as info:
        start_cluster(spec, home, timeout=180.0)
    message = str(info.value)
    assert "nimbus exited during start-up" in message
    assert "nimbus.log" in message
    assert load_record(state_dir) is None
    assert _ps_mentions(str(state_dir)) == []
