"""``Component``: the handshake, the run loop, and what spouts and bolts share.

Wire behaviour (see ``docs/protocol.md``): Storm's first message is the handshake; we
write an empty file named after our pid into ``pidDir``, reply ``{"pid": N}``, set up
logging and call :meth:`Component.initialize`. Then :meth:`Component._run` handles
one message at a time until Storm goes away (exit code 2), SIGTERM/SIGINT arrive, or an
exception ends the loop (exit code 1 when ``exit_on_exception``).

Writes are buffered and flushed once before each blocking read, so a burst of tuples
costs one ``write`` per burst, not two flushes per message.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, BinaryIO, ClassVar, NoReturn

from ..errors import (
    ConfigError,
    ProtocolError,
    SerializationError,
    StormBridgeError,
    StormWentAwayError,
)
from .log import LOG_LEVELS, configure_logging, stdout_to_log
from .protocol import Codec, check_handshake, check_task_ids, describe, make_codec, scan_values
from .protocol.values import INT64_MAX, INT64_MIN
from .tuple import HEARTBEAT_STREAM, Tuple

__all__ = [
    "BATCHED_TRANSPORT",
    "METRICS_CONF_KEY",
    "OWN_SERIALIZER_CLASS",
    "SERIALIZER_CONF_KEY",
    "TRANSPORT_CONF_KEY",
    "Component",
    "Terminated",
]

log = logging.getLogger("stormbridge.runtime.component")

_SYNC = {"command": "sync"}

#: The topology conf key naming the Java class that speaks multilang on the worker.
SERIALIZER_CONF_KEY = "topology.multilang.serializer"
#: stormbridge's own serializer (``stormbridge/storm/java/multilang/``): it reads a direct
#: emit's ``"task"`` correctly, so direct emits are allowed when the handshake names it.
OWN_SERIALIZER_CLASS = "stormbridge.multilang.FastJsonSerializer"
#: The handshake conf key stormbridge's own shell bolt/spout classes add (value
#: :data:`BATCHED_TRANSPORT`): the Python side may then answer a ``next`` carrying ``"max"``
#: with several emits. Storm's stock ShellBolt/ShellSpout never send it: the plain protocol.
TRANSPORT_CONF_KEY = "stormbridge.transport"
BATCHED_TRANSPORT = "batched"
#: The component conf key declaring the metrics ``report_metric`` may send (name -> kind).
METRICS_CONF_KEY = "stormbridge.metrics"

#: Exit codes of :meth:`Component.run`.
EXIT_OK = 0
EXIT_EXCEPTION = 1
EXIT_STORM_WENT_AWAY = 2


class Terminated(BaseException):
    """Raised in the main thread by the SIGTERM/SIGINT handlers that :meth:`run` installs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


class _TerminationWatchdog:
    """Ends the process if a SIGTERM/SIGINT is not acted on within a grace period.

    Python runs signal handlers in the main thread between bytecodes, so a signal that
    arrives just before a blocking call such as ``time.sleep()`` enters the kernel is
    only handled when that call returns. ``signal.set_wakeup_fd`` writes the signal
    number into a pipe at C level whatever the main thread is doing; this daemon thread
    reads it and, if the process is still alive after :data:`GRACE_SECS`, exits with
    ``128 + signum`` (the code :meth:`Component.run` returns after a clean stop).
    """

    GRACE_SECS = 2.0

    def __init__(self, read_fd: int, write_fd: int, previous_wakeup_fd: int) -> None:
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._previous = previous_wakeup_fd
        self._thread = threading.Thread(
            target=self._watch, name="stormbridge-termination-watchdog", daemon=True
        )

    @classmethod
    def start(cls) -> _TerminationWatchdog | None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        try:
            previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        except ValueError:  # not the main thread of the main interpreter
            os.close(read_fd)
            os.close(write_fd)
            return None
        watchdog = cls(read_fd, write_fd, previous)
        watchdog._thread.start()
        return watchdog

    def _watch(self) -> None:
        wanted = {int(signal.SIGTERM), int(signal.SIGINT)}
        while True:
            try:
                data = os.read(self._read_fd, 64)
            except OSError:
                return
            if not data:
                return  # stop() closed the pipe
            hits = [signum for signum in data if signum in wanted]
            if hits:
                time.sleep(self.GRACE_SECS)
                _write_stderr(
                    f"stormbridge: still running {self.GRACE_SECS:g} s after signal "
                    f"{hits[0]}; exiting\n"
                )
                os._exit(128 + hits[0])

    def stop(self) -> None:
        signal.set_wakeup_fd(self._previous)
        os.close(self._write_fd)
        self._thread.join(timeout=1.0)
        os.close(self._read_fd)


