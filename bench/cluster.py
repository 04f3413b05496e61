"""End-to-end benchmark on a real local Storm cluster: stormbridge vs streamparse/pystorm.

``make bench-cluster`` runs this file. It

1. makes sure the streamparse 5.0.1/pystorm 3.1.4 virtualenv exists (``bench/common.py``)
   and that Storm is provisioned;
2. starts its own single-host cluster (ZooKeeper, Nimbus, 1 supervisor, UI; ports moved by
   ``--port-offset``, statistics every 5 s at sample rate 1.0, state under
   ``.bench/cluster/``) and stops it at the end, whatever happens;
3. writes a throw-away project: the repository's ``src/`` plus ``spouts/bench_words.py``
   (the repository's word spout with message ids, so that acking and
   ``topology.max.spout.pending`` apply) and two topologies of the same shape —
   spout → ``WordCountBolt`` (``par=2``, fields grouping on ``word``), 1 worker, 1 acker:

   * ``bench-stormbridge``: the classes themselves (stormbridge's DSL, boot scripts, runtime);
   * ``bench-pystorm``: ``ShellSpout.spec``/``ShellBolt.spec`` with
     ``command=<reference venv>/bin/streamparse_run`` and ``script=<module.Class>``, i.e.
     streamparse 5.0.1 / pystorm 3.1.4 running the same files;

4. for each (one after the other, never together): ``sparse submit``, wait for acks,
   warm up, then poll the UI REST API (``/api/v1/topology/<id>``) every second over a fixed
   window and compute acked tuples per second from the first to the last statistics update
   inside the window; the CPU of the Python component processes and of the worker JVM over
   the same span comes from ``/proc``; then kill the topology and wait until its processes
   are gone;
5. writes the figures and the ratio into ``docs/benchmarks.md`` (between the cluster
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
from typing import Any

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
#: ``--serializer-rows``' own section, so that a run on a loaded machine never replaces the
#: quiet-machine figures above.
SERIALIZER_MARK_START = "<!-- bench:cluster-serializer:start -->"
SERIALIZER_MARK_END = "<!-- bench:cluster-serializer:end -->"
IMPLS = ("stormbridge", "pystorm")
#: The rows ``--serializer-rows`` adds: stormbridge on its own multilang serializer, and the
#: same word count as Java spout and bolts (no Python, no pipe: the limit).
EXTRA_IMPLS = ("stormbridge-own", "java")
ALL_IMPLS = (*IMPLS, *EXTRA_IMPLS)
TOPOLOGY_NAMES = {
    "stormbridge": "bench-stormbridge",
    "pystorm": "bench-pystorm",
    "stormbridge-own": "bench-stormbridge-own",
    "java": "bench-java",
}
TOPOLOGY_FILES = {
    "stormbridge": "bench_stormbridge",
    "pystorm": "bench_pystorm",
    "stormbridge-own": "bench_stormbridge",
    "java": "bench_java",
}
ROW_NAMES = {
    "stormbridge": "stormbridge (Storm's JsonSerializer)",
    "pystorm": "streamparse 5.0.1 / pystorm 3.1.4",
    "stormbridge-own": "stormbridge + own serializer",
    "java": "the same word count as Java spout and bolts",
}
STOCK_SERIALIZER = "org.apache.storm.multilang.JsonSerializer"
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

from spouts.words import WordSpout


class ReliableWordSpout(WordSpout):
    def initialize(self, stormconf, context):
        super().initialize(stormconf, context)
        self.next_id = 0

    def next_tuple(self):
        self.next_id += 1
        self.emit([next(self.words)], tup_id=self.next_id)
'''

STORMBRIDGE_TOPOLOGY = """\
from streamparse import Grouping, Topology

from bolts.wordcount import WordCountBolt
from spouts.bench_words import ReliableWordSpout


class BenchStormbridge(Topology):
    word_spout = ReliableWordSpout.spec()
    count_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=2)
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
        par=2,
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
        par=2,
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
            "complete_latency_ms": last.complete_latency_ms,
            "python_processes": len(self.processes.get("python", [])),
            "submit_seconds": self.submit_seconds,
            "first_ack_seconds": self.first_ack_seconds,
        }


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
) -> Measurement:
    from stormbridge.cli.main import main as sparse
    from stormbridge.errors import StormBridgeError

    name = TOPOLOGY_NAMES[impl]
    topo_file = TOPOLOGY_FILES[impl]
    m = Measurement(impl=impl, topology=name)
    argv = ["submit", "-n", topo_file, "-N", name, "-e", "bench", "--config", str(config)]
    argv += ["--timeout", "120"]
    if impl.startswith("stormbridge"):
        argv += ["--python", str(STORMBRIDGE_VENV / "bin" / "python")]
    # The serializer is named: `sparse submit` would pick stormbridge's for every row.
    serializer = OWN_SERIALIZER if impl == "stormbridge-own" else STOCK_SERIALIZER
    argv += ["-o", f"topology.multilang.serializer={serializer}"]
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


