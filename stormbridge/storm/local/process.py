"""Storm local mode: a whole topology in one JVM, driven over Nimbus Thrift.

``sparse run`` needs Storm's ``LocalCluster`` with its Nimbus Thrift server, which no shipped
main class starts (``storm.md`` §5). :class:`LocalStorm` runs our own small main,
``java/LocalRunner.java`` (compiled once per Storm home with ``javac``, cached by source hash),
in its own process group:

* an in-process ZooKeeper, Nimbus (Thrift on ``127.0.0.1``, a free port by default) and one
  supervisor whose workers are threads of the same JVM;
* ``resources/`` comes from the JVM classpath, not from an uploaded jar: the classpath holds a
  directory containing ``resources/`` laid out by
  :func:`stormbridge.build.resources.write_resources_dir`;
* log4j2 (``java/local-log4j2.xml``) prints the Python components' ``log`` lines, their stderr
  and every error on stdout, which :class:`LocalStorm` hands line by line to ``on_output``;
  everything else goes to a log file whose tail ends up in the errors raised here.

The runner prints ``STORMBRIDGE-LOCAL READY port=N`` once Nimbus serves Thrift, and stops
(``LocalCluster.close()``: workers, Python subprocesses, Nimbus, ZooKeeper) when its stdin
closes or on SIGTERM. :meth:`LocalStorm.stop` closes stdin, then escalates to SIGTERM and SIGKILL
of the whole process group, so no JVM and no Python subprocess outlives it.

The runner's files (compiled classes, log4j2 configuration) come from
:mod:`stormbridge.storm.local.runner`; a whole ``sparse run`` is
:func:`stormbridge.storm.local.run.run_topology`.
"""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ...errors import ClusterError, StormHomeError
from ..home import StormHome, find_java
from .output import TerminalPresenter
from .runner import RUNNER_CLASS, compile_runner, render_log4j2

__all__ = [
    "DEFAULT_STARTUP_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "READY_PREFIX",
    "LocalStorm",
    "free_port",
]

#: Every control line the runner prints starts with this.
READY_PREFIX = "STORMBRIDGE-LOCAL "

#: Seconds to wait for the JVM to print its readiness line (JVM start + ZooKeeper + Nimbus).
DEFAULT_STARTUP_TIMEOUT = 180.0
#: Seconds ``LocalCluster.close()`` may take before we send SIGTERM, then SIGKILL.
DEFAULT_STOP_TIMEOUT = 45.0

OutputHandler = Callable[[str], None]


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

    ``workdir`` must contain ``resources/``
    (see :func:`stormbridge.build.resources.write_resources_dir`);
    the runner writes ``storm.log``, ``jvm-stderr.log`` and its temporary files there.
    ``component_ids`` get their stderr shown; ``on_output`` receives each line the JVM prints
    for people (called from a reader thread). ``extra_classpath`` adds jars (the project's
    JVM dependencies) after Storm's.
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
        extra_classpath: Iterable[Path] = (),
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
        self.extra_classpath = tuple(Path(p) for p in extra_classpath)
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
        entries = [self.home.lib / "*", classes, self.workdir, *self.extra_classpath]
        classpath = os.pathsep.join(str(p) for p in entries)
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
            # LocalCluster.close() waits this long for each worker to stop (default 3 s).
            "supervisor.worker.shutdown.sleep.secs": 1,
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
