"""Storm local mode: a whole topology in one JVM, driven over Nimbus Thrift.

``sparse run`` needs Storm's ``LocalCluster`` with its Nimbus Thrift server, which no shipped
main class starts (``storm.md`` §5). :class:`LocalStorm` runs our own small main,
``java/LocalRunner.java`` (compiled once per Storm home with ``javac``, cached by source hash),
in its own process group:

* an in-process ZooKeeper, Nimbus (Thrift on ``127.0.0.1``, a free port by default) and one
  supervisor whose workers are threads of the same JVM;
* ``resources/`` comes from the JVM classpath, not from an uploaded jar: the classpath holds a
  directory containing ``resources/`` laid out by :func:`stormbridge.resources.write_resources_dir`;
* log4j2 (``java/local-log4j2.xml``) prints the Python components' ``log`` lines, their stderr
  and every error on stdout, which :class:`LocalStorm` hands line by line to ``on_output``;
  everything else goes to a log file whose tail ends up in the errors raised here.

The runner prints ``STORMBRIDGE-LOCAL READY port=N`` once Nimbus serves Thrift, and stops
(``LocalCluster.close()``: workers, Python subprocesses, Nimbus, ZooKeeper) when its stdin
closes or on SIGTERM. :meth:`LocalStorm.stop` closes stdin, then escalates to SIGTERM and SIGKILL
of the whole process group, so no JVM and no Python subprocess outlives it.

:func:`run_topology` puts it together: start, submit, let it run for ``seconds`` (0: until
interrupted), kill the topology and stop.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from ..errors import ClusterError, NimbusError, StormBridgeError, StormHomeError
from .home import StormHome, default_cache_root, find_java
from .local_output import TerminalPresenter

__all__ = [
    "LOCAL_CONF_DEFAULTS",
    "READY_PREFIX",
    "RUNNER_CLASS",
    "LocalStorm",
    "compile_runner",
    "free_port",
    "local_topology_conf",
    "render_log4j2",
    "run_topology",
]

_JAVA_DIR = Path(__file__).with_name("java")
RUNNER_SOURCE = _JAVA_DIR / "LocalRunner.java"
LOG4J2_TEMPLATE = _JAVA_DIR / "local-log4j2.xml"
RUNNER_CLASS = "stormbridge.local.LocalRunner"
#: Every control line the runner prints starts with this.
READY_PREFIX = "STORMBRIDGE-LOCAL "

#: Topology conf stormbridge applies under the user's options in local mode.
LOCAL_CONF_DEFAULTS: Mapping[str, Any] = {"topology.max.spout.pending": 1000}

#: Seconds to wait for the JVM to print its readiness line (JVM start + ZooKeeper + Nimbus).
DEFAULT_STARTUP_TIMEOUT = 180.0
#: Seconds ``LocalCluster.close()`` may take before we send SIGTERM, then SIGKILL.
DEFAULT_STOP_TIMEOUT = 45.0

OutputHandler = Callable[[str], None]


# --------------------------------------------------------------------------- pure helpers


def local_topology_conf(conf: Mapping[str, Any]) -> dict[str, Any]:
    """The topology conf for local mode: one worker, at most one acker (none if 0),
    ``topology.max.spout.pending`` defaulted, and ``PYTHONUNBUFFERED=1`` in the Python
    components' environment (on top of any ``topology.environment`` given)."""
    out: dict[str, Any] = dict(LOCAL_CONF_DEFAULTS)
    out.update(conf)
    out["topology.workers"] = 1
    ackers = out.get("topology.acker.executors")
    out["topology.acker.executors"] = 0 if ackers == 0 else 1
    environment = out.get("topology.environment") or {}
    if not isinstance(environment, Mapping):
        raise ClusterError(
            f"topology.environment must be an object of NAME: value, not {environment!r}"
        )
    out["topology.environment"] = {"PYTHONUNBUFFERED": "1", **environment}
    return out


