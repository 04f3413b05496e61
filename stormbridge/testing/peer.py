"""``StormPeer``: play Storm's side of the multilang protocol against one component.

It speaks over real pipes, to a subprocess (:meth:`StormPeer.spawn`, exactly as a Storm
worker starts ``streamparse_run``) or to a component running in a thread of this
process (:meth:`StormPeer.in_thread`). It does the handshake with a temporary
``pidDir``, sends tuples, heartbeats, ticks, spout commands and task-id lists, and
reads what the component writes with Storm's own strict line-based rules. Every wait
has a deadline. See ``docs/testing.md``.
"""

from __future__ import annotations

import itertools
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import StormBridgeError
from .storm_reader import JsonStormReader, MsgpackStormReader, StormWouldDieError

__all__ = ["PeerError", "StormPeer", "make_context"]

_EOF = object()


class PeerError(StormBridgeError, AssertionError):
    """The component did not do what the test expected (timeout, early exit, bad bytes)."""


def make_context(
    component: str = "component",
    task_id: int = 1,
    *,
    sources: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    outputs: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """A handshake ``context`` shaped like Storm's ``TopologyContext.toJSONString()``."""
    sources = sources if sources is not None else {"spout": {"default": ["word"]}}
    outputs = outputs if outputs is not None else {"default": ["word", "count"]}
    task_to_component = {str(task_id): component, "-1": "__system"}
    for number, source in enumerate(sources, start=task_id + 1):
        task_to_component[str(number)] = source
    return {
        "task->component": task_to_component,
        "taskid": task_id,
        "componentid": component,
        "streams": list(outputs),
        "stream->outputfields": {k: list(v) for k, v in outputs.items()},
        "stream->target->grouping": {},
        "source->stream->grouping": {
            src: {stream: {"type": "SHUFFLE"} for stream in streams}
            for src, streams in sources.items()
        },
        "source->stream->fields": {
            src: {stream: list(fields) for stream, fields in streams.items()}
            for src, streams in sources.items()
        },
    }


class StormPeer:
    """Storm's end of one component's pipes. Use as a context manager."""

    def __init__(
        self,
        write_fd: int,
        read_fd: int,
        *,
        serializer: str = "json",
        timeout: float = 10.0,
        process: subprocess.Popen[bytes] | None = None,
        thread: threading.Thread | None = None,
        result: list[int] | None = None,
    ) -> None:
        self.serializer = serializer
        self.timeout = timeout
        self.process = process
        self._thread = thread
        self._result = result if result is not None else []
        self._write_fd = write_fd
        self._read_fd = read_fd
        self._messages: queue.Queue[Any] = queue.Queue()
        self.raw = bytearray()
        #: Every ``log`` command read so far.
        self.logs: list[dict[str, Any]] = []
        self.stderr = ""
        self.pid: int | None = None
        self.pid_dir = tempfile.mkdtemp(prefix="stormbridge-pids-")
        self.conf: dict[str, Any] = {}
        self.context: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._reader_error: BaseException | None = None
        if serializer == "msgpack":
            import msgpack

            self._pack = msgpack.Packer(use_bin_type=True).pack
        else:
            import json

            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            self._pack = lambda message: (dumps(message) + "\nend\n").encode("utf-8")
        self._reader = threading.Thread(
            target=self._read_loop, name="storm-peer-reader", daemon=True
        )
        self._reader.start()
        self._stderr_thread: threading.Thread | None = None
        if process is not None and process.stderr is not None:
            self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
            self._stderr_thread.start()

    # -- construction --------------------------------------------------------------
    @classmethod
    def spawn(
        cls,
        argv: Sequence[str],
        *,
        serializer: str = "json",
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> StormPeer:
        """Start ``argv``, e.g. ``[sys.executable, "-m", "stormbridge.runtime.run", "mod.Cls"]``."""
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=None if env is None else dict(env),
        )
        assert process.stdin is not None and process.stdout is not None
        return cls(
            process.stdin.fileno(),
            process.stdout.fileno(),
            serializer=serializer,
            timeout=timeout,
            process=process,
        )

    @classmethod
    def run_component(
        cls,
        target: str,
        *,
        serializer: str = "json",
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> StormPeer:
        """Spawn ``python -m stormbridge.runtime.run [-s serializer] target`` in ``cwd``."""
        argv = [sys.executable, "-m", "stormbridge.runtime.run", "-s", serializer, target]
        return cls.spawn(argv, serializer=serializer, cwd=cwd, env=env, timeout=timeout)

    @classmethod
    def in_thread(
        cls, component_cls: type, *, serializer: str = "json", timeout: float = 10.0
    ) -> StormPeer:
        """Run ``component_cls`` in a daemon thread of this process, over OS pipes."""
        to_component_r, to_component_w = os.pipe()
        from_component_r, from_component_w = os.pipe()
        result: list[int] = []

        def target() -> None:
            try:
                component = component_cls(to_component_r, from_component_w, serializer=serializer)
                result.append(component.run_to_exit_code())
            finally:
                os.close(to_component_r)
                os.close(from_component_w)

        thread = threading.Thread(
            target=target, name=f"component-{component_cls.__name__}", daemon=True
        )
        thread.start()
        return cls(
            to_component_w,
            from_component_r,
            serializer=serializer,
            timeout=timeout,
            thread=thread,
            result=result,
        )

    # -- background readers --------------------------------------------------------
    def _read_loop(self) -> None:
        parser = MsgpackStormReader() if self.serializer == "msgpack" else JsonStormReader()
        try:
            while True:
                chunk = os.read(self._read_fd, 65536)
                if not chunk:
                    break
                self.raw += chunk
                for message in parser.feed(chunk):
                    self._messages.put(message)
            if parser.leftover().strip():
                raise StormWouldDieError(
                    f"output ended inside a frame: {parser.leftover()[:300]!r}"
                )
        except (StormWouldDieError, OSError) as exc:
            self._reader_error = exc
        finally:
            self._messages.put(_EOF)

    def _drain_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in iter(self.process.stderr.readline, b""):
            self.stderr += line.decode("utf-8", "replace")

    # -- handshake -----------------------------------------------------------------
    def handshake(
        self, conf: Mapping[str, Any] | None = None, context: Mapping[str, Any] | None = None
    ) -> int:
        """Send Storm's first message; returns the pid the component replied with."""
        self.conf = dict(conf or {"topology.name": "test-topology"})
        self.context = dict(context if context is not None else make_context())
        self.send({"pidDir": self.pid_dir, "conf": self.conf, "context": self.context})
        reply = self.read()
        if not isinstance(reply, dict) or "pid" not in reply:
            raise PeerError(f"expected the {{'pid': N}} reply to the handshake, got {reply!r}")
        self.pid = int(reply["pid"])
        return self.pid

    # -- sending -------------------------------------------------------------------
    def send(self, message: Any) -> None:
        """Write one message (a dict, or a list of task ids) and flush, as Storm does."""
        self.send_raw(self._pack(message))

    def send_raw(self, data: bytes) -> None:
        """Write raw bytes (for malformed-input tests)."""
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._write_fd, view) :]
        except OSError as exc:
            raise PeerError(f"the component closed its input: {exc}{self._stderr_note()}") from exc

    def send_tuple(
        self,
        values: Sequence[Any],
        *,
        id: str | None = None,
        comp: str = "spout",
        stream: str = "default",
        task: int = 2,
    ) -> str:
        """Send a tuple to a bolt; returns its id."""
        tup_id = id if id is not None else str(next(self._ids))
        self.send(
            {"id": tup_id, "comp": comp, "stream": stream, "task": task, "tuple": list(values)}
        )
        return tup_id

    def send_heartbeat(self) -> str:
        """Send ShellBolt's heartbeat tuple (answered by ``sync``)."""
        tup_id = str(next(self._ids))
        self.send({"id": tup_id, "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []})
        return tup_id

    def send_tick(self) -> str:
        """Send a tick tuple (``__system``/``__tick``)."""
        return self.send_tuple([60], comp="__system", stream="__tick", task=-1)

    def send_command(self, command: str, id: Any = "") -> None:
        """Send a spout command: next, ack, fail, activate, deactivate."""
        self.send({"command": command, "id": id})

    def send_task_ids(self, task_ids: Iterable[int]) -> None:
        self.send(list(task_ids))

    # -- receiving -----------------------------------------------------------------
    def read(self, timeout: float | None = None, *, skip_logs: bool = False) -> Any:
        """The next message the component wrote; PeerError on timeout or exit.

        ``skip_logs=True`` drops ``log`` commands (they stay in :attr:`logs`).
        """
        while True:
            message = self._read_one(timeout)
            if skip_logs and isinstance(message, dict) and message.get("command") == "log":
                continue
            return message

    def _read_one(self, timeout: float | None) -> Any:
        limit = self.timeout if timeout is None else timeout
        try:
            message = self._messages.get(timeout=limit)
        except queue.Empty:
            raise PeerError(
                f"no message from the component within {limit}s{self._stderr_note()}"
            ) from None
        if message is _EOF:
            self._messages.put(_EOF)
            if self._reader_error is not None:
                raise PeerError(f"{self._reader_error}{self._stderr_note()}")
            raise PeerError(f"the component closed its output{self._stderr_note()}")
        if isinstance(message, dict) and message.get("command") == "log":
            self.logs.append(message)
        return message

    def read_until_sync(self, timeout: float | None = None) -> list[Any]:
        """Messages up to (not including) the next ``sync``."""
        messages: list[Any] = []
        while True:
            message = self.read(timeout)
            if message.get("command") == "sync":
                return messages
            messages.append(message)

    def spout_command(
        self, command: str = "next", id: Any = "", task_ids: Sequence[int] = (7,)
    ) -> list[Any]:
        """Send a spout command and return what came before its ``sync``.

        Emits that ask for task ids (no ``need_task_ids: false``) are answered with
        ``task_ids`` immediately, as ShellSpout does.
        """
        self.send_command(command, id)
        messages: list[Any] = []
        while True:
            message = self.read()
            if message.get("command") == "sync":
                return messages
            messages.append(message)
            if message.get("command") == "emit" and message.get("need_task_ids", True) is not False:
                self.send_task_ids(task_ids)

    def expect_no_message(self, wait: float = 0.2) -> None:
        """Assert nothing arrives within ``wait`` seconds."""
        try:
            message = self._messages.get(timeout=wait)
        except queue.Empty:
            return
        self._messages.put(message)
        raise PeerError(f"unexpected message from the component: {message!r}")

    # -- ending --------------------------------------------------------------------
    def close_input(self) -> None:
        """Close the component's stdin (Storm went away)."""
        fd, self._write_fd = self._write_fd, -1
        if fd < 0:
            return
        if self.process is not None and self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:  # the component already exited
                pass
        else:
            os.close(fd)

    def wait(self, timeout: float | None = None) -> int:
        """The component's exit code; PeerError if it is still running after ``timeout``."""
        limit = self.timeout if timeout is None else timeout
        if self.process is not None:
            try:
                code = self.process.wait(limit)
            except subprocess.TimeoutExpired:
                raise PeerError(
                    f"the component did not exit within {limit}s{self._stderr_note()}"
                ) from None
            self._reader.join(limit)
            if self._stderr_thread is not None:
                self._stderr_thread.join(limit)
            return code
        assert self._thread is not None
        self._thread.join(limit)
        if self._thread.is_alive():
            raise PeerError(f"the component thread did not finish within {limit}s")
        if not self._result:
            raise PeerError("the component thread raised instead of returning an exit code")
        return self._result[0]

    def close(self) -> int | None:
        """Close stdin, wait for the exit (killing a subprocess after the timeout)."""
        self.close_input()
        try:
            return self.wait()
        except PeerError:
            if self.process is not None:
                self.process.kill()
                self.process.wait(self.timeout)
            raise
        finally:
            if self.process is not None and self.process.stdout is not None:
                self.process.stdout.close()
            if self.process is not None and self.process.stderr is not None:
                self.process.stderr.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(self.timeout)

    def __enter__(self) -> StormPeer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_input()
        if self.process is not None:
            try:
                self.process.wait(self.timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            self._reader.join(self.timeout)
            if self._stderr_thread is not None:
                self._stderr_thread.join(self.timeout)
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        if self._thread is not None:
            self.close_input()
            self._thread.join(self.timeout)
            try:
                os.close(self._read_fd)
            except OSError:
                pass

    def _stderr_note(self) -> str:
        if self.process is not None and self._stderr_thread is not None:
            self._stderr_thread.join(0.2)
        text = self.stderr.strip()
        return f"\n--- component stderr ---\n{text[-4000:]}" if text else ""