def write_project(root: Path, nimbus: str, ui_url: str, max_spout_pending: int) -> Path:
    shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "src" / "spouts" / "bench_words.py").write_text(BENCH_SPOUT)
    topologies = root / "topologies"
    topologies.mkdir()
    (topologies / "bench_stormbridge.py").write_text(STORMBRIDGE_TOPOLOGY)
    run = str(REFERENCE_VENV / "bin" / "streamparse_run")
    (topologies / "bench_pystorm.py").write_text(PYSTORM_TOPOLOGY % {"run": run})
    (topologies / "bench_java.py").write_text(JAVA_TOPOLOGY)
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


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    rows = results["runs"]
    lines = [
        MARK_START,
        "## Cluster benchmark (word count on a real local Storm cluster)",
        "",
        f"Measured **{meta['date']}** with `{meta['command']}` (`make bench-cluster`; "
        f"{meta['elapsed_s']:.0f} s in all) on {meta['machine']['cpu']}, "
        f"{meta['machine']['cores']} cores, Storm {meta['storm_version']}, "
        f"load average before / after {meta['load_before']} / {meta['load_after']}.",
        "",
        "| runtime | acked tuples / s | count_bolt acked / s | failed | complete latency "
        "| Python CPU (cores) | Python µs CPU / tuple | worker JVM CPU (cores) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = "stormbridge" if r["impl"] == "stormbridge" else "streamparse 5.0.1 / pystorm 3.1.4"
        lat = r["complete_latency_ms"]
        us = r["python_cpu_us_per_tuple"]
        lines.append(
            f"| {name} | **{r['acked_per_second']:,.0f}** | {r['bolt_acked_per_second']:,.0f} "
            f"| {r['failed_in_span']} | {'' if lat is None else f'{lat:,.1f} ms'} "
            f"| {r['python_cpu_share']:.2f} | {'' if us is None else f'{us:.1f}'} "
            f"| {r['worker_cpu_share']:.2f} |"
        )
    ratio = results.get("ratio")
    if ratio:
        lines += [
            "",
            f"**Ratio stormbridge / pystorm: {ratio['acked_per_second']:.2f}{TIMES} acked "
            f"tuples per second; {ratio['python_cpu_per_tuple']:.2f}{TIMES} the Python CPU "
            "per tuple** (lower is better).",
        ]
    lines += [
        "",
        "Method:",
        "",
        f"- Topology (both runtimes, same shape, same cluster, one after the other): "
        f"`spouts.bench_words.ReliableWordSpout` (the repository's word spout, emitting with "
        f"message ids) → `bolts.wordcount.WordCountBolt` unchanged, `par=2`, fields grouping "
        f"on `word`; `topology.workers` 1, `topology.acker.executors` 1, "
        f"`topology.max.spout.pending` {meta['max_spout_pending']}, JSON multilang "
        "serializer. stormbridge runs its own boot scripts with the project's `.venv` "
        "Python; streamparse/pystorm runs as `ShellSpout.spec`/`ShellBolt.spec` with "
        "`command=<.bench venv>/bin/streamparse_run`, `script=<module.Class>`.",
        f"- After the first ack, {meta['warmup']:g} s of warm-up, then the UI REST API "
        f"(`/api/v1/topology/<id>`, all-time counts, statistics every "
        f"{meta['metrics_secs']} s at sample rate 1.0) is read every second for "
        f"{meta['window']:g} s. *Acked tuples / s* is the spout's acked count (complete "
        "tuple trees) between the first and the last statistics update inside the window, "
        "divided by the time between them; CPU over the same span from `/proc/<pid>/stat` "
        "of the Python component processes (1 spout + 2 bolts) and of the worker JVM, in "
        "cores (1.00 = one core busy).",
        "- A 2-core machine runs ZooKeeper, Nimbus, the supervisor, the UI, the worker JVM "
        "and three Python processes here, and it was shared with other work: the figures "
        "show where the end-to-end bottleneck is, not a capacity plan.",
        "",
        "Raw samples: `.bench/cluster.json` (not committed).",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def render_serializer_rows(results: dict[str, Any]) -> str:
    """The section of ``--serializer-rows``: CPU time per tuple, which a loaded machine
    disturbs less than tuples per second."""
    meta = results["meta"]
    rows = results["runs"]
    by = {r["impl"]: r for r in rows}
    base = by.get("stormbridge", {}).get("total_cpu_us_per_tuple")

    def us(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    lines = [
        SERIALIZER_MARK_START,
        "## Cluster benchmark: stormbridge's multilang serializer and the Java limit",
        "",
        f"Measured **{meta['date']}** with `{meta['command']}` ({meta['elapsed_s']:.0f} s in "
        f"all) on {meta['machine']['cpu']}, {meta['machine']['cores']} cores, Storm "
        f"{meta['storm_version']}. **The machine was loaded by other work: load average "
        f"before / after {meta['load_before']} / {meta['load_after']}**, so read the CPU time "
        "per tuple (µs of CPU per acked tuple tree, from `/proc`), not the tuples per second.",
        "",
        "| runtime | acked tuples / s | failed | Python µs CPU / tuple "
        "| worker JVM µs CPU / tuple | total µs CPU / tuple | total vs. stormbridge on "
        "Storm's serializer |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        total = r.get("total_cpu_us_per_tuple")
        ratio = f"{total / base:.2f}{TIMES}" if total and base else ""
        lines.append(
            f"| {ROW_NAMES[r['impl']]} | {r['acked_per_second']:,.0f} | {r['failed_in_span']} "
            f"| {us(r['python_cpu_us_per_tuple']) if r['impl'] != 'java' else '—'} "
            f"| {us(r.get('worker_cpu_us_per_tuple'))} | {us(total)} | {ratio} |"
        )
    lines += [
        "",
        "Method: as in the cluster benchmark above (same topology shape, cluster, warm-up "
        f"{meta['warmup']:g} s and window {meta['window']:g} s, one topology at a time), with "
        "`topology.multilang.serializer` named on every submit: Storm's "
        f"`{STOCK_SERIALIZER}` for stormbridge and streamparse/pystorm, stormbridge's "
        f"`{OWN_SERIALIZER}` (`stormbridge/storm/java/multilang/`, in the topology jar) for "
        "the own-serializer row. The Java row runs `bench/java/BenchWordCount.java` "
        "(`WordSpout` with message ids, `CountBolt` a `BaseRichBolt` that anchors and acks, "
        "`par=2`, fields grouping), merged into the topology jar with `--extra-jar`: no "
        "Python process, no pipe, the cost of Storm itself. The worker JVM's CPU includes "
        "the acker and Storm's own threads; the Python CPU is the 1 spout + 2 bolt processes.",
        "",
        "Raw samples: `.bench/cluster-serializer.json` (not committed).",
        SERIALIZER_MARK_END,
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
    parser.add_argument("--window", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds after first ack")
    parser.add_argument("--max-spout-pending", type=int, default=1000)
    parser.add_argument("--port-offset", type=int, default=30000)
    parser.add_argument("--metrics-secs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300.0, help="submit → first ack")
    parser.add_argument("--only", choices=ALL_IMPLS)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--serializer-rows",
        action="store_true",
        help="also run stormbridge on its own multilang serializer and the Java word count; "
        "write their own section of docs/benchmarks.md (CPU per tuple, with the load)",
    )
    args = parser.parse_args(argv)

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
            "metrics_secs": args.metrics_secs,
            "versions": {
                "stormbridge": venv_facts(STORMBRIDGE_VENV, ["stormbridge", "orjson"]),
                "pystorm": venv_facts(REFERENCE_VENV, ["streamparse", "pystorm", "simplejson"]),
            },
        }
    )
    BENCH_DIR.mkdir(exist_ok=True)
    raw_name = "cluster-serializer.json" if args.serializer_rows else "cluster.json"
    (BENCH_DIR / raw_name).write_text(json.dumps(results, indent=1, default=str))
    for r in results["runs"]:
        log(
            f"{r['topology']}: {r['acked_per_second']:,.0f} acked/s, Python CPU "
            f"{r['python_cpu_share']:.2f} cores, worker JVM {r['worker_cpu_share']:.2f} cores, "
            f"{r['total_cpu_us_per_tuple'] or 0:.1f} µs CPU per tuple"
        )
    if results.get("ratio"):
        log(f"ratio stormbridge/pystorm: {results['ratio']['acked_per_second']:.2f}x acked/s")
    if not args.no_doc and args.serializer_rows:
        write_doc(render_serializer_rows(results), SERIALIZER_MARK_START, SERIALIZER_MARK_END)
        log(f"wrote {DOC.relative_to(ROOT)}")
    elif not args.no_doc and not args.only:
        write_doc(render(results), MARK_START, MARK_END)
        log(f"wrote {DOC.relative_to(ROOT)}")
    return 0


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
        sample_rate=1.0,
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
            config = write_project(Path(tmp), nimbus_addr, record.ui_url, args.max_spout_pending)
            impls: tuple[str, ...] = ALL_IMPLS if args.serializer_rows else IMPLS
            if args.only:
                impls = (args.only,)
            java_jar = compile_java_word_count(home) if "java" in impls else None
            for impl in impls:
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
    by = {r["impl"]: r for r in runs}
    if "stormbridge" in by and "pystorm" in by:
        sb, ps = by["stormbridge"], by["pystorm"]
        results["ratio"] = {
            "acked_per_second": sb["acked_per_second"] / ps["acked_per_second"],
            "python_cpu_per_tuple": (
                sb["python_cpu_us_per_tuple"] / ps["python_cpu_us_per_tuple"]
                if sb["python_cpu_us_per_tuple"] and ps["python_cpu_us_per_tuple"]
                else float("nan")
            ),
        }
    return results


if __name__ == "__main__":
    sys.exit(main())
