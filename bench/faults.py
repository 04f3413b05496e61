"""The fault matrix of issue 10 on a real local Storm cluster: break parts of a running
topology and count the ids lost (must be 0) and duplicated (at-least-once allows them).

The topology is ``examples/reliable`` (docs/reliability.md): a reliable spout emitting ids
``0..N-1`` with message ids, durable acks in SQLite and replay of what was not acked, a
transform bolt and a sink bolt recording every id in SQLite. This script

1. starts its own single-host cluster (state under ``.bench/faults/``, ports moved by
   ``--port-offset``, our UI on, no logviewer) and stops it at the end, whatever happens;
2. for every scenario (one after the other): submits the topology under its own name with
   a fresh data directory, applies the scenario's faults when the sink has recorded the given
   share of the ids, waits until every id is recorded (or ``--timeout``), kills the topology;
3. prints one line per fault and per scenario and writes them to ``.bench/faults.json``.

The faults: ``SIGKILL`` of a Python bolt, the sink, the Python spout or the worker JVM (pids
from the pid files the example's components write, the JVM as their parent); ``SIGKILL`` of
the supervisor, restarted after ``--down`` seconds the way ``sparse cluster revive`` does;
Nimbus and ZooKeeper stopped (``SIGTERM``) and started again after ``--down`` seconds; every
transform bolt process stalled (``SIGSTOP``) for ``--stall`` seconds, longer than the
topology's ``topology.message.timeout.secs`` (``--message-timeout``), then ``SIGCONT``. Nothing
is killed by name. After each fault the script restarts any daemon that halted as a
consequence (what a process supervisor does), and says so.

Per fault it reports: how long the fault lasted, the longest stretch without a new ack around
it and when acks came again (counted from the fault), the duplicates recorded until the next
fault, what the UI showed (components' last errors) and the log lines (supervisor, Nimbus,
worker) written after the fault that mention an error.

``--only matrix --ids 1000000 --rate 1500`` (``make bench-faults``) is every fault in one long
run, spaced out by share of ids recorded: one topology that lives through all of them, so its
0 lost covers every fault at 1,000,000 ids in the time one run takes. The rate keeps the run
long enough (about 13 minutes) for every fault and its recovery to land between two marks; an
unpaced spout (``--rate 0``, ~8,000 ids/s here) finishes before the later faults.

The CI-sized version is ``tests/integration/cluster/test_faults.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reliable"
BENCH_DIR = ROOT / ".bench"

PYTHON_TARGETS = ("transform_bolt", "record_bolt", "id_spout")
#: scenario -> [(share of ids recorded, fault)]; faults: transform_bolt, record_bolt, id_spout
#: (a Python process), worker (the JVM running them), supervisor, nimbus, zookeeper, stall.
SCENARIOS: dict[str, list[tuple[float, str]]] = {
    "bolt": [(0.25, "transform_bolt")],
    "sink": [(0.25, "record_bolt")],
    "spout": [(0.25, "id_spout")],
    "worker": [(0.25, "worker")],
    "supervisor": [(0.25, "supervisor")],
    "nimbus": [(0.25, "nimbus")],
    "zookeeper": [(0.25, "zookeeper")],
    "stall": [(0.25, "stall")],
    "bolt-then-spout": [(0.15, "transform_bolt"), (0.5, "id_spout")],
    "repeated-bolt": [(0.2, "transform_bolt"), (0.4, "transform_bolt"), (0.6, "transform_bolt")],
    "everything": [
        (0.15, "transform_bolt"),
        (0.35, "record_bolt"),
        (0.55, "id_spout"),
        (0.75, "worker"),
    ],
    "matrix": [
        (0.04, "transform_bolt"),
        (0.11, "record_bolt"),
        (0.18, "id_spout"),
        (0.25, "worker"),
        (0.32, "supervisor"),
        (0.40, "nimbus"),
        (0.48, "zookeeper"),
        (0.56, "stall"),
        (0.64, "transform_bolt"),
        (0.70, "transform_bolt"),
        (0.76, "transform_bolt"),
        (0.84, "worker"),
    ],
}
#: Log lines worth showing after a fault.
NOTEWORTHY = re.compile(
    r"ERROR|Halting|halt|died|Exception|timed? ?out|SUSPENDED|LOST|RECONNECTED|"
    r"[Ll]eader|not alive|Shutting down|[Kk]illing",
)


class FaultError(Exception):
    pass


@dataclass
class Fault:
    target: str
    at: int  # distinct ids recorded when it was applied
    detail: str = ""
    lasted: float = 0.0  # seconds the fault held (kill to replacement, down time, stall)
    acks_again: float = 0.0  # seconds from the fault to the end of the ack pause it caused
    pause: float = 0.0  # the longest stretch without a new ack around the fault
    duplicates: int = 0  # rows recorded twice between this fault and the next (or the end)
    revived: list[str] = field(default_factory=list)  # daemons that halted as a consequence
    ui: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    started: float = 0.0  # monotonic, internal
    wall: float = 0.0  # epoch, internal


@dataclass
class Result:
    scenario: str
    ids: int
    lost: int = -1
    duplicates: int = -1
    seconds: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    spout_starts: int = 0
    load: str = ""
    error: str = ""


class Sink:
    """The sink's SQLite files, read incrementally (by rowid): distinct ids and rows."""

    def __init__(self, data: Path, ids: int) -> None:
        self.data = data
        self.seen = bytearray(ids)
        self.distinct = 0
        self.rows = 0
        self.foreign = 0  # ids outside 0..N-1 (must stay 0)
        self._last: dict[Path, int] = {}

    def poll(self) -> int:
        for path in sorted(self.data.glob("sink-*.db")):
            last = self._last.get(path, 0)
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
            try:
                rows = db.execute("SELECT rowid, id FROM seen WHERE rowid > ?", (last,)).fetchall()
            except sqlite3.OperationalError:  # created, table not there yet
                rows = []
            finally:
                db.close()
            for rowid, value in rows:
                last = rowid
                self.rows += 1
                i = int(value)
                if not 0 <= i < len(self.seen):
                    self.foreign += 1
                elif not self.seen[i]:
                    self.seen[i] = 1
                    self.distinct += 1
            self._last[path] = last
        return self.distinct

    @property
    def duplicates(self) -> int:
        return self.rows - self.distinct


