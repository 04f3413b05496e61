"""End-to-end benchmark on a real local Storm cluster: stormbridge vs streamparse/pystorm.

``make bench-cluster`` runs this file. It

1. makes sure the streamparse 5.0.1/pystorm 3.1.4 virtualenv exists (``bench/common.py``)
   and that Storm is provisioned;
2. starts its own single-host cluster (ZooKeeper, Nimbus, 1 supervisor, UI; ports moved by
   ``--port-offset``, statistics every 5 s at Storm's sample rate 0.05 (``--sample-rate``),
   state under ``.bench/cluster/``) and stops it at the end, whatever happens;
3. writes a throw-away project: the repository's ``src/`` plus ``spouts/bench_words.py``
   (the repository's word spout with message ids, so that acking and
   ``topology.max.spout.pending`` apply) and topologies of the same shape —
   spout → ``WordCountBolt`` (``--par``, default 2, fields grouping on ``word``), 1 worker,
   1 acker — one per row (:data:`ALL_IMPLS`):

   * ``bench-pystorm``: ``ShellSpout.spec``/``ShellBolt.spec`` with
     ``command=<reference venv>/bin/streamparse_run`` and ``script=<module.Class>``, i.e.
     streamparse 5.0.1 / pystorm 3.1.4 running the same files on Storm's classes;
   * ``bench-stormbridge``/``-own``/``-batched``: the classes themselves (stormbridge's DSL,
     boot scripts, runtime) on Storm's serializer and shell classes, on stormbridge's
     serializer, and on the batched transport (stormbridge's serializer and shell classes);
   * ``bench-java``: the same word count as Java spout and bolt (``bench/java``), the limit;

   then the extra rows: ``--scaling-par`` (count_bolt parallelism 1) and
   ``--big-tuple-bytes`` (each word padded to 1 KiB);

4. for each (one after the other, never together): ``sparse submit``, wait for acks,
   warm up, then poll the UI REST API (``/api/v1/topology/<id>``) every second over a fixed
   window and compute acked tuples per second from the first to the last statistics update
   inside the window; the CPU of the Python component processes and of the worker JVM over
   the same span comes from ``/proc``; then kill the topology and wait until its processes
   are gone;
5. writes the figures and the ratios into ``docs/benchmarks.md`` (between the cluster
   markers) and the raw samples into ``.bench/cluster.json``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from common import (
    BENCH_DIR,
    DOC,
    REFERENCE_VENV,
    ROOT,
    STORMBRIDGE_VENV,
    BenchError,
    ensure_reference_venv,
    loadavg,
    machine_facts,
    venv_facts,
    write_doc,
)

MARK_START = "<!-- bench:cluster:start -->"
MARK_END = "<!-- bench:cluster:end -->"
#: The rows of one run, in this order: streamparse/pystorm and stormbridge on Storm's stock
#: classes, stormbridge on its own serializer, stormbridge batched (own serializer + own shell
#: classes), and the same word count as Java spout and bolts (no Python, no pipe: the limit).
ALL_IMPLS = ("pystorm", "stormbridge", "stormbridge-own", "stormbridge-batched", "java")
#: The extra rows after the main ones: bolt parallelism 1 (vs the main rows' 2) and a larger
#: tuple (``--big-tuple-bytes`` of text per word).
SCALING_IMPLS = ("pystorm", "stormbridge-batched")
BIG_TUPLE_IMPLS = ("pystorm", "stormbridge-batched", "java")
#: The rows run again at a fixed offered rate (``--paced-rate`` tuples/s, below every row's
#: saturation): complete latency compared at the same load rather than at each one's maximum.
PACED_IMPLS = ("pystorm", "stormbridge", "stormbridge-batched", "java")
#: The offered rates of the paced rows when ``--paced-rate`` is not given: one every row can
#: offer, one only the faster rows can (a row is skipped at a rate its flat-out row of the same
#: run did not reach with 10 % to spare).
DEFAULT_PACED_RATES = (4000, 12000)
#: The batched row again with a lower ``topology.max.spout.pending`` (``--pending-row``): how
#: much throughput it gives up for a shorter complete latency when the machine is saturated.
DEFAULT_PENDING_ROWS = (100,)
PENDING_IMPLS = ("stormbridge-batched",)


class Row(NamedTuple):
    """One row of a run: the topology, its count_bolt parallelism, bytes per word (0: the
    words as they are), the offered rate (0: flat out) and max.spout.pending (0: the run's)."""

    impl: str
    par: int
    tuple_bytes: int = 0
    rate: int = 0
    pending: int = 0


TOPOLOGY_NAMES = {
    "stormbridge": "bench-stormbridge",
    "pystorm": "bench-pystorm",
    "stormbridge-own": "bench-stormbridge-own",
    "stormbridge-batched": "bench-stormbridge-batched",
    "java": "bench-java",
}
TOPOLOGY_FILES = {
    "stormbridge": "bench_stormbridge",
    "pystorm": "bench_pystorm",
    "stormbridge-own": "bench_stormbridge",
    "stormbridge-batched": "bench_stormbridge",
    "java": "bench_java",
}
ROW_NAMES = {
    "stormbridge": "stormbridge on Storm's classes (JsonSerializer, ShellBolt/ShellSpout)",
    "pystorm": "streamparse 5.0.1 / pystorm 3.1.4 (Storm's classes)",
    "stormbridge-own": "stormbridge + own serializer (Storm's ShellBolt/ShellSpout)",
    "stormbridge-batched": "stormbridge batched transport (own serializer + shell classes)",
    "java": "the same word count as Java spout and bolts",
}
STOCK_SERIALIZER = "org.apache.storm.multilang.JsonSerializer"
OWN_SERIALIZER_IMPLS = ("stormbridge-own", "stormbridge-batched")
OWN_SERIALIZER = "stormbridge.multilang.FastJsonSerializer"
JAVA_SOURCE = Path(__file__).with_name("java") / "BenchWordCount.java"
TIMES = "\u00d7"

#: The modules this benchmark drives, and who provides them (for the error message).
REQUIRED_MODULES = {
    "stormbridge.storm.home": "provisioning (resolve_home, provision)",
    "stormbridge.storm.config": "ClusterSpec",
    "stormbridge.storm.daemons": "start_cluster, stop_cluster",
    "stormbridge.ui.client": "UIClient (the UI REST client)",
    "stormbridge.thrift.nimbus": "NimbusClient",
    "stormbridge.cli.main": "`sparse submit`",
    "stormbridge.dsl": "the topology DSL (Topology, ShellSpout, ShellBolt)",
    "stormbridge.build.jar": "the topology jar builder",
}

BENCH_SPOUT = '''\
"""The repository's word spout, emitting with message ids (so tuples are acked end to end)."""

import time
from itertools import cycle

from spouts.words import WordSpout


class ReliableWordSpout(WordSpout):
    def initialize(self, stormconf, context):
        super().initialize(stormconf, context)
        self.next_id = 0
        pad = int(stormconf.get("bench.tuple.bytes") or 0)  # the larger-tuple case
        if pad:
            self.words = cycle(w.ljust(pad, "-") for w in ["dog", "cat", "zebra", "elephant"])

        self.rate = float(stormconf.get("bench.rate") or 0)  # tuples/s offered; 0: all it can
        self.start = time.monotonic()

    def next_tuple(self):
        if self.rate and self.next_id >= (time.monotonic() - self.start) * self.rate:
            return  # ahead of the offered rate: emit nothing this time
        self.next_id += 1
        self.emit([next(self.words)], tup_id=self.next_id)
'''

STORMBRIDGE_TOPOLOGY = """\
from streamparse import Grouping, Topology

from bolts.wordcount import WordCountBolt
from spouts.bench_words import ReliableWordSpout


class BenchStormbridge(Topology):
    word_spout = ReliableWordSpout.spec()
    count_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=%(par)d)
"""

JAVA_TOPOLOGY = """\
from stormbridge.dsl import Grouping, JavaBolt, JavaSpout, Topology

PREFIX = "stormbridge.bench.BenchWordCount$"


class BenchJava(Topology):
    word_spout = JavaSpout.spec(
        full_class_name=PREFIX + "WordSpout", args_list=[], outputs=["word"]
    )
    count_bolt = JavaBolt.spec(
        full_class_name=PREFIX + "CountBolt",
        args_list=[],
        inputs={word_spout: Grouping.fields("word")},
        par=%(par)d,
        outputs=["word", "count"],
    )
"""

PYSTORM_TOPOLOGY = """\
from streamparse import Grouping, ShellBolt, ShellSpout, Topology

RUN = %(run)r


class BenchPystorm(Topology):
    word_spout = ShellSpout.spec(
        command=RUN, script="spouts.bench_words.ReliableWordSpout", outputs=["word"]
    )
    count_bolt = ShellBolt.spec(
        command=RUN,
        script="bolts.wordcount.WordCountBolt",
        inputs={word_spout: Grouping.fields("word")},
        par=%(par)d,
        outputs=["word", "count"],
    )
"""


def check_modules() -> None:
    """Fail with one clear message if a module this benchmark needs has not landed."""
    missing = []
    for module, what in REQUIRED_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{module} ({what}): {exc}")
    if missing:
        raise BenchError(
            "the cluster benchmark needs modules that are missing or broken:\n  "
            + "\n  ".join(missing)
        )


# --------------------------------------------------------------------------- /proc


def _proc_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _cwd(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def find_processes(state_dir: Path, impl: str) -> dict[str, list[int]]:
    """The Python component processes and worker JVMs running under ``state_dir``."""
    root = str(state_dir.resolve())
    marker = "_stormbridge/boot/" if impl.startswith("stormbridge") else str(REFERENCE_VENV / "bin")
    python: list[int] = []
    workers: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        cwd = _cwd(pid)
        if not cwd.startswith(root):
            continue
        cmd = _cmdline(pid)
        if "org.apache.storm.LogWriter" in cmd:
            continue  # the small JVM that relays a worker's output, not the worker
        if "org.apache.storm.daemon.worker.Worker" in cmd:
            workers.append(pid)
        elif marker in cmd or "streamparse_run" in cmd:
            python.append(pid)
    return {"python": sorted(python), "worker": sorted(workers)}


def _cpu_sum(pids: Sequence[int]) -> float:
    return sum(c for c in (_proc_cpu(p) for p in pids) if c is not None)


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    t: float
    spout_acked: int
    spout_failed: int
    bolt_acked: int
    bolt_executed: int
    complete_latency_ms: float | None
    python_cpu: float
    worker_cpu: float


@dataclass
class Measurement:
    impl: str
    topology: str
    par: int = 2
    tuple_bytes: int = 0
    rate: int = 0
    pending: int = 0
    samples: list[Sample] = field(default_factory=list)
    processes: dict[str, list[int]] = field(default_factory=dict)
    submit_seconds: float = 0.0
    first_ack_seconds: float = 0.0

    def span(self) -> tuple[Sample, Sample]:
        """The first and last sample at which the spout's acked count had just changed."""
        changes = [
            b
            for a, b in zip(self.samples, self.samples[1:], strict=False)
            if b.spout_acked != a.spout_acked
        ]
        if len(changes) < 2:
            raise BenchError(
                f"{self.topology}: the UI's acked count changed fewer than twice in the "
                "window; lengthen --window or check the topology (see .bench/cluster/logs)"
            )
        return changes[0], changes[-1]

    def summary(self) -> dict[str, Any]:
        first, last = self.span()
        dt = last.t - first.t
        acked = last.spout_acked - first.spout_acked
        py_cpu = last.python_cpu - first.python_cpu
        jvm_cpu = last.worker_cpu - first.worker_cpu
        return {
            "impl": self.impl,
            "topology": self.topology,
            "par": self.par,
            "tuple_bytes": self.tuple_bytes,
            "offered_rate": self.rate,
            "max_spout_pending": self.pending,
            "span_seconds": dt,
            "acked": acked,
            "acked_per_second": acked / dt,
            "bolt_acked_per_second": (last.bolt_acked - first.bolt_acked) / dt,
            "failed_in_span": last.spout_failed - first.spout_failed,
            "python_cpu_seconds": py_cpu,
            "worker_cpu_seconds": jvm_cpu,
            "python_cpu_share": py_cpu / dt,
            "worker_cpu_share": jvm_cpu / dt,
            "python_cpu_us_per_tuple": 1e6 * py_cpu / acked if acked else None,
            "worker_cpu_us_per_tuple": 1e6 * jvm_cpu / acked if acked else None,
            "total_cpu_us_per_tuple": 1e6 * (py_cpu + jvm_cpu) / acked if acked else None,
            "complete_latency_ms": _window_latency(first, last),
            "complete_latency_all_time_ms": last.complete_latency_ms,
            "python_processes": len(self.processes.get("python", [])),
            "submit_seconds": self.submit_seconds,
            "first_ack_seconds": self.first_ack_seconds,
        }


def _window_latency(first: Sample, last: Sample) -> float | None:
    """The mean complete latency of the trees acked between two samples.

    The UI reports an all-time mean next to the all-time acked count (statistics sampled at
    rate 1.0, so every ack is in the mean); the window's mean is what the sum of latencies
    grew by over what the count grew by. Start-up (workers starting, the first tuples waiting
    for bolts) then weighs on no row.
    """
    if first.complete_latency_ms is None or last.complete_latency_ms is None:
        return None
    acked = last.spout_acked - first.spout_acked
    if acked <= 0:
        return None
    total = (
        last.complete_latency_ms * last.spout_acked - first.complete_latency_ms * first.spout_acked
    )
    return max(0.0, total / acked)


def _num(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def read_counts(ui: Any, topology_id: str) -> tuple[int, int, int, int, float | None]:
    page = ui.topology(topology_id)
    spouts = page.get("spouts", [])
    bolts = [b for b in page.get("bolts", []) if b.get("boltId") == "count_bolt"]
    latency = None
    if spouts:
        try:
            latency = float(spouts[0].get("completeLatency"))
        except (TypeError, ValueError):
            latency = None
    return (
        sum(_num(s.get("acked")) for s in spouts),
        sum(_num(s.get("failed")) for s in spouts),
        sum(_num(b.get("acked")) for b in bolts),
        sum(_num(b.get("executed")) for b in bolts),
        latency,
    )


def measure(
    impl: str,
    config: Path,
    ui: Any,
    nimbus: Any,
    state_dir: Path,
    *,
    warmup: float,
    window: float,
    timeout: float,
    log: Callable[[str], None],
    java_jar: Path | None = None,
    par: int = 2,
    tuple_bytes: int = 0,
    rate: int = 0,
    pending: int = 0,
    max_emits_per_next: int = 0,
    options: Sequence[str] = (),
) -> Measurement:
    from stormbridge.cli.main import main as sparse
    from stormbridge.errors import StormBridgeError

    name = TOPOLOGY_NAMES[impl] + (f"-p{par}" if par != 2 else "")
    name += f"-b{tuple_bytes}" if tuple_bytes else ""
    name += f"-r{rate}" if rate else ""
    name += f"-m{pending}" if pending else ""
    topo_file = f"{TOPOLOGY_FILES[impl]}_p{par}"
    m = Measurement(
        impl=impl, topology=name, par=par, tuple_bytes=tuple_bytes, rate=rate, pending=pending
    )
    argv = ["submit", "-n", topo_file, "-N", name, "-e", "bench", "--config", str(config)]
    if tuple_bytes:
        argv += ["-o", f"bench.tuple.bytes={tuple_bytes}"]
    if rate:
        argv += ["-o", f"bench.rate={rate}"]
    if max_emits_per_next and impl == "stormbridge-batched":
        argv += ["-o", f"stormbridge.spout.max.emits.per.next={max_emits_per_next}"]
    for option in options:
        argv += ["-o", option]
    if pending:
        argv += ["-o", f"topology.max.spout.pending={pending}"]
    argv += ["--timeout", "120"]
    if impl.startswith("stormbridge"):
        argv += ["--python", str(STORMBRIDGE_VENV / "bin" / "python")]
    # The serializer is named: `sparse submit` would pick stormbridge's for every row.
    serializer = OWN_SERIALIZER if impl in OWN_SERIALIZER_IMPLS else STOCK_SERIALIZER
    argv += ["-o", f"topology.multilang.serializer={serializer}"]
    # ... and so would it the batched shell classes: only the batched row gets them.
    transport = "batched" if impl == "stormbridge-batched" else "stock"
    argv += ["-o", f"stormbridge.transport={transport}"]
    if impl == "java":
        assert java_jar is not None
        argv += ["--extra-jar", str(java_jar)]
    log(f"{name}: submitting")
    t0 = time.monotonic()
    rc = sparse(argv)
    if rc != 0:
        raise BenchError(f"`sparse {' '.join(argv)}` failed with exit code {rc} (output above)")
    m.submit_seconds = time.monotonic() - t0
    try:
        deadline = time.monotonic() + timeout
        topology_id = ""
        last: object = "no answer yet"
        while True:
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{name}: no acked tuple within {timeout:g} s of submitting (last: "
                    f"{last}); read the worker logs under {state_dir}/logs/workers-artifacts"
                )
            try:
                topology_id = topology_id or ui.topology_id(name)
                counts = read_counts(ui, topology_id)
            except StormBridgeError as exc:  # the UI may not know the topology yet
                last = exc
            else:
                last = counts
                if counts[0] > 0:
                    break
            time.sleep(1.0)
        m.first_ack_seconds = time.monotonic() - t0
        log(f"{name}: acking after {m.first_ack_seconds:.0f} s; warming up {warmup:g} s")
        time.sleep(warmup)
        m.processes = find_processes(state_dir, impl)
        log(
            f"{name}: measuring {window:g} s ({len(m.processes['python'])} Python processes, "
            f"{len(m.processes['worker'])} worker JVM)"
        )
        end = time.monotonic() + window
        while True:
            now = time.monotonic()
            sa, sf, ba, be, lat = read_counts(ui, topology_id)
            m.samples.append(
                Sample(
                    t=time.monotonic(),
                    spout_acked=sa,
                    spout_failed=sf,
                    bolt_acked=ba,
                    bolt_executed=be,
                    complete_latency_ms=lat,
                    python_cpu=_cpu_sum(m.processes["python"]),
                    worker_cpu=_cpu_sum(m.processes["worker"]),
                )
            )
            if now >= end:
                break
            time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
    finally:
        log(f"{name}: killing")
        nimbus.kill(name, wait_secs=0, wait=True, deadline=180)
        gone = time.monotonic() + 120
        while find_processes(state_dir, impl)["python"] and time.monotonic() < gone:
            time.sleep(1.0)
    return m


# --------------------------------------------------------------------------- project


def write_project(
    root: Path, nimbus: str, ui_url: str, max_spout_pending: int, pars: Sequence[int] = (2,)
) -> Path:
    shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "src" / "spouts" / "bench_words.py").write_text(BENCH_SPOUT)
    topologies = root / "topologies"
    topologies.mkdir()
    run = str(REFERENCE_VENV / "bin" / "streamparse_run")
    for par in sorted(set(pars)):  # one file per count_bolt parallelism
        values = {"run": run, "par": par}
        (topologies / f"bench_stormbridge_p{par}.py").write_text(STORMBRIDGE_TOPOLOGY % values)
        (topologies / f"bench_pystorm_p{par}.py").write_text(PYSTORM_TOPOLOGY % values)
        (topologies / f"bench_java_p{par}.py").write_text(JAVA_TOPOLOGY % values)
    host, _, port = ui_url.rpartition("//")[2].partition(":")
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {
            "bench": {
                "nimbus": nimbus,
                "ui.host": host,
                "ui.port": int(port),
                "use_virtualenv": False,
                "options": {
                    "topology.workers": 1,
                    "topology.acker.executors": 1,
                    "topology.max.spout.pending": max_spout_pending,
                },
            }
        },
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


# --------------------------------------------------------------------------- report


def _us(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _latency(r: dict[str, Any]) -> str:
    lat = r.get("complete_latency_ms")
    return "" if lat is None else f"{lat:,.2f} ms"


def _cpu_cells(r: dict[str, Any]) -> str:
    """The "Python µs CPU / tuple | worker JVM µs CPU / tuple" cells of a row."""
    python_us = "—" if r["impl"] == "java" else _us(r["python_cpu_us_per_tuple"])
    return f"{python_us} | {_us(r.get('worker_cpu_us_per_tuple'))}"


def render(results: dict[str, Any]) -> str:
    """The cluster section of docs/benchmarks.md: the main rows of one run, their ratios,
    and the extra rows (bolt parallelism 1, larger tuples) of the same run."""
    meta = results["meta"]
    par = meta.get("par", 2)
    main_rows = [
        r
        for r in results["runs"]
        if r["par"] == par
        and not r["tuple_bytes"]
        and not r.get("offered_rate")
        and not r.get("max_spout_pending")
    ]
    paced = [r for r in results["runs"] if r.get("offered_rate")]
    extra = [r for r in results["runs"] if r not in main_rows and r not in paced]
    by = {r["impl"]: r for r in main_rows}
    ps = by.get("pystorm", {}).get("acked_per_second")
    lines = [
        MARK_START,
        "## Cluster benchmark (word count on a real local Storm cluster)",
        "",
        f"Measured **{meta['date']}** with `{meta['command']}` (`make bench-cluster`; "
        f"{meta['elapsed_s']:.0f} s in all, every row in this one run) on "
        f"{meta['machine']['cpu']}, {meta['machine']['cores']} cores, Storm "
        f"{meta['storm_version']}. **1-minute load average before / after: "
        f"{meta['load_before']} / {meta['load_after']}** (the machine is shared: tuples per "
        "second move with the load, CPU time per tuple much less).",
        "",
        "| runtime | acked tuples / s | vs. streamparse | complete latency "
        "| Python µs CPU / tuple | worker JVM µs CPU / tuple | total µs CPU / tuple "
        "| Python / JVM cores | failed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in main_rows:
        rate = r["acked_per_second"]
        vs = f"{rate / ps:.2f}{TIMES}" if ps else ""
        python_us = "—" if r["impl"] == "java" else _us(r["python_cpu_us_per_tuple"])
        lines.append(
            f"| {ROW_NAMES[r['impl']]} | **{rate:,.0f}** | {vs} | {_latency(r)} "
            f"| {python_us} | {_us(r.get('worker_cpu_us_per_tuple'))} "
            f"| {_us(r.get('total_cpu_us_per_tuple'))} "
            f"| {r['python_cpu_share']:.2f} / {r['worker_cpu_share']:.2f} "
            f"| {r['failed_in_span']} |"
        )
    batched, java = by.get("stormbridge-batched"), by.get("java")
    if batched and java:
        lines += [
            "",
            f"The Java topology acks {java['acked_per_second'] / batched['acked_per_second']:.2f}"
            f"{TIMES} the batched row's tuples per second.",
        ]
    if extra:
        lines += [
            "",
            f"Same run, extra rows: another `count_bolt` parallelism than {par} "
            "(`--scaling-par`), "
            "each word padded to a larger tuple (`--big-tuple-bytes`, the spout's word and "
            "the bolt's (word, count) both carry it), and a lower `topology.max.spout.pending` "
            "(`--pending-row`: fewer tuple trees in flight, so shorter queues and a shorter "
            "complete latency on a saturated machine, for fewer tuples per second):",
            "",
            "| runtime | count_bolt par | bytes per word | max.spout.pending "
            "| acked tuples / s | complete latency "
            "| Python µs CPU / tuple | worker JVM µs CPU / tuple |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in extra:
            pending = r.get("max_spout_pending") or meta["max_spout_pending"]
            lines.append(
                f"| {ROW_NAMES[r['impl']]} | {r['par']} | {r['tuple_bytes'] or 'word'} "
                f"| {pending:,} | {r['acked_per_second']:,.0f} | {_latency(r)} "
                f"| {_cpu_cells(r)} |"
            )
    if paced:
        lines += [
            "",
            "Same run, latency at the same load: the rows again with the spout offering a fixed "
            "rate (`--paced-rate`; a row runs only at rates its flat-out row above reached with "
            "10 % to spare, so no queue builds up anywhere but where the runtime itself holds "
            "tuples):",
            "",
            "| runtime | offered tuples / s | acked tuples / s | complete latency "
            "| Python µs CPU / tuple | worker JVM µs CPU / tuple |",
            "|---|---|---|---|---|---|",
        ]
        for r in paced:
            lines.append(
                f"| {ROW_NAMES[r['impl']]} | {r['offered_rate']:,} "
                f"| {r['acked_per_second']:,.0f} | **{_latency(r)}** | {_cpu_cells(r)} |"
            )
    lines += [
        "",
        "Method:",
        "",
        "- Topology (every row the same shape, on the same cluster, one after the other): "
        "`spouts.bench_words.ReliableWordSpout` (the repository's word spout, emitting with "
        f"message ids) → `bolts.wordcount.WordCountBolt` unchanged, `par={par}` (main rows), "
        "fields grouping on `word`; "
        "`topology.workers` 1, `topology.acker.executors` 1, `topology.max.spout.pending` "
        f"{meta['max_spout_pending']}. streamparse/pystorm runs as "
        "`ShellSpout.spec`/`ShellBolt.spec` with `command=<.bench venv>/bin/streamparse_run`. "
        "stormbridge runs its own boot scripts with `--python <repo>/.venv/bin/python` (orjson "
        "importable; `sparse submit` alone gives workers `python3`). Every submit names "
        f"`topology.multilang.serializer` (Storm's `{STOCK_SERIALIZER}` or stormbridge's "
        f"`{OWN_SERIALIZER}`) and `stormbridge.transport` (`stock`: Thrift ShellComponents run "
        "by Storm's ShellBolt/ShellSpout; `batched`: `JavaObject` components of "
        "`stormbridge.multilang.BatchShellBolt`/`BatchShellSpout`). The Java row runs "
        "`bench/java/BenchWordCount.java` (`WordSpout` with message ids, `CountBolt` a "
        "`BaseRichBolt` that anchors and acks) from the topology jar: no Python, no pipe.",
        f"- After the first ack, {meta['warmup']:g} s of warm-up, then the UI REST API "
        f"(all-time counts, statistics every {meta['metrics_secs']} s at sample rate "
        f"{meta.get('sample_rate', 1.0):g}) is "
        f"read every second for {meta['window']:g} s. *Acked tuples / s* is the spout's acked "
        "count (complete tuple trees) between the first and the last statistics update inside "
        "the window, divided by the time between them; *complete latency* is the mean over the "
        "trees acked in that same span (from the UI's all-time mean and count at its two ends, "
        "so start-up weighs on no row; the all-time figure is in the raw samples); CPU over "
        "the same span from `/proc/<pid>/stat` of the "
        "Python component processes (1 spout + the bolts) and of the worker JVM (which also "
        "runs the acker and Storm's own threads), per acked tuple tree.",
        "- A 2-core machine runs ZooKeeper, Nimbus, the supervisor, the UI, the worker JVM "
        "and the Python processes here, shared with other work: the figures show where the "
        "end-to-end bottleneck is, not a capacity plan.",
        "",
        "Raw samples: `.bench/cluster.json` (not committed).",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def compile_java_word_count(home: Any) -> Path:
    """``bench/java/BenchWordCount.java`` compiled against the Storm home, as a jar."""
    from stormbridge.storm.javac import compile_java, jar_classes

    classes = compile_java(
        [JAVA_SOURCE],
        classpath=str(home.lib_worker / "*"),
        name="bench-java",
        depends_on=[home.version, str(home.path)],
        what="the Java word count of the benchmark",
    )
    return jar_classes(classes, "bench-word-count.jar")


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="word count on a local Storm cluster")
    parser.add_argument("--window", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds after first ack")
    parser.add_argument("--max-spout-pending", type=int, default=1000)
    parser.add_argument("--port-offset", type=int, default=30000)
    parser.add_argument("--metrics-secs", type=int, default=5)
    parser.add_argument(
        "--sample-rate",
        type=float,
        default=0.05,
        help="topology.stats.sample.rate of the cluster (default Storm's and `sparse cluster up`'s "
        "0.05; 1.0 makes Storm recompute capacity statistics on every bolt execute)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="submit → first ack")
    parser.add_argument(
        "--only",
        choices=ALL_IMPLS,
        action="append",
        help="only these main rows (repeatable), no extra rows, docs untouched",
    )
    parser.add_argument(
        "--max-emits-per-next",
        type=int,
        default=0,
        help="stormbridge.spout.max.emits.per.next of the batched rows (0: the classes' default)",
    )
    parser.add_argument(
        "-o",
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a topology option for every row (repeatable; recorded with the results)",
    )
    parser.add_argument(
        "--paced-rate",
        type=int,
        action="append",
        default=None,
        help=f"extra rows ({', '.join(PACED_IMPLS)}) with the spout offering this many tuples/s "
        f"(repeatable; 0: none; default {', '.join(map(str, DEFAULT_PACED_RATES))})",
    )
    parser.add_argument(
        "--pending-row",
        type=int,
        action="append",
        default=None,
        help=f"extra rows ({', '.join(PENDING_IMPLS)}) with this topology.max.spout.pending "
        f"(repeatable; 0: none; default {', '.join(map(str, DEFAULT_PENDING_ROWS))})",
    )
    parser.add_argument(
        "--paced-only",
        action="store_true",
        help="with --only: run those rows at --paced-rate instead of flat out",
    )
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--par", type=int, default=2, help="count_bolt parallelism of the rows")
    parser.add_argument(
        "--scaling-par",
        type=int,
        default=1,
        help=f"extra rows ({', '.join(SCALING_IMPLS)}) with this count_bolt parallelism (0: none)",
    )
    parser.add_argument(
        "--big-tuple-bytes",
        type=int,
        default=1024,
        help=f"extra rows ({', '.join(BIG_TUPLE_IMPLS)}) with every word padded to this many "
        "bytes (0: none)",
    )
    args = parser.parse_args(argv)
    args.paced_rate = _positive(args.paced_rate, DEFAULT_PACED_RATES)
    args.pending_row = _positive(args.pending_row, DEFAULT_PENDING_ROWS)

    def log(msg: str) -> None:
        print(f"[bench-cluster] {msg}", file=sys.stderr, flush=True)

    t_start = time.monotonic()
    load_before = loadavg()
    try:
        check_modules()
        ensure_reference_venv(log)
        results = run(args, log)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    results["meta"].update(
        {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": (
                ".venv/bin/python bench/cluster.py "
                + " ".join(sys.argv[1:] if argv is None else argv)
            ).strip(),
            "elapsed_s": time.monotonic() - t_start,
            "machine": machine_facts(),
            "load_before": load_before,
            "load_after": loadavg(),
            "window": args.window,
            "warmup": args.warmup,
            "max_spout_pending": args.max_spout_pending,
            "par": args.par,
            "max_emits_per_next": args.max_emits_per_next,
            "options": args.option,
            "paced_rates": args.paced_rate,
            "pending_rows": args.pending_row,
            "metrics_secs": args.metrics_secs,
            "sample_rate": args.sample_rate,
            "versions": {
                "stormbridge": venv_facts(STORMBRIDGE_VENV, ["stormbridge", "orjson"]),
                "pystorm": venv_facts(REFERENCE_VENV, ["streamparse", "pystorm", "simplejson"]),
            },
        }
    )
    BENCH_DIR.mkdir(exist_ok=True)
    raw_name = "cluster.json"
    (BENCH_DIR / raw_name).write_text(json.dumps(results, indent=1, default=str))
    for r in results["runs"]:
        log(
            f"{r['topology']}: {r['acked_per_second']:,.0f} acked/s, Python CPU "
            f"{r['python_cpu_share']:.2f} cores, worker JVM {r['worker_cpu_share']:.2f} cores, "
            f"{r['total_cpu_us_per_tuple'] or 0:.1f} µs CPU per tuple"
        )
    for key, value in (results.get("ratio") or {}).items():
        log(f"ratio {key}: {value:.2f}x")
    if not args.no_doc and not args.only:
        write_doc(render(results), MARK_START, MARK_END)
        log(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def _positive(given: list[int] | None, default: Sequence[int]) -> list[int]:
    """A repeatable option's values (the default when not given), 0 meaning none."""
    return [v for v in (default if given is None else given) if v > 0]


def run_plan(args: argparse.Namespace) -> list[Row]:
    """Every row of the run, in running order: the main rows flat out, then the extra rows."""
    if args.only:
        if args.paced_only:
            return [Row(i, args.par, 0, rate) for rate in args.paced_rate for i in args.only]
        return [Row(impl, args.par) for impl in args.only]
    plan = [Row(impl, args.par) for impl in ALL_IMPLS]
    if args.scaling_par and args.scaling_par != args.par:
        plan += [Row(impl, args.scaling_par) for impl in SCALING_IMPLS]
    if args.big_tuple_bytes:
        plan += [Row(impl, args.par, args.big_tuple_bytes) for impl in BIG_TUPLE_IMPLS]
    for pending in args.pending_row:
        plan += [Row(impl, args.par, 0, 0, pending) for impl in PENDING_IMPLS]
    for rate in args.paced_rate:
        plan += [Row(impl, args.par, 0, rate) for impl in PACED_IMPLS]
    return plan


def can_offer(row: Row, runs: Sequence[dict[str, Any]]) -> bool:
    """Whether a paced row's rate is within reach: its flat-out main row of the same run (when
    there is one) acked at least 10 % more. A row past its maximum measures its saturation
    again, not latency at that load."""
    if not row.rate:
        return True
    for r in runs:
        if (
            r["impl"] == row.impl
            and r["par"] == row.par
            and not r["tuple_bytes"]
            and not r["offered_rate"]
            and not r.get("max_spout_pending")
        ):
            return bool(r["acked_per_second"] >= 1.1 * row.rate)
    return True


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    from stormbridge.errors import StormBridgeError
    from stormbridge.storm.config import ClusterSpec
    from stormbridge.storm.daemons import start_cluster, stop_cluster
    from stormbridge.storm.home import provision, resolve_home
    from stormbridge.thrift.nimbus import NimbusClient
    from stormbridge.ui.client import UIClient

    try:
        try:
            home = resolve_home()
        except StormBridgeError:
            home = provision(progress=log)
    except StormBridgeError as exc:
        raise BenchError(f"Storm is not provisioned and provisioning failed: {exc}") from exc
    state_dir = BENCH_DIR / "cluster"
    spec = ClusterSpec(
        state_dir=state_dir,
        supervisors=1,
        slots=2,
        port_offset=args.port_offset,
        metrics_secs=args.metrics_secs,
        sample_rate=args.sample_rate,
        logviewer=False,
    )
    try:
        stop_cluster(state_dir)  # a cluster left over by an interrupted run
    except StormBridgeError as exc:
        raise BenchError(f"could not stop the previous benchmark cluster: {exc}") from exc
    log(f"starting a Storm {home.version} cluster (state and logs in {state_dir})")
    try:
        record = start_cluster(spec, home, progress=log, timeout=300.0)
    except StormBridgeError as exc:
        raise BenchError(f"the Storm cluster did not start: {exc}") from exc
    runs: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = []
    try:
        if record.ui_url is None:
            raise BenchError("the cluster started without a UI: " + "; ".join(record.notes))
        nimbus_addr = f"{record.host}:{record.nimbus_port}"
        ui = UIClient(record.ui_url, timeout=30)
        with (
            tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp,
            NimbusClient(record.host, record.nimbus_port, timeout=60) as nimbus,
        ):
            plan = run_plan(args)
            pars = [row.par for row in plan]
            config = write_project(
                Path(tmp), nimbus_addr, record.ui_url, args.max_spout_pending, pars
            )
            need_java = any(row.impl == "java" for row in plan)
            java_jar = compile_java_word_count(home) if need_java else None
            for row in plan:
                impl = row.impl
                if not can_offer(row, runs):
                    log(f"{TOPOLOGY_NAMES[impl]}: {row.rate:,} tuples/s is past its maximum")
                    continue
                try:
                    m = measure(
                        impl,
                        config,
                        ui,
                        nimbus,
                        state_dir,
                        warmup=args.warmup,
                        window=args.window,
                        timeout=args.timeout,
                        log=log,
                        java_jar=java_jar,
                        par=row.par,
                        tuple_bytes=row.tuple_bytes,
                        rate=row.rate,
                        pending=row.pending,
                        max_emits_per_next=args.max_emits_per_next,
                        options=args.option,
                    )
                except StormBridgeError as exc:
                    raise BenchError(f"{TOPOLOGY_NAMES[impl]}: {exc}") from exc
                summary = m.summary()
                runs.append(summary)
                raw.append({"impl": impl, "samples": [vars(s) for s in m.samples]})
                log(f"{m.topology}: {summary['acked_per_second']:,.0f} acked tuples/s")
    finally:
        log("stopping the cluster")
        stop_cluster(state_dir, progress=log)
    results: dict[str, Any] = {
        "meta": {"storm_version": home.version},
        "runs": runs,
        "samples": raw,
    }
    main_rows = {
        r["impl"]: r
        for r in runs
        if r["par"] == args.par
        and not r["tuple_bytes"]
        and not r["offered_rate"]
        and not r["max_spout_pending"]
    }
    ratios: dict[str, float] = {}
    for a, b in (
        ("stormbridge-batched", "pystorm"),
        ("stormbridge", "pystorm"),
        ("java", "stormbridge-batched"),
    ):
        if a in main_rows and b in main_rows:
            ratios[f"{a}/{b} acked/s"] = (
                main_rows[a]["acked_per_second"] / main_rows[b]["acked_per_second"]
            )
    results["ratio"] = ratios
    return results


if __name__ == "__main__":
    sys.exit(main())
