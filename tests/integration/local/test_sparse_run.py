"""``sparse run`` on real Storm local mode: the repository's word-count project counts words
on time, on stormbridge's batched shell classes (Storm's with ``stormbridge.transport=stock``),
Ctrl-C and SIGTERM stop it cleanly, a bolt that raises shows its Python traceback.

Each test starts one local-mode JVM (one at a time) through the real ``sparse`` CLI in a
subprocess of its own session, with a deadline on every wait. "Nothing left behind" is
checked on /proc: no process may mention the run's folder in its command line (the JVM) or
have its working directory there (the Python components).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stormbridge.errors import StormHomeError

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[3]
SPARSE = [sys.executable, "-c", "import sys; from stormbridge.cli.main import main; "
          "sys.exit(main())"]  # fmt: skip
COUNTED = re.compile(r"count_bolt\[\d+\] INFO counted \[([\d,]+)\] words")
RUN_DIR = re.compile(r"logs: (\S+)/storm\.log")
#: storm.log's line when a shell class has started a Python subprocess (the logger is the class).
LAUNCHED = re.compile(
    r" (?P<logger>[\w.$]+) - Launched subprocess with pid (?P<pid>\d+)(?P<rest>.*)$", re.M
)

#: Seconds allowed on top of -t for JVM start, javac on first use, and shutdown.
MARGIN = 240.0


@pytest.fixture(scope="module", autouse=True)
def _storm_home() -> None:
    from stormbridge.storm.home import resolve_home

    try:
        resolve_home()
    except StormHomeError as exc:
        pytest.skip(f"no Storm home: {exc}")


@dataclass
class Run:
    """A ``sparse run`` subprocess whose stdout and stderr are collected by threads."""

    proc: subprocess.Popen[str]
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def run_dir(self) -> str | None:
        match = RUN_DIR.search(self.stderr)
        return match.group(1) if match else None

    def wait_for(self, pattern: re.Pattern[str], count: int, deadline: float) -> None:
        end = time.monotonic() + deadline
        while len(pattern.findall(self.stdout)) < count:
            if self.proc.poll() is not None:
                break
            if time.monotonic() > end:
                self.kill()
                pytest.fail(f"no {count}x {pattern.pattern!r} within {deadline:g} s\n{self}")
            time.sleep(0.5)
        assert len(pattern.findall(self.stdout)) >= count, str(self)

    def wait(self, deadline: float) -> int:
        try:
            code = self.proc.wait(deadline)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"sparse run did not exit within {deadline:g} s\n{self}")
        self.close()
        return code

    def close(self) -> None:
        for thread in self.threads:
            thread.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        run_dir = self.run_dir()
        if run_dir:
            for pid in _processes_using(run_dir):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def __str__(self) -> str:
        return (
            f"--- stdout (tail) ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-6000:]}"
        )


def _pump(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def sparse_run() -> Iterator[object]:
    runs: list[Run] = []

    def start(*args: str, cwd: Path = ROOT) -> Run:
        proc = subprocess.Popen(
            [*SPARSE, "run", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            # Ctrl-C reaches a foreground program whose SIGINT is the default; a test suite
            # started in the background of a script inherits SIGINT ignored, and Python keeps
            # an ignored SIGINT ignored, so the Ctrl-C tests would wait for nothing.
            preexec_fn=_default_sigint,
        )
        run = Run(proc)
        for stream, sink in ((proc.stdout, run.out), (proc.stderr, run.err)):
            thread = threading.Thread(target=_pump, args=(stream, sink), daemon=True)
            thread.start()
            run.threads.append(thread)
        runs.append(run)
        return run

    yield start
    for run in runs:
        if run.proc.poll() is None:
            run.kill()
            run.proc.wait(30)
        run.close()


def _processes_using(run_dir: str) -> list[int]:
    """Pids whose command line mentions ``run_dir`` or whose cwd lies in it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if run_dir in cmdline or cwd.startswith(run_dir):
            found.append(int(entry.name))
    return found


def _assert_nothing_left(run: Run) -> None:
    run_dir = run.run_dir()
    assert run_dir, f"no run folder in the output\n{run}"
    left = _processes_using(run_dir)
    assert not left, f"processes left behind: {left}\n{run}"


