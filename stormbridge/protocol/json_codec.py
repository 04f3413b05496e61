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
from typing import Any, BinaryIO

from ..errors import ProtocolError, StormWentAwayError
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
    _orjson_strict_dumps: Callable[[Any], bytes] = partial(
        _orjson.dumps,
        default=_orjson_default,
        option=_orjson.OPT_NON_STR_KEYS
        | _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS
        | _orjson.OPT_STRICT_INTEGER,
    )


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
        self._rbuf = bytearray(READ_SIZE)
        self._view = memoryview(self._rbuf)
        self._start = 0
        self._end = 0

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
        if b"null" in body:
            return self.dump(message)
        return body

    def read_message(self) -> Any:
        start = self._start
        idx = self._rbuf.find(END, start, self._end)
        if idx < 0:
            start, idx = self._fill()
        self._start = idx + 5
        frame = self._rbuf[start:idx]  # (orjson reads a bytearray faster than a memoryview)
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

    def _fill(self) -> tuple[int, int]:
        """Read until the buffer holds a whole frame; returns its (start, end)."""
        sink = self.sink
        source = self.source
        limit = self.max_frame_size
        while True:
            if sink.pending():
                sink.flush()
            start, end = self._start, self._end
            if start:  # move the unfinished frame to the front
                size = end - start
                if size:
                    self._view[:size] = self._view[start:end].tobytes()
                start, end = 0, size
                self._start, self._end = 0, size
            capacity = len(self._rbuf)
            if end == capacity:  # full and still no frame end: grow, up to the limit
                if end > limit:
                    self._too_big()
                bigger = bytearray(min(capacity * 2, limit + READ_SIZE))
                bigger[:end] = self._rbuf
                self._rbuf = bigger
                self._view = memoryview(bigger)
            count = source.readinto(self._view[end:])
            if not count:
                rest = self._view[start:end].tobytes()
                self._start = self._end = 0
                if rest.strip():
                    raise ProtocolError(
                        "Storm closed the pipe in the middle of a message; received "
                        f"{describe(rest)} without the closing 'end' line"
                    )
                raise StormWentAwayError(
                    "Storm went away: end of input from Storm (the worker closed the pipe)"
                )
            search_from = max(end - 4, start)
            end += count
            self._end = end
            idx = self._rbuf.find(END, search_from, end)
            if idx >= 0:
                if idx - start > limit:
                    self._too_big()
                return start, idx
            if end - start > limit:
                self._too_big()

    def _too_big(self) -> None:
        head = self._view[self._start : self._start + 100].tobytes()
        self._start = self._end = 0
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
