"""An independent fake Storm: drives one multilang component process over real OS pipes.

This is benchmark code, written against Storm's multilang protocol (``storm.md`` §1), not
against stormbridge or pystorm, so it can measure both the same way. It uses the standard
library only, except that the msgpack framing needs the ``msgpack`` package.

What one run does, exactly as Storm's ShellBolt/ShellSpout would from the component's view:

1. start the component (``command`` argv, ``cwd`` = the import root, like Storm's
   ``resources/``), with stdin/stdout pipes and stderr to a file;
2. handshake: send ``{"pidDir", "conf", "context"}``, read ``{"pid"}``, check the pid file;
3. warm up: a bolt gets one ``__heartbeat`` tuple (answered by ``sync``), a spout gets
   ``activate`` (answered by ``sync``); the component is now fully initialised;
4. measured phase: a bolt gets N pre-encoded tuples written as fast as the pipe takes them
   by a writer thread (plus a heartbeat every second and any task-id lists owed), while the
   main thread reads and counts emits/acks until every tuple is acked or failed; a spout
   gets N synchronous ``next`` commands, each followed by reading up to ``sync``;
5. read the peak RSS (``VmHWM``), close stdin (EOF) and reap the child with ``os.wait4``.

The component's CPU time over the measured phase comes from the kernel's per-process CPU
clock (``clock_getcpuclockid``, nanoseconds, all threads), falling back to
``/proc/<pid>/stat`` ticks. The driver's own CPU is not included.

Command line (prints one JSON object)::

    python bench/driver.py bolt -n 100000 --cwd DIR -- /venv/bin/streamparse_run bolts.x.Y
    python bench/driver.py spout -n 50000 --serializer msgpack --cwd DIR -- CMD...
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import ctypes
import ctypes.util
import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

__all__ = [
    "WORDS",
    "BoltRun",
    "DriverError",
    "SpoutRun",
    "expected_word_counts",
    "run_bolt",
    "run_spout",
]

#: The words the repo's word spout cycles through; the bolt benchmark feeds the same.
WORDS = ("dog", "cat", "zebra", "elephant")

_READ_SIZE = 1 << 20
_CHUNK_SIZE = 64 * 1024
_HEARTBEAT_EVERY = 1.0


class DriverError(Exception):
    """The component broke the protocol, died, or did not answer before the deadline."""


# --------------------------------------------------------------------------- codecs


class _Codec(Protocol):
    name: str

    def encode(self, msg: Any) -> bytes: ...

    def feed(self, data: bytes) -> list[Any]: ...


class _JsonCodec:
    """Storm's JsonSerializer framing: one JSON value, then ``\\nend\\n``."""

    name = "json"

    def __init__(self) -> None:
        self._buf = b""
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self._loads = json.JSONDecoder().decode

    def encode(self, msg: Any) -> bytes:
        return self._dumps(msg).encode("utf-8") + b"\nend\n"

    def feed(self, data: bytes) -> list[Any]:
        parts = (self._buf + data).split(b"\nend\n")
        self._buf = parts.pop()
        loads = self._loads
        # A frame may carry stray blank lines before the value; Storm skips them too.
        return [loads(p.decode("utf-8")) for p in parts if p.strip()]


class _MsgpackCodec:
    """pystorm's msgpack framing: msgpack values back to back, no delimiter."""

    name = "msgpack"

    def __init__(self) -> None:
        try:
            import msgpack  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise DriverError("msgpack framing needs the 'msgpack' package") from exc
        self._packb = msgpack.Packer(use_bin_type=True).pack
        self._unpacker = msgpack.Unpacker(raw=False)

    def encode(self, msg: Any) -> bytes:
        data: bytes = self._packb(msg)
        return data

    def feed(self, data: bytes) -> list[Any]:
        self._unpacker.feed(data)
        return list(self._unpacker)


def _codec(serializer: str) -> _Codec:
    if serializer == "json":
        return _JsonCodec()
    if serializer == "msgpack":
        return _MsgpackCodec()
    raise DriverError(f"unknown serializer {serializer!r}: use 'json' or 'msgpack'")


