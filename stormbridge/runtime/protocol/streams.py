"""Raw byte I/O under the codecs: large reads, buffered writes, one flush per batch.

The codecs never touch ``sys.stdin``/``sys.stdout``; they get a :class:`ByteSource`
and a :class:`ByteSink` built over whatever binary stream the caller injects (a pipe's
file descriptor in a worker, a ``BytesIO`` in a test). When the stream has a real file
descriptor we talk to it with ``os.read``/``os.write`` directly, which skips two layers
of Python buffering on the hot path.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from typing import BinaryIO

from ...errors import StormWentAwayError

__all__ = ["READ_SIZE", "ByteSink", "ByteSource"]

#: Bytes asked for per read: Storm's frames are small, so one read holds many.
READ_SIZE = 1 << 16


def _fileno(stream: object) -> int | None:
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return fd if isinstance(fd, int) else None


class ByteSource:
    """Reads chunks of bytes from a binary stream or file descriptor."""

    def __init__(self, stream: BinaryIO | int) -> None:
        self.stream = stream
        fd = stream if isinstance(stream, int) else _fileno(stream)
        self._fd = fd
        #: ``readinto_raw(view)``: like :meth:`readinto`, but for a file descriptor it is
        #: C code end to end and raises OSError itself (callers on a hot path catch it).
        self.readinto_raw: Callable[[memoryview], int | None]
        if fd is None:
            reader = getattr(stream, "read1", None) or stream.read  # type: ignore[union-attr]
            self._reader = reader
            self.readinto_raw = self.readinto
        else:
            self.readinto_raw = io.FileIO(fd, "rb", closefd=False).readinto

    def read_some(self, size: int = READ_SIZE) -> bytes:
        """At least one byte, or ``b""`` at end of input (StormWentAwayError on I/O errors)."""
        try:
            if self._fd is not None:
                return os.read(self._fd, size)
            data = self._reader(size)
        except OSError as exc:
            raise StormWentAwayError(f"Storm went away: reading from Storm failed: {exc}") from exc
        if data is None:  # a non-blocking stream with nothing to read
            return b""
        if not isinstance(data, bytes):
            data = bytes(data)
        return data

    def readinto(self, view: memoryview) -> int:
        """Read into ``view`` (no allocation); 0 at end of input."""
        try:
            if self._fd is not None:
                return os.readv(self._fd, [view])
            stream = self.stream
            readinto = getattr(stream, "readinto1", None) or getattr(stream, "readinto", None)
            if readinto is not None:
                return readinto(view) or 0
            data = self._reader(len(view)) or b""
        except OSError as exc:
            raise StormWentAwayError(f"Storm went away: reading from Storm failed: {exc}") from exc
        view[: len(data)] = data
        return len(data)


class ByteSink:
    """Buffers encoded messages and writes them out in one go on :meth:`flush`.

    Each :meth:`write` takes one message body; ``suffix`` (``b"\\nend\\n"`` for JSON)
    is added after every body at flush time. The component's own thread appends
    without taking a lock (``list.append`` and ``del list[:n]`` are atomic), so only
    flushes are serialized. Writes from any other thread (a batching thread, user
    threads) are flushed at once, because the component's thread may be blocked
    reading and would not flush them for a while.
    """

    def __init__(
        self, stream: BinaryIO | int, *, suffix: bytes = b"", max_pending: int = 256
    ) -> None:
        self.stream = stream
        fd = stream if isinstance(stream, int) else _fileno(stream)
        self._fd = fd
        #: C-level ``write`` on the descriptor (None for a stream without one).
        self._write_raw = None if fd is None else io.FileIO(fd, "wb", closefd=False).write
        self._buf: list[bytes] = []
        #: The queue itself, for hot paths that test it for emptiness without a call.
        self.buffer = self._buf
        self._suffix = suffix
        self._lock = threading.RLock()
        #: The thread that flushes before it blocks on a read; writes from any other
        #: thread are flushed at once. Hot paths inline :meth:`write` with these.
        self.owner = threading.get_ident()
        self.max_pending = max_pending

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def claim(self) -> None:
        """Make the calling thread the owner (the one that flushes before blocking)."""
        self.owner = threading.get_ident()

    def write(self, body: bytes) -> None:
        """Queue one message body."""
        buf = self._buf
        buf.append(body)
        if len(buf) >= self.max_pending or _get_ident() != self.owner:
            self.flush()

    @property
    def append_owned(self) -> Callable[[bytes], None]:
        """``list.append`` on the buffer: for the owner thread only, no checks, no flush."""
        return self._buf.append

    def pending(self) -> int:
        """Messages written but not yet flushed."""
        return len(self._buf)

    def flush(self) -> None:
        if not self._buf:
            return
        with self._lock:
            buf = self._buf
            count = len(buf)
            if not count:
                return
            items = buf[:count]
            del buf[:count]
            items.append(b"")  # so the join ends with the suffix too
            data = self._suffix.join(items)
            try:
                if self._write_raw is not None:
                    written = self._write_raw(data)
                    if written is None or written < len(data):
                        self._write_rest(data, written or 0)
                else:
                    self.stream.write(data)  # type: ignore[union-attr]
                    self.stream.flush()  # type: ignore[union-attr]
            except (OSError, ValueError) as exc:
                raise StormWentAwayError(
                    f"Storm went away: writing to Storm failed: {exc}"
                ) from exc

    def _write_rest(self, data: bytes, written: int) -> None:
        """Finish a short write (a full pipe, a signal)."""
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(self._fd, view) :]  # type: ignore[arg-type]


_get_ident = threading.get_ident
