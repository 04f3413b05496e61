"""The fault matrix of issue 10 on a real local Storm cluster: kill processes of a running
topology and count the ids lost (must be 0) and duplicated (at-least-once allows them).

The topology is ``examples/reliable`` (docs/reliability.md): a reliable spout emitting ids
``0..N-1`` with message ids, durable acks in SQLite and replay of what was not acked, a
transform bolt and a sink bolt recording every id in SQLite. This script

1. starts its own single-host cluster (state under ``.bench/faults/``, ports moved by
   ``--port-offset``) and stops it at the end, whatever happens;
2. for every scenario (one after the other): submits the topology under its own name with
   a fresh data directory, applies the scenario's faults when the sink has recorded the given
   share of the ids, waits until every id is recorded (or ``--timeout``), kills the topology;
3. prints one line per scenario and writes them to ``.bench/faults.json``.

Faults are ``SIGKILL`` s of processes found through the pid files the example's components
write (``pid-<component>-<task>``): a Python bolt, the Python spout, the sink, or the worker
JVM (the parent of a Python component). Nothing is killed by name.

The CI-sized version (a bolt, then the spout, 3,000 ids) is
``tests/integration/cluster/test_faults.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reliable"
BENCH_DIR = ROOT / ".bench"

#: scenario -> [(share of ids recorded, what to kill)]; targets: transform_bolt,
#: record_bolt, id_spout (a Python process), worker (the JVM running them).
SCENARIOS: dict[str, list[tuple[float, str]]] = {
    "bolt": [(0.25, "transform_bolt")],
    "sink": [(0.25, "record_bolt")],
    "spout": [(0.25, "id_spout")],
    "worker": [(0.25, "worker")],
    "bolt-then-spout": [(0.15, "transform_bolt"), (0.5, "id_spout")],
    "repeated-bolt": [(0.2, "transform_bolt"), (0.4, "transform_bolt"), (0.6, "transform_bolt")],
    "everything": [
        (0.15, "transform_bolt"),
        (0.35, "record_bolt"),
        (0.55, "id_spout"),
        (0.75, "worker"),
    ],
}


class FaultError(Exception):
    pass


@dataclass
class Result:
    scenario: str
    ids: int
    lost: int = -1
    duplicates: int = -1
    seconds: float = 0.0
    kills: list[str] = field(default_factory=list)
    spout_starts: int = 0
    error: str = ""


def recorded(data: Path) -> tuple[int, set[int]]:
    rows, ids = 0, set()
    for path in sorted(data.glob("sink-*.db")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            for (value,) in db.execute("SELECT id FROM seen"):
                rows += 1
                ids.add(int(value))
        except sqlite3.OperationalError:
            pass
        finally:
            db.close()
    return rows, ids


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


def wait_for(what: str, check: Callable[[], Any], deadline: float) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise FaultError(f"{what}: not within {deadline:g} s")


def kill(data: Path, target: str) -> str:
    """SIGKILL ``target``; wait until its replacement runs; a line describing it."""
    component = "transform_bolt" if target == "worker" else target
    before = wait_for(f"a live {component}", lambda: live_pids(data, component), 180)
    victim = min(before.values())
    if target == "worker":
        victim = parent_of(victim)
        if "java" not in Path(f"/proc/{victim}/cmdline").read_bytes().decode(errors="replace"):
            raise FaultError(f"the parent {victim} of a Python component is not a JVM")
    os.kill(victim, signal.SIGKILL)
    started = time.monotonic()

    def replaced() -> bool:
        now = live_pids(data, component)
        return any(now.get(name) not in (None, pid) for name, pid in before.items())

    wait_for(f"{component} running again", replaced, 300)
    return f"{target} pid {victim} (back in {time.monotonic() - started:.0f} s)"


def write_project(tmp: Path, nimbus: str, data: Path, ids: int, rate: float) -> Path:
    root = tmp / "reliable"
    if not root.exists():
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", "config.json"))
    options = {
        "topology.workers": 1,
        "topology.acker.executors": 1,
        "topology.max.spout.pending": 500,
        "topology.message.timeout.secs": 30,
        "reliable.ids": ids,
        "reliable.rate": rate,
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
    name: str, tmp: Path, nimbus: str, nimbus_client: Any, args: argparse.Namespace
) -> Result:
    from stormbridge.cli.main import main as sparse

    result = Result(name, args.ids)
    data = tmp / f"data-{name}"
    data.mkdir()
    config = write_project(tmp, nimbus, data, args.ids, args.rate)
    topology = f"faults-{name}"
    started = time.monotonic()
    argv = ["submit", "-e", "bench", "-n", "reliable", "-N", topology, "--config", str(config)]
    if sparse([*argv, "--timeout", "60"]) != 0:
        raise FaultError(f"{topology}: sparse submit failed")
    try:
        for share, target in SCENARIOS[name]:
            need = int(share * args.ids)
            wait_for(f"{need} ids recorded", lambda n=need: len(recorded(data)[1]) >= n, 300)
            result.kills.append(f"at {need}: " + kill(data, target))
        wait_for(
            f"all {args.ids} ids recorded",
            lambda: len(recorded(data)[1]) >= args.ids,
            args.timeout,
        )
    except FaultError as exc:
        result.error = str(exc)
    finally:
        result.seconds = round(time.monotonic() - started, 1)
        rows, ids = recorded(data)
        result.lost = args.ids - len(ids & set(range(args.ids)))
        result.duplicates = rows - len(ids)
        try:
            with sqlite3.connect(data / "spout-0.db") as db:
                result.spout_starts = len(db.execute("SELECT pid FROM starts").fetchall())
        except sqlite3.Error:
            pass
        nimbus_client.kill(topology, wait_secs=0, wait=True, deadline=180)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--ids", type=int, default=20_000, help="ids per run (20000)")
    parser.add_argument("--rate", type=float, default=400, help="ids per second (400)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run (600)")
    parser.add_argument("--port-offset", type=int, default=32000)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), default=[])
    args = parser.parse_args(argv)

    from stormbridge.errors import StormBridgeError
    from stormbridge.storm.config import ClusterSpec
    from stormbridge.storm.daemons import start_cluster, stop_cluster
    from stormbridge.storm.home import provision, resolve_home
    from stormbridge.thrift.nimbus import NimbusClient

    def log(message: str) -> None:
        print(f"[faults] {message}", file=sys.stderr, flush=True)

    try:
        home = resolve_home()
    except StormBridgeError:
        home = provision(progress=log)
    state_dir = BENCH_DIR / "faults"
    spec = ClusterSpec(
        state_dir=state_dir, supervisors=1, slots=2, port_offset=args.port_offset,
        metrics_secs=10, sample_rate=1.0, logviewer=False, ui=False,
    )  # fmt: skip
    stop_cluster(state_dir)  # left over by an interrupted run
    record = start_cluster(spec, home, progress=log, timeout=300.0)
    results: list[Result] = []
    try:
        nimbus = f"{record.host}:{record.nimbus_port}"
        with (
            tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp,
            NimbusClient(record.host, record.nimbus_port, timeout=60) as client,
        ):
            for name in args.only or list(SCENARIOS):
                log(f"{name}: {SCENARIOS[name]}")
                result = run_scenario(name, Path(tmp), nimbus, client, args)
                results.append(result)
                log(
                    f"{name}: {result.lost} lost, {result.duplicates} duplicates, "
                    f"{result.seconds} s, spout started {result.spout_starts}x; "
                    f"{'; '.join(result.kills)}{' ERROR ' + result.error if result.error else ''}"
                )
    finally:
        stop_cluster(state_dir, progress=log)
    BENCH_DIR.mkdir(exist_ok=True)
    (BENCH_DIR / "faults.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    print(f"{'scenario':<18} {'ids':>7} {'lost':>5} {'dups':>5} {'secs':>6}  kills")
    for r in results:
        print(
            f"{r.scenario:<18} {r.ids:>7} {r.lost:>5} {r.duplicates:>5} {r.seconds:>6}  "
            f"{'; '.join(r.kills)}{'  ERROR: ' + r.error if r.error else ''}"
        )
    return 0 if all(r.lost == 0 and not r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