class AckSampler(threading.Thread):
    """Samples the spout's durable ack count (``spout-0.db``) every ``interval`` seconds."""

    def __init__(self, data: Path, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.path = data / "spout-0.db"
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            count = None
            if self.path.exists():
                try:
                    db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
                    try:
                        count = db.execute("SELECT COUNT(*) FROM acked").fetchone()[0]
                    finally:
                        db.close()
                except sqlite3.Error:
                    pass
            if count is not None:
                self.samples.append((time.monotonic(), count))
            self.done.wait(self.interval)

    def pause_around(self, start: float, held_until: float) -> tuple[float, float]:
        """(longest stretch without a new ack that overlaps [start, held_until + 5 s], the
        seconds from ``start`` until acks came again after it); (0, 0) if acks never paused
        for longer than two samples."""
        growth = [t for (_, before), (t, c) in itertools.pairwise(self.samples) if c > before]
        best = (0.0, 0.0)
        for prev, nxt in itertools.pairwise(growth):
            if nxt > start and prev < held_until + 5 and nxt - prev > best[0]:
                best = (nxt - prev, nxt - start)
        return best if best[0] > 2 * self.interval + 0.5 else (0.0, 0.0)


def live_pids(data: Path, component: str) -> dict[str, int]:
    out = {}
    for path in data.glob(f"pid-{component}-*"):
        if path.suffix == ".tmp":
            continue
        pid = int(path.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        out[path.name] = pid
    return out


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def wait_for(what: str, check: Callable[[], Any], deadline: float, every: float = 0.5) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise FaultError(f"{what}: not within {deadline:g} s")


def load1() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


class Cluster:
    """The bench's cluster: its spec (for revive) and where its daemons and logs are."""

    def __init__(self, spec: Any, record: Any) -> None:
        self.spec = spec
        self.record = record

    def daemon(self, name: str) -> Any:
        from stormbridge.storm.state import load_record

        record = load_record(self.spec.state_dir)
        if record is None:
            raise FaultError("the cluster's record is gone")
        return next(d for d in record.daemons if d.name == name)

    def revive(self) -> list[str]:
        from stormbridge.storm.daemons import revive_daemons

        return revive_daemons(self.spec)

    def nimbus_ready(self, supervisors: bool = True) -> bool:
        from stormbridge.errors import NimbusUnreachableError
        from stormbridge.storm.health import nimbus_view

        try:
            view = nimbus_view(self.record.host, self.record.nimbus_port, timeout=5.0)
        except NimbusUnreachableError:
            return False
        return view.leader is not None and (not supervisors or view.supervisors >= 1)

    def supervisor_listening(self) -> bool:
        from stormbridge.storm.health import tcp_open

        return tcp_open(self.record.host, self.daemon("supervisor-0").ports["thrift"])

    def zookeeper_ready(self) -> bool:
        from stormbridge.storm.health import zookeeper_answers

        return zookeeper_answers(self.record.host, self.record.zookeeper_port)


def stop_daemon(cluster: Cluster, name: str, sig: int) -> int:
    from stormbridge.storm.state import pid_alive

    pid = cluster.daemon(name).pid
    os.kill(pid, sig)
    try:
        wait_for(f"{name} (pid {pid}) to exit", lambda: not pid_alive(pid), 60)
    except FaultError:
        os.kill(pid, signal.SIGKILL)
        wait_for(f"{name} (pid {pid}) to exit after SIGKILL", lambda: not pid_alive(pid), 30)
    return pid


def apply(fault: Fault, data: Path, cluster: Cluster, args: argparse.Namespace) -> None:
    """Apply ``fault`` and wait until what it broke runs again; fills detail and lasted."""
    target = fault.target
    fault.started, fault.wall = time.monotonic(), time.time()
    if target in (*PYTHON_TARGETS, "worker"):
        component = "transform_bolt" if target == "worker" else target
        before = wait_for(f"a live {component}", lambda: live_pids(data, component), 180)
        victim = min(before.values())
        if target == "worker":
            victim = parent_of(victim)
            if b"java" not in Path(f"/proc/{victim}/cmdline").read_bytes():
                raise FaultError(f"the parent {victim} of a Python component is not a JVM")
        fault.started, fault.wall = time.monotonic(), time.time()
        os.kill(victim, signal.SIGKILL)

        def replaced() -> bool:
            now = live_pids(data, component)
            return any(now.get(name) not in (None, pid) for name, pid in before.items())

        wait_for(f"{component} running again", replaced, 300)
        fault.lasted = time.monotonic() - fault.started
        fault.detail = f"SIGKILL {target} pid {victim}; replacement running"
    elif target == "supervisor":
        pid = stop_daemon(cluster, "supervisor-0", signal.SIGKILL)
        time.sleep(args.down)
        fault.revived += cluster.revive()
        wait_for("the new supervisor listening", cluster.supervisor_listening, 180)
        fault.lasted = time.monotonic() - fault.started
        fault.detail = f"SIGKILL supervisor-0 pid {pid}, revived after {args.down:g} s"
    elif target in ("nimbus", "zookeeper"):
        pid = stop_daemon(cluster, target, signal.SIGTERM)
        stopped = time.monotonic() - fault.started
        time.sleep(args.down)
        fault.revived += cluster.revive()
        ready = cluster.nimbus_ready if target == "nimbus" else cluster.zookeeper_ready
        wait_for(f"{target} answering again", ready, 180)
        fault.lasted = time.monotonic() - fault.started
        fault.detail = (
            f"SIGTERM {target} pid {pid} (exited in {stopped:.1f} s), "
            f"started again after {args.down:g} s"
        )
    elif target == "stall":
        pids = sorted(wait_for("live transform bolts", lambda: live_pids(data, "transform_bolt"),
                               180).values())  # fmt: skip
        fault.started, fault.wall = time.monotonic(), time.time()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(args.stall)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        fault.lasted = time.monotonic() - fault.started
        fault.detail = (
            f"SIGSTOP transform bolts {pids} for {args.stall:g} s "
            f"(message timeout {args.message_timeout} s), SIGCONT"
        )
    else:
        raise FaultError(f"unknown fault {target!r}")


def settle(fault: Fault, cluster: Cluster, seconds: float) -> None:
    """For ``seconds`` after a fault, start again any daemon that halted because of it."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        fault.revived += cluster.revive()
        time.sleep(2)
    if fault.revived:
        wait_for("Nimbus with a supervisor after a revive", cluster.nimbus_ready, 180)


def ui_errors(ui: Any, topology: str, since: float) -> list[str]:
    """Components' last errors the UI shows that were reported after ``since`` (epoch)."""
    from stormbridge.errors import UIError

    try:
        page = ui.topology_by_name(topology)
    except UIError as exc:
        return [f"(UI: {exc})"]
    out = [f"status {page.get('status')}, workers {page.get('workersTotal')}"]
    for component in [*page.get("spouts", []), *page.get("bolts", [])]:
        error, lapsed = component.get("lastError"), component.get("errorLapsedSecs")
        if error and lapsed is not None and time.time() - lapsed >= since - 2:
            name = component.get("spoutId") or component.get("boltId")
            out.append(f"{name}: {' '.join(str(error).split())[:200]}")
    return out


def log_lines(cluster: Cluster, topology: str, since: float, limit: int = 3) -> list[str]:
    """The first noteworthy log lines written after ``since`` (epoch) per daemon/worker log."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
    log_dir = Path(cluster.record.log_dir)
    files = [log_dir / "supervisor-0.log", log_dir / "nimbus.log", log_dir / "zookeeper.log"]
    files += sorted(log_dir.glob(f"workers-artifacts/{topology}-*/*/worker.log"))
    out = []
    for path in files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        hits = [
            line for line in lines
            if line[:19] >= stamp and line[:2] == "20" and NOTEWORTHY.search(line)
            and "conf {" not in line and "config {" not in line
        ]  # fmt: skip
        name = path.name if path.name != "worker.log" else f"worker {path.parent.name}"
        out += [f"{name}: {' '.join(line.split())[:220]}" for line in hits[:limit]]
    return out


def write_project(tmp: Path, nimbus: str, data: Path, args: argparse.Namespace) -> Path:
    root = tmp / "reliable"
    if not root.exists():
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", "config.json"))
    options = {
        "topology.workers": 1,
        "topology.acker.executors": 1,
        "topology.max.spout.pending": 500,
        "topology.message.timeout.secs": args.message_timeout,
        "reliable.ids": args.ids,
        "reliable.rate": args.rate,
        "reliable.max_pending": 500,
        "reliable.dir": str(data),
    }
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {"bench": {"nimbus": nimbus, "options": options}},
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


def run_scenario(
    name: str, tmp: Path, cluster: Cluster, ui: Any, args: argparse.Namespace, log: Any
) -> Result:
    from stormbridge.cli.main import main as sparse
    from stormbridge.errors import StormBridgeError
    from stormbridge.thrift.nimbus import NimbusClient

    result = Result(name, args.ids, load=load1())
    data = tmp / f"data-{name}"
    data.mkdir()
    nimbus = f"{cluster.record.host}:{cluster.record.nimbus_port}"
    config = write_project(tmp, nimbus, data, args)
    topology = f"faults-{name}"
    started = time.monotonic()
    argv = ["submit", "-e", "bench", "-n", "reliable", "-N", topology, "--config", str(config)]
    if sparse([*argv, "--timeout", "60"]) != 0:
        raise FaultError(f"{topology}: sparse submit failed")
    sink = Sink(data, args.ids)
    acks = AckSampler(data)
    acks.start()
    dups_at: list[int] = []
    try:
        for share, target in SCENARIOS[name]:
            need = int(share * args.ids)
            wait_for(f"{need} ids recorded", lambda n=need: sink.poll() >= n, args.timeout, 1.0)
            fault = Fault(target, sink.distinct)
            result.faults.append(fault)
            dups_at.append(sink.duplicates)
            apply(fault, data, cluster, args)
            settle(fault, cluster, args.settle)
            fault.ui = ui_errors(ui, topology, fault.wall) if ui else []
            fault.logs = log_lines(cluster, topology, fault.wall)
            log(
                f"{name}: {target} at {fault.at}: {fault.detail}; held {fault.lasted:.1f} s"
                + (f"; revived {fault.revived}" if fault.revived else "")
            )
        wait_for(f"all {args.ids} ids recorded", lambda: sink.poll() >= args.ids, args.timeout, 1)
    except FaultError as exc:
        result.error = str(exc)
    finally:
        result.seconds = round(time.monotonic() - started, 1)
        sink.poll()
        time.sleep(2 * acks.interval)
        acks.done.set()
        acks.join()
        result.lost = args.ids - sink.distinct
        result.duplicates = sink.duplicates
        if sink.foreign:
            result.error += f" {sink.foreign} rows with ids outside 0..{args.ids - 1}"
        for i, fault in enumerate(result.faults):
            fault.pause, fault.acks_again = (
                round(v, 1) for v in acks.pause_around(fault.started, fault.started + fault.lasted)
            )
            fault.lasted = round(fault.lasted, 1)
            until = dups_at[i + 1] if i + 1 < len(dups_at) else sink.duplicates
            fault.duplicates = until - dups_at[i]
        try:
            with sqlite3.connect(data / "spout-0.db") as db:
                result.spout_starts = len(db.execute("SELECT pid FROM starts").fetchall())
        except sqlite3.Error:
            pass
        try:
            with NimbusClient(
                cluster.record.host, cluster.record.nimbus_port, timeout=60
            ) as client:
                client.kill(topology, wait_secs=0, wait=True, deadline=180)
        except StormBridgeError as exc:  # reported, not raised: the results still count
            result.error += f" (killing {topology}: {exc})"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--ids", type=int, default=20_000, help="ids per run (20000)")
    parser.add_argument("--rate", type=float, default=400, help="ids per second, 0 = no limit")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per wait (600)")
    parser.add_argument("--port-offset", type=int, default=32000)
    parser.add_argument(
        "--message-timeout", type=int, default=10, help="topology.message.timeout.secs (10)"
    )
    parser.add_argument(
        "--stall", type=float, default=20, help="seconds a stalled bolt stays stopped (20)"
    )
    parser.add_argument("--down", type=float, default=10, help="seconds a daemon stays down (10)")
    parser.add_argument(
        "--settle", type=float, default=20,
        help="seconds after a fault to restart daemons that halted because of it (20)",
    )  # fmt: skip
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), default=[])
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "faults.json")
    args = parser.parse_args(argv)
    if args.stall <= args.message_timeout:
        parser.error("--stall must be longer than --message-timeout")

    from stormbridge.errors import StormBridgeError
    from stormbridge.storm.config import ClusterSpec
    from stormbridge.storm.daemons import start_cluster, stop_cluster
    from stormbridge.storm.home import provision, resolve_home
    from stormbridge.ui.client import UIClient

    def log(message: str) -> None:
        print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        home = resolve_home()
    except StormBridgeError:
        home = provision(progress=log)
    state_dir = BENCH_DIR / "faults"
    spec = ClusterSpec(
        state_dir=state_dir, supervisors=1, slots=2, port_offset=args.port_offset,
        metrics_secs=10, sample_rate=1.0, logviewer=False, ui=True,
    )  # fmt: skip
    stop_cluster(state_dir)  # left over by an interrupted run
    record = start_cluster(spec, home, progress=log, timeout=300.0)
    cluster = Cluster(spec, record)
    ui = UIClient(record.ui_url, timeout=20) if record.ui_url else None
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
            for name in args.only or [s for s in SCENARIOS if s != "matrix"]:
                log(f"{name}: {SCENARIOS[name]} (load {load1()})")
                result = run_scenario(name, Path(tmp), cluster, ui, args, log)
                results.append(result)
                log(
                    f"{name}: {result.lost} lost, {result.duplicates} duplicates, "
                    f"{result.seconds} s, spout started {result.spout_starts}x, load {load1()}"
                    f"{' ERROR ' + result.error if result.error else ''}"
                )
    finally:
        stop_cluster(state_dir, progress=log)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "storm_version": record.storm_version,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "args": {k: str(v) for k, v in vars(args).items()},
            "results": [asdict(r) for r in results],
        }
        args.out.write_text(json.dumps(doc, indent=2))
    report(results)
    return 0 if results and all(r.lost == 0 and not r.error for r in results) else 1


def report(results: list[Result]) -> None:
    print(f"{'scenario':<16} {'ids':>8} {'lost':>5} {'dups':>5} {'secs':>7} {'load':>5}  error")
    for r in results:
        print(
            f"{r.scenario:<16} {r.ids:>8} {r.lost:>5} {r.duplicates:>5} {r.seconds:>7} "
            f"{r.load:>5}  {r.error}"
        )
        for f in r.faults:
            print(
                f"  {f.target:<14} at {f.at:>8}: held {f.lasted:>5} s, acks again after "
                f"{f.acks_again:>5} s (pause {f.pause} s), {f.duplicates} dups"
                + (f", revived {', '.join(f.revived)}" if f.revived else "")
            )
            for line in [*f.ui, *f.logs]:
                print(f"      {line}")


if __name__ == "__main__":
    sys.exit(main())