def _counts(run: Run) -> list[int]:
    return [int(n.replace(",", "")) for n in COUNTED.findall(run.stdout)]


def test_wordcount_runs_for_its_time_and_prints_counts(sparse_run: object) -> None:
    seconds = 25
    started = time.monotonic()
    run = sparse_run("-n", "wordcount", "-t", str(seconds))  # type: ignore[operator]
    code = run.wait(seconds + MARGIN)
    elapsed = time.monotonic() - started
    assert code == 0, str(run)
    assert elapsed >= seconds, f"stopped after {elapsed:.1f} s, before -t {seconds}\n{run}"
    counts = _counts(run)
    assert len(counts) >= 3, f"too few counts\n{run}"
    assert max(counts) >= 3000, str(run)
    assert all(n % 1000 == 0 for n in counts), counts
    assert "submitted topology 'wordcount'" in run.stderr
    assert "time is up" in run.stderr
    assert "running after" in run.stderr, str(run)
    _assert_nothing_left(run)
    run_dir = run.run_dir()
    assert run_dir and not Path(run_dir).exists(), "the run folder should be removed"


def _launched(log: str) -> Counter[str]:
    """How many Python subprocesses each shell class started, by the class's simple name, with
    " (batched transport)" appended when the line says so."""
    return Counter(
        m["logger"].rsplit(".", 1)[-1] + m["rest"].rstrip() for m in LAUNCHED.finditer(log)
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), {"BatchShellSpout (batched transport)": 1, "BatchShellBolt (batched transport)": 2}),
        (("-o", "stormbridge.transport=stock"), {"ShellSpout": 1, "ShellBolt": 2}),
    ],
    ids=["batched", "stock"],
)
def test_wordcount_runs_on_the_chosen_shell_classes(
    sparse_run: object, options: tuple[str, ...], expected: dict[str, int]
) -> None:
    """By default the word spout (1 task) and the count bolt (2 tasks) run on stormbridge's
    batched classes, as `sparse submit` makes them; ``stormbridge.transport=stock`` keeps
    Storm's. Either way the bolts' log lines reach stdout."""
    seconds = 12
    run = sparse_run("-n", "wordcount", "-t", str(seconds), "--keep", *options)  # type: ignore[operator]
    code = run.wait(seconds + MARGIN)
    assert code == 0, str(run)
    assert "sparse: note:" not in run.stderr, str(run)
    counts = _counts(run)
    assert counts and all(n % 1000 == 0 for n in counts), str(run)
    _assert_nothing_left(run)
    run_dir = run.run_dir()
    assert run_dir, str(run)
    log = Path(run_dir, "storm.log").read_text(errors="replace")
    shutil.rmtree(run_dir)
    assert _launched(log) == expected, f"{_launched(log)}\n{run}"
    # the pids that logged "counted [N] words" are the subprocesses those classes started
    bolt_pids = {m["pid"] for m in LAUNCHED.finditer(log) if "ShellBolt" in m["logger"]}
    logged = set(re.findall(r"count_bolt\[(\d+)\] INFO counted", run.stdout))
    assert logged and logged <= bolt_pids, (logged, bolt_pids)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_signal_stops_cleanly(sparse_run: object, sig: signal.Signals) -> None:
    run = sparse_run("-n", "wordcount", "-t", "0")  # type: ignore[operator]
    run.wait_for(COUNTED, 3, deadline=MARGIN)
    assert run.proc.poll() is None, f"sparse run ended on its own\n{run}"
    os.kill(run.proc.pid, sig)
    code = run.wait(90)
    assert code == 0, f"-t 0 stopped by {sig.name} should exit 0\n{run}"
    assert "interrupted: stopping" in run.stderr, str(run)
    _assert_nothing_left(run)


def test_a_killed_sparse_takes_storm_down_with_it(sparse_run: object) -> None:
    """SIGKILL leaves sparse no chance to clean up: the JVM sees its stdin close and stops
    LocalCluster, which stops the Python subprocesses."""
    run = sparse_run("-n", "wordcount", "-t", "0")  # type: ignore[operator]
    run.wait_for(COUNTED, 1, deadline=MARGIN)
    run_dir = run.run_dir()
    assert run_dir and _processes_using(run_dir), str(run)
    os.kill(run.proc.pid, signal.SIGKILL)
    run.wait(30)
    end = time.monotonic() + 120
    while _processes_using(run_dir) and time.monotonic() < end:
        time.sleep(1)
    _assert_nothing_left(run)
    shutil.rmtree(run_dir, ignore_errors=True)


