"""Component benchmark: stormbridge vs streamparse 5.0.1/pystorm 3.1.4, side by side.

``make bench`` runs this file. It

1. makes (once, cached under ``.bench/``) a virtualenv with streamparse 5.0.1 and pystorm
   3.1.4 from PyPI, and uses the project's ``.venv`` for stormbridge;
2. copies the project's ``src/`` into a temporary ``resources/`` directory (Storm 2.x runs a
   shell component with that as its working directory), and runs the *same* files there
   under both runtimes: ``bolts.wordcount.WordCountBolt`` and ``spouts.words.WordSpout``;
3. checks every runtime once for correctness (exact acks and counts), then measures each
   case ``--reps`` times, interleaving the runtimes, with the independent driver
   (``bench/driver.py``) playing Storm's side over real pipes;
4. writes the figures, medians, spreads and ratios into ``docs/benchmarks.md`` (between
   the component-benchmark markers) and the raw runs into ``.bench/components.json``.

``--profile stormbridge|pystorm`` instead runs one JSON bolt case under cProfile and prints
the hottest functions.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import driver
from common import (
    BENCH_DIR,
    DOC,
    ROOT,
    STORMBRIDGE_VENV,
    BenchError,
    ensure_reference_venv,
    loadavg,
    machine_facts,
    venv_facts,
    write_doc,
)

BOLT_CLASS = "bolts.wordcount.WordCountBolt"
SPOUT_CLASS = "spouts.words.WordSpout"
IMPLS = ("stormbridge", "pystorm")
#: The hand-written reference loop (bench/floor.py), run for JSON only: not a runtime.
FLOOR = "floor"
IMPL_NAMES = {
    "stormbridge": "stormbridge",
    "pystorm": "pystorm 3.1.4",
    FLOOR: "floor (bench/floor.py)",
}

DASH, TIMES = "\u2013", "\u00d7"  # en dash, multiplication sign (markdown output)

MARK_START = "<!-- bench:components:start -->"
MARK_END = "<!-- bench:components:end -->"


# --------------------------------------------------------------------------- cases


@dataclasses.dataclass(frozen=True)
class Case:
    kind: str  # "bolt" | "spout"
    serializer: str  # "json" | "msgpack"
    same_cpu: bool = False  # spout only: driver and spout pinned to one CPU

    @property
    def key(self) -> str:
        return f"{self.kind} {self.serializer}" + (", same CPU" if self.same_cpu else "")


CASES = (
    Case("bolt", "json"),
    Case("spout", "json", same_cpu=True),
    Case("spout", "json"),
    Case("bolt", "msgpack"),
    Case("spout", "msgpack", same_cpu=True),
)

#: Targets from issue 2 (stormbridge / pystorm, tuples per CPU-second, JSON framing).
TARGETS = {("bolt", "json"): 5.0, ("spout", "json"): 3.0}


def impls_for(case: Case, impls: Sequence[str]) -> tuple[str, ...]:
    extra = (FLOOR,) if case.serializer == "json" and len(impls) > 1 else ()
    return (*impls, *extra)


def command_for(impl: str, venvs: dict[str, Path], case: Case) -> list[str]:
    if impl == FLOOR:
        floor = Path(__file__).resolve().parent / "floor.py"
        return [str(STORMBRIDGE_VENV / "bin" / "python"), str(floor), case.kind]
    exe = str(venvs[impl] / "bin" / "streamparse_run")
    cls = BOLT_CLASS if case.kind == "bolt" else SPOUT_CLASS
    return [exe, "-s", case.serializer, cls] if case.serializer != "json" else [exe, cls]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_case(
    impl: str, case: Case, venvs: dict[str, Path], cwd: str, n: int, timeout: float
) -> driver.BoltRun | driver.SpoutRun:
    cmd = command_for(impl, venvs, case)
    if case.kind == "bolt":
        bolt = driver.run_bolt(
            cmd, cwd, n, serializer=case.serializer, timeout=timeout, env=child_env()
        )
        driver.check_word_count(bolt)
        return bolt
    spout = driver.run_spout(
        cmd,
        cwd,
        n,
        serializer=case.serializer,
        timeout=timeout,
        env=child_env(),
        same_cpu=case.same_cpu,
    )
    driver.check_word_spout(spout)
    return spout


# --------------------------------------------------------------------------- statistics


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "per_cpu_second": spread([r["per_cpu_second"] for r in runs]),
        "per_wall_second": spread([r["per_wall_second"] for r in runs]),
        "cpu_us_per_tuple": spread([r["cpu_us_per_tuple"] for r in runs]),
        "peak_rss_kib": spread([r["peak_rss_kib"] for r in runs]),
        "startup_cpu_seconds": spread([r["startup_cpu_seconds"] for r in runs]),
        "sys_share": spread(
            [r["sys_seconds"] / max(r["user_seconds"] + r["sys_seconds"], 1e-9) for r in runs]
        ),
        "n": runs[0]["n"],
        "reps": len(runs),
    }


# --------------------------------------------------------------------------- report


def _k(x: float) -> str:
    return f"{x / 1000:,.1f}k"


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    meta = results["meta"]
    lines += [
        MARK_START,
        "## Component benchmark (one Python process, driven over pipes)",
        "",
        f"Measured **{meta['date']}** with `{meta['command']}` "
        f"(`make bench`; {meta['elapsed_s']:.0f} s in all).",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {meta['machine']['cpu']}, {meta['machine']['cores']} cores |",
        f"| OS | {meta['machine']['os']} |",
        f"| load average before / after | {meta['load_before']} / {meta['load_after']} |",
    ]
    sb, ref = meta["versions"]["stormbridge"], meta["versions"]["pystorm"]
    lines += [
        f"| stormbridge | {sb.get('stormbridge')} on CPython {sb.get('python')} "
        f"(orjson {sb.get('orjson')}, msgpack {sb.get('msgpack')}) |",
        f"| reference | streamparse {ref.get('streamparse')}, pystorm {ref.get('pystorm')} on "
        f"CPython {ref.get('python')} (simplejson {ref.get('simplejson')}, "
        f"msgpack {ref.get('msgpack')}) |",
        "",
        "### Results",
        "",
        "Medians of "
        f"{meta['reps']} interleaved runs, with the [min {DASH} max] over the runs. "
        "A bolt run feeds "
        f"{meta['n_bolt']:,} tuples; a spout run makes {meta['n_spout']:,} `next` round trips. "
        "**CPU** = tuples per CPU-second of the component process (user + sys, all threads, "
        "measured phase only); **wall** = tuples per second of elapsed time.",
        "",
        "| case | runtime | tuples / CPU-s | µs CPU / tuple | kernel share of CPU "
        "| tuples / wall-s | peak RSS | start-up CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case_key, per_impl in results["cases"].items():
        for impl in (*IMPLS, FLOOR):
            entry = per_impl.get(impl)
            name = IMPL_NAMES[impl]
            if impl == FLOOR and entry is None:
                continue
            if entry is None or "error" in entry:
                why = entry["error"].splitlines()[0] if entry else "not run"
                lines.append(f"| {case_key} | {name} | **failed**: {why} | | | | | |")
                continue
            a = entry["stats"]
            c, w = a["per_cpu_second"], a["per_wall_second"]
            lines.append(
                f"| {case_key} | {name} | **{_k(c['median'])}** "
                f"[{_k(c['min'])} {DASH} {_k(c['max'])}] "
                f"| {a['cpu_us_per_tuple']['median']:.1f} "
                f"| {100 * a['sys_share']['median']:.0f} % "
                f"| {_k(w['median'])} [{_k(w['min'])} {DASH} {_k(w['max'])}] "
                f"| {a['peak_rss_kib']['median'] / 1024:.1f} MiB "
                f"| {1000 * a['startup_cpu_seconds']['median']:.0f} ms |"
            )
    lines += [
        "",
        "### Ratios stormbridge / pystorm",
        "",
        "| case | CPU (tuples / CPU-s) | wall (tuples / s) | peak RSS | target (CPU) "
        "| floor / pystorm (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for case_key, per_impl in results["cases"].items():
        ratio = per_impl.get("ratio")
        target = per_impl.get("target")
        tgt = f"\u2265 {target:g}{TIMES}" if target else DASH
        floor = per_impl.get("floor_cpu_ratio")
        floor_s = f"{floor:.1f}{TIMES}" if floor else DASH
        if ratio is None:
            lines.append(f"| {case_key} | n/a | n/a | n/a | {tgt} | {floor_s} |")
            continue
        met = ""
        if target:
            met = " — **met**" if ratio["cpu"] >= target else " — **not met**"
        lines.append(
            f"| {case_key} | **{ratio['cpu']:.1f}{TIMES}** | {ratio['wall']:.1f}{TIMES} "
            f"| {ratio['rss']:.2f}{TIMES} | {tgt}{met} | {floor_s} |"
        )
    lines += [
        "",
        "### Method",
        "",
        "- `bench/driver.py` is an independent fake Storm (standard library, plus `msgpack` for "
        "the msgpack framing) written from Storm's multilang protocol, not from either runtime. "
        "It starts the component as Storm 2.x does — `streamparse_run <module.Class>` from the "
        "runtime's own virtualenv, with a copy of the project's `src/` as the working directory "
        "(Storm's `resources/`) — and talks to it over OS pipes: handshake with a `pidDir` "
        "(the pid file is checked), then one `__heartbeat` (bolt) or `activate` (spout) to "
        "finish start-up. The component's code is the project's, unchanged, for both runtimes.",
        "- **Bolt:** the driver pre-encodes N tuples `{id, comp, stream, task, tuple: [word]}` "
        "(random 64-bit ids, words cycling dog/cat/zebra/elephant) and a writer thread pushes "
        "them into the pipe as fast as it takes them, with a `__heartbeat` every second and any "
        "task-id lists owed; the main thread reads concurrently until every tuple is acked. "
        "The measured phase ends at the last ack.",
        "- **Spout:** N synchronous round trips: write `next`, read every message up to `sync`. "
        "Each round trip wakes the spout once. In the *same CPU* rows the driver and the spout "
        "are pinned to one CPU, so the CPU is handed over directly; in the other row they may "
        "run on different CPUs, and waking a process on an idle CPU (an inter-processor "
        "interrupt, and on a VM an exit from the halted vCPU) costs far more kernel time than "
        "the runtime's own work, for every runtime alike (compare the floor). That row depends "
        "most on the machine and on how busy it is.",
        "- **Correctness** is checked on every run, outside the measured phase: every tuple "
        "acked exactly once, every emit anchored to its input and carrying the exact running "
        "count (`dog` counts 10), the spout's words in order. A run that fails the check "
        "fails the benchmark.",
        "- **CPU** of the component comes from the kernel's per-process CPU clock "
        "(`clock_getcpuclockid`, ns resolution, every thread of the process) read just before "
        "the first tuple and at the last ack/`sync`; the driver's own CPU is not counted. "
        "Start-up CPU (interpreter, imports, handshake) is reported separately. The kernel "
        "share (sys / (user + sys), from `/proc/<pid>/stat`, 10 ms ticks) shows time spent "
        "in system calls and page faults. Peak RSS is "
        "the component's `VmHWM` (`/proc/<pid>/status`) at the end of the measured phase "
        "(not `ru_maxrss`, which on Linux includes the parent's size at fork).",
        "- **Floor:** `bench/floor.py` is the same word count written straight against the "
        "pipe (orjson, one read and one write per batch, no framework, no checks), run for "
        "JSON only. It is not a runtime; it shows how much of the cost per tuple is the pipe, "
        "the interpreter and the encoding, i.e. roughly the best a Python multilang process "
        "can do here. *floor / pystorm* is therefore about the largest ratio on offer.",
        "- The runtimes are interleaved (each repetition runs every case under both), so load "
        "changes hit both alike. The driver and the component share the machine: **wall "
        "figures were taken on a shared 2-core machine** where other work was running (see the "
        "load average) and are indicative only; CPU-seconds are the robust figure.",
        "- **msgpack:** Storm ships no Java msgpack multilang serializer (STORM-1565 was "
        "closed Won't Fix), so on a real cluster every runtime speaks JSON; the msgpack rows "
        "compare the Python side alone (pystorm's `-s msgpack` against stormbridge's).",
        "- **Profiling:** `.venv/bin/python bench/run.py --profile stormbridge` "
        "(or `pystorm`; `--profile-kind spout`) runs one JSON case under cProfile with a CPU "
        "timer (`bench/profile_component.py`) and prints the hottest functions.",
        "- A real Storm worker adds the JVM's side of the pipe (json-smart, one flush per "
        "message) which is the same for both runtimes; see the cluster benchmark for "
        "end-to-end numbers.",
        "",
        "Raw runs: `.bench/components.json` (not committed).",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- profile


def profile(impl: str, kind: str, venvs: dict[str, Path], cwd: str, n: int) -> None:
    out = BENCH_DIR / f"profile-{impl}-{kind}.prof"
    case = Case(kind, "json")
    wrapper = Path(__file__).resolve().parent / "profile_component.py"
    cmd = [str(venvs[impl] / "bin" / "python"), str(wrapper), str(out)]
    cmd += command_for(impl, venvs, case)
    run: driver.BoltRun | driver.SpoutRun
    if kind == "bolt":
        run = driver.run_bolt(cmd, cwd, n, serializer="json", timeout=600, env=child_env())
        driver.check_word_count(run)
    else:
        run = driver.run_spout(
            cmd, cwd, n, serializer="json", timeout=600, env=child_env(), same_cpu=True
        )
        driver.check_word_spout(run)
    print(f"{impl}: {run.cpu_seconds * 1e6 / n:.1f} us CPU/tuple under cProfile (CPU timer)")
    print(f"profile in {out}; tottime/cumtime below are CPU seconds of the main thread")
    import pstats

    stats = pstats.Stats(str(out))
    stats.sort_stats("tottime").print_stats(25)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="stormbridge vs pystorm component benchmark")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--n-bolt", type=int, default=100_000)
    parser.add_argument("--n-spout", type=int, default=30_000)
    parser.add_argument("--timeout", type=float, default=180.0, help="per run, seconds")
    parser.add_argument(
        "--only", choices=IMPLS, help="run one runtime only (development; no ratios)"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--profile", choices=IMPLS, help="cProfile one JSON run and exit")
    parser.add_argument(
        "--profile-kind", choices=("bolt", "spout"), default="bolt", help="with --profile"
    )
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    t_start = time.monotonic()
    load_before = loadavg()
    try:
        venvs = {"stormbridge": STORMBRIDGE_VENV, "pystorm": ensure_reference_venv(log)}
    except BenchError as exc:
        log(str(exc))
        return 1
    if not (STORMBRIDGE_VENV / "bin" / "streamparse_run").exists():
        log(f"{STORMBRIDGE_VENV}/bin/streamparse_run is missing: run `make install` first")
        return 1

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        resources = os.path.join(tmp, "resources")
        shutil.copytree(ROOT / "src", resources, ignore=shutil.ignore_patterns("__pycache__"))
        if args.profile:
            n = args.n_bolt if args.profile_kind == "bolt" else args.n_spout
            profile(args.profile, args.profile_kind, venvs, resources, n)
            return 0

        impls = (args.only,) if args.only else IMPLS
        raw: dict[str, dict[str, list[dict[str, Any]]]] = {}
        failed: dict[tuple[str, str], str] = {}
        # Correctness first, small N: a runtime that miscounts is not benchmarked.
        for case in CASES:
            for impl in impls_for(case, impls):
                key = case.key
                try:
                    run_case(impl, case, venvs, resources, 2000, 60)
                except driver.DriverError as exc:
                    failed[(key, impl)] = str(exc)
                    log(f"{impl} {key}: FAILED the correctness check:\n{exc}")
        for rep in range(args.reps):
            for case in CASES:
                key = case.key
                n = args.n_bolt if case.kind == "bolt" else args.n_spout
                order = impls_for(case, impls)
                for impl in order if rep % 2 == 0 else tuple(reversed(order)):
                    if (key, impl) in failed:
                        continue
                    try:
                        r = run_case(impl, case, venvs, resources, n, args.timeout)
                    except driver.DriverError as exc:
                        failed[(key, impl)] = str(exc)
                        log(f"{impl} {key}: FAILED:\n{exc}")
                        continue
                    s = r.summary()
                    raw.setdefault(key, {}).setdefault(impl, []).append(s)
                    log(
                        f"rep {rep + 1}/{args.reps} {key:20} {impl:11} "
                        f"{s['per_cpu_second']:>10,.0f} tuples/CPU-s "
                        f"{s['per_wall_second']:>10,.0f} tuples/s "
                        f"{s['peak_rss_kib'] / 1024:5.1f} MiB"
                    )

    cases: dict[str, dict[str, Any]] = {}
    for case in CASES:
        key = case.key
        entry: dict[str, Any] = {}
        for impl in impls_for(case, impls):
            if (key, impl) in failed:
                entry[impl] = {"error": failed[(key, impl)]}
            elif raw.get(key, {}).get(impl):
                entry[impl] = {"stats": aggregate(raw[key][impl]), "runs": raw[key][impl]}
        sb, ps = entry.get("stormbridge", {}), entry.get("pystorm", {})
        if "stats" in sb and "stats" in ps:
            a, b = sb["stats"], ps["stats"]
            entry["ratio"] = {
                "cpu": a["per_cpu_second"]["median"] / b["per_cpu_second"]["median"],
                "wall": a["per_wall_second"]["median"] / b["per_wall_second"]["median"],
                "rss": a["peak_rss_kib"]["median"] / b["peak_rss_kib"]["median"],
            }
        fl = entry.get(FLOOR, {})
        if "stats" in fl and "stats" in ps:
            entry["floor_cpu_ratio"] = (
                fl["stats"]["per_cpu_second"]["median"] / ps["stats"]["per_cpu_second"]["median"]
            )
        entry["target"] = TARGETS.get((case.kind, case.serializer))
        cases[key] = entry

    argv_shown = " ".join(sys.argv[1:] if argv is None else argv)
    results = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": (".venv/bin/python bench/run.py " + argv_shown).strip(),
            "elapsed_s": time.monotonic() - t_start,
            "machine": machine_facts(),
            "load_before": load_before,
            "load_after": loadavg(),
            "reps": args.reps,
            "n_bolt": args.n_bolt,
            "n_spout": args.n_spout,
            "versions": {
                "stormbridge": venv_facts(
                    venvs["stormbridge"], ["stormbridge", "orjson", "msgpack"]
                ),
                "pystorm": venv_facts(
                    venvs["pystorm"], ["streamparse", "pystorm", "simplejson", "msgpack"]
                ),
            },
        },
        "cases": cases,
    }
    BENCH_DIR.mkdir(exist_ok=True)
    (BENCH_DIR / "components.json").write_text(json.dumps(results, indent=1))
    if not args.no_doc and not args.only:
        write_doc(render(results), MARK_START, MARK_END)
        log(f"wrote {DOC.relative_to(ROOT)}")
    for key, entry in cases.items():
        if "ratio" in entry:
            r = entry["ratio"]
            log(f"{key:20} stormbridge/pystorm: CPU {r['cpu']:.1f}x  wall {r['wall']:.1f}x")
    log(f"done in {time.monotonic() - t_start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
