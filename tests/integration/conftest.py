"""Fixtures for tests against real Apache Storm.

``storm_cluster`` (session scope) starts one real single-host cluster for the whole test
session — ZooKeeper, Nimbus, 1 supervisor with 2 slots, the UI — on loopback, on ports moved
by an offset so it never collides with a user's own cluster (default ports + 20000, or
``$STORMBRIDGE_TEST_PORT_OFFSET``; the next offsets are tried if a port is taken), with
statistics every 5 s at sample rate 1.0 and its own state and log directories under the
session's tmp dir. It is stopped at the end, and the session fails if any of its processes
(daemons, worker JVMs, Python components) is left. When a test that used it failed, the tail
of every daemon log and worker log is printed.

Use it like::

    def test_something(storm_cluster: StormCluster) -> None:
        client = NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port)
        UIClient(storm_cluster.ui_url).cluster_summary()

Fields of :class:`StormCluster`: ``nimbus_host``, ``nimbus_port``, ``nimbus`` ("host:port"),
``ui_url`` ("http://127.0.0.1:28080"), ``zookeeper_port``, ``storm_home`` (Path),
``storm_version``, ``log_dir`` (daemon logs; worker logs under ``workers-artifacts/``),
``state_dir``, ``slots``, ``metrics_secs``; ``worker_logs()`` lists worker log files and
``log_tail()`` returns the tail of all logs as text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stormbridge.errors import ClusterError, ConfigError, NimbusUnreachableError, StormHomeError
from stormbridge.storm.config import ClusterSpec
from stormbridge.storm.daemons import revive_daemons, start_cluster, stop_cluster
from stormbridge.storm.health import check_port_free, nimbus_view
from stormbridge.storm.home import StormHome, provision, resolve_home
from stormbridge.storm.state import ClusterRecord

#: Tests that used the cluster and failed (their node ids), for the log dump at the end.
_FAILED_KEY = pytest.StashKey[list[str]]()

TEST_METRICS_SECS = 5
TEST_SLOTS = 2


@dataclass(frozen=True)
class StormCluster:
    """A running real Storm cluster (see the module docstring)."""

    nimbus_host: str
    nimbus_port: int
    ui_url: str
    zookeeper_port: int
    storm_home: Path
    storm_version: str
    log_dir: Path
    state_dir: Path
    slots: int
    metrics_secs: int
    record: ClusterRecord
    spec: ClusterSpec

    @property
    def nimbus(self) -> str:
        return f"{self.nimbus_host}:{self.nimbus_port}"

    def worker_logs(self) -> list[Path]:
        root = self.log_dir / "workers-artifacts"
        return sorted(root.rglob("worker.log*")) if root.is_dir() else []

    def log_tail(self, lines: int = 40) -> str:
        parts: list[str] = []
        files = sorted(self.log_dir.glob("*.log")) + sorted(self.log_dir.glob("*.out"))
        for path in [*files, *self.worker_logs()]:
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            parts.append(f"===== {path} (last {lines} lines) =====")
            parts.extend(text)
        return "\n".join(parts)


def _storm_home() -> StormHome:
    try:
        return resolve_home()
    except StormHomeError:
        return provision(progress=lambda msg: print(f"[storm_cluster] {msg}"))


def _free_spec(base: Path, first: int) -> ClusterSpec:
    """A spec whose ports are all free, trying a few offsets from ``first``."""
    errors: list[str] = []
    for offset in range(first, first + 3000, 300):
        spec = ClusterSpec(
            state_dir=base / f"state-{offset}",
            log_dir=base / f"logs-{offset}",
            supervisors=1,
            slots=TEST_SLOTS,
            port_offset=offset,
            metrics_secs=TEST_METRICS_SECS,
            sample_rate=1.0,
        )
        try:
            spec.validate()
            for port in spec.ports.all():
                check_port_free(spec.host, port, "the test cluster")
        except (ClusterError, ConfigError) as exc:
            errors.append(f"offset {offset}: {exc}")
            continue
        return spec
    raise ClusterError("no free ports for the test cluster: " + "; ".join(errors))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if getattr(report, "failed", False) and "storm_cluster" in getattr(item, "fixturenames", ()):
        item.session.stash.setdefault(_FAILED_KEY, []).append(item.nodeid)
    return report


@pytest.fixture(scope="session")
def storm_cluster(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[StormCluster]:
    """One real Storm cluster for the session; stopped at the end with nothing left over."""
    home = _storm_home()
    base = tmp_path_factory.mktemp("storm-cluster")
    first = int(os.environ.get("STORMBRIDGE_TEST_PORT_OFFSET", "20000"))
    # Another session (e.g. a second pytest run) may grab the same free ports between the
    # check and the start: then try further offsets.
    for attempt in range(3):
        spec = _free_spec(base, first + attempt * 1000)
        try:
            record = start_cluster(spec, home, timeout=240.0)
            break
        except ClusterError as exc:
            if "already in use" not in str(exc) or attempt == 2:
                raise
    if record.ui_url is None:
        stop_cluster(spec.state_dir)
        raise ClusterError("the test cluster started without a UI: " + "; ".join(record.notes))
    cluster = StormCluster(
        nimbus_host=record.host,
        nimbus_port=record.nimbus_port,
        ui_url=record.ui_url,
        zookeeper_port=record.zookeeper_port,
        storm_home=home.path,
        storm_version=home.version,
        log_dir=Path(record.log_dir),
        state_dir=spec.state_dir,
        slots=spec.slots,
        metrics_secs=spec.metrics_secs,
        record=record,
        spec=spec,
    )
    try:
        yield cluster
    finally:
        failed = request.session.stash.get(_FAILED_KEY, [])
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if failed and reporter is not None:
            reporter.write_line(f"[storm_cluster] {len(failed)} test(s) failed; logs follow")
            for line in cluster.log_tail().splitlines():
                reporter.write_line(line)
        stop_cluster(spec.state_dir, grace=30.0)  # raises if anything survives SIGKILL


@pytest.fixture(autouse=True)
def _storm_daemons_alive(request: pytest.FixtureRequest) -> None:
    """Before a test that uses the session cluster, start again any daemon that died.

    Storm's daemons are fail-fast and meant to run under a process supervisor: a supervisor
    halts itself when, for one, an earlier test's topology was killed while its blobs were
    still being localized. A production host's process supervisor restarts it; this does the
    same (saying so), then waits until Nimbus sees every supervisor again, so one test's
    kill cannot leave the next without slots.
    """
    if "storm_cluster" not in request.fixturenames:
        return
    cluster: StormCluster = request.getfixturevalue("storm_cluster")
    revived = revive_daemons(cluster.spec)
    if not revived:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"[storm_cluster] restarted {', '.join(revived)} (it had halted)")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            view = nimbus_view(cluster.nimbus_host, cluster.nimbus_port, timeout=5.0)
            if view.supervisors >= cluster.spec.supervisors:
                return
        except NimbusUnreachableError:
            pass
        time.sleep(2)
    pytest.fail(f"restarted {revived} but Nimbus did not see every supervisor within 180 s")


@pytest.fixture
def submitted(storm_cluster: StormCluster) -> Iterator[list[str]]:
    """Names of the topologies a test submits: killed (wait 0) afterwards whatever happened."""
    from .submitting import kill_all

    names: list[str] = []
    yield names
    kill_all(storm_cluster, names)