def render_log4j2(log_file: Path, component_ids: Iterable[str]) -> str:
    """The log4j2 configuration of one local run (see ``java/local-log4j2.xml``)."""
    loggers = []
    for component_id in sorted(set(component_ids)):
        loggers.append(
            f'    <Logger name={quoteattr(component_id)} level="INFO" additivity="false">\n'
            '      <AppenderRef ref="TERMINAL"/>\n'
            '      <AppenderRef ref="FILE"/>\n'
            "    </Logger>"
        )
    template = LOG4J2_TEMPLATE.read_text(encoding="utf-8")
    attr = escape(str(log_file), {'"': "&quot;"})  # the template has the quotes
    return template.replace("@LOG_FILE@", attr).replace("@COMPONENT_LOGGERS@", "\n".join(loggers))


def compile_runner(
    home: StormHome,
    *,
    java: str | None = None,
    cache_root: Path | None = None,
    timeout: float = 300.0,
) -> Path:
    """The directory of compiled runner classes for ``home`` (``javac`` once, then cached).

    The cache key is the runner's source, the Storm version and the home's path, so a changed
    source or another Storm is compiled afresh.
    """
    source = RUNNER_SOURCE.read_bytes()
    key = hashlib.sha256(
        b"\0".join([source, home.version.encode(), str(home.path).encode()])
    ).hexdigest()[:16]
    root = (cache_root or default_cache_root()) / "local-runner"
    dest = root / key
    if (dest / "stormbridge" / "local" / "LocalRunner.class").is_file():
        return dest
    javac = _find_javac(java)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
    try:
        try:
            result = subprocess.run(
                [
                    javac,
                    "-nowarn",
                    "-encoding",
                    "UTF-8",
                    "-d",
                    str(work),
                    "-cp",
                    str(home.lib / "*"),
                    str(RUNNER_SOURCE),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StormHomeError(f"javac did not finish within {timeout:g} s") from exc
        except OSError as exc:
            raise StormHomeError(f"cannot run {javac}: {exc.strerror or exc}") from exc
        if result.returncode != 0:
            raise StormHomeError(
                f"compiling the local-mode runner against {home.lib} failed "
                f"(is the Storm home complete? `sparse cluster provision`):\n"
                f"{result.stderr.strip()[-2000:]}"
            )
        try:
            work.rename(dest)
        except OSError:
            if not dest.is_dir():  # another process won the race: theirs is as good
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _find_javac(java: str | None) -> str:
    candidates = []
    if java:
        candidates.append(Path(java).resolve().parent / "javac")
    which = shutil.which("javac")
    if which:
        candidates.append(Path(which))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise StormHomeError(
        "javac (a Java 17 JDK, not only a JRE) is needed to build the local-mode runner; "
        "install it with `make system-deps` (or `apt-get install openjdk-17-jdk-headless`)"
    )


# Log lines that say nothing about a failure (LocalCluster waiting for its threads to stop).
_NOISE = re.compile(r"ReadClusterState - (It has taken|Waiting for)|AdvancedFSOps - Deleting path")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:]


# --------------------------------------------------------------------------- the JVM


@dataclass
class _State:
    port: int | None = None
    failure: str | None = None
    stopped: bool = False
    #: Storm itself ended the JVM (System.exit, e.g. after a worker died).
    exiting: bool = False
    ready: threading.Event = field(default_factory=threading.Event)
    #: Set when stopping starts: the shutdown noise stays in the log file only.
    quiet: threading.Event = field(default_factory=threading.Event)
    recent: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=40))