#: Loads the DSL module that makes specs of Python components (``stormbridge.dsl.component``).
#: The runtime never imports the DSL itself (workers run without it): the package root,
#: ``stormbridge/__init__.py``, plugs the loader in with :func:`use_dsl`.
_dsl_loader: Callable[[], Any] | None = None


def use_dsl(loader: Callable[[], Any]) -> None:
    """Set how ``Spout.spec()``/``Bolt.spec()`` reach the DSL (called by the package root)."""
    global _dsl_loader
    _dsl_loader = loader


def dsl_specs() -> Any:
    """The DSL module with ``python_spout_spec``/``python_bolt_spec``, or a clear error."""
    try:
        if _dsl_loader is None:
            raise ModuleNotFoundError("no DSL loader", name="stormbridge.dsl")
        return _dsl_loader()
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("stormbridge"):
            raise
        raise StormBridgeError(
            "spec() needs the stormbridge DSL, which is not installed here (a topology jar "
            "ships the worker runtime only): build topologies where stormbridge is "
            "installed with pip, not inside a running component"
        ) from exc


class Component:
    """Base class of spouts and bolts: talks to Storm over an injected pair of streams.

    ``input_stream``/``output_stream`` are binary streams or file descriptors. Leave
    them out in a worker: :meth:`run` then moves the protocol onto private duplicates of
    stdin/stdout and points fd 1 and ``sys.stdout`` elsewhere, so ``print()`` can never
    corrupt the protocol. ``rdb_signal`` is accepted for pystorm compatibility and
    ignored (no signal handler is ever installed by a constructor).
    """

    #: The protocol's private output fd while :meth:`run` owns stdin/stdout.
    _protocol_out_fd: int | None = None

    #: DSL class attributes (streamparse): output fields, parallelism, per-component conf.
    outputs: ClassVar[Any] = None
    par: ClassVar[Any] = 1
    config: ClassVar[Any] = None

    #: Exit after an exception in a hook (True), or report it and carry on (False).
    exit_on_exception: bool = True
    #: Send ``"task"`` for ``emit(direct_task=...)`` whatever the serializer. Storm 2.6-2.8.x
    #: workers die on it with Storm's stock JsonSerializer (ClassCastException), so a direct
    #: emit is refused unless the handshake's conf names stormbridge's serializer
    #: (:data:`OWN_SERIALIZER_CLASS`, the default of ``sparse submit``/``run``) or you opt in.
    allow_direct_emit: bool = False
    #: Whether the handshake's ``topology.multilang.serializer`` reads direct emits correctly.
    _serializer_takes_task: bool = False
    #: Whether the handshake came from stormbridge's batched shell classes.
    _batched_transport: bool = False
    #: The metric names the handshake's conf declares (registered by our serializer).
    _declared_metrics: frozenset[str] = frozenset()

    def __init__(
        self,
        input_stream: BinaryIO | int | None = None,
        output_stream: BinaryIO | int | None = None,
        rdb_signal: object = None,
        serializer: str = "json",
        *,
        max_frame_size: int | None = None,
    ) -> None:
        self.topology_name: str | None = None
        self.task_id: int | None = None
        self.component_name: str | None = None
        self.debug: bool | None = None
        self.storm_conf: dict[str, Any] = {}
        self.context: dict[str, Any] = {}
        self.pid = os.getpid()
        self.logger: logging.Logger = logging.getLogger(f"pystorm.component.{type(self).__name__}")
        self.serializer_name = serializer
        self._max_frame_size = max_frame_size
        self._pending_commands: deque[Any] = deque()
        self._pending_task_ids: deque[list[int]] = deque()
        self._reader_lock = threading.RLock()
        self._input_stream = input_stream
        self._output_stream = output_stream
        self._metric_warned = False
        self._log_handler: logging.Handler | None = None
        self._owns_stdio = input_stream is None and output_stream is None
        self.serializer: Codec | None = None
        if not self._owns_stdio:
            self._open_codec(
                sys.stdin.buffer if input_stream is None else input_stream,
                sys.stdout.buffer if output_stream is None else output_stream,
            )

    # -- wiring --------------------------------------------------------------------
    def _open_codec(self, input_stream: BinaryIO | int, output_stream: BinaryIO | int) -> None:
        kwargs = {} if self._max_frame_size is None else {"max_frame_size": self._max_frame_size}
        codec = make_codec(self.serializer_name, input_stream, output_stream, **kwargs)
        self.serializer = codec
        self._read = codec.read_message
        self._dump = codec.dump
        self._dumps_fast = codec.dumps_fast
        self._dumps_checked = codec.dumps_checked
        self._dumps_strict = codec.dumps_strict
        self._strict_encode = codec.strict_encode
        self._strict_default = codec.strict_default
        self._strict_option = codec.strict_option
        self._append = codec.sink.append_owned
        self._sync_body = codec.dump(_SYNC)
        self._write = codec.sink.write
        self._sink = codec.sink
        self._out = codec.sink.buffer
        self._flush = codec.sink.flush

    def _take_stdio(self) -> None:
        """Move the protocol onto private fds; stdout and stdin now point elsewhere."""
        sys.stdout.flush()
        in_fd = os.dup(0)
        out_fd = os.dup(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)  # C-level writes to fd 1 now land in stderr, not in the protocol
        self._protocol_out_fd = out_fd
        self._open_codec(in_fd, out_fd)

    # -- predicates ----------------------------------------------------------------
    @staticmethod
    def is_heartbeat(tup: Tuple) -> bool:
        """Whether ``tup`` is one of ShellBolt's heartbeat tuples."""
        return tup.task == -1 and tup.stream == HEARTBEAT_STREAM

    # -- DSL -----------------------------------------------------------------------
    @classmethod
    def spec(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "Specifications should either be bolts or spouts. Given: "
            f"{cls.__name__!r}: subclass stormbridge.Spout or stormbridge.Bolt (or use "
            "ShellSpout/ShellBolt/JavaSpout/JavaBolt) to put it in a topology."
        )

    # -- user hooks ----------------------------------------------------------------
    def initialize(self, storm_conf: dict[str, Any], context: dict[str, Any]) -> None:
        """Called once after the handshake, before the first tuple. Override it."""

    # -- reading -------------------------------------------------------------------
    def read_message(self) -> Any:
        """The next message from Storm (a dict or a task-id list)."""
        return self._read()

    def read_command(self) -> dict[str, Any]:
        """The next command or tuple; a task-id list nobody asked for is a ProtocolError."""
        if self._pending_commands:
            return self._pending_commands.popleft()
        message = self._read()
        if type(message) is not dict:
            raise ProtocolError(
                "Storm sent a task-id list while no emit was waiting for one "
                f"(need_task_ids was not asked): {describe(message)}"
            )
        return message

    def read_task_ids(self) -> list[int]:
        """Wait for the task-id list answering our last emit, keeping commands for later."""
        if self._pending_task_ids:
            return self._pending_task_ids.popleft()
        with self._reader_lock:
            while True:
                message = self._read()
                if type(message) is list:
                    return check_task_ids(message)
                self._pending_commands.append(message)

    def read_handshake(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Read Storm's handshake, write the pid file, reply ``{"pid": N}``; (conf, context).

        Whatever is wrong with the handshake (not JSON, wrong shape, a pidDir that cannot be a
        path), the pid reply is sent first, so that Storm's handshake completes and the
        ``error`` that follows reaches its log."""
        try:
            pid_dir, conf, context = check_handshake(self._read())
        except StormWentAwayError:
            raise
        except ProtocolError:
            self._reply_pid()
            raise
        try:
            with open(os.path.join(pid_dir, str(self.pid)), "w"):
                pass
        except (OSError, ValueError) as exc:  # ValueError: NUL bytes, lone surrogates
            self._reply_pid()
            raise ProtocolError(
                f"cannot write the pid file into Storm's pidDir {pid_dir!r} ({exc}); without "
                "it Storm could not kill this process when the worker stops"
            ) from exc
        self._reply_pid()
        return conf, context

    def _reply_pid(self) -> None:
        self._write(self._dump({"pid": self.pid}, special=False))
        self._flush()

    # -- writing -------------------------------------------------------------------
    def send_message(self, message: Mapping[str, Any]) -> None:
        """Queue one message for Storm (flushed before the next blocking read)."""
        if not isinstance(message, Mapping):
            raise SerializationError(
                f"messages to Storm must be dicts, not {type(message).__name__}: "
                f"{describe(message)}"
            )
        self._write(self._dump(message))

    def flush(self) -> None:
        """Write out queued messages now."""
        self._flush()

    def log(self, message: object, level: str | None = None) -> None:
        """Send ``message`` to Storm's log at ``level`` (trace, debug, info, warn, error)."""
        storm_level = LOG_LEVELS.get(level or "info", 2)
        self._write(
            self._dump({"command": "log", "msg": str(message), "level": storm_level}, special=False)
        )

    def raise_exception(self, exception: BaseException, tup: Any = None) -> None:
        """Report ``exception`` to Storm (shows as the component's error in the UI), then sync."""
        tb = "".join(
            traceback.format_exception(type(exception), exception, exception.__traceback__)
        )
        # The exception itself on the first line: the Storm UI shows 200 characters of it.
        summary = f"Python {type(exception).__name__}: {exception}"
        if tup:
            text = f"{summary}\nraised while processing Tuple {tup!r}\n{tb}"
        else:
            text = f"{summary}\n{tb}"
        self._write(self._dump({"command": "error", "msg": text}, special=False))
        self._write(self._sync_body)

    def report_metric(self, name: str, value: Any) -> None:
        """Send ``value`` to the Storm metric ``name`` declared in the component's conf.

        ShellBolt/ShellSpout accept ``metrics`` only for metrics registered in Java, and kill
        the worker on any other name. stormbridge's serializer registers those the conf
        declares (``config = {"stormbridge.metrics": {name: "count" | "assign" | "mean"}}``
        on the class; ``count`` adds ``value`` or 1 when it is None), so they reach Storm's
        metrics consumers. An undeclared name, or Storm's own serializer, sends nothing and
        logs one warning (sending would kill the worker).
        """
        if self._serializer_takes_task and name in self._declared_metrics:
            self._write(self._dump({"command": "metrics", "name": name, "params": value}))
            return
        if not self._metric_warned:
            self._metric_warned = True
            why = (
                f"it is not declared in the component's conf ({METRICS_CONF_KEY}: "
                f"{{{name!r}: 'count' | 'assign' | 'mean'}})"
                if self._serializer_takes_task
                else f"the topology does not use stormbridge's serializer ({OWN_SERIALIZER_CLASS})"
            )
            self.logger.warning(
                "report_metric(%r, ...) ignored: Storm kills the worker on a 'metrics' message "
                "for a metric not registered in Java, and %s; this warning is logged once",
                name,
                why,
            )

    def _check_emit(self, tup: Any, tup_id: Any, direct_task: Any) -> bool:
        if type(tup) is not list and not isinstance(tup, (list, tuple)):
            raise TypeError(
                f"All Tuples must be either lists or tuples, received {type(tup)!r} instead."
            )
        if direct_task is not None and not (self.allow_direct_emit or self._serializer_takes_task):
            serializer = self.storm_conf.get(SERIALIZER_CONF_KEY) or "Storm's default"
            raise SerializationError(
                f"emit(direct_task={direct_task!r}) refused: Storm 2.6-2.8.x workers crash "
                "on a multilang emit that carries a task with Storm's JsonSerializer "
                f"(ClassCastException), and this topology's serializer is {serializer}. "
                f"Submit with stormbridge's serializer ({SERIALIZER_CONF_KEY}="
                f"{OWN_SERIALIZER_CLASS}, the default when `sparse` finds a JDK), use a "
                "fields grouping, or set allow_direct_emit = True on the class if your "
                "Storm is patched."
            )
        special = scan_values(tup)
        if tup_id is not None and type(tup_id) is not str and scan_values(tup_id):
            special = True
        return special

    def _emit(
        self,
        tup: Any,
        tup_id: Any = None,
        stream: str | None = None,
        anchors: list[Any] | None = None,
        direct_task: int | None = None,
        need_task_ids: bool = False,
    ) -> list[int] | None:
        special = self._check_emit(tup, tup_id, direct_task)
        msg: dict[str, Any] = {"command": "emit", "tuple": tup}
        if anchors is not None:
            msg["anchors"] = anchors
        if tup_id is not None:
            msg["id"] = tup_id
        if stream is not None:
            msg["stream"] = stream
        if direct_task is not None:
            if type(direct_task) is not int or not INT64_MIN <= direct_task <= INT64_MAX:
                raise SerializationError(f"direct_task must be an int task id, not {direct_task!r}")
            msg["task"] = direct_task
        if not need_task_ids:
            msg["need_task_ids"] = False
            self._write(self._dump(msg, special=special))
            return None
        data = self._dump(msg, special=special)
        if direct_task is not None:
            self._write(data)
            return [direct_task]
        with self._reader_lock:
            self._write(data)
            self._flush()
            return self.read_task_ids()

    def emit(
        self,
        tup: Any,
        tup_id: Any = None,
        stream: str | None = None,
        anchors: list[Any] | None = None,
        direct_task: int | None = None,
        need_task_ids: bool = False,
    ) -> list[int] | None:
        """Emit ``tup`` (a list or tuple); returns task ids only if ``need_task_ids``."""
        return self._emit(tup, tup_id, stream, anchors, direct_task, need_task_ids)

    # -- the loop ------------------------------------------------------------------
    def _setup_component(self, storm_conf: dict[str, Any], context: dict[str, Any]) -> None:
        """Keep the handshake's conf and context and set up logging."""
        self.topology_name = storm_conf.get("topology.name", "")
        self.task_id = context.get("taskid", "")
        name = context.get("componentid")
        if name is None:
            mapping = context.get("task->component") or {}
            if not isinstance(mapping, dict):
                raise ProtocolError(
                    "the handshake context's task->component must be an object mapping task "
                    f"ids to component ids, got {describe(mapping)}"
                )
            name = mapping.get(str(self.task_id), "")
        self.component_name = str(name)
        self.debug = bool(storm_conf.get("topology.debug", False))
        self.storm_conf = storm_conf
        self.context = context
        self._serializer_takes_task = storm_conf.get(SERIALIZER_CONF_KEY) == OWN_SERIALIZER_CLASS
        self._batched_transport = storm_conf.get(TRANSPORT_CONF_KEY) == BATCHED_TRANSPORT
        declared = storm_conf.get(METRICS_CONF_KEY)
        self._declared_metrics = frozenset(declared) if isinstance(declared, dict) else frozenset()
        self.logger = logging.getLogger(f"pystorm.component.{self.component_name}")
        self._log_handler = configure_logging(self)
        self._note_slow_codec()

    def _note_slow_codec(self) -> None:
        """Say once, in Storm's log, that JSON goes through the slower standard library."""
        if self.serializer_name == "json" and getattr(self.serializer, "engine", "") == "stdlib":
            self.logger.warning(
                "encoding JSON with the standard library: orjson is not importable by %s, and "
                "each tuple costs about 2-3x the CPU; install orjson into the workers' "
                'interpreter or virtualenv (or submit with "deploy": "ship")',
                sys.executable,
            )

    def _run(self) -> None:
        """Handle one message from Storm. Subclasses implement it."""
        raise NotImplementedError

    def _handle_run_exception(self, exc: BaseException) -> None:
        """Report an exception from the loop to Storm (subclasses also fail tuples)."""
        self.raise_exception(exc)

    def _report_fatal(self, exc: BaseException) -> None:
        """Best effort: tell Storm (``error``) and stderr why we are about to exit."""
        sys.stderr.write(f"stormbridge: {self.component_name or type(self).__name__}: {exc}\n")
        sys.stderr.flush()
        if self.serializer is None:
            return
        try:
            self.raise_exception(exc)
            self._flush()
        except (StormBridgeError, OSError):
            pass

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            signum: signal.signal(signum, _raise_terminated)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        watchdog = _TerminationWatchdog.start()
        try:
            yield
        finally:
            if watchdog is not None:
                watchdog.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def run(self) -> NoReturn:
        """Run the component, then end the process with its exit code, as pystorm's ``run()``.

        For a script that does ``MyBolt().run()`` itself. The exit code is that of
        :meth:`run_to_exit_code` (raised as ``SystemExit``, so ``finally`` blocks run).
        """
        sys.exit(self.run_to_exit_code())

    def run_to_exit_code(self) -> int:
        """Handshake, ``initialize``, then handle messages until the end; returns the exit code.

        0 never happens in a worker; 1 after an exception (or a protocol error), 2 when
        Storm goes away, 128 + signal number after SIGTERM/SIGINT. ``streamparse_run`` and
        the test helpers use this; :meth:`run` ends the process instead.
        """
        with self._signals():
            try:
                return self._run_protected()
            except Terminated as exc:
                self._close_quietly()
                return 128 + exc.signum
            finally:
                handler = self._log_handler
                if handler is not None:  # do not leave a handler on a closed pipe behind
                    logging.getLogger().removeHandler(handler)
                    handler.close()
                    self._log_handler = None

    def _run_protected(self) -> int:
        restore_stdout = None
        if self._owns_stdio:
            self._take_stdio()
        else:
            assert self.serializer is not None
        self.serializer.sink.claim()  # type: ignore[union-attr]
        try:
            try:
                storm_conf, context = self.read_handshake()
                self._setup_component(storm_conf, context)
                if self._owns_stdio:
                    restore_stdout = stdout_to_log()
            except StormWentAwayError as exc:
                sys.stderr.write(f"stormbridge: {exc}\n")
                return EXIT_STORM_WENT_AWAY
            except (ProtocolError, ConfigError, OSError) as exc:
                self._report_fatal(exc)
                return EXIT_EXCEPTION
            try:
                self.initialize(storm_conf, context)
            except StormWentAwayError as exc:
                sys.stderr.write(f"stormbridge: {exc}\n")
                return EXIT_STORM_WENT_AWAY
            except Exception as exc:
                log.error("Exception in %s.initialize()", type(self).__name__, exc_info=True)
                self._report_fatal(exc)
                return EXIT_EXCEPTION
            return self._loop()
        finally:
            if restore_stdout is not None:
                restore_stdout()

    def _run_forever(self) -> None:
        """Call :meth:`_run` until something raises (subclasses may inline it)."""
        run_once = self._run
        while True:
            run_once()

    def _loop(self) -> int:
        while True:
            try:
                self._run_forever()
            except StormWentAwayError as exc:
                sys.stderr.write(f"stormbridge: {exc}\n")
                return EXIT_STORM_WENT_AWAY
            except ProtocolError as exc:
                self._report_fatal(exc)
                return EXIT_EXCEPTION
            except Exception as exc:  # noqa: BLE001 - user code: report to Storm
                code = self._on_exception(exc)
                if code is not None:
                    return code

    def _on_exception(self, exc: Exception) -> int | None:
        """Log and report ``exc``; the exit code, or None to keep running."""
        log.error("Exception in %s.run()", type(self).__name__, exc_info=True)
        try:
            self._handle_run_exception(exc)
        except StormWentAwayError as inner:
            sys.stderr.write(f"stormbridge: {inner}\n")
            return EXIT_STORM_WENT_AWAY
        except Exception:
            log.error(
                "Exception while handling an exception in %s", type(self).__name__, exc_info=True
            )
        if self.exit_on_exception:
            try:
                self._flush()
            except StormWentAwayError:
                return EXIT_STORM_WENT_AWAY
            self._last_words(exc)
            return EXIT_EXCEPTION
        return None

    def _last_words(self, exc: BaseException) -> None:
        """Leave the exception in the error Storm reports when this process dies.

        Storm's ShellBolt reports the subprocess's death *after* our ``error`` command, so the
        UI's lastError is that death notice, which carries whatever the process writes to
        stderr between closing its protocol pipe and exiting (``errorString:``). So: close the
        protocol output (Storm's reader sees EOF and starts reading our stderr to the end), then
        write the exception, summary line first (the UI shows an error's first 200 characters).
        """
        out_fd = getattr(self, "_protocol_out_fd", None)
        if out_fd is not None:
            self._protocol_out_fd = None
            try:
                os.close(out_fd)
            except OSError:
                pass
        _write_stderr(f"{type(exc).__name__}: {exc}\n{_format_exception(exc)}")

    def _close_quietly(self) -> None:
        try:
            if self.serializer is not None:
                self._flush()
        except (StormBridgeError, OSError):
            pass


def _format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _write_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