def test_ctrl_c_before_the_time_is_up_exits_130(sparse_run: object) -> None:
    run = sparse_run("-n", "wordcount", "-t", "600")  # type: ignore[operator]
    run.wait_for(COUNTED, 1, deadline=MARGIN)
    os.kill(run.proc.pid, signal.SIGINT)
    assert run.wait(90) == 130, str(run)
    _assert_nothing_left(run)


BOOM_BOLT = """\
from streamparse import Bolt


class BoomBolt(Bolt):
    outputs = ["word"]

    def initialize(self, conf, ctx):
        self.seen = 0

    def process(self, tup):
        self.seen += 1
        if self.seen == 50:
            raise ValueError("boom after 50 tuples")
        self.emit([tup.values[0]])
"""

BOOM_TOPOLOGY = """\
from streamparse import Grouping, Topology

from bolts.boom import BoomBolt
from spouts.words import WordSpout


class Boom(Topology):
    word_spout = WordSpout.spec()
    boom_bolt = BoomBolt.spec(inputs={word_spout: Grouping.fields("word")})
"""


@pytest.fixture
def boom_project(tmp_path: Path) -> Path:
    project = tmp_path / "boom"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "src" / "bolts" / "boom.py").write_text(BOOM_BOLT)
    (project / "topologies").mkdir()
    (project / "topologies" / "boom.py").write_text(BOOM_TOPOLOGY)
    (project / "config.json").write_text(
        '{"topology_specs": "topologies/", "envs": {"local": {"nimbus": "127.0.0.1:6627"}}}'
    )
    return project


def test_a_bolt_that_raises_shows_its_python_traceback(
    sparse_run: object, boom_project: Path
) -> None:
    run = sparse_run("-t", "120", cwd=boom_project)  # type: ignore[operator]
    code = run.wait(120 + MARGIN)
    assert code == 1, str(run)
    out = run.stdout
    assert "Traceback (most recent call last)" in out, str(run)
    assert 'raise ValueError("boom after 50 tuples")' in out, str(run)
    assert "ValueError: boom after 50 tuples" in out, str(run)
    assert "\tat org.apache.storm" not in out, "Java stack frames belong in the log file"
    assert "sparse: error:" in run.stderr and "worker died" in run.stderr, str(run)
    _assert_nothing_left(run)
    run_dir = run.run_dir()
    assert run_dir and Path(run_dir, "storm.log").is_file(), "a failed run keeps its log"
    shutil.rmtree(run_dir)


def test_a_busy_nimbus_port_fails_with_a_clear_error(sparse_run: object) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = sparse_run("-n", "wordcount", "-t", "5", "--nimbus-port", str(port))  # type: ignore[operator]
        code = run.wait(MARGIN)
    assert code == 1, str(run)
    assert "sparse: error: Storm local mode did not start" in run.stderr, str(run)
    assert "Address already in use" in run.stderr, str(run)
    _assert_nothing_left(run)
    run_dir = run.run_dir()
    if run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_runner_is_compiled_once_per_source(tmp_path: Path) -> None:
    from stormbridge.storm.home import resolve_home
    from stormbridge.storm.local.runner import compile_runner

    home = resolve_home()
    started = time.monotonic()
    first = compile_runner(home, cache_root=tmp_path)
    compiled_in = time.monotonic() - started
    assert (first / "stormbridge" / "local" / "LocalRunner.class").is_file()
    assert (first / "stormbridge" / "local" / "LocalRunner$LoopbackTransportPlugin.class").is_file()
    mtime = (first / "stormbridge" / "local" / "LocalRunner.class").stat().st_mtime_ns
    second = compile_runner(home, cache_root=tmp_path)
    assert second == first
    assert (second / "stormbridge" / "local" / "LocalRunner.class").stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "local-runner").iterdir()] == [first.name]
    print(f"javac took {compiled_in:.1f} s")
