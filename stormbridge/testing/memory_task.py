"""One task of a topology run in this process, talking the multilang protocol over memory.

A :class:`MemoryTask` owns one instance of a user's spout or bolt class, built the way a
worker builds it (``Class(input_stream, output_stream)``), with two in-memory byte streams
instead of pipes. Storm's side is played by :class:`~stormbridge.testing.runner.TopologyRunner`:
it writes frames (handshake, tuples, spout commands, task-id lists) into :class:`MemoryInput`
and calls the component's own ``_run()`` once per message, so the runtime's real read, emit,
ack and log paths run and produce real bytes. Those bytes land in :class:`MemoryOutput`, which
parses them with Storm's strict rules (:mod:`stormbridge.testing.storm_reader`) as soon as the
component flushes, so an emit that waits for its task ids is answered before it reads.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, BinaryIO, cast

from ..runtime.component import Component
from .storm_reader import JsonStormReader, MsgpackStormReader

__all__ = ["MemoryInput", "MemoryOutput", "MemoryTask", "encoder_for"]


def encoder_for(serializer: str) -> Callable[[Any], bytes]:
    """How Storm frames a message for a component speaking ``serializer``."""
    if serializer == "msgpack":
        import msgpack

        return msgpack.Packer(use_bin_type=True).pack
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return lambda message: (dumps(message) + "\nend\n").encode("utf-8")


class MemoryInput:
    """Storm → component bytes: frames the runner queued, read with ``read1``.

    An empty buffer reads as end of input, which the component reports as Storm going away:
    a component that waits for a message the runner never sent fails at once, never hangs.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def read1(self, size: int = -1) -> bytes:
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
        return data

    read = read1

    def pending(self) -> int:
        return len(self._buffer)


class MemoryOutput:
    """Component → Storm bytes, parsed on every write and handed to ``deliver``."""

    def __init__(self, serializer: str, deliver: Callable[[Any], None]) -> None:
        self._reader = MsgpackStormReader() if serializer == "msgpack" else JsonStormReader()
        self._deliver = deliver
        self._lock = threading.Lock()
        #: Every byte the component wrote, for a test that wants to look at the wire.
        self.raw = bytearray()

    def write(self, data: bytes) -> int:
        with self._lock:
            self.raw += data
            messages = self._reader.feed(bytes(data))
        for message in messages:
            self._deliver(message)
        return len(data)

    def flush(self) -> None:
        pass

    def leftover(self) -> bytes:
        """An unfinished frame at the end of the output (a truncated message)."""
        return self._reader.leftover()


class _OnlyWhenRunning(logging.Filter):
    """Lets a component's Storm log handler see only records made while that task runs.

    Every component adds its handler to the root logger, as in a worker; in one process the
    records of one task would otherwise reach every task's pipe.
    """

    def __init__(self, task: MemoryTask, running: Callable[[], MemoryTask | None]) -> None:
        super().__init__()
        self._task = task
        self._running = running

    def filter(self, record: logging.LogRecord) -> bool:
        return self._running() is self._task


class MemoryTask:
    """One task: a component instance, its task id and its in-memory pipes."""

    def __init__(
        self,
        component_cls: type[Component],
        name: str,
        task_id: int,
        *,
        serializer: str,
        deliver: Callable[[MemoryTask, Any], None],
    ) -> None:
        self.name = name
        self.task_id = task_id
        self.input = MemoryInput()
        self.output = MemoryOutput(serializer, lambda message: deliver(self, message))
        self._encode = encoder_for(serializer)
        self.component: Component = component_cls(
            cast(BinaryIO, self.input), cast(BinaryIO, self.output), serializer=serializer
        )
        #: Tuple ids Storm's ShellBolt would still accept an ack, fail or anchor for.
        self.open_tuples: set[str] = set()
        #: ``sync`` messages the component has sent (one per spout command and heartbeat).
        self.syncs = 0

    def send(self, message: Any) -> None:
        """Queue one frame for the component (it reads it on its next ``_run``)."""
        self.input.feed(self._encode(message))

    def start(
        self,
        conf: dict[str, Any],
        context: dict[str, Any],
        pid_dir: str,
        running: Callable[[], MemoryTask | None],
    ) -> None:
        """The handshake and ``_setup_component`` as in a worker (``initialize`` is separate)."""
        component = self.component
        self.send({"pidDir": pid_dir, "conf": conf, "context": context})
        got_conf, got_context = component.read_handshake()
        component._setup_component(got_conf, got_context)
        handler = component._log_handler
        if handler is not None:
            handler.addFilter(_OnlyWhenRunning(self, running))

    def step(self) -> None:
        """Let the component handle the one message queued for it, then flush its output."""
        self.component._run()
        self.component._flush()

    def stop(self) -> None:
        """Remove the log handler the component added to the root logger."""
        component = self.component
        handler = component._log_handler
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()
            component._log_handler = None
        stop_batches = getattr(component, "_stopping", None)
        if isinstance(stop_batches, threading.Event):  # a TicklessBatchingBolt's timer thread
            stop_batches.set()