# --------------------------------------------------------------------------- CPU clock


class _CpuClock:
    """CPU seconds (user+sys, all threads) consumed so far by another process."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._clock_id: int | None = None
        with contextlib.suppress(OSError, AttributeError, TypeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            cid = ctypes.c_int()
            if libc.clock_getcpuclockid(pid, ctypes.byref(cid)) == 0:
                self._clock_id = cid.value
        self._ticks = os.sysconf("SC_CLK_TCK")

    @property
    def source(self) -> str:
        return "clock_getcpuclockid" if self._clock_id is not None else "/proc/<pid>/stat"

    def peak_rss_kib(self) -> int:
        """VmHWM: the peak RSS of the process image (exec'd program only).

        ``ru_maxrss`` from ``wait4`` is not used: Linux carries the parent's RSS at fork
        into it, so it would report the driver's size.
        """
        with open(f"/proc/{self._pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def user_sys(self) -> tuple[float, float]:
        """(user, sys) CPU seconds so far, at clock-tick resolution (``/proc/<pid>/stat``)."""
        with open(f"/proc/{self._pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / self._ticks, int(fields[12]) / self._ticks

    def ctx_switches(self) -> int:
        """Voluntary + involuntary context switches of the main thread so far."""
        total = 0
        with open(f"/proc/{self._pid}/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        return total

    def snapshot(self) -> tuple[float, float, float, int]:
        user, system = self.user_sys()
        return self.read(), user, system, self.ctx_switches()

    def read(self) -> float:
        if self._clock_id is not None:
            with contextlib.suppress(OSError):
                return time.clock_gettime(self._clock_id)
        with open(f"/proc/{self._pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # Fields 14 and 15 of stat(5) (utime, stime); index 11/12 after the comm field.
        return (int(fields[11]) + int(fields[12])) / self._ticks


# --------------------------------------------------------------------------- results


@dataclasses.dataclass
class _Common:
    serializer: str
    n: int
    cpu_seconds: float
    user_seconds: float
    sys_seconds: float
    context_switches: int
    wall_seconds: float
    startup_wall_seconds: float
    startup_cpu_seconds: float
    total_cpu_seconds: float
    peak_rss_kib: int
    exit_status: int
    cpu_clock: str
    logs: list[str]
    errors: list[str]

    @property
    def per_cpu_second(self) -> float:
        return self.n / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")

    @property
    def per_wall_second(self) -> float:
        return self.n / self.wall_seconds if self.wall_seconds > 0 else float("inf")

    def summary(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["logs"] = len(self.logs)
        out["per_cpu_second"] = self.per_cpu_second
        out["per_wall_second"] = self.per_wall_second
        out["cpu_us_per_tuple"] = 1e6 * self.cpu_seconds / self.n if self.n else 0.0
        return out


@dataclasses.dataclass
class BoltRun(_Common):
    """What a bolt did with ``n`` input tuples."""

    acked: list[str]
    failed: list[str]
    emits: list[tuple[list[Any], list[Any]]]  # (values, anchors), in arrival order
    syncs: int

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        for key in ("acked", "failed", "emits"):
            out[key] = len(out[key])
        return out


@dataclasses.dataclass
class SpoutRun(_Common):
    """What a spout emitted over ``n`` synchronous ``next`` round trips."""

    emits: list[tuple[list[Any], Any]]  # (values, message id or None)

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["emits"] = len(out["emits"])
        return out


def expected_word_counts(words: Sequence[str]) -> list[list[Any]]:
    """The emits the classic word-count bolt must make for ``words``, in order."""
    counts: dict[str, int] = collections.Counter()
    out = []
    for w in words:
        counts[w] += 10 if w == "dog" else 1
        out.append([w, counts[w]])
    return out


# --------------------------------------------------------------------------- the process


def _handshake_msg(pid_dir: str, component: str, is_spout: bool) -> dict[str, Any]:
    if is_spout:
        outputs = {"default": ["word"]}
        sources: dict[str, Any] = {}
        task_id = 1
    else:
        outputs = {"default": ["word", "count"]}
        sources = {"word-spout": {"default": ["word"]}}
        task_id = 3
    conf = {
        "topology.name": "bench",
        "topology.debug": False,
        "topology.max.spout.pending": None,
        "topology.multilang.serializer": "org.apache.storm.multilang.JsonSerializer",
        "storm.id": "bench-1-1700000000",
        "topology.workers": 1,
    }
    context = {
        "taskid": task_id,
        "componentid": component,
        "task->component": {
            "1": "word-spout",
            "2": "word-spout",
            "3": "count-bolt",
            "4": "sink",
            "-1": "__system",
            "5": "__acker",
        },
        "streams": ["default"],
        "stream->outputfields": outputs,
        "stream->target->grouping": {"default": {"sink": {"type": "SHUFFLE"}}},
        "source->stream->grouping": {
            src: {"default": {"type": "FIELDS", "fields": ["word"]}} for src in sources
        },
        "source->stream->fields": sources,
    }
    return {"pidDir": pid_dir, "conf": conf, "context": context}


class _Component:
    """One component subprocess plus the bookkeeping both benchmarks share."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: str,
        codec: _Codec,
        workdir: str,
        timeout: float,
        env: dict[str, str] | None,
    ) -> None:
        self.codec = codec
        self.workdir = workdir
        self.stderr_path = os.path.join(workdir, "stderr.txt")
        self.pid_dir = os.path.join(workdir, "pids")
        os.mkdir(self.pid_dir)
        self.logs: list[str] = []
        self.errors: list[str] = []
        self._pending: collections.deque[Any] = collections.deque()
        self.deadline_hit = False
        self.t_spawn = time.perf_counter()
        argv = list(command)
        if os.sep in argv[0]:  # relative to the caller, not to the component's cwd
            argv[0] = os.path.abspath(argv[0])
        try:
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    env=env,
                )
        except OSError as exc:
            raise DriverError(f"could not start the component {argv}: {exc}") from exc
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd = self.proc.stdin.fileno()
        self.out_fd = self.proc.stdout.fileno()
        self.cpu = _CpuClock(self.proc.pid)
        self._watchdog = threading.Timer(timeout, self._on_deadline)
        self._watchdog.daemon = True
        self._watchdog.start()
        self.rusage: Any = None
        self.peak_rss = 0
        self.status = -1

    def mark_start(self) -> None:
        """The measured phase starts now (the component is initialised and idle)."""
        self.start = (time.perf_counter(), self.cpu.snapshot())

    def mark_end(self) -> None:
        """The measured phase ends now (last ack or sync read); also take the peak RSS."""
        self.end = (time.perf_counter(), self.cpu.snapshot())
        self.peak_rss = self.cpu.peak_rss_kib()

    def _on_deadline(self) -> None:
        self.deadline_hit = True
        self._sigkill()

    def _sigkill(self) -> None:
        # os.kill, not Popen.kill: Popen polls (reaps) first, which would race os.wait4.
        if self.proc.returncode is None:
            with contextlib.suppress(OSError):
                os.kill(self.proc.pid, signal.SIGKILL)

    def stderr_tail(self, limit: int = 3000) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def fail(self, what: str) -> DriverError:
        if self.deadline_hit:
            what += " (the driver's deadline expired and it killed the component)"
        tail = self.stderr_tail()
        logs = "\n".join(self.logs[-5:])
        return DriverError(
            f"{what}\n--- component stderr (tail) ---\n{tail}\n--- last log messages ---\n{logs}"
        )

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.in_fd, view)
            except (BrokenPipeError, OSError) as exc:
                raise self.fail(f"writing to the component failed: {exc}") from exc
            view = view[n:]

    def send(self, msg: Any) -> None:
        self.write(self.codec.encode(msg))

    def messages(self) -> Iterator[Any]:
        """Every message the component writes, in order (blocking reads)."""
        while True:
            while self._pending:
                yield self._pending.popleft()
            data = os.read(self.out_fd, _READ_SIZE)
            if not data:
                raise self.fail("the component closed its stdout (exited?)")
            try:
                self._pending.extend(self.codec.feed(data))
            except ValueError as exc:
                raise self.fail(f"the component wrote bytes that are not a frame: {exc}") from exc

    def note(self, msg: Any) -> str:
        """Record log/error messages; return the command (raise if there is none)."""
        if not isinstance(msg, dict) or not isinstance(msg.get("command"), str):
            raise self.fail(f"message without a 'command' string: {msg!r}")
        command: str = msg["command"]
        if command == "log":
            self.logs.append(str(msg.get("msg")))
        elif command == "error":
            self.errors.append(str(msg.get("msg")))
        elif command == "metrics":
            raise self.fail("the component sent 'metrics', which kills a Storm worker")
        return command

    def handshake(self, component: str, is_spout: bool) -> None:
        self.send(_handshake_msg(self.pid_dir, component, is_spout))
        it = self.messages()
        reply = next(it)
        if not isinstance(reply, dict) or not isinstance(reply.get("pid"), int):
            raise self.fail(f"expected {{'pid': <int>}} as the handshake reply, got {reply!r}")
        if reply["pid"] != self.proc.pid:
            raise self.fail(f"handshake pid {reply['pid']} is not the child pid {self.proc.pid}")
        if not os.path.exists(os.path.join(self.pid_dir, str(self.proc.pid))):
            raise self.fail("the component did not create its pid file in pidDir")

    def until_sync(self) -> Iterator[Any]:
        """Yield emits until the next ``sync``; fail on anything unexpected."""
        for msg in self.messages():
            command = self.note(msg)
            if command == "sync":
                return
            if command == "emit":
                yield msg
            elif command not in ("log", "error"):
                raise self.fail(f"unexpected {command!r} before sync")

    def finish(self, timeout: float = 30.0) -> None:
        """Send EOF and reap the child (rusage with its peak RSS)."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        end = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.rusage, self.status = ru, os.waitstatus_to_exitcode(status)
                self.proc.returncode = self.status
                break
            if time.monotonic() > end:
                self._sigkill()
                _, status, ru = os.wait4(self.proc.pid, 0)
                self.rusage, self.status = ru, os.waitstatus_to_exitcode(status)
                self.proc.returncode = self.status
                break
            time.sleep(0.005)
        self._watchdog.cancel()
        self.proc.stdout.close()  # type: ignore[union-attr]

    def kill(self) -> None:
        if self.proc.returncode is None:
            self._sigkill()
            self.finish(timeout=5.0)


def _common(comp: _Component, serializer: str, n: int) -> dict[str, Any]:
    t0, (cpu0, user0, sys0, cs0) = comp.start
    t1, (cpu1, user1, sys1, cs1) = comp.end
    ru = comp.rusage
    return {
        "serializer": serializer,
        "n": n,
        "cpu_seconds": cpu1 - cpu0,
        "user_seconds": user1 - user0,
        "sys_seconds": sys1 - sys0,
        "context_switches": cs1 - cs0,
        "wall_seconds": t1 - t0,
        "startup_wall_seconds": t0 - comp.t_spawn,
        "startup_cpu_seconds": cpu0,
        "total_cpu_seconds": ru.ru_utime + ru.ru_stime,
        "peak_rss_kib": comp.peak_rss,
        "exit_status": comp.status,
        "cpu_clock": comp.cpu.source,
        "logs": comp.logs,
        "errors": comp.errors,
    }


# --------------------------------------------------------------------------- bolt


def _bolt_inputs(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    ids = [str(rng.getrandbits(64) - (1 << 63)) for _ in range(n)]
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    return ids, words


def run_bolt(
    command: Sequence[str],
    cwd: str,
    n: int,
    *,
    serializer: str = "json",
    component: str = "count-bolt",
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    seed: int = 1,
) -> BoltRun:
    """Feed ``n`` word tuples to the bolt started by ``command``; count what comes back."""
    codec = _codec(serializer)
    ids, words = _bolt_inputs(n, seed)
    frames = [
        codec.encode(
            {"id": i, "comp": "word-spout", "stream": "default", "task": 1 + k % 2, "tuple": [w]}
        )
        for k, (i, w) in enumerate(zip(ids, words, strict=True))
    ]
    chunks: list[bytes] = []
    buf: list[bytes] = []
    size = 0
    for frame in frames:
        buf.append(frame)
        size += len(frame)
        if size >= _CHUNK_SIZE:
            chunks.append(b"".join(buf))
            buf, size = [], 0
    if buf:
        chunks.append(b"".join(buf))
    del frames
    heartbeat = codec.encode(
        {"id": "-1", "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}
    )

    with tempfile.TemporaryDirectory(prefix="bench-bolt-") as workdir:
        comp = _Component(command, cwd, codec, workdir, timeout, env)
        try:
            comp.handshake(component, is_spout=False)
            # Warm-up: one heartbeat; its sync shows the component is initialised.
            comp.write(heartbeat)
            for msg in comp.until_sync():
                raise comp.fail(f"the bolt emitted on a heartbeat: {msg!r}")
            comp.mark_start()

            owed = collections.deque[bytes]()
            owed_lock = threading.Lock()
            done = threading.Event()
            writer_error: list[BaseException] = []

            def writer() -> None:
                last_hb = time.monotonic()
                try:
                    for chunk in [*chunks, None]:
                        while owed:
                            with owed_lock:
                                reply = owed.popleft()
                            comp.write(reply)
                        now = time.monotonic()
                        if now - last_hb >= _HEARTBEAT_EVERY:
                            comp.write(heartbeat)
                            last_hb = now
                        if chunk is not None:
                            comp.write(chunk)
                    while not done.wait(0.001):
                        while owed:
                            with owed_lock:
                                reply = owed.popleft()
                            comp.write(reply)
                except BaseException as exc:  # noqa: BLE001 - reported by the reader
                    writer_error.append(exc)

            wt = threading.Thread(target=writer, name="bench-writer", daemon=True)
            wt.start()
            acked: list[str] = []
            failed: list[str] = []
            emits: list[tuple[list[Any], list[Any]]] = []
            syncs = 0
            task_ids = codec.encode([4])
            try:
                for msg in comp.messages():
                    command = comp.note(msg)
                    if command == "ack":
                        acked.append(msg["id"])
                    elif command == "emit":
                        anchors = msg.get("anchors", [])
                        if isinstance(anchors, str):
                            anchors = [anchors]
                        emits.append((msg["tuple"], anchors))
                        if msg.get("need_task_ids", True) and "task" not in msg:
                            with owed_lock:
                                owed.append(task_ids)
                    elif command == "fail":
                        failed.append(msg["id"])
                    elif command == "sync":
                        syncs += 1
                    elif command not in ("log", "error"):
                        raise comp.fail(f"a bolt sent the unknown command {command!r}")
                    if len(acked) + len(failed) >= n:
                        break
                comp.mark_end()
            except DriverError:
                if writer_error:
                    raise comp.fail(f"writer thread failed: {writer_error[0]}") from None
                raise
            finally:
                done.set()
                wt.join(timeout=10)
            comp.finish()
        except BaseException:
            comp.kill()
            raise
        return BoltRun(
            **_common(comp, serializer, n),
            acked=acked,
            failed=failed,
            emits=emits,
            syncs=syncs,
        )


def check_word_count(run: BoltRun, seed: int = 1) -> None:
    """Raise DriverError unless the word-count bolt acked and counted every tuple exactly."""
    ids, words = _bolt_inputs(run.n, seed)
    if run.failed:
        raise DriverError(f"{len(run.failed)} tuples failed, e.g. {run.failed[:3]}")
    if sorted(run.acked) != sorted(ids):
        raise DriverError(f"acked {len(run.acked)} ids, not exactly the {len(ids)} sent")
    want = expected_word_counts(words)
    got = [values for values, _ in run.emits]
    if got != want:
        bad = (
            next(i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w) if got else 0
        )
        raise DriverError(
            f"emits differ: got {len(got)}, want {len(want)}; first difference at {bad}: "
            f"{got[bad : bad + 1]} vs {want[bad : bad + 1]}"
        )
    anchors = [a for _, a in run.emits]
    if anchors != [[i] for i in ids]:
        raise DriverError("emits are not anchored to the input tuple they came from")


# --------------------------------------------------------------------------- spout


def run_spout(
    command: Sequence[str],
    cwd: str,
    n: int,
    *,
    serializer: str = "json",
    component: str = "word-spout",
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    same_cpu: bool = False,
) -> SpoutRun:
    """Do ``n`` synchronous ``next`` → emits → ``sync`` round trips with a spout.

    ``same_cpu``: run the driver and the spout on one CPU (the last one this process may
    use). Each round trip then hands the CPU over directly instead of waking the other
    process on another, possibly idle, CPU, whose cost (an inter-processor interrupt and,
    in a VM, an exit from the idle vCPU) lands in the spout's system time and dwarfs the
    runtime's own work.
    """
    with _pinned(same_cpu):
        return _run_spout(command, cwd, n, serializer, component, timeout, env)


@contextlib.contextmanager
def _pinned(enabled: bool) -> Iterator[None]:
    if not enabled or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(before)})  # this thread; the child inherits it
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _run_spout(
    command: Sequence[str],
    cwd: str,
    n: int,
    serializer: str,
    component: str,
    timeout: float,
    env: dict[str, str] | None,
) -> SpoutRun:
    codec = _codec(serializer)
    nxt = codec.encode({"command": "next", "id": ""})
    task_ids = codec.encode([4])
    with tempfile.TemporaryDirectory(prefix="bench-spout-") as workdir:
        comp = _Component(command, cwd, codec, workdir, timeout, env)
        try:
            comp.handshake(component, is_spout=True)
            comp.send({"command": "activate", "id": ""})
            for msg in comp.until_sync():
                raise comp.fail(f"the spout emitted on activate: {msg!r}")
            comp.mark_start()
            emits: list[tuple[list[Any], Any]] = []
            write = comp.write
            for _ in range(n):
                write(nxt)
                for msg in comp.until_sync():
                    emits.append((msg["tuple"], msg.get("id")))
                    # ShellSpout answers need_task_ids (default true) synchronously.
                    if msg.get("need_task_ids", True) and "task" not in msg:
                        write(task_ids)
            comp.mark_end()
            comp.finish()
        except BaseException:
            comp.kill()
            raise
        return SpoutRun(
            **_common(comp, serializer, n),
            emits=emits,
        )


def check_word_spout(run: SpoutRun) -> None:
    """Raise DriverError unless the word spout emitted exactly one word per ``next``."""
    want = [[WORDS[i % len(WORDS)]] for i in range(run.n)]
    got = [values for values, _ in run.emits]
    if got != want:
        raise DriverError(f"spout emitted {len(got)} tuples, want {len(want)} cycling {WORDS}")


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("bolt", "spout"))
    parser.add_argument("-n", type=int, default=10000, help="tuples (bolt) or next calls (spout)")
    parser.add_argument("--serializer", choices=("json", "msgpack"), default="json")
    parser.add_argument("--cwd", default=".", help="the component's working directory")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--check", action="store_true", help="verify word-count results")
    parser.add_argument(
        "--same-cpu", action="store_true", help="spout: driver and spout on one CPU"
    )
    parser.add_argument("command", nargs="+", help="the component command line (after --)")
    args = parser.parse_args(argv)
    try:
        run: BoltRun | SpoutRun
        if args.kind == "bolt":
            run = run_bolt(
                args.command, args.cwd, args.n, serializer=args.serializer, timeout=args.timeout
            )
            if args.check:
                check_word_count(run)
        else:
            run = run_spout(
                args.command,
                args.cwd,
                args.n,
                serializer=args.serializer,
                timeout=args.timeout,
                same_cpu=args.same_cpu,
            )
            if args.check:
                check_word_spout(run)
    except DriverError as exc:
        print(f"driver: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(run.summary(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
