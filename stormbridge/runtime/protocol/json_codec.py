"""``\\nend\\n``-framed JSON, exactly as Storm's ``JsonSerializer`` reads and writes it.

Storm writes ``<json>\\nend\\n`` per message and reads lines up to a line that is
exactly ``end``. We read large chunks and split on ``\\nend\\n`` instead of reading
line by line. orjson is used when installed; otherwise the standard library. Both
produce the same meaning on the wire: UTF-8 without ``\\u`` escapes, namedtuples as
arrays, non-string dict keys as strings, NaN/Infinity written bare like pystorm.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any, BinaryIO, NoReturn

from ...errors import ProtocolError, StormWentAwayError
from .codec import DEFAULT_MAX_FRAME_SIZE, Codec, describe, register_codec
from .streams import READ_SIZE

try:  # optional speed-up
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised when orjson is absent
    _orjson = None  # type: ignore[assignment]

__all__ = ["END", "HAVE_ORJSON", "JsonCodec"]

END = b"\nend\n"
HAVE_ORJSON = _orjson is not None

_stdlib_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=True, check_circular=True
).encode
_stdlib_decode = json.JSONDecoder().decode


def _stdlib_dumps(message: Any) -> bytes:
    return _stdlib_encode(message).encode("utf-8")


def _decode_stdlib(frame: bytes | bytearray | memoryview) -> Any:
    try:
        return _stdlib_decode(str(frame, "utf-8"))
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"a message from Storm is not valid UTF-8 ({exc.reason} at byte {exc.start}): "
            f"{describe(bytes(frame))}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(
            f"a message from Storm is not valid JSON ({exc}): {describe(bytes(frame))}"
        ) from None


def _orjson_default(obj: Any) -> Any:
    if isinstance(obj, tuple):  # namedtuples and other tuple subclasses
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


if _orjson is not None:
    _orjson_fast_dumps: Callable[[Any], bytes] = partial(
        _orjson.dumps,
        default=_orjson_default,
        option=_orjson.OPT_NON_STR_KEYS
        | _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS,
    )
    _orjson_loads: Callable[[bytes | bytearray], Any] = _orjson.loads
    # Integers beyond 53 bits make this one raise; then we look closer (scan_values).
    # No OPT_NON_STR_KEYS here: it makes every dict slower, and a dict with non-str keys
    # then raises TypeError, which sends the message down the careful path (same bytes).
    _STRICT_OPTION = (
        _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS
        | _orjson.OPT_STRICT_INTEGER
    )
    _orjson_strict_dumps: Callable[[Any], bytes] = partial(
        _orjson.dumps, default=_orjson_default, option=_STRICT_OPTION
    )
    # A str alone: orjson's defaults write it exactly as the other encoders do.
    _orjson_dumps_str: Callable[[str], bytes] = _orjson.dumps


class JsonCodec(Codec):
    """JSON framing; ``engine``: ``"orjson"``, ``"stdlib"`` or ``"auto"`` (orjson if installed)."""

    name = "json"
    suffix = END

    def __init__(
        self,
        input_stream: BinaryIO | int,
        output_stream: BinaryIO | int,
        *,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        engine: str = "auto",
    ) -> None:
        super().__init__(input_stream, output_stream, max_frame_size=max_frame_size)
        if engine == "auto":
            engine = "orjson" if HAVE_ORJSON else "stdlib"
        if engine == "orjson" and not HAVE_ORJSON:
            raise ProtocolError("the orjson JSON engine was asked for but orjson is not installed")
        if engine not in ("orjson", "stdlib"):
            raise ProtocolError(f"unknown JSON engine {engine!r}: use 'orjson' or 'stdlib'")
        self.engine = engine
        self.dumps_fast = _orjson_fast_dumps if engine == "orjson" else _stdlib_dumps
        self.dumps_special = _stdlib_dumps
        self._loads = _orjson_loads if engine == "orjson" else _decode_stdlib
        if engine == "orjson":
            self.dumps_checked = self._orjson_checked
            self.dumps_strict = _orjson_strict_dumps
            self.dumps_str = _orjson_dumps_str
            self.strict_encode = _orjson.dumps
            self.strict_default = _orjson_default
            self.strict_option = _STRICT_OPTION
        else:
            self.dumps_str = _stdlib_dumps
        self.ack_head = b'{"command":"ack","id":'
        self.ack_tail = b"}"
        self._rbuf = bytearray(READ_SIZE)
        self._view = memoryview(self._rbuf)
        self._capacity = READ_SIZE
        self._end = 0  # rbuf[:_end]: the start of a frame not yet whole
        self._oversize: bytes | None = None  # the head of a too-big frame after those ready
        if engine == "orjson":
            self.frame_loads = _orjson_loads

    def _orjson_checked(self, message: Any) -> bytes:
        """``dump`` without a Python walk over the values in the common case.

        orjson refuses ints beyond 53 bits in strict mode and writes NaN/infinity as
        ``null``; only then do we walk the values (exact int64 check, NaN written
        bare like the stdlib).
        """
        try:
            body: bytes = _orjson_strict_dumps(message)
        except TypeError:
            return self.dump(message)
        # partition: one argument, so cheaper to call than find; `in` first raises a TypeError
        if body.partition(b"null")[1]:
            return self.dump(message)
        return body

    def read_message(self) -> Any:
        frames = self.ready_frames
        frame = frames.pop() if frames else self._fill()
        try:
            message = self._loads(frame)
        except ValueError:  # orjson refused it: NaN, huge ints; the stdlib reads those
            message = _decode_stdlib(frame)
        kind = type(message)
        if kind is dict or kind is list:
            return message
        raise ProtocolError(
            "expected a JSON object (a command or tuple) or a JSON array (task ids) from "
            f"Storm, got {kind.__name__}: {describe(bytes(frame))}"
        )

    def _fill(self) -> bytearray:
        """Read until at least one whole frame arrived; return the first, queue the rest.

        The buffer is cut at every ``\nend\n`` with one ``split`` per read (a ``find``
        per frame costs more than the frame's share of the split); every frame is still
        decoded on its own.
        """
        sink = self.sink
        pending = sink.buffer
        readinto = self.source.readinto_raw
        limit = self.max_frame_size
        if self._oversize is not None:
            self._too_big(self._oversize)
        end = self._end
        while True:
            if pending:
                sink.flush()
            if end == self._capacity:  # full and still no frame end: grow, up to the limit
                self._grow(end)
            try:
                count = readinto(self._view[end:] if end else self._view)
            except OSError as exc:
                raise StormWentAwayError(
                    f"Storm went away: reading from Storm failed: {exc}"
                ) from exc
            if not count:
                self._end_of_input(end)
            # A frame end may straddle the old end: search from 4 bytes before it.
            search_from = end - 4 if end > 4 else 0
            end += count
            self._end = end
            idx = self._rbuf.find(END, search_from, end)
            if idx >= 0:
                break
            if end > limit:
                self._too_big(self._view[:100].tobytes())
        if idx == end - 5 and idx <= limit:  # exactly one frame (a spout's usual read)
            self._end = 0
            return self._rbuf[:idx]
        frames = self._rbuf[:end].split(END)
        tail = frames.pop()  # the start of the next frame (often empty)
        size = len(tail)
        if size:
            self._rbuf[:size] = tail
        self._end = size
        if end > limit:  # a frame may be too big: pass on those before it, then refuse it
            for index, frame in enumerate(frames):
                if len(frame) > limit:
                    if not index:
                        self._too_big(bytes(frame[:100]))
                    self._oversize = bytes(frame[:100])
                    del frames[index:]
                    break
        frames.reverse()
        first = frames.pop()
        self.ready_frames.extend(frames)  # (empty: _fill runs only when it is)
        return first

    def _grow(self, end: int) -> None:
        if end > self.max_frame_size:
            self._too_big(self._view[:100].tobytes())
        bigger = bytearray(min(self._capacity * 2, self.max_frame_size + READ_SIZE))
        bigger[:end] = self._rbuf
        self._rbuf = bigger
        self._view = memoryview(bigger)
        self._capacity = len(bigger)

    def _end_of_input(self, end: int) -> NoReturn:
        rest = self._view[:end].tobytes()
        self._end = 0
        if rest.strip():
            raise ProtocolError(
                "Storm closed the pipe in the middle of a message; received "
                f"{describe(rest)} without the closing 'end' line"
            )
        raise StormWentAwayError(
            "Storm went away: end of input from Storm (the worker closed the pipe)"
        )

    def _too_big(self, head: bytes) -> NoReturn:
        self._end = 0
        self.ready_frames.clear()
        self._oversize = None
        raise ProtocolError(
            f"a message from Storm is larger than the {self.max_frame_size}-byte limit "
            f"(max_frame_size); it starts with {describe(head)}"
        )


def _json_auto(input_stream: Any, output_stream: Any, **kwargs: Any) -> JsonCodec:
    return JsonCodec(input_stream, output_stream, engine="auto", **kwargs)


def _json_stdlib(input_stream: Any, output_stream: Any, **kwargs: Any) -> JsonCodec:
    return JsonCodec(input_stream, output_stream, engine="stdlib", **kwargs)


def _json_orjson(input_stream: Any, output_stream: Any, **kwargs: Any) -> JsonCodec:
    return JsonCodec(input_stream, output_stream, engine="orjson", **kwargs)


register_codec("json", _json_auto)
register_codec("json-stdlib", _json_stdlib)
if HAVE_ORJSON:
    register_codec("json-orjson", _json_orjson)