class LocalStorm:
    """One Storm local-mode JVM (ZooKeeper + Nimbus Thrift + 1 supervisor); a context manager.

    ``workdir`` must contain ``resources/`` (see :func:`stormbridge.resources.write_resources_dir`);
    the runner writes ``storm.log``, ``jvm-stderr.log`` and its temporary files there.
    ``component_ids`` get their stderr shown; ``on_output`` receives each line the JVM prints
    for people (called from a reader thread).
    """

    def __init__(
        self,
        home: StormHome,
        workdir: Path,
        *,
        component_ids: Iterable[str] = (),
        on_output: OutputHandler | None = None,
        nimbus_port: int = 0,
        daemon_conf: Mapping[str, Any] | None = None,
        java: str | None = None,
        heap_mb: int = 1024,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    ) -> None:
        self.home = home
        self.workdir = Path(workdir)
        self.component_ids = tuple(component_ids)
        self.on_output = on_output
        self.nimbus_port = int(nimbus_port)
        self.daemon_conf = dict(daemon_conf or {})
        self.java = java
        self.heap_mb = int(heap_mb)
        self.startup_timeout = float(startup_timeout)
        self.log_file = self.workdir / "storm.log"
        self.stderr_file = self.workdir / "jvm-stderr.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._stderr: IO[bytes] | None = None
        self._state = _State()
        self._presenter = TerminalPresenter(self.component_ids, log_file=str(self.log_file))

    # -- context manager --------------------------------------------------------------------

    def __enter__(self) -> LocalStorm:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- state ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def port(self) -> int:
        if self._state.port is None:
            raise ClusterError("the local Storm is not running")
        return self._state.port

    @property
    def exited_by_itself(self) -> bool:
        """Whether Storm ended the JVM on its own (a dead worker calls System.exit)."""
        return self._state.exiting

    def poll(self) -> int | None:
        """The JVM's exit code, or None while it runs."""
        return None if self._proc is None else self._proc.poll()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the JVM's log file and stderr, for error messages."""
        parts = []
        log = [line for line in _tail(self.log_file, 4 * lines) if not _NOISE.search(line)]
        log = log[-lines:]
        if log:
            parts.append(f"last lines of {self.log_file}:\n" + "\n".join(log))
        err = [line for line in _tail(self.stderr_file, lines) if line.strip()]
        if err:
            parts.append(f"JVM stderr ({self.stderr_file}):\n" + "\n".join(err))
        return "\n".join(parts) if parts else "(the JVM wrote no log)"

    # -- start ------------------------------------------------------------------------------

    def command(self, classes: Path, conf_file: Path, log4j2_file: Path) -> list[str]:
        """The JVM command line (no shell)."""
        java = self.java or find_java()
        classpath = os.pathsep.join([str(self.home.lib / "*"), str(classes), str(self.workdir)])
        return [
            java,
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseSerialGC",
            "-Djava.net.preferIPv4Stack=true",
            f"-Djava.io.tmpdir={self.workdir / 'tmp'}",
            f"-Dstorm.home={self.home.path}",
            f"-Dstorm.log.dir={self.workdir / 'logs'}",
            f"-Dlog4j.configurationFile={log4j2_file}",
            "-Dlog4j2.shutdownHookEnabled=false",
            "-cp",
            classpath,
            RUNNER_CLASS,
            str(conf_file),
        ]

    def start(self) -> int:
        """Start the JVM and wait until Nimbus serves Thrift; return its port."""
        if self._proc is not None:
            raise ClusterError("this local Storm was already started")
        if not (self.workdir / "resources").is_dir():
            raise ClusterError(f"{self.workdir} has no resources/ to put on the classpath")
        java = self.java or find_java()
        classes = compile_runner(self.home, java=java)
        (self.workdir / "tmp").mkdir(exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        # Workers and supervisors call Nimbus at nimbus.seeds:nimbus.thrift.port (metrics,
        # leader lookups), so the port must be the real one, not 0.
        port = self.nimbus_port or free_port()
        conf = {
            "storm.local.hostname": "127.0.0.1",
            "nimbus.seeds": ["127.0.0.1"],
            "nimbus.thrift.port": port,
            **self.daemon_conf,
        }
        conf_file = self.workdir / "daemon-conf.json"
        conf_file.write_text(json.dumps(conf), encoding="utf-8")
        log4j2_file = self.workdir / "log4j2.xml"
        log4j2_file.write_text(render_log4j2(self.log_file, self.component_ids), encoding="utf-8")
        self._stderr = self.stderr_file.open("wb")
        try:
            self._proc = subprocess.Popen(
                self.command(classes, conf_file, log4j2_file),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                cwd=self.workdir,
                start_new_session=True,  # own process group: Ctrl-C reaches only sparse
            )
        except OSError as exc:
            self._stderr.close()
            raise StormHomeError(f"cannot start {java}: {exc.strerror or exc}") from exc
        self._reader = threading.Thread(
            target=self._read_stdout, name="stormbridge-local-stdout", daemon=True
        )
        self._reader.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.port

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not self._state.ready.wait(0.2):
            if self.poll() is not None:
                break
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"Storm local mode did not become ready within {self.startup_timeout:g} s\n"
                    f"{self.log_tail()}"
                )
        if self._state.port is not None:
            return
        # The JVM ended (or closed its stdout) before it was ready.
        code = _wait(self._proc, 10.0) if self._proc is not None else None
        self._reader_join()
        reasons = [self._state.failure or f"the JVM exited with code {code}"]
        reasons.extend(self._presenter.last_error)
        raise ClusterError(
            "Storm local mode did not start: " + "\n".join(reasons) + "\n" + self.log_tail()
        )

    def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        state = self._state
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith(READY_PREFIX):
                self._control(line[len(READY_PREFIX) :])
                continue
            state.recent.append(line)
            self._show(self._presenter.feed(line))
        state.ready.set()  # EOF: wake up anyone still waiting

    def _show(self, lines: list[str]) -> None:
        if self.on_output is None or self._state.quiet.is_set():
            return
        for line in lines:
            try:
                self.on_output(line)
            except Exception:  # noqa: BLE001 - a broken handler must not stall the JVM
                self._state.quiet.set()
                return

    def _control(self, text: str) -> None:
        state = self._state
        if text.startswith("READY port="):
            state.port = int(text.split("=", 1)[1])
            state.ready.set()
        elif text.startswith("FAILED"):
            state.failure = text[len("FAILED") :].strip()
        elif text.startswith("STOPPED"):
            state.stopped = True
        elif text.startswith("EXITING"):
            state.exiting = True

    def _reader_join(self, timeout: float = 5.0) -> None:
        if self._reader is not None:
            self._reader.join(timeout)

    # -- stop -------------------------------------------------------------------------------

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
        """Stop the JVM and everything it started; return its exit code.

        Closes its stdin (``LocalCluster.close()``), waits ``timeout`` seconds, then SIGTERMs
        and finally SIGKILLs its process group, which the Python subprocesses share.
        """
        proc = self._proc
        if proc is None:
            return None
        self._show(self._presenter.summary())
        self._state.quiet.set()
        code: int | None = None
        try:
            code = self._stop_gracefully(proc, timeout)
        finally:
            # Also after a second Ctrl-C: kill what is left. The Python subprocesses share the
            # JVM's process group, so none survives it.
            if code is None:
                _signal_group(proc.pid, signal.SIGKILL)
                code = _wait(proc, 10.0)
            _signal_group(proc.pid, signal.SIGKILL)
            self._close_pipes(proc)
        return code

    def _stop_gracefully(self, proc: subprocess.Popen[bytes], timeout: float) -> int | None:
        if proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.close()  # the runner's cue for LocalCluster.close()
            except OSError:
                pass
        code = _wait(proc, timeout)
        if code is None:
            _signal_group(proc.pid, signal.SIGTERM)
            code = _wait(proc, 10.0)
        return code

    def _close_pipes(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass
        self._reader_join()
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- a whole run


@dataclass(frozen=True)
class RunResult:
    """How a local run ended."""

    #: "time" (the time limit passed) or "interrupted" (KeyboardInterrupt).
    reason: str
    seconds: float
    log_file: Path


def run_topology(
    name: str,
    topology: Any,
    conf: Mapping[str, Any],
    *,
    home: StormHome,
    write_resources: Callable[[Path], object],
    component_ids: Iterable[str],
    seconds: float = 0,
    on_output: OutputHandler | None = None,
    on_status: OutputHandler | None = None,
    nimbus_port: int = 0,
    workdir: Path | None = None,
    keep_workdir: bool = False,
    java: str | None = None,
) -> RunResult:
    """Run ``topology`` (a compiled Thrift ``StormTopology``) as ``name`` in local mode.

    ``write_resources(dir)`` must lay out ``dir/resources/``. The run lasts ``seconds`` after
    the submission (0: until KeyboardInterrupt, which ends the run normally). On the way out
    the topology is killed and the JVM stopped, whatever happened. A JVM that dies during the
    run raises :class:`ClusterError` with its log tail. ``on_status`` gets progress lines.
    """
    from ..thrift.nimbus import NimbusClient

    status = on_status or (lambda _line: None)
    own_dir = workdir is None
    run_dir = Path(tempfile.mkdtemp(prefix=f"stormbridge-run-{name}-")) if own_dir else workdir
    assert run_dir is not None
    failed = True
    storm = LocalStorm(
        home,
        run_dir,
        component_ids=component_ids,
        on_output=on_output,
        nimbus_port=nimbus_port,
        java=java,
    )
    try:
        write_resources(run_dir)
        status(f"starting Storm {home.version} in local mode (logs: {storm.log_file})")
        started = time.monotonic()
        try:
            port = storm.start()
            status(f"Nimbus ready on 127.0.0.1:{port} after {time.monotonic() - started:.1f} s")
            with NimbusClient("127.0.0.1", port, timeout=30.0) as nimbus:
                # Local mode reads resources/ from the classpath: no jar. The location must be
                # left unset (an empty string makes Nimbus open the file "").
                nimbus.submit(name, None, topology, local_topology_conf(conf))
                submitted = time.monotonic()
                limit = f"for {seconds:g} s" if seconds > 0 else "until Ctrl-C"
                status(f"submitted topology {name!r}; running {limit}")
                reason = _run_until(storm, seconds)
                elapsed = time.monotonic() - submitted
                status(f"stopping ({'time is up' if reason == 'time' else 'interrupted'})")
                _kill_quietly(nimbus, name)
        except KeyboardInterrupt:
            status("interrupted: stopping")
            failed = False
            return RunResult("interrupted", time.monotonic() - started, storm.log_file)
        except NimbusError as exc:
            raise ClusterError(f"{exc}\n{storm.log_tail()}") from exc
        failed = False
        return RunResult(reason, elapsed, storm.log_file)
    finally:
        storm.stop()
        if own_dir and not keep_workdir and not failed:
            shutil.rmtree(run_dir, ignore_errors=True)
        elif own_dir and failed:
            status(f"kept the run's files for inspection in {run_dir}")


def _wait_for_supervisor(nimbus: Any, storm: LocalStorm, deadline: float = 120.0) -> None:
    """Wait until Nimbus answers over Thrift and lists the supervisor."""
    end = time.monotonic() + deadline
    problem = "no supervisor registered"
    while True:
        try:
            if nimbus.cluster_summary().supervisors:
                return
        except NimbusError as exc:
            problem = str(exc)
        if storm.poll() is not None or time.monotonic() > end:
            raise ClusterError(
                f"the local Nimbus was not ready within {deadline:g} s ({problem})\n"
                + storm.log_tail()
            )
        time.sleep(0.25)


def _run_until(storm: LocalStorm, seconds: float) -> str:
    """Wait ``seconds`` (0: forever) while the JVM lives; "time", or KeyboardInterrupt."""
    deadline = time.monotonic() + seconds if seconds > 0 else None
    while True:
        code = storm.poll()
        if code is not None:
            storm.stop()  # collect the last output lines before explaining
            if storm.exited_by_itself:
                why = (
                    "Storm ended local mode itself because its worker died: a Python component "
                    "raised or exited (its traceback, if any, is above)"
                )
            else:
                why = f"the local Storm JVM exited unexpectedly (exit code {code})"
            raise ClusterError(f"{why}; full log: {storm.log_file}\n{storm.log_tail(15)}")
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return "time"
            time.sleep(min(0.25, left))
        else:
            time.sleep(0.25)


def _kill_quietly(nimbus: Any, name: str) -> None:
    """Ask Nimbus to kill ``name`` at once; stopping the JVM cleans up anyway."""
    try:
        nimbus.kill(name, wait_secs=0)
    except StormBridgeError:
        pass
