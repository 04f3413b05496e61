"""A whole ``sparse run``: start Storm local mode, submit, run for a while, stop.

:func:`run_topology` starts a :class:`~stormbridge.storm.local.process.LocalStorm`,
waits until Nimbus
answers over Thrift and lists its supervisor, submits the compiled topology with the local-mode
conf (:func:`local_topology_conf`) and no jar (local mode reads ``resources/`` from the JVM
classpath), waits until every executor has reported a heartbeat (its worker and Python
subprocesses run), lets it run for ``seconds`` from then (0: until KeyboardInterrupt), kills
the topology and stops the JVM, whatever happened.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ClusterError, NimbusError, StormBridgeError
from ..home import StormHome
from .process import LocalStorm, OutputHandler

__all__ = ["LOCAL_CONF_DEFAULTS", "RunResult", "local_topology_conf", "run_topology"]

#: Topology conf stormbridge applies under the user's options in local mode.
LOCAL_CONF_DEFAULTS: Mapping[str, Any] = {"topology.max.spout.pending": 1000}


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
    extra_classpath: Iterable[Path] = (),
) -> RunResult:
    """Run ``topology`` (a compiled Thrift ``StormTopology``) as ``name`` in local mode.

    ``write_resources(dir)`` must lay out ``dir/resources/``. The run lasts ``seconds`` once
    the topology runs (0: until KeyboardInterrupt, which ends the run normally). On the way out
    the topology is killed and the JVM stopped, whatever happened. A JVM that dies during the
    run raises :class:`ClusterError` with its log tail. ``on_status`` gets progress lines.
    """
    from ...thrift.nimbus import NimbusClient

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
        extra_classpath=extra_classpath,
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
                status(f"submitted topology {name!r}; waiting for its worker to start")
                waited = _wait_until_running(nimbus, name, storm)
                submitted = time.monotonic()
                limit = f"for {seconds:g} s" if seconds > 0 else "until Ctrl-C"
                if waited is None:
                    status(f"could not confirm that the worker runs; running {limit} anyway")
                else:
                    status(f"topology {name!r} running after {waited:.1f} s; running {limit}")
                reason = _run_until(storm, seconds)
                elapsed = time.monotonic() - submitted
                status(f"stopping ({'time is up' if reason == 'time' else 'interrupted'})")
                _kill_quietly(nimbus, name)
        except KeyboardInterrupt:
            status("interrupted: stopping")
            failed = False
            return RunResult("interrupted", time.monotonic() - started, storm.log_file)
        except NimbusError as exc:  # e.g. InvalidTopologyError: keep the type, add the log
            raise type(exc)(f"{exc}\n{storm.log_tail()}") from exc
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


def _wait_until_running(
    nimbus: Any, name: str, storm: LocalStorm, deadline: float = 180.0
) -> float | None:
    """Seconds until every executor of ``name`` reported a heartbeat (the worker and its
    Python subprocesses are up), or None when that could not be seen within ``deadline``
    seconds or the JVM ended (the caller notices that next)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if storm.poll() is not None:
            return None
        try:
            executors = nimbus.topology_info(name).executors
        except NimbusError:
            executors = ()
        if executors and all(e.uptime_secs > 0 for e in executors):
            return time.monotonic() - started
        time.sleep(0.5)
    return None


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
